/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fileio.h"
#include "hash.h"
#include "macros.h"
#include "store.h"

#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char data[96];
	struct store *s;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	if (store_open(f->data, &f->s) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void sha_of(const char *s, char ret[65])
{
	struct file_hashes h;

	hash_buf(s, strlen(s), &h);
	memcpy(ret, h.sha256, 65);
}

static int64_t queue(struct store *s, const char *content, int priority)
{
	struct store_submission sub = {
		.status = STORE_QUEUED, .priority = priority, .timeout_sec = 10};

	sha_of(content, sub.sha256);
	assert_int_equal(store_object_put(s, sub.sha256, content, strlen(content)), 0);
	assert_int_equal(store_submission_add(s, &sub), 0);
	assert_true(sub.id > 0);
	return sub.id;
}

static void data_dir_is_private_and_laid_out(void **state)
{
	struct fixture *f = *state;
	char path[160];
	struct stat st;

	assert_int_equal(stat(f->data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/sandtrap.db", f->data);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/objects", f->data);
	assert_int_equal(access(path, F_OK), 0);
}

static void object_round_trips_compressed_and_never_executable(void **state)
{
	struct fixture *f = *state;
	const char *content = "#!/bin/sh\necho an object that compresses compresses compresses\n";
	char sha[65], path[256], buf[256];
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	sha_of(content, sha);
	assert_int_equal(store_object_put(f->s, sha, content, strlen(content)), 0);
	assert_int_equal(store_object_put(f->s, sha, content, strlen(content)), 0);
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s.gz", f->data, sha, sha);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0111, 0);
	assert_int_equal(st.st_mode & 0777, 0400);

	assert_int_equal(store_object_open(f->s, sha, 1 << 20, &fd), 0);
	n = pread(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, strlen(content));
	assert_memory_equal(buf, content, n);
	assert_true(write(fd, "x", 1) < 0); /* sealed */
}

static void object_larger_than_the_limit_is_refused_on_open(void **state)
{
	struct fixture *f = *state;
	const char *content = "0123456789abcdef";
	char sha[65];
	int fd = -1;

	sha_of(content, sha);
	assert_int_equal(store_object_put(f->s, sha, content, strlen(content)), 0);
	assert_int_equal(store_object_open(f->s, sha, 8, &fd), -EFBIG);
	assert_int_equal(store_object_put(f->s, "../../etc/passwd", "x", 1), -EINVAL);
}

/* An upload streamed from a file, larger than one compression chunk, comes back whole. */
static void object_from_a_file_round_trips(void **state)
{
	struct fixture *f = *state;
	size_t len = 3u << 20;
	_cleanup_free_ unsigned char *buf = malloc(len), *back = malloc(len);
	_cleanup_close_ int in = -1, out = -1;
	struct file_hashes h;

	assert_non_null(buf);
	assert_non_null(back);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 2654435761u) >> 13);
	hash_buf(buf, len, &h);
	assert_int_equal(store_tmpfile(f->s, &in), 0);
	assert_int_equal(write(in, buf, len), len);
	assert_int_equal(store_object_put_fd(f->s, h.sha256, in), 0);
	assert_int_equal(store_object_open(f->s, h.sha256, len, &out), 0);
	assert_int_equal(pread(out, back, len, 0), len);
	assert_memory_equal(buf, back, len);
}

static void high_priority_is_claimed_first_then_oldest(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub;
	int64_t a = queue(f->s, "a", 0), b = queue(f->s, "b", 0), c = queue(f->s, "c", 1);

	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	assert_int_equal(sub.id, c);
	assert_int_equal(sub.status, STORE_RUNNING);
	assert_int_equal(sub.attempts, 1);
	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	assert_int_equal(sub.id, a);
	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	assert_int_equal(sub.id, b);
	assert_int_equal(store_submission_claim(f->s, &sub), -ENOENT);
}

