/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect.h"
#include "event.h"
#include "macros.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A rules directory with one behaviour file holding text. */
static void rules_dir(char *dir, size_t sz, const char *text)
{
	char path[256];
	int fd;

	snprintf(dir, sz, "/tmp/test-detect-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/behaviour", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/behaviour/t.yml", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static struct detect_engine *load_ok(const char *text)
{
	struct detect_engine *e = NULL;
	char dir[64], err[512];
	int r;

	rules_dir(dir, sizeof(dir), text);
	r = detect_engine_load(dir, &e, err, sizeof(err));
	if (r < 0)
		fail_msg("load failed: %s", err);
	return e;
}

static void load_err(const char *text, const char *want)
{
	struct detect_engine *e = NULL;
	char dir[64], err[512];

	rules_dir(dir, sizeof(dir), text);
	assert_true(detect_engine_load(dir, &e, err, sizeof(err)) < 0);
	assert_null(e);
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
}

#define RULE_HEAD(id) \
	"  - id: " id "\n    title: t\n    description: d\n    attack: [T1059]\n" \
	"    severity: high\n"
#define TESTS_ANY \
	"    tests:\n      match: [[{type: file_unlink, path: /x}]]\n" \
	"      nomatch: [[{type: file_unlink, path: /y}]]\n"

static void test_load_errors(void **state)
{
	load_err("rules: [\n", "behaviour/t.yml:2:1:");
	load_err("rules:\n" RULE_HEAD("ST-A") "    colour: red\n    when: {type: file_unlink}\n" TESTS_ANY,
	         "behaviour/t.yml:7:5: unknown field 'colour'");
	load_err("rules:\n" RULE_HEAD("ST-A") "    when: {type: file_unlink, path: {regex: \"(\"}}\n"
	         TESTS_ANY, "behaviour/t.yml:7:45: bad regex");
	load_err("rules:\n" RULE_HEAD("ST-A") "    when: {type: file_unlink, path: {in: $nope}}\n"
	         TESTS_ANY, "unknown list 'nope'");
	load_err("rules:\n" RULE_HEAD("ST-A") "    when: {type: file_nothing}\n" TESTS_ANY,
	         "unknown event type 'file_nothing'");
	load_err("rules:\n  - title: t\n", "behaviour/t.yml:2:5: rule without an id");
	load_err("rules:\n" RULE_HEAD("ST-A") "    when: {type: file_unlink, path: /x}\n" TESTS_ANY
	         RULE_HEAD("ST-A") "    when: {type: file_unlink, path: /x}\n" TESTS_ANY,
	         "duplicate rule id 'ST-A'");
	load_err("rules:\n" RULE_HEAD("ST-A") "    when: {type: file_unlink, port: 4}\n" TESTS_ANY,
	         "can never match");
}

/* A failing rule after a good one: nothing at all is returned. */
static void test_no_half_load(void **state)
{
	load_err("rules:\n" RULE_HEAD("ST-A") "    when: {type: file_unlink, path: /x}\n" TESTS_ANY
	         RULE_HEAD("ST-B") "    when: {type: file_unlink, path: {glob: 7}, bogus: 1}\n"
	         TESTS_ANY, "unknown field 'bogus'");
}

static struct event ev_make(enum event_type t, int pid, int ppid, uint64_t ms, const char *path)
{
	struct event ev = {.type = t, .pid = pid, .ppid = ppid, .time_ns = ms * 1000000ull};

	snprintf(ev.path, sizeof(ev.path), "%s", path ? path : "");
	snprintf(ev.comm, sizeof(ev.comm), "t");
	return ev;
}

static void ev_argv(struct event *ev, const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;

	memcpy(ev->data, a, la);
	if (b)
		memcpy(ev->data + la, b, lb);
	ev->data_len = (uint32_t)(la + lb);
}

static uint64_t run_count(const struct detect_engine *e, const struct event *evs, size_t n,
                          const char *id)
{
	struct detect_run *r;
	struct detect_verdict v;
	uint64_t count = 0;

	assert_int_equal(detect_run_new(e, &r), 0);
	for (size_t i = 0; i < n; i++)
		detect_run_event(r, &evs[i]);
	assert_int_equal(detect_run_finish(r, &v), 0);
	for (size_t i = 0; i < v.n_hits; i++)
		if (strcmp(v.hits[i].rule_id, id) == 0)
			count = v.hits[i].count;
	detect_run_free(r);
	return count;
}

static void test_matchers(void **state)
{
	static const char *const ops[][3] = {
	        {"exact", "/etc/a", "/etc/ab"},  {"prefix", "/etc/", "/tmp/etc/x"},
	        {"suffix", ".so", "/x.so.6"},     {"contains", "cron", "/etc/x"},
	        {"glob", "/etc/*.conf", "/etc/x.cfg"}, {"regex", "^/etc/[a-c]+$", "/etc/d"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		char text[1024];
		struct detect_engine *e;
		struct event ev[2];
		const char *good = i == 0 ? "/etc/a" : i == 1 ? "/etc/x" : i == 2 ? "/lib/x.so"
		                 : i == 3 ? "/etc/cron.d/x" : i == 4 ? "/etc/x.conf" : "/etc/abc";

		snprintf(text, sizeof(text), "rules:\n" RULE_HEAD("ST-M")
		         "    when: {type: file_unlink, path: {%s: \"%s\"}}\n" TESTS_ANY,
		         ops[i][0], ops[i][1]);
		/* the fixtures of this generic rule need not pass: only the load matters */
		e = load_ok(text);
		ev[0] = ev_make(EV_FILE_UNLINK, 5, 1, 1, good);
		ev[1] = ev_make(EV_FILE_UNLINK, 5, 1, 2, ops[i][2]);
		assert_int_equal(run_count(e, &ev[0], 1, "ST-M"), 1);
		assert_int_equal(run_count(e, &ev[1], 1, "ST-M"), 0);
		detect_engine_free(e);
	}
}

static void test_numbers_lists(void **state)
{
	struct detect_engine *e = load_ok(
	        "lists:\n  l: [/a, /b]\nrules:\n" RULE_HEAD("ST-N")
	        "    when: {type: file_open, path: {in: $l}, flags: {has_any: [O_WRONLY, O_RDWR]},"
	        " uid: {lt: 1000}}\n" TESTS_ANY);
	struct event ev = ev_make(EV_FILE_OPEN, 5, 1, 1, "/b");

	ev.arg0 = O_RDWR;
	assert_int_equal(run_count(e, &ev, 1, "ST-N"), 1);
	ev.uid = 1000;
	assert_int_equal(run_count(e, &ev, 1, "ST-N"), 0);
	ev.uid = 0;
	ev.arg0 = O_RDONLY;
	assert_int_equal(run_count(e, &ev, 1, "ST-N"), 0);
	detect_engine_free(e);
}

static void test_lineage(void **state)
{
	struct detect_engine *e = load_ok(
	        "rules:\n" RULE_HEAD("ST-L")
	        "    when: {type: file_unlink, parent: {exe: /usr/bin/python3},"
	        " ancestor: {comm: sample}, descendant_of_sample: true}\n" TESTS_ANY);
	struct event ev[5];

	ev[0] = ev_make(EV_PROC_EXEC, 10, 1, 1, "/tmp/s");
	snprintf(ev[0].comm, sizeof(ev[0].comm), "sample");
	ev[1] = ev_make(EV_PROC_FORK, 11, 10, 2, NULL);
	ev[2] = ev_make(EV_PROC_EXEC, 11, 10, 3, "/usr/bin/python3");
	ev[3] = ev_make(EV_PROC_FORK, 12, 11, 4, NULL);
	ev[4] = ev_make(EV_FILE_UNLINK, 12, 11, 5, "/x");
	assert_int_equal(run_count(e, ev, 5, "ST-L"), 1);
	/* the unlink by the python process itself: its parent is the sample, not python */
	ev[4] = ev_make(EV_FILE_UNLINK, 11, 10, 5, "/x");
	assert_int_equal(run_count(e, ev, 5, "ST-L"), 0);
	detect_engine_free(e);
}

static struct detect_engine *default_rules(void)
{
	struct detect_engine *e = NULL;
	char err[512];

	if (detect_engine_load(SOURCE_ROOT "/rules", &e, err, sizeof(err)) < 0)
		fail_msg("default rules: %s", err);
	return e;
}

static void reverse_shell(struct event *ev, uint64_t t_dup, uint64_t t_exec)
{
	ev[0] = ev_make(EV_NET_CONNECT, 7, 1, 1000, NULL);
	ev[0].arg0 = 2;
	ev[0].data_len = 16;
	memcpy(ev[0].data, "\x02\x00\x11\x5c\xc0\x00\x02\x01", 8);
	ev[1] = ev_make(EV_FD_DUP, 7, 1, t_dup, NULL);
	ev[1].arg0 = 3, ev[1].arg1 = 0, ev[1].arg2 = 1;
	ev[2] = ev_make(EV_PROC_EXEC, 7, 1, t_exec, "/bin/sh");
	ev_argv(&ev[2], "sh", "-i");
}

static void test_reverse_shell(void **state)
{
	struct detect_engine *e = default_rules();
	struct event ev[3], sw;
	struct detect_run *r;
	struct detect_verdict v;

	reverse_shell(ev, 1100, 1200);
	assert_int_equal(run_count(e, ev, 3, "ST-C2-REVERSE-SHELL"), 1);
	/* outside the 5 s window */
	reverse_shell(ev, 1100, 7000);
	assert_int_equal(run_count(e, ev, 3, "ST-C2-REVERSE-SHELL"), 0);
	/* out of order: the dup before the connect */
	reverse_shell(ev, 1100, 1200);
	sw = ev[0], ev[0] = ev[1], ev[1] = sw;
	ev[0].time_ns = 900000000ull;
	assert_int_equal(run_count(e, ev, 3, "ST-C2-REVERSE-SHELL"), 0);
	/* another process's exec does not complete it */
	reverse_shell(ev, 1100, 1200);
	ev[2].pid = 8;
	assert_int_equal(run_count(e, ev, 3, "ST-C2-REVERSE-SHELL"), 0);

	reverse_shell(ev, 1100, 1200);
	assert_int_equal(detect_run_new(e, &r), 0);
	for (size_t i = 0; i < 3; i++)
		detect_run_event(r, &ev[i]);
	assert_int_equal(detect_run_finish(r, &v), 0);
	assert_int_equal(v.result, DETECT_MALICIOUS);
	assert_string_equal(v.threat, "Linux.Backdoor.ReverseShell");
	for (size_t i = 0; i < v.n_hits; i++)
		if (strcmp(v.hits[i].rule_id, "ST-C2-REVERSE-SHELL") == 0) {
			assert_int_equal(v.hits[i].n_evidence, 3);
			assert_int_equal(v.hits[i].evidence[0], 0);
			assert_int_equal(v.hits[i].evidence[2], 2);
		}
	detect_run_free(r);
	detect_engine_free(e);
}

static void test_ransomware(void **state)
{
	struct detect_engine *e = default_rules();
	struct event ev[40];

	for (size_t i = 0; i < 40; i++) {
		ev[i] = ev_make(EV_FILE_RENAME, 9, 1, 1000 + i * 100, NULL);
		snprintf(ev[i].path, sizeof(ev[i].path), "/home/dmitchell/Documents/%zu.docx", i);
		snprintf(ev[i].path2, sizeof(ev[i].path2), "/home/dmitchell/Documents/%zu.docx.x", i);
	}
	assert_int_equal(run_count(e, ev, 4, "ST-IMPACT-RANSOM"), 0);
	assert_int_equal(run_count(e, ev, 5, "ST-IMPACT-RANSOM"), 1);
	assert_int_equal(run_count(e, ev, 10, "ST-IMPACT-RANSOM"), 2);
	/* five renames spread over four minutes are not an attack */
	for (size_t i = 0; i < 5; i++)
		ev[i].time_ns = (1000 + i * 60000) * 1000000ull;
	assert_int_equal(run_count(e, ev, 5, "ST-IMPACT-RANSOM"), 0);
	/* nor are renames of files that are not documents, or under dot-directories */
	for (size_t i = 0; i < 10; i++) {
		ev[i].time_ns = (1000 + i * 100) * 1000000ull;
		snprintf(ev[i].path, sizeof(ev[i].path), "/home/dmitchell/.cache/%zu.txt", i);
	}
	assert_int_equal(run_count(e, ev, 10, "ST-IMPACT-RANSOM"), 0);
	detect_engine_free(e);
}

static void verdict_of(const struct detect_engine *e, const struct event *ev, size_t n,
                       bool yara, char *out, size_t sz)
{
	struct detect_run *r;
	struct detect_verdict v;
	size_t o;

	assert_int_equal(detect_run_new(e, &r), 0);
	for (size_t i = 0; i < n; i++)
		detect_run_event(r, &ev[i]);
	if (yara)
		detect_run_signal(r, "yara", "mirai_a", "Mirai", DETECT_SEV_HIGH, "T1498", false);
	detect_run_signal(r, "elf", "upx", NULL, DETECT_SEV_CRITICAL, "T1027.002", true);
	assert_int_equal(detect_run_finish(r, &v), 0);
	o = (size_t)snprintf(out, sz, "%s %d %s %s", detect_result_name(v.result), v.score,
	                     v.threat, v.rules_version);
	for (size_t i = 0; i < v.n_techniques; i++)
		o += (size_t)snprintf(out + o, sz - o, " %s", v.techniques[i]);
	detect_run_free(r);
}

/* The score adds distinct evidence: the bands a user reads in docs/rules.md. */
static int score_of(const struct detect_engine *e, const char *const *spec, int *ret_result)
{
	struct detect_run *r;
	struct detect_verdict v;
	int score;

	assert_int_equal(detect_run_new(e, &r), 0);
	for (size_t i = 0; spec[i]; i += 3)
		detect_run_signal(r, spec[i], spec[i + 1], NULL, spec[i + 2][0] - '0', "T1027",
		                  strcmp(spec[i], "elf") == 0);
	assert_int_equal(detect_run_finish(r, &v), 0);
	score = v.score;
	*ret_result = v.result;
	detect_run_free(r);
	return score;
}

static void test_verdict_adds_evidence(void **state)
{
	struct detect_engine *e = default_rules();
	/* kind, id, severity (0 info .. 4 critical); elf signals are weak */
	const char *const medium[] = {"yara", "a", "2", NULL};
	const char *const high_medium[] = {"yara", "a", "2", "yara", "b", "3", NULL};
	const char *const three_medium[] = {"yara", "a", "2", "yara", "b", "2", "yara", "c", "2", NULL};
	const char *const same_twice[] = {"yara", "a", "2", "yara", "a", "2", NULL};
	const char *const three_low[] = {"yara", "a", "1", "yara", "b", "1", "yara", "c", "1", NULL};
	const char *const two_low[] = {"yara", "a", "1", "yara", "b", "1", NULL};
	const char *const weak_only[] = {"elf", "upx",   "4", "elf", "stripped", "4",
	                                 "elf", "entry", "4", NULL};
	const char *const weak_high[] = {"elf", "upx", "4", "yara", "b", "3", NULL};
	int result;

	assert_int_equal(score_of(e, medium, &result), 30);
	assert_int_equal(result, DETECT_SUSPICIOUS);
	assert_int_equal(score_of(e, high_medium, &result), 90);
	assert_int_equal(result, DETECT_MALICIOUS);
	assert_int_equal(score_of(e, three_medium, &result), 90);
	assert_int_equal(result, DETECT_MALICIOUS);
	assert_int_equal(score_of(e, same_twice, &result), 30);
	assert_int_equal(result, DETECT_SUSPICIOUS);
	assert_int_equal(score_of(e, three_low, &result), 30);
	assert_int_equal(result, DETECT_SUSPICIOUS);
	assert_int_equal(score_of(e, two_low, &result), 20);
	assert_int_equal(result, DETECT_CLEAN);
	/* weak signals alone never pass suspicious, whatever their number */
	assert_int_equal(score_of(e, weak_only, &result), 30);
	assert_int_equal(result, DETECT_SUSPICIOUS);
	assert_int_equal(score_of(e, weak_high, &result), 90);
	assert_int_equal(result, DETECT_MALICIOUS);
	detect_engine_free(e);
}

static void test_verdict(void **state)
{
	struct detect_engine *e = default_rules();
	struct event ev[3];
	char a[1024], b[1024];

	/* a weak signal alone: suspicious at most */
	verdict_of(e, ev, 0, false, a, sizeof(a));
	assert_non_null(strstr(a, "suspicious 30 Linux.Generic.Generic"));
	verdict_of(e, ev, 0, true, a, sizeof(a));
	assert_non_null(strstr(a, "malicious"));
	assert_non_null(strstr(a, "Linux.Trojan.Mirai"));

	reverse_shell(ev, 1100, 1200);
	verdict_of(e, ev, 3, false, a, sizeof(a));
	verdict_of(e, ev, 3, false, b, sizeof(b));
	assert_string_equal(a, b);
	if (!strstr(a, "malicious 100 Linux.Backdoor.ReverseShell rules-"))
		fail_msg("verdict: %s", a);
	assert_non_null(strstr(a, " T1027.002 T1059.004 T1095 T1571"));
	detect_engine_free(e);
}

static void test_clean_and_low(void **state)
{
	struct detect_engine *e = default_rules();
	struct detect_run *r;
	struct detect_verdict v;
	struct event ev[2];

	ev[0] = ev_make(EV_PROC_EXEC, 5, 1, 1, "/usr/bin/uname");
	ev_argv(&ev[0], "uname", "-a");
	ev[1] = ev_make(EV_FILE_OPEN, 5, 1, 2, "/etc/passwd");
	assert_int_equal(detect_run_new(e, &r), 0);
	detect_run_event(r, &ev[0]);
	detect_run_event(r, &ev[1]);
	assert_int_equal(detect_run_finish(r, &v), 0);
	assert_int_equal(v.result, DETECT_CLEAN);
	assert_true(v.score < 30);
	assert_string_equal(v.threat, "");
	detect_run_free(r);
	detect_engine_free(e);
}

static void test_version_stable(void **state)
{
	struct detect_engine *a = default_rules(), *b = default_rules();

	assert_string_equal(detect_engine_version(a), detect_engine_version(b));
	assert_int_equal(strlen(detect_engine_version(a)), strlen("rules-") + 12);
	assert_true(detect_engine_rule_count(a) >= 50);
	assert_int_equal(detect_engine_test(a, stderr, NULL), 0);
	detect_engine_free(a);
	detect_engine_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_load_errors),   cmocka_unit_test(test_no_half_load),
	        cmocka_unit_test(test_matchers),      cmocka_unit_test(test_numbers_lists),
	        cmocka_unit_test(test_lineage),       cmocka_unit_test(test_reverse_shell),
	        cmocka_unit_test(test_ransomware),    cmocka_unit_test(test_verdict),
	        cmocka_unit_test(test_verdict_adds_evidence),
	        cmocka_unit_test(test_clean_and_low), cmocka_unit_test(test_version_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
