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
		cmocka_unit_test_setup_teardown(artefacts_are_listed_in_order_with_why_not, setup,
						teardown),
		cmocka_unit_test_setup_teardown(leftovers_in_tmp_are_removed_at_open, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
