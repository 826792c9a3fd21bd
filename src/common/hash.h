/* SPDX-License-Identifier: MIT */
/* Content hashes of objects and dropped files, as lower-case hex. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct file_hashes {
	char sha256[65];
	char sha1[41];
	char md5[33];
	uint64_t size;
};

/* Hash everything readable from fd (from its current offset), at most max bytes. */
int hash_fd(int fd, uint64_t max, struct file_hashes *ret);
int hash_buf(const void *buf, size_t len, struct file_hashes *ret);
