/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escape.h"
#include "fileio.h"
#include "hash.h"
#include "macros.h"
#include "parse.h"
#include "path.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void hash_of_abc_matches_known_digests(void **state)
{
	struct file_hashes h;

	assert_int_equal(hash_buf("abc", 3, &h), 0);
	assert_string_equal(h.sha256,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(h.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_string_equal(h.md5, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(h.size, 3);
}

static void escape_hides_control_bytes(void **state)
{
	char out[64];

	escape_printable("a\x1b[2Jb\n", 7, out, sizeof(out));
	assert_string_equal(out, "a\\x1b[2Jb\\x0a");
	escape_printable("abcdef", 6, out, 4);
	assert_string_equal(out, "abc");
}

static void read_all_refuses_more_than_the_limit(void **state)
{
	_cleanup_free_ char *buf = NULL;
	int p[2];
	size_t len;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_int_equal(fd_read_all(p[0], 9, &buf, &len), -EFBIG);
	close(p[0]);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_int_equal(fd_read_all(p[0], 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	close(p[0]);
}

static void simplify(const char *in, const char *want)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	path_simplify(buf);
	assert_string_equal(buf, want);
}

static void path_simplify_collapses_dots_and_slashes(void **state)
{
	simplify("/a/./b//../c", "/a/c");
	simplify("/../../etc/passwd", "/etc/passwd");
	simplify("/tmp/x/..", "/tmp");
	simplify("/", "/");
	simplify("//", "/");
	simplify("/a/b/", "/a/b");
	simplify("/..hidden/.x", "/..hidden/.x");
	simplify("relative/../x", "relative/../x");
}

static void parse_u64_takes_the_whole_string_only(void **state)
{
	static const char *const bad[] = { "", " 5", "\t5", "+5", "-5", "5 ", "5x", "0x10", "11" };
	uint64_t v = 0;

	assert_int_equal(parse_u64("5", 0, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(parse_u64("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(parse_u64(bad[i], 0, 10, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_of_abc_matches_known_digests),
		cmocka_unit_test(escape_hides_control_bytes),
		cmocka_unit_test(read_all_refuses_more_than_the_limit),
		cmocka_unit_test(path_simplify_collapses_dots_and_slashes),
		cmocka_unit_test(parse_u64_takes_the_whole_string_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
