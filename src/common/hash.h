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

/*
 * The sha256 alone of the file at fd, read with pread from offset 0 (the file offset is
 * left alone): the agent's hot path, where the other two digests would be wasted time.
 * -EFBIG past max bytes.
 */
int hash_fd_sha256(int fd, uint64_t max, char ret[65], uint64_t *ret_size);

/* 64 hex digits (either case) and nothing after them into 32 bytes; -EINVAL otherwise. */
int hash_sha256_parse(const char *hex, uint8_t ret[32]);
