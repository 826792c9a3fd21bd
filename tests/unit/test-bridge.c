/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bridge.h"
#include "macros.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY     65534
#define TEST_GROUP 54321 /* a gid no account has: only the test's children get it */

static const char bad_sha[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

struct fixture {
	char dir[64];
	char sock[96];
	struct bridge *b;
	unsigned calls;
};

static int stub_check(void *userdata, const char *path, const char *sha256,
                      struct bridge_answer *ret)
{
	struct fixture *f = userdata;

	__atomic_add_fetch(&f->calls, 1, __ATOMIC_RELAXED);
	if (path && strcmp(path, "/slow") == 0) /* a large file being hashed, a slow server */
		usleep(1500 * 1000);
	if (path && strcmp(path, "/missing") == 0)
		return -ENOENT;
	if (path && strcmp(path, "/liar") == 0) {
		snprintf(ret->verdict, sizeof(ret->verdict), "fine");
		return 0;
	}
	if (path) {
		snprintf(ret->verdict, sizeof(ret->verdict), "clean");
		snprintf(ret->sha256, sizeof(ret->sha256), "%064d", 1);
		return 0;
	}
	if (strcmp(sha256, bad_sha) == 0) {
		snprintf(ret->verdict, sizeof(ret->verdict), "malicious");
		snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha256);
		snprintf(ret->threat, sizeof(ret->threat), "Linux.Test.Dropper");
		return 0;
	}
	snprintf(ret->verdict, sizeof(ret->verdict), "unknown");
	snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha256);
	ret->submitted = true;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-bridge.XXXXXX");
	if (!mkdtemp(f->dir) || chmod(f->dir, 0755) < 0)
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/agent.sock", f->dir);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f;

	if (setup_dir(state) < 0)
		return -1;
	f = *state;
	return bridge_start(f->sock, (gid_t)-1, stub_check, f, &f->b) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bridge_stop(f->b);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One line (without its newline) into buf; 0 at EOF, -1 on error or timeout. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t k = read(fd, buf + n, 1);

		if (k <= 0)
			return k == 0 && n == 0 ? 0 : -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 1;
}

/* Send one request line and parse the answer line. */
static struct json_object *ask(int fd, const char *req)
{
	char line[16384];

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(write(fd, "\n", 1), 1);
	assert_int_equal(read_line(fd, line, sizeof(line)), 1);
	return json_tokener_parse(line);
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "(absent)";
	return v ? json_object_get_string(v) : "(null)";
}

static void ping_answers_ok(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int fd = connect_to(f->sock);
	struct json_object *o;

	assert_true(fd >= 0);
	o = ask(fd, "{\"op\":\"ping\"}");
	assert_string_equal(field(o, "ok"), "true");
	assert_string_equal(field(o, "id"), "(absent)");
	json_object_put(o);

	o = ask(fd, "{\"op\":\"ping\",\"id\":42}");
	assert_string_equal(field(o, "ok"), "true");
	assert_string_equal(field(o, "id"), "42");
	json_object_put(o);
}

static void checks_are_answered_by_the_callback(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int fd = connect_to(f->sock);
	char req[256];
	struct json_object *o;

	assert_true(fd >= 0);
	o = ask(fd, "{\"op\":\"check\",\"path\":\"/usr/bin/true\",\"id\":\"a1\"}");
	assert_string_equal(field(o, "id"), "a1");
	assert_string_equal(field(o, "verdict"), "clean");
	assert_int_equal(strlen(field(o, "sha256")), 64);
	assert_string_equal(field(o, "threat"), "(null)");
	assert_string_equal(field(o, "submitted"), "false");
	json_object_put(o);

	snprintf(req, sizeof(req), "{\"op\":\"check\",\"sha256\":\"%s\",\"id\":7}", bad_sha);
	o = ask(fd, req);
	assert_string_equal(field(o, "id"), "7");
	assert_string_equal(field(o, "verdict"), "malicious");
	assert_string_equal(field(o, "threat"), "Linux.Test.Dropper");
	assert_string_equal(field(o, "sha256"), bad_sha);
	json_object_put(o);

	snprintf(req, sizeof(req), "{\"op\":\"check\",\"sha256\":\"%064d\"}", 5);
	o = ask(fd, req);
	assert_string_equal(field(o, "verdict"), "unknown");
	assert_string_equal(field(o, "submitted"), "true");
	json_object_put(o);
	assert_int_equal(f->calls, 3);
}

