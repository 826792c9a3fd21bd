/* SPDX-License-Identifier: MIT */
/*
 * The capture against the real kernel: a child moves itself into a fresh cgroup v2,
 * performs the actions malware performs, and each must come back as an event with the
 * right fields, while the test process itself (outside the cgroup) must stay invisible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture.h"
#include "macros.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup/unified"
#define MAX_EVENTS  8192

struct fixture {
	struct capture *capture;
	char cgroup[128];
	char dir[64];
	uint64_t cgroup_id;
	int listener;
	uint16_t port;
	struct event *events;
	size_t n_events;
};

static void fixture_collect(const struct event *ev, void *userdata)
{
	struct fixture *f = userdata;

	if (f->n_events < MAX_EVENTS)
		f->events[f->n_events++] = *ev;
}

static int listener_open(uint16_t *ret_port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct stat st;

	if (geteuid() != 0 || access(CGROUP_ROOT "/cgroup.procs", W_OK) < 0)
		return 0;
	assert_non_null(f);
	snprintf(f->cgroup, sizeof(f->cgroup), CGROUP_ROOT "/sandtrap-test-%d", getpid());
	assert_int_equal(mkdir(f->cgroup, 0755), 0);
	assert_int_equal(stat(f->cgroup, &st), 0);
	f->cgroup_id = st.st_ino;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sandtrap-capture-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->listener = listener_open(&f->port);
	f->events = calloc(MAX_EVENTS, sizeof(struct event));
	assert_non_null(f->events);
	assert_int_equal(capture_new(&f->capture), 0);
	assert_int_equal(capture_watch_cgroup(f->capture, f->cgroup_id, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	capture_free(f->capture);
	close(f->listener);
	rmdir(f->cgroup);
	rmdir(f->dir);
	free(f->events);
	free(f);
	return 0;
}

static void child_join_cgroup(const char *cgroup)
{
	char path[160], pid[16];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	snprintf(pid, sizeof(pid), "%d", getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		_exit(90);
	close(fd);
}

static void child_files(const char *dir)
{
	char a[128], b[128], l[128], d[128];
	int fd;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(l, sizeof(l), "%s/l", dir);
	snprintf(d, sizeof(d), "%s/d", dir);
	fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1 || write(fd, "y", 1) != 1)
		_exit(91);
	close(fd);
	if (rename(a, b) < 0 || chmod(b, 0700) < 0 || symlink("b", l) < 0 || mkdir(d, 0711) < 0)
		_exit(92);
	if (rmdir(d) < 0 || unlink(l) < 0 || unlink(b) < 0)
		_exit(93);
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	close(fd);
}

static void child_net(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int saved = dup(1);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		_exit(94);
	if (dup2(fd, 1) < 0 || dup2(saved, 1) < 0)
		_exit(95);
	close(saved);
	close(fd);
}

static void child_memory_and_privilege(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	int fd = memfd_create("st-memfd", MFD_CLOEXEC);

	if (p == MAP_FAILED || fd < 0 || setuid(0) < 0)
		_exit(96);
	close(fd);
	kill(getpid(), SIGWINCH);
}

/*
 * A classic-BPF filter returning EPERM for init_module and keyctl; written by hand because
 * the project's own seccomp.h shadows libseccomp's header on the include path.
 */
static void child_seccomp(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_init_module, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_keyctl, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(insns), .filter = insns};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		_exit(97);
	if (syscall(SYS_init_module, NULL, 0, "") != -1 || errno != EPERM)
		_exit(98);
	syscall(SYS_keyctl, 0, 0, 0, 0, 0);
}

static void child_run(struct fixture *f, int go)
{
	char *const argv[] = {"/bin/sh", "-c", "exit 3", "st-marker", NULL};
	char *const envp[] = {"HOME=/root", "HTTPS_PROXY=http://10.0.0.1:3128",
			      "LD_LIBRARY_PATH=/nonexistent", NULL};
	char c;
	pid_t pid;

	child_join_cgroup(f->cgroup);
	if (read(go, &c, 1) != 1)
		_exit(89);
	child_files(f->dir);
	child_net(f->port);
	child_memory_and_privilege();
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	child_seccomp();
	execve(argv[0], argv, envp);
	_exit(99);
}

static void fixture_pump(struct fixture *f, pid_t child, int *ret_status)
{
	struct pollfd pfd = {.fd = capture_fd(f->capture), .events = POLLIN};
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 20;
	for (;;) {
		poll(&pfd, 1, 20);
		assert_true(capture_consume(f->capture, fixture_collect, f) >= 0);
		if (child > 0 && waitpid(child, ret_status, WNOHANG) == child)
			child = 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (child == 0 || now.tv_sec > end.tv_sec)
			break;
	}
	poll(&pfd, 1, 100);
	capture_consume(f->capture, fixture_collect, f);
}

static const struct event *find(struct fixture *f, enum event_type type, const char *path)
{
	for (size_t i = 0; i < f->n_events; i++)
		if (f->events[i].type == type && (!path || strcmp(f->events[i].path, path) == 0))
			return &f->events[i];
	return NULL;
}

