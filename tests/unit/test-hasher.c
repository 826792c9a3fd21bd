/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hasher.h"
#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An anonymous file holding len bytes of c. */
static int mem_file(size_t len, char c)
{
	int fd = memfd_create("hasher-test", MFD_CLOEXEC);
	char buf[4096];

	assert_true(fd >= 0);
	memset(buf, c, sizeof(buf));
	for (size_t done = 0; done < len;) {
		size_t k = MIN(sizeof(buf), len - done);

		assert_int_equal(write(fd, buf, k), (ssize_t)k);
		done += k;
	}
	return fd;
}

/* Wait for n results, in any order; by id into out[id]. */
static void take_all(struct hasher *h, struct hash_result *out, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {.fd = hasher_fd(h), .events = POLLIN};
		struct hash_result r[4];
		size_t k;

		assert_int_equal(poll(&p, 1, 10000), 1);
		k = hasher_take(h, r, ARRAY_SIZE(r));
		for (size_t i = 0; i < k; i++) {
			assert_true(r[i].id < n);
			out[r[i].id] = r[i];
		}
		got += k;
	}
}

static void digests_come_back_with_their_ids_and_descriptors(void **state)
{
	struct hasher *h;
	struct hash_result res[3];
	int fds[3];

	assert_int_equal(hasher_new(2, 8, &h), 0);
	fds[0] = mem_file(0, 'a');
	fds[1] = mem_file(3, 'a');
	fds[2] = mem_file(5u << 20, 'z');
	for (int i = 0; i < 3; i++)
		assert_int_equal(hasher_submit(h, (uint64_t)i, fds[i], 100u << 20), 0);
	take_all(h, res, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(res[i].r, 0);
		assert_int_equal(res[i].fd, fds[i]);
		close(res[i].fd);
	}
	assert_string_equal(res[0].sha256,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(res[1].sha256,
	                    "9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0");
	assert_int_equal(res[2].size, 5u << 20);
	hasher_free(h);
}

static void over_max_is_efbig(void **state)
{
	struct hasher *h;
	struct hash_result r;

	assert_int_equal(hasher_new(1, 2, &h), 0);
	assert_int_equal(hasher_submit(h, 0, mem_file(70000, 'x'), 65536), 0);
	take_all(h, &r, 1);
	assert_int_equal(r.r, -EFBIG);
	close(r.fd);
	hasher_free(h);
}

/* Requests, work in progress and results not taken all count against the bound. */
static void a_full_queue_refuses_and_the_caller_keeps_its_descriptor(void **state)
{
	struct hasher *h;
	struct hash_result r[2];
	int a = mem_file(1, 'a'), b = mem_file(1, 'b'), c = mem_file(1, 'c');

	assert_int_equal(hasher_new(1, 2, &h), 0);
	assert_int_equal(hasher_submit(h, 0, a, 1024), 0);
	assert_int_equal(hasher_submit(h, 1, b, 1024), 0);
	assert_int_equal(hasher_submit(h, 2, c, 1024), -EAGAIN);
	assert_true(fcntl(c, F_GETFD) >= 0);
	take_all(h, r, 2);
	close(r[0].fd);
	close(r[1].fd);
	assert_int_equal(hasher_submit(h, 0, c, 1024), 0);
	take_all(h, r, 1);
	close(r[0].fd);
	hasher_free(h);
}

/* Freed with work queued and results waiting: every descriptor is closed, no leak. */
static void free_closes_what_is_left(void **state)
{
	struct hasher *h;
	int fds[6];

	assert_int_equal(hasher_new(2, 8, &h), 0);
	for (int i = 0; i < 6; i++) {
		fds[i] = mem_file(1u << 20, 'q');
		assert_int_equal(hasher_submit(h, (uint64_t)i, fds[i], 100u << 20), 0);
	}
	hasher_free(h);
	for (int i = 0; i < 6; i++)
		assert_int_equal(fcntl(fds[i], F_GETFD), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(digests_come_back_with_their_ids_and_descriptors),
	        cmocka_unit_test(over_max_is_efbig),
	        cmocka_unit_test(a_full_queue_refuses_and_the_caller_keeps_its_descriptor),
	        cmocka_unit_test(free_closes_what_is_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