static void running_jobs_are_queued_again_after_a_crash(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub;
	unsigned n = 0;
	int64_t id = queue(f->s, "crash", 0);

	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->data, &f->s), 0);
	assert_int_equal(store_submission_requeue(f->s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	assert_int_equal(sub.id, id);
	assert_int_equal(sub.attempts, 2);
}

static void a_result_is_recorded_once(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub;
	struct store_verdict v = {.verdict = "malicious",
				  .threat = "Linux.Test",
				  .score = 90,
				  .techniques = "[\"T1053.003\"]",
				  .rules_version = "rules-1"};
	struct store_verdict got;
	_cleanup_free_ char *rep = NULL;
	size_t len;
	int64_t id = queue(f->s, "result", 0);

	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	memcpy(v.sha256, sub.sha256, 65);
	assert_int_equal(store_result_put(f->s, id, &v, "{\"r\":1}", 7), 0);
	assert_int_equal(store_result_put(f->s, id, &v, "{\"r\":2}", 7), -EALREADY);

	assert_int_equal(store_report_read(f->s, id, 1 << 20, &rep, &len), 0);
	assert_string_equal(rep, "{\"r\":1}");
	assert_int_equal(store_submission_get(f->s, id, &sub), 0);
	assert_int_equal(sub.status, STORE_DONE);
	assert_int_equal(store_verdict_get(f->s, sub.sha256, &got), 0);
	assert_string_equal(got.verdict, "malicious");
	assert_string_equal(got.threat, "Linux.Test");
	assert_int_equal(got.score, 90);
	assert_string_equal(got.rules_version, "rules-1");
	assert_true(got.scanned_at > 0);
}

/* The verdict and the event that tells the agents: both or neither. */
static void a_result_and_its_event_are_one_transaction(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub;
	struct store_verdict v = {
		.verdict = "malicious", .techniques = "[]", .rules_version = "rules-1"};
	_cleanup_free_ struct store_event *e = NULL;
	size_t n = 0;
	int64_t id = queue(f->s, "with-event", 0);

	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	memcpy(v.sha256, sub.sha256, 65);
	assert_int_equal(store_result_put_event(f->s, id, &v, "{}", 2, 0, "{\"type\":\"verdict\"}"),
			 0);
	assert_int_equal(store_events_list(f->s, 7, 0, 10, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].body, "{\"type\":\"verdict\"}");
	free(TAKE_PTR(e));
	/* Refused (recorded before): no second event either. */
	assert_int_equal(store_result_put_event(f->s, id, &v, "{}", 2, 0, "{\"again\":1}"),
			 -EALREADY);
	assert_int_equal(store_events_list(f->s, 7, 0, 10, &e, &n), 0);
	assert_int_equal(n, 1);
}

static void a_cached_submission_reads_the_newest_report_of_its_object(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub,
		cached = {.status = STORE_DONE, .cached = true, .timeout_sec = 10};
	struct store_verdict v = {
		.verdict = "clean", .techniques = "[]", .rules_version = "rules-1"};
	_cleanup_free_ char *rep = NULL;
	size_t len;
	int64_t id = queue(f->s, "cached", 0);

	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	memcpy(v.sha256, sub.sha256, 65);
	assert_int_equal(store_result_put(f->s, id, &v, "{\"first\":1}", 11), 0);
	memcpy(cached.sha256, sub.sha256, 65);
	assert_int_equal(store_submission_add(f->s, &cached), 0);
	assert_int_equal(store_report_read(f->s, cached.id, 1 << 20, &rep, &len), 0);
	assert_string_equal(rep, "{\"first\":1}");
}

static void failures_and_counts(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub;
	struct store_counts c;

	queue(f->s, "f1", 0);
	queue(f->s, "f2", 0);
	assert_int_equal(store_submission_claim(f->s, &sub), 0);
	assert_int_equal(store_submission_fail(f->s, sub.id, "unsupported object type"), 0);
	assert_int_equal(store_submission_get(f->s, sub.id, &sub), 0);
	assert_int_equal(sub.status, STORE_FAILED);
	assert_string_equal(sub.error, "unsupported object type");
	assert_int_equal(store_counts_get(f->s, &c), 0);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.queued, 1);
	assert_int_equal(store_submission_get(f->s, 999, &sub), -ENOENT);
}

static void tokens_are_kept_by_hash_with_their_role(void **state)
{
	struct fixture *f = *state;
	enum store_role role;
	char sha[65], other[65];

	sha_of("secret-token-value", sha);
	sha_of("another-token", other);
	assert_int_equal(store_token_add(f->s, sha, STORE_ROLE_ANALYST), 0);
	assert_int_equal(store_token_role(f->s, sha, &role), 0);
	assert_int_equal(role, STORE_ROLE_ANALYST);
	assert_int_equal(store_token_role(f->s, other, &role), -ENOENT);
	assert_int_equal(store_token_add(f->s, "not-a-hash", STORE_ROLE_ADMIN), -EINVAL);
	assert_int_equal(store_role_parse("admin", &role), 0);
	assert_int_equal(role, STORE_ROLE_ADMIN);
	assert_int_equal(store_role_parse("root", &role), -EINVAL);
}

