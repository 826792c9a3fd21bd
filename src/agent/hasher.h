/* SPDX-License-Identifier: MIT */
/*
 * Hashing off the decision loop. A large unknown file takes a while to hash (about
 * 0.6 ms a MiB here), and the fanotify loop must not stop answering everyone else
 * meanwhile. The loop hands the file descriptor to a few threads and goes on; when a
 * digest is ready, the hasher's eventfd becomes readable and hasher_take() gives it back
 * with its descriptor. Bounded: a full queue refuses (-EAGAIN) and the caller hashes
 * inline.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hasher;

struct hash_result {
	uint64_t id; /* the caller's, from hasher_submit */
	int fd;      /* given back: the caller closes it, or keeps it */
	int r;       /* 0, or -errno (-EFBIG: over max) */
	uint64_t size;
	char sha256[65];
};

int hasher_new(unsigned threads, size_t queue_max, struct hasher **ret);
/* Joins the threads; descriptors still queued or done are closed. */
void hasher_free(struct hasher *h);
/* Readable (EPOLLIN) when results wait; hasher_take() empties it. */
int hasher_fd(const struct hasher *h);
/* Takes fd. -EAGAIN when the queue is full (fd is then still the caller's). */
int hasher_submit(struct hasher *h, uint64_t id, int fd, uint64_t max);
/* Up to n results; how many. */
size_t hasher_take(struct hasher *h, struct hash_result *out, size_t n);