static void expect_error(int fd, const char *req, const char *want)
{
	struct json_object *o = ask(fd, req);

	assert_non_null(o);
	assert_string_equal(field(o, "error"), want);
	assert_string_equal(field(o, "verdict"), "(absent)");
	json_object_put(o);
}

static void bad_requests_get_an_error_and_the_connection_stays(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int fd = connect_to(f->sock);
	struct json_object *o;

	assert_true(fd >= 0);
	expect_error(fd, "{\"op\":\"check\",", "bad json");
	expect_error(fd, "[1,2]", "bad json");
	expect_error(fd, "{\"op\":\"ping\"} trailing", "bad json");
	expect_error(fd, "{\"id\":1}", "op missing");
	expect_error(fd, "{\"op\":\"rm -rf\"}", "unknown op");
	expect_error(fd, "{\"op\":\"check\"}", "exactly one of path and sha256 is needed");
	expect_error(fd, "{\"op\":\"check\",\"path\":\"/a\",\"sha256\":\"b\"}",
	             "exactly one of path and sha256 is needed");
	expect_error(fd, "{\"op\":\"check\",\"path\":\"etc/passwd\"}", "path must be absolute");
	expect_error(fd, "{\"op\":\"check\",\"path\":7}", "path must be absolute");
	expect_error(fd, "{\"op\":\"check\",\"path\":\"/etc/passwd\\u0000x\"}",
		     "path must be absolute");
	expect_error(fd, "{\"op\":\"check\",\"sha256\":\"abc\"}", "sha256 must be 64 hex digits");
	expect_error(fd, "{\"op\":\"check\",\"path\":\"/missing\"}",
	             "check failed: No such file or directory");
	expect_error(fd, "{\"op\":\"check\",\"path\":\"/liar\"}", "check failed: Protocol error");
	assert_int_equal(f->calls, 2);

	o = ask(fd, "{\"op\":\"ping\",\"id\":\"still here\"}");
	assert_string_equal(field(o, "id"), "still here");
	json_object_put(o);
}