static void an_agent_enrols_once_per_token_and_hostname(void **state)
{
	struct fixture *f = *state;
	struct store_agent a = {.hostname = "web-1", .version = "0.1", .os = "debian 12"}, b, got;
	uint64_t total, online;

	sha_of("agent-token", a.owner);
	b = a;
	assert_int_equal(store_agent_enroll(f->s, &a), 0);
	assert_true(a.id > 0);
	assert_string_equal(a.policy, "default");
	snprintf(b.version, sizeof(b.version), "0.2");
	assert_int_equal(store_agent_enroll(f->s, &b), 1);
	assert_int_equal(b.id, a.id);
	assert_string_equal(b.version, "0.2");
	sha_of("another-token", b.owner);
	assert_int_equal(store_agent_enroll(f->s, &b), 0);
	assert_true(b.id != a.id);

	a.policy_version = 3;
	a.isolated = true;
	a.cache_entries = 42;
	a.pending = 2;
	assert_int_equal(store_agent_heartbeat(f->s, &a), 0);
	assert_int_equal(store_agent_policy_set(f->s, a.id, "servers"), 0);
	assert_int_equal(store_agent_get(f->s, a.id, &got), 0);
	assert_int_equal(got.policy_version, 3);
	assert_true(got.isolated);
	assert_int_equal(got.cache_entries, 42);
	assert_int_equal(got.pending, 2);
	assert_string_equal(got.policy, "servers");
	assert_int_equal(store_agent_get(f->s, 999, &got), -ENOENT);
	got.id = 999;
	assert_int_equal(store_agent_heartbeat(f->s, &got), -ENOENT);
	assert_int_equal(store_agents_count(f->s, 0, &total, &online), 0);
	assert_int_equal(total, 2);
	assert_int_equal(online, 2);
	assert_int_equal(store_agents_count(f->s, INT64_MAX, &total, &online), 0);
	assert_int_equal(online, 0);
}