static const struct event *find_arg0(struct fixture *f, enum event_type type, uint64_t arg0)
{
	for (size_t i = 0; i < f->n_events; i++)
		if (f->events[i].type == type && f->events[i].arg0 == arg0)
			return &f->events[i];
	return NULL;
}

static const struct event *expect(struct fixture *f, enum event_type type, const char *path)
{
	const struct event *ev = find(f, type, path);

	if (!ev)
		fail_msg("no event of type %d for '%s'", type, path ? path : "(any)");
	return ev;
}

static void check_files(struct fixture *f)
{
	char a[128], b[128], l[128], d[128];
	const struct event *ev;

	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	snprintf(l, sizeof(l), "%s/l", f->dir);
	snprintf(d, sizeof(d), "%s/d", f->dir);
	ev = expect(f, EV_FILE_OPEN, a);
	assert_int_equal(ev->arg1, 1);
	assert_true(ev->arg0 & O_CREAT);
	expect(f, EV_FILE_WRITE, a);
	ev = expect(f, EV_FILE_RENAME, a);
	assert_string_equal(ev->path2, b);
	assert_int_equal(expect(f, EV_FILE_CHMOD, b)->arg0, 0700);
	assert_string_equal(expect(f, EV_FILE_SYMLINK, l)->path2, "b");
	assert_int_equal(expect(f, EV_FILE_MKDIR, d)->arg0, 0711);
	assert_int_equal(expect(f, EV_FILE_UNLINK, d)->arg0, 1);
	assert_int_equal(expect(f, EV_FILE_UNLINK, b)->arg0, 0);
	assert_int_equal(expect(f, EV_FILE_OPEN, "/etc/passwd")->arg0 & O_ACCMODE, O_RDONLY);
}

static void check_rest(struct fixture *f, pid_t child)
{
	const struct event *ev;

	ev = expect(f, EV_NET_CONNECT, NULL);
	assert_int_equal(ev->arg0, AF_INET);
	assert_int_equal(ev->arg2, SOCK_STREAM);
	assert_int_equal(ntohs(((const struct sockaddr_in *)ev->data)->sin_port), f->port);
	ev = find_arg0(f, EV_FD_DUP, 4) ? find_arg0(f, EV_FD_DUP, 4) : expect(f, EV_FD_DUP, NULL);
	assert_int_equal(ev->arg1, 1);
	assert_int_equal(expect(f, EV_MEM_EXEC, NULL)->arg1, 1);
	assert_non_null(expect(f, EV_MEMFD_CREATE, "st-memfd"));
	assert_int_equal(expect(f, EV_PRIV_SETUID, NULL)->arg0, 0);
	assert_int_equal(expect(f, EV_SIGNAL, NULL)->arg1, child);
	assert_non_null(find_arg0(f, EV_SYSCALL_DENIED, SYS_init_module));
	assert_non_null(find_arg0(f, EV_SYSCALL_DENIED, SYS_keyctl));
	assert_int_equal(expect(f, EV_KMOD_LOAD, NULL)->ret, -EPERM);
	ev = expect(f, EV_PROC_FORK, NULL);
	assert_int_equal(ev->ppid, child);
	ev = expect(f, EV_PROC_EXEC, "/bin/sh");
	assert_int_equal(ev->pid, child);
	assert_int_equal(ev->ppid, getpid());
	assert_int_equal(ev->data_len, sizeof("/bin/sh\0-c\0exit 3\0st-marker"));
	assert_memory_equal(ev->data, "/bin/sh\0-c\0exit 3\0st-marker", ev->data_len);
	assert_non_null(memmem(ev->data2, ev->data2_len, "HTTPS_PROXY=", 12));
	assert_non_null(memmem(ev->data2, ev->data2_len, "LD_LIBRARY_PATH=", 16));
	assert_null(memmem(ev->data2, ev->data2_len, "HOME=", 5));
	assert_int_equal(find_arg0(f, EV_PROC_EXIT, 3 << 8) != NULL, 1);
}

static void capture_sees_the_guest_and_nobody_else(void **state)
{
	struct fixture *f = *state;
	char marker[128];
	int go[2], status = -1, fd;
	pid_t child;

	if (!f)
		skip();
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		child_run(f, go[0]);
	close(go[0]);
	usleep(100 * 1000);

	/* The same kind of action from outside the cgroup must not show up. */
	snprintf(marker, sizeof(marker), "%s/unwatched", f->dir);
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	unlink(marker);

	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	fixture_pump(f, child, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);

	assert_null(find(f, EV_FILE_OPEN, marker));
	for (size_t i = 0; i < f->n_events; i++) {
		assert_int_equal(f->events[i].cgroup_id, f->cgroup_id);
		assert_int_not_equal(f->events[i].pid, getpid());
	}
	check_files(f);
	check_rest(f, child);
	assert_int_equal(capture_lost(f->capture), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(capture_sees_the_guest_and_nobody_else, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
