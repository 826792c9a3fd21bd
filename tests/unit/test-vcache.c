/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "macros.h"
#include "vcache.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct fixture {
	char dir[64];
	char db[96];
	struct vcache *c;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-vcache.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/vcache.db", f->dir);
	if (vcache_open(f->db, &f->c) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vcache_close(f->c);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A distinct, valid sha256 per number. */
static void sha_of(unsigned n, char ret[65])
{
	snprintf(ret, 65, "%08x%056x", n * 2654435761u, n);
}

static struct vc_entry entry(unsigned n, enum vc_verdict v, const char *threat, const char *rules,
                             int64_t at)
{
	struct vc_entry e = {.verdict = v, .scanned_at = at};

	sha_of(n, e.sha256);
	snprintf(e.threat, sizeof(e.threat), "%s", threat);
	snprintf(e.rules_version, sizeof(e.rules_version), "%s", rules);
	return e;
}

static void put_get_round_trip(void **state)
{
	struct fixture *f = *state;
	struct vc_entry e = entry(1, VC_MALICIOUS, "Linux.Dropper", "2026-12-01", 1700000000);
	struct vc_entry got;
	char upper[65];

	assert_int_equal(vcache_get(f->c, e.sha256, &got), -ENOENT);
	assert_int_equal(vcache_put(f->c, &e), 0);
	assert_int_equal(vcache_get(f->c, e.sha256, &got), 0);
	assert_string_equal(got.sha256, e.sha256);
	assert_int_equal(got.verdict, VC_MALICIOUS);
	assert_string_equal(got.threat, "Linux.Dropper");
	assert_string_equal(got.rules_version, "2026-12-01");
	assert_int_equal(got.scanned_at, 1700000000);

	/* Upper-case hex finds the same entry, and the answer is lower-case. */
	for (size_t i = 0; i < 65; i++)
		upper[i] = e.sha256[i] >= 'a' ? e.sha256[i] - 32 : e.sha256[i];
	assert_int_equal(vcache_get(f->c, upper, &got), 0);
	assert_string_equal(got.sha256, e.sha256);

	/* A put replaces. */
	e.verdict = VC_CLEAN;
	e.threat[0] = '\0';
	assert_int_equal(vcache_put(f->c, &e), 0);
	assert_int_equal(vcache_get(f->c, e.sha256, &got), 0);
	assert_int_equal(got.verdict, VC_CLEAN);
	assert_string_equal(got.threat, "");
	assert_int_equal(vcache_count(f->c), 1);
}

static void bad_input_is_refused(void **state)
{
	struct fixture *f = *state;
	struct vc_entry e = entry(2, VC_CLEAN, "", "r1", 1), got;
	enum vc_verdict v;

	assert_int_equal(vcache_get(f->c, "abc", &got), -EINVAL);
	assert_int_equal(vcache_get(f->c, "zz", &got), -EINVAL);
	e.sha256[10] = 'g';
	assert_int_equal(vcache_put(f->c, &e), -EINVAL);
	e = entry(2, 7, "", "r1", 1);
	assert_int_equal(vcache_put(f->c, &e), -EINVAL);
	e = entry(2, VC_CLEAN, "", "r1", 1);
	memset(e.threat, 'x', sizeof(e.threat));
	assert_int_equal(vcache_put(f->c, &e), -EINVAL);
	assert_int_equal(vcache_count(f->c), 0);

	assert_int_equal(vc_verdict_parse("malicious", &v), 0);
	assert_int_equal(v, VC_MALICIOUS);
	assert_int_equal(vc_verdict_parse("unknown", &v), -EINVAL);
	assert_int_equal(vc_verdict_parse("Clean", &v), -EINVAL);
	assert_string_equal(vc_verdict_name(VC_SUSPICIOUS), "suspicious");
	assert_string_equal(vc_verdict_name((enum vc_verdict)42), "unknown");
}

static void entries_survive_close_and_open(void **state)
{
	struct fixture *f = *state;
	struct vc_entry batch[500], got;

	for (unsigned i = 0; i < ARRAY_SIZE(batch); i++)
		batch[i] = entry(i, i % 3 ? VC_CLEAN : VC_SUSPICIOUS, i % 3 ? "" : "Susp.X",
		                 i % 2 ? "r1" : "r2", 1000 + i);
	assert_int_equal(vcache_put_many(f->c, batch, ARRAY_SIZE(batch)), 0);
	vcache_close(f->c);
	f->c = NULL;

	assert_int_equal(vcache_open(f->db, &f->c), 0);
	assert_int_equal(vcache_count(f->c), ARRAY_SIZE(batch));
	for (unsigned i = 0; i < ARRAY_SIZE(batch); i++) {
		assert_int_equal(vcache_get(f->c, batch[i].sha256, &got), 0);
		assert_int_equal(got.verdict, batch[i].verdict);
		assert_string_equal(got.threat, batch[i].threat);
		assert_string_equal(got.rules_version, batch[i].rules_version);
		assert_int_equal(got.scanned_at, batch[i].scanned_at);
	}
	assert_true(access(f->db, F_OK) == 0);
}

static void a_damaged_file_is_replaced_by_an_empty_cache(void **state)
{
	struct fixture *f = *state;
	struct vc_entry e = entry(1, VC_CLEAN, "", "r1", 1), got;
	struct stat st;
	FILE *fp;

	assert_int_equal(vcache_put(f->c, &e), 0);
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	vcache_close(f->c);
	f->c = NULL;

	fp = fopen(f->db, "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, but it is long enough to look like a header\n", fp);
	fclose(fp);
	assert_int_equal(vcache_open(f->db, &f->c), 0);
	assert_int_equal(vcache_count(f->c), 0);
	assert_int_equal(vcache_get(f->c, e.sha256, &got), -ENOENT);
	assert_int_equal(vcache_put(f->c, &e), 0);
	assert_int_equal(vcache_get(f->c, e.sha256, &got), 0);
}

static void freshness_follows_the_servers_rule(void **state)
{
	struct vc_entry clean = entry(1, VC_CLEAN, "", "r1", 1000);
	struct vc_entry bad = entry(2, VC_MALICIOUS, "T", "r1", 1000);
	struct vc_entry unknown = entry(3, VC_UNKNOWN, "", "r1", 1000);

	assert_true(vcache_fresh(&clean, 1000, 60, "r2"));
	assert_true(vcache_fresh(&clean, 1059, 60, "r2"));
	assert_false(vcache_fresh(&clean, 1060, 60, "r1"));
	assert_false(vcache_fresh(&clean, 999, 60, "r1")); /* scanned in the future */

	assert_true(vcache_fresh(&bad, 1000000, 60, "r1"));
	assert_false(vcache_fresh(&bad, 1000, 60, "r2"));
	assert_false(vcache_fresh(&bad, 1000, 60, NULL));
	bad.verdict = VC_SUSPICIOUS;
	assert_true(vcache_fresh(&bad, 1000, 60, "r1"));

	assert_false(vcache_fresh(&unknown, 1000, 60, "r1"));
}

/* Many distinct threat names, each kept with its entry. */
static void many_distinct_strings_still_round_trip(void **state)
{
	struct fixture *f = *state;
	static struct vc_entry batch[5000];
	struct vc_entry got;

	for (unsigned i = 0; i < ARRAY_SIZE(batch); i++) {
		char threat[32];

		snprintf(threat, sizeof(threat), "Threat.%u", i);
		batch[i] = entry(i, VC_MALICIOUS, threat, "r1", i);
	}
	assert_int_equal(vcache_put_many(f->c, batch, ARRAY_SIZE(batch)), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(batch); i += 7) {
		assert_int_equal(vcache_get(f->c, batch[i].sha256, &got), 0);
		assert_string_equal(got.threat, batch[i].threat);
		assert_string_equal(got.rules_version, "r1");
	}
	assert_int_equal(vcache_get(f->c, batch[4999].sha256, &got), 0);
	assert_string_equal(got.threat, "Threat.4999");
}

static void the_oldest_scans_are_evicted_when_full(void **state)
{
	struct fixture *f = *state;
	struct vc_entry e, got;
	unsigned found = 0;

	vcache_set_max(f->c, 100);
	for (unsigned i = 0; i < 300; i++) {
		e = entry(i, VC_CLEAN, "", "r1", i);
		assert_int_equal(vcache_put(f->c, &e), 0);
		assert_true(vcache_count(f->c) <= 100);
	}
	assert_int_equal(vcache_count(f->c), 100);
	for (unsigned i = 0; i < 300; i++)
		found += vcache_get(f->c, entry(i, VC_CLEAN, "", "", 0).sha256, &got) == 0;
	assert_int_equal(found, 100);
	/* The last hundred scanned are the ones kept. */
	for (unsigned i = 200; i < 300; i++)
		assert_int_equal(vcache_get(f->c, entry(i, VC_CLEAN, "", "", 0).sha256, &got), 0);

	/* The database evicted the same ones. */
	vcache_close(f->c);
	f->c = NULL;
	assert_int_equal(vcache_open(f->db, &f->c), 0);
	assert_int_equal(vcache_count(f->c), 100);
}

struct race {
	struct vcache *c;
	unsigned n;
	unsigned bad;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;

	for (unsigned round = 0; round < 20; round++)
		for (unsigned i = 0; i < r->n; i++) {
			struct vc_entry want = entry(i, VC_MALICIOUS, "T", "r1", i), got;
			int k = vcache_get(r->c, want.sha256, &got);

			if (k == -ENOENT)
				continue;
			if (k < 0 || got.verdict != VC_MALICIOUS || got.scanned_at != i ||
			    strcmp(got.sha256, want.sha256) != 0 || strcmp(got.threat, "T") != 0)
				__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
		}
	return NULL;
}

static void concurrent_gets_during_puts_see_whole_entries(void **state)
{
	struct fixture *f = *state;
	struct race r = {.c = f->c, .n = 3000};
	pthread_t readers[2];
	struct vc_entry got;

	for (size_t i = 0; i < ARRAY_SIZE(readers); i++)
		assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &r), 0);
	for (unsigned i = 0; i < r.n; i += 100) {
		struct vc_entry batch[100];

		for (unsigned j = 0; j < 100; j++)
			batch[j] = entry(i + j, VC_MALICIOUS, "T", "r1", i + j);
		assert_int_equal(vcache_put_many(f->c, batch, 100), 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(readers); i++)
		pthread_join(readers[i], NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(vcache_count(f->c), r.n);
	assert_int_equal(vcache_get(f->c, entry(2999, 0, "", "", 0).sha256, &got), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(put_get_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(bad_input_is_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(entries_survive_close_and_open, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_damaged_file_is_replaced_by_an_empty_cache, setup,
	                                        teardown),
	        cmocka_unit_test(freshness_follows_the_servers_rule),
	        cmocka_unit_test_setup_teardown(many_distinct_strings_still_round_trip, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(the_oldest_scans_are_evicted_when_full, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(concurrent_gets_during_puts_see_whole_entries,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