static void a_policy_keeps_every_version(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *body = NULL, *big = NULL;
	_cleanup_free_ struct store_policy_info *list = NULL;
	size_t n;
	int64_t v;

	assert_int_equal(store_policy_get(f->s, "servers", &v, &body), -ENOENT);
	assert_int_equal(store_policy_put(f->s, "servers", "{\"mode\":\"audit\"}", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_policy_put(f->s, "servers", "{\"mode\":\"block\"}", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(store_policy_put(f->s, "default", "{}", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(store_policy_get(f->s, "servers", &v, &body), 0);
	assert_int_equal(v, 2);
	assert_string_equal(body, "{\"mode\":\"block\"}");
	big = malloc(STORE_POLICY_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', STORE_POLICY_BODY_MAX + 1);
	big[STORE_POLICY_BODY_MAX + 1] = '\0';
	assert_int_equal(store_policy_put(f->s, "servers", big, &v), -E2BIG);
	assert_int_equal(store_policies_list(f->s, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "default");
	assert_string_equal(list[1].name, "servers");
	assert_int_equal(list[1].version, 2);
}

static void events_reach_their_agent_or_every_agent(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ struct store_event *e = NULL;
	char big[STORE_EVENT_MAX + 1];
	int64_t a, b, c, last;
	unsigned pruned;
	size_t n;

	assert_int_equal(store_events_last(f->s, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(store_event_add(f->s, 0, "{\"type\":\"policy\"}", &a), 0);
	assert_int_equal(store_event_add(f->s, 7, "{\"type\":\"isolate\"}", &b), 0);
	assert_int_equal(store_event_add(f->s, 8, "{\"type\":\"unisolate\"}", &c), 0);
	assert_true(a < b && b < c);
	assert_int_equal(store_events_list(f->s, 7, 0, 100, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].id, a);
	assert_int_equal(e[1].id, b);
	assert_string_equal(e[1].body, "{\"type\":\"isolate\"}");
	free(TAKE_PTR(e));
	assert_int_equal(store_events_list(f->s, 7, a, 100, &e, &n), 0);
	assert_int_equal(n, 1);
	free(TAKE_PTR(e));
	assert_int_equal(store_events_list(f->s, 8, c, 100, &e, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_events_last(f->s, &last), 0);
	assert_int_equal(last, c);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_event_add(f->s, 0, big, NULL), -E2BIG);
	assert_int_equal(store_events_prune(f->s, INT64_MAX, &pruned), 0);
	assert_int_equal(pruned, 2); /* the newest stays: ids never go back */
	free(TAKE_PTR(e));
	assert_int_equal(store_events_list(f->s, 7, 0, 100, &e, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_events_last(f->s, &last), 0);
	assert_int_equal(last, c);
}

static void a_blocked_hash_is_listed_with_its_reason(void **state)
{
	struct fixture *f = *state;
	struct store_block b = {.reason = "ransomware on web-1"}, got;
	_cleanup_free_ struct store_block *list = NULL;
	size_t n;

	sha_of("blocked", b.sha256);
	sha_of("agent-token", b.owner);
	assert_int_equal(store_block_get(f->s, b.sha256, &got), -ENOENT);
	assert_int_equal(store_block_add(f->s, &b), 0);
	snprintf(b.reason, sizeof(b.reason), "seen again");
	assert_int_equal(store_block_add(f->s, &b), 0);
	assert_int_equal(store_block_get(f->s, b.sha256, &got), 0);
	assert_string_equal(got.reason, "seen again");
	assert_true(got.created > 0);
	assert_int_equal(store_blocklist(f->s, &list, &n), 0);
	assert_int_equal(n, 1);
	snprintf(b.sha256, sizeof(b.sha256), "not-a-hash");
	assert_int_equal(store_block_add(f->s, &b), -EINVAL);
}

static void actions_are_listed_oldest_first_per_agent(void **state)
{
	struct fixture *f = *state;
	struct store_action a = {.agent_id = 1, .time = 1700000000, .uid = 1000, .pid = 4242,
				 .host = "web-1", .user = "alice", .path = "/tmp/x",
				 .verdict = "malicious", .action = "kill", .result = "ok"};
	_cleanup_free_ struct store_action *list = NULL;
	int64_t first;
	size_t n;

	sha_of("x", a.sha256);
	assert_int_equal(store_action_add(f->s, &a), 0);
	first = a.id;
	a.agent_id = 2;
	assert_int_equal(store_action_add(f->s, &a), 0);
	a.agent_id = 1;
	snprintf(a.action, sizeof(a.action), "quarantine");
	assert_int_equal(store_action_add(f->s, &a), 0);
	assert_int_equal(store_actions_list(f->s, 0, 0, 1000, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, first);
	assert_string_equal(list[0].user, "alice");
	assert_int_equal(list[0].pid, 4242);
	free(TAKE_PTR(list));
	assert_int_equal(store_actions_list(f->s, first, 1, 1000, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].action, "quarantine");
	free(TAKE_PTR(list));
	assert_int_equal(store_actions_list(f->s, 0, 0, 2, &list, &n), 0);
	assert_int_equal(n, 2);
}

static void a_submission_remembers_its_agent(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub = {.status = STORE_QUEUED, .timeout_sec = 10, .agent_id = 5},
				got;

	sha_of("for-agent", sub.sha256);
	assert_int_equal(store_submission_add(f->s, &sub), 0);
	assert_int_equal(store_submission_get(f->s, sub.id, &got), 0);
	assert_int_equal(got.agent_id, 5);
}

/* A database made before submissions had an agent_id gets the column at open. */
static void an_old_database_gets_the_agent_column(void **state)
{
	struct fixture *f = *state;
	struct store_submission sub = {.status = STORE_QUEUED, .timeout_sec = 10, .agent_id = 3},
				got;
	const char *old_schema =
		"CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT,"
		" sha256 TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0,"
		" timeout INTEGER NOT NULL, created INTEGER NOT NULL,"
		" started INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0,"
		" attempts INTEGER NOT NULL DEFAULT 0, agent_hold INTEGER NOT NULL DEFAULT 0,"
		" cached INTEGER NOT NULL DEFAULT 0, owner TEXT NOT NULL DEFAULT '',"
		" error TEXT NOT NULL DEFAULT '');"
		"INSERT INTO submissions (sha256, status, timeout, created)"
		" VALUES ('old', 'done', 10, 1);";
	char path[160];
	sqlite3 *db;

	store_close(f->s);
	f->s = NULL;
	snprintf(path, sizeof(path), "%s/sandtrap.db", f->data);
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, old_schema, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->data, &f->s), 0);
	assert_int_equal(store_submission_get(f->s, 1, &got), 0);
	assert_int_equal(got.agent_id, 0);
	sha_of("new", sub.sha256);
	assert_int_equal(store_submission_add(f->s, &sub), 0);
	assert_int_equal(store_submission_get(f->s, sub.id, &got), 0);
	assert_int_equal(got.agent_id, 3);
}

static void artefacts_are_listed_in_order_with_why_not(void **state)
{
	struct fixture *f = *state;
	struct store_artefact in[2] = {{.size = 7, .path = "/tmp/stage2", .saved = true},
				       {.size = 1 << 30, .path = "/tmp/huge", .saved = false,
					.reason = "larger than the 64 MiB limit"}};
	struct store_artefact *out = NULL;
	int64_t id = queue(f->s, "the dropper", 0);
	size_t n = 0;

	sha_of("stage two", in[0].sha256);
	assert_int_equal(store_object_exists(f->s, in[0].sha256), 0);
	assert_int_equal(store_object_put(f->s, in[0].sha256, "stage two", 9), 0);
	assert_int_equal(store_object_exists(f->s, in[0].sha256), 1);
	assert_int_equal(store_object_exists(f->s, "../../etc/passwd"), -EINVAL);

	assert_int_equal(store_artefacts_list(f->s, id, &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(store_artefacts_put(f->s, id, in, 2), 0);
	assert_int_equal(store_artefacts_list(f->s, id, &out, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].sha256, in[0].sha256);
	assert_string_equal(out[0].path, "/tmp/stage2");
	assert_true(out[0].saved);
	assert_string_equal(out[0].reason, "");
	assert_string_equal(out[1].sha256, "");
	assert_int_equal(out[1].size, 1 << 30);
	assert_false(out[1].saved);
	assert_string_equal(out[1].reason, "larger than the 64 MiB limit");
	free(out);
	assert_int_equal(store_artefacts_list(f->s, id + 1, &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
}

static void leftovers_in_tmp_are_removed_at_open(void **state)
{
	struct fixture *f = *state;
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/tmp/rules-1-0000/behaviour", f->data);
	assert_int_equal(mkdir_p_at(AT_FDCWD, path, 0700), 0);
	snprintf(path, sizeof(path), "%s/tmp/rules-1-0000/behaviour/a.yml", f->data);
	assert_int_equal(file_create_at(AT_FDCWD, path, "rules: []\n", 10, 0644), 0);
	snprintf(path, sizeof(path), "%s/tmp/w-1-2", f->data);
	assert_int_equal(file_create_at(AT_FDCWD, path, "x", 1, 0600), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->data, &f->s), 0);
	snprintf(path, sizeof(path), "%s/tmp/rules-1-0000", f->data);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/tmp/w-1-2", f->data);
	assert_int_equal(stat(path, &st), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(data_dir_is_private_and_laid_out, setup, teardown),
		cmocka_unit_test_setup_teardown(a_result_and_its_event_are_one_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(object_round_trips_compressed_and_never_executable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(object_larger_than_the_limit_is_refused_on_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(object_from_a_file_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(high_priority_is_claimed_first_then_oldest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(running_jobs_are_queued_again_after_a_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_result_is_recorded_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_cached_submission_reads_the_newest_report_of_its_object, setup, teardown),
		cmocka_unit_test_setup_teardown(failures_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(tokens_are_kept_by_hash_with_their_role, setup,
						teardown),
		cmocka_unit_test_setup_teardown(an_agent_enrols_once_per_token_and_hostname, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_policy_keeps_every_version, setup, teardown),
		cmocka_unit_test_setup_teardown(events_reach_their_agent_or_every_agent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_blocked_hash_is_listed_with_its_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(actions_are_listed_oldest_first_per_agent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_submission_remembers_its_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(an_old_database_gets_the_agent_column, setup,
						teardown),
		cmocka_unit_test_setup_teardown(artefacts_are_listed_in_order_with_why_not, setup,
						teardown),
		cmocka_unit_test_setup_teardown(leftovers_in_tmp_are_removed_at_open, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
