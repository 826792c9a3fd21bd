/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exclude.h"
#include "macros.h"

#include <errno.h>

static const char sha_a[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char sha_b[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void prefixes_cover_whole_components_only(void **state)
{
	const char *paths[] = {"/opt/a", "/var/lib/docker/", "/home//u/./cache"};
	struct exclude *e;

	assert_int_equal(exclude_new(paths, ARRAY_SIZE(paths), NULL, 0, NULL, 0, &e), 0);
	assert_true(exclude_path(e, "/opt/a"));
	assert_true(exclude_path(e, "/opt/a/x"));
	assert_true(exclude_path(e, "/opt/a/x/y/z"));
	assert_false(exclude_path(e, "/opt/ab"));
	assert_false(exclude_path(e, "/opt/ab/x"));
	assert_false(exclude_path(e, "/opt"));
	assert_false(exclude_path(e, "/opt/"));
	assert_true(exclude_path(e, "/var/lib/docker"));
	assert_true(exclude_path(e, "/var/lib/docker/overlay2/l"));
	assert_false(exclude_path(e, "/var/lib/dockerd"));
	assert_true(exclude_path(e, "/home/u/cache/f"));
	assert_false(exclude_path(e, "/home/u/cachex"));
	assert_false(exclude_path(e, "relative/opt/a"));
	exclude_free(e);
}

static void root_prefix_covers_everything_and_bad_input_is_refused(void **state)
{
	const char *root[] = {"/"}, *rel[] = {"opt"}, *bad[] = {"abc"};
	struct exclude *e;

	assert_int_equal(exclude_new(root, 1, NULL, 0, NULL, 0, &e), 0);
	assert_true(exclude_path(e, "/etc/passwd"));
	exclude_free(e);

	assert_int_equal(exclude_new(rel, 1, NULL, 0, NULL, 0, &e), -EINVAL);
	assert_int_equal(exclude_new(NULL, 0, bad, 1, NULL, 0, &e), -EINVAL);

	assert_int_equal(exclude_new(NULL, 0, NULL, 0, NULL, 0, &e), 0);
	assert_false(exclude_path(e, "/etc/passwd"));
	assert_false(exclude_sha256(e, sha_a));
	assert_false(exclude_uid(e, 0));
	exclude_free(e);
}

static void sha256s_match_in_either_case(void **state)
{
	const char *shas[] = {
	        sha_b,
	        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
	};
	struct exclude *e;

	assert_int_equal(exclude_new(NULL, 0, shas, 2, NULL, 0, &e), 0);
	assert_true(exclude_sha256(e, sha_a));
	assert_true(exclude_sha256(e, sha_b));
	assert_false(exclude_sha256(e, "ba7816bf"));
	assert_false(exclude_sha256(
	        e, "0000000000000000000000000000000000000000000000000000000000000000"));
	exclude_free(e);
}

static void uids(void **state)
{
	const uid_t uids[] = {1000, 0, 65534};
	struct exclude *e;

	assert_int_equal(exclude_new(NULL, 0, NULL, 0, uids, 3, &e), 0);
	assert_true(exclude_uid(e, 0));
	assert_true(exclude_uid(e, 1000));
	assert_true(exclude_uid(e, 65534));
	assert_false(exclude_uid(e, 1001));
	exclude_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(prefixes_cover_whole_components_only),
	        cmocka_unit_test(root_prefix_covers_everything_and_bad_input_is_refused),
	        cmocka_unit_test(sha256s_match_in_either_case),
	        cmocka_unit_test(uids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