static void an_overlong_line_is_refused_and_closed(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int fd = connect_to(f->sock);
	char big[10000], line[256];
	struct json_object *o;

	assert_true(fd >= 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(read_line(fd, line, sizeof(line)), 1);
	o = json_tokener_parse(line);
	assert_string_equal(field(o, "error"), "line too long");
	json_object_put(o);
	/* Closed: EOF, or a reset since the rest of the line was never read. */
	assert_true(read_line(fd, line, sizeof(line)) <= 0);
}

/* A client that writes and never reads must not hold up the others. */
static void a_client_that_never_reads_does_not_block_others(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int hog = connect_to(f->sock), fd = connect_to(f->sock);
	const char ping[] = "{\"op\":\"ping\",\"id\":123456}\n";
	static char pings[1000 * (sizeof(ping) - 1)];
	struct pollfd pfd;
	struct json_object *o;
	size_t sent = 0;

	assert_true(hog >= 0 && fd >= 0);
	for (size_t i = 0; i < 1000; i++)
		memcpy(pings + i * (sizeof(ping) - 1), ping, sizeof(ping) - 1);
	/* Until the bridge stops reading it: nothing more fits for a second. */
	pfd = (struct pollfd){.fd = hog, .events = POLLOUT};
	while (sent < (64 << 20) && poll(&pfd, 1, 1000) == 1) {
		ssize_t n = send(hog, pings, sizeof(pings), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			sent += n;
	}
	assert_true(sent > 64 * 1024);
	assert_true(sent < (64 << 20));
	for (unsigned i = 0; i < 20; i++) {
		o = ask(fd, "{\"op\":\"ping\"}");
		assert_string_equal(field(o, "ok"), "true");
		json_object_put(o);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Checks run beside the bridge's thread: one slow check delays its own client only. */
static void a_slow_check_does_not_delay_other_clients(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int slow = connect_to(f->sock), fd = connect_to(f->sock);
	const char req[] = "{\"op\":\"check\",\"path\":\"/slow\",\"id\":1}\n";
	struct json_object *o;
	char line[512];
	int64_t t0 = now_ms();

	assert_true(slow >= 0 && fd >= 0);
	assert_int_equal(send(slow, req, sizeof(req) - 1, MSG_NOSIGNAL), sizeof(req) - 1);
	usleep(100 * 1000);
	for (unsigned i = 0; i < 5; i++) {
		o = ask(fd, "{\"op\":\"check\",\"path\":\"/bin/true\"}");
		assert_string_equal(field(o, "verdict"), "clean");
		json_object_put(o);
	}
	assert_true(now_ms() - t0 < 1000);
	assert_true(read_line(slow, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"clean\""));
	assert_true(now_ms() - t0 >= 1500);
}

/* One client's lines are answered in the order it sent them, a slow check or not. */
static void a_clients_answers_keep_its_order(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int fd = connect_to(f->sock);
	const char reqs[] = "{\"op\":\"check\",\"path\":\"/slow\",\"id\":1}\n"
			    "{\"op\":\"ping\",\"id\":2}\n"
			    "{\"op\":\"check\",\"path\":\"/bin/true\",\"id\":3}\n";
	char line[512];

	assert_true(fd >= 0);
	assert_int_equal(send(fd, reqs, sizeof(reqs) - 1, MSG_NOSIGNAL), sizeof(reqs) - 1);
	for (int want = 1; want <= 3; want++) {
		struct json_object *o, *id;

		assert_true(read_line(fd, line, sizeof(line)) > 0);
		o = json_tokener_parse(line);
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "id", &id));
		assert_int_equal(json_object_get_int(id), want);
		json_object_put(o);
	}
}

/* A client that leaves with its check running: the answer has nowhere to go, no harm. */
static void a_client_gone_before_its_answer(void **state)
{
	struct fixture *f = *state;
	int gone = connect_to(f->sock);
	_cleanup_close_ int fd = connect_to(f->sock);
	const char req[] = "{\"op\":\"check\",\"path\":\"/slow\",\"id\":1}\n";
	struct json_object *o;

	assert_true(gone >= 0 && fd >= 0);
	assert_int_equal(send(gone, req, sizeof(req) - 1, MSG_NOSIGNAL), sizeof(req) - 1);
	usleep(100 * 1000);
	close(gone);
	usleep(1600 * 1000);
	o = ask(fd, "{\"op\":\"ping\"}");
	assert_string_equal(field(o, "ok"), "true");
	json_object_put(o);
}

static void many_clients_are_served(void **state)
{
	struct fixture *f = *state;
	int fds[40];
	struct json_object *o;

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		fds[i] = connect_to(f->sock);
		assert_true(fds[i] >= 0);
	}
	for (size_t i = ARRAY_SIZE(fds); i-- > 0;) {
		o = ask(fds[i], "{\"op\":\"ping\"}");
		assert_string_equal(field(o, "ok"), "true");
		json_object_put(o);
		close(fds[i]);
	}
}

/* socat's way: the requests, a shutdown of the sending side, then the answers. */
static void answers_reach_a_client_that_shut_its_side(void **state)
{
	struct fixture *f = *state;
	_cleanup_close_ int fd = connect_to(f->sock);
	const char req[] = "{\"op\":\"ping\",\"id\":1}\n{\"op\":\"ping\",\"id\":2}\n";
	char line[256];

	assert_true(fd >= 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_int_equal(read_line(fd, line, sizeof(line)), 1);
	assert_string_equal(line, "{\"id\":1,\"ok\":true}");
	assert_int_equal(read_line(fd, line, sizeof(line)), 1);
	assert_string_equal(line, "{\"id\":2,\"ok\":true}");
	assert_int_equal(read_line(fd, line, sizeof(line)), 0);
}

static void the_65th_client_is_refused(void **state)
{
	struct fixture *f = *state;
	int fds[64];
	_cleanup_close_ int extra = -1;
	char line[256];
	struct json_object *o;

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		fds[i] = connect_to(f->sock);
		assert_true(fds[i] >= 0);
	}
	/* Served, so all 64 are accepted before the next one comes. */
	o = ask(fds[63], "{\"op\":\"ping\"}");
	json_object_put(o);
	extra = connect_to(f->sock);
	assert_true(extra >= 0);
	assert_int_equal(read_line(extra, line, sizeof(line)), 1);
	assert_string_equal(line, "{\"error\":\"too many clients\"}");
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
}

/*
 * A forked child with other credentials connects and reads one line: exit status 0 when
 * the line is want, 2 when the connection could not be made, 1 otherwise.
 */
static int child_connects_as(const char *sock, uid_t uid, gid_t gid, const gid_t *groups,
                             size_t n_groups, const char *req, const char *want)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char line[256];
		int fd;

		if (setgroups(n_groups, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(3);
		fd = connect_to(sock);
		if (fd < 0)
			_exit(2);
		/* Refused peers may find the connection closed before they write. */
		if (req)
			send(fd, req, strlen(req), MSG_NOSIGNAL);
		if (read_line(fd, line, sizeof(line)) != 1)
			_exit(1);
		_exit(strcmp(line, want) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void socket_modes(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(lstat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void an_unauthorised_peer_is_refused(void **state)
{
	struct fixture *f = *state;

	if (geteuid() != 0)
		skip();
	/* The file mode already keeps nobody out; open it to reach the credential check. */
	assert_int_equal(child_connects_as(f->sock, NOBODY, NOBODY, NULL, 0, NULL, ""), 2);
	assert_int_equal(chmod(f->sock, 0666), 0);
	assert_int_equal(child_connects_as(f->sock, NOBODY, NOBODY, NULL, 0, "{\"op\":\"ping\"}\n",
	                                   "{\"error\":\"permission denied\"}"),
	                 0);
	assert_int_equal(f->calls, 0);
}

static void members_of_the_group_are_let_in(void **state)
{
	struct fixture *f = *state;
	const gid_t supplementary[] = {100, TEST_GROUP};
	struct stat st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(bridge_start(f->sock, TEST_GROUP, stub_check, f, &f->b), 0);
	assert_int_equal(lstat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, TEST_GROUP);

	/* Supplementary group, primary group, neither. */
	assert_int_equal(child_connects_as(f->sock, NOBODY, NOBODY, supplementary, 2,
	                                   "{\"op\":\"ping\"}\n", "{\"ok\":true}"),
	                 0);
	assert_int_equal(child_connects_as(f->sock, NOBODY, TEST_GROUP, NULL, 0,
	                                   "{\"op\":\"ping\"}\n", "{\"ok\":true}"),
	                 0);
	assert_int_equal(chmod(f->sock, 0666), 0);
	assert_int_equal(child_connects_as(f->sock, NOBODY, NOBODY, supplementary, 1,
	                                   "{\"op\":\"ping\"}\n",
	                                   "{\"error\":\"permission denied\"}"),
	                 0);
	/* root always. */
	assert_int_equal(
	        child_connects_as(f->sock, 0, 0, NULL, 0, "{\"op\":\"ping\"}\n", "{\"ok\":true}"),
	        0);
}

static void stale_sockets_go_other_files_stay(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct bridge *second;
	int fd;

	/* A live bridge on the path: a second one is refused and the first keeps it. */
	assert_int_equal(bridge_start(f->sock, (gid_t)-1, stub_check, f, &f->b), 0);
	assert_int_equal(bridge_start(f->sock, (gid_t)-1, stub_check, f, &second), -EADDRINUSE);
	bridge_stop(f->b);
	f->b = NULL;
	assert_int_equal(access(f->sock, F_OK), -1); /* stop removed it */

	/* A socket file nobody listens on: replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(bridge_start(f->sock, (gid_t)-1, stub_check, f, &f->b), 0);
	bridge_stop(f->b);
	f->b = NULL;

	/* A regular file: left alone. */
	fd = open(f->sock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	assert_int_equal(bridge_start(f->sock, (gid_t)-1, stub_check, f, &f->b), -EEXIST);
	assert_int_equal(access(f->sock, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(ping_answers_ok, setup, teardown),
	        cmocka_unit_test_setup_teardown(checks_are_answered_by_the_callback, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(bad_requests_get_an_error_and_the_connection_stays,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(an_overlong_line_is_refused_and_closed, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(a_client_that_never_reads_does_not_block_others,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(many_clients_are_served, setup, teardown),
	        cmocka_unit_test_setup_teardown(answers_reach_a_client_that_shut_its_side, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(the_65th_client_is_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(socket_modes, setup, teardown),
	        cmocka_unit_test_setup_teardown(an_unauthorised_peer_is_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_slow_check_does_not_delay_other_clients, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(a_clients_answers_keep_its_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_client_gone_before_its_answer, setup, teardown),
	        cmocka_unit_test_setup_teardown(members_of_the_group_are_let_in, setup_dir,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(stale_sockets_go_other_files_stay, setup_dir,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
