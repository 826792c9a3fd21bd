/* SPDX-License-Identifier: MIT */
/*
 * Small language helpers shared by every module: array sizes, cleanup attributes
 * for file descriptors and heap memory, and errno-returning shorthands.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))
#define UNUSED        __attribute__((unused))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_   __attribute__((cleanup(freep)))
#define _cleanup_close_  __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

/* Hand ownership out of a cleanup variable. */
#define TAKE_FD(fd)                                                                               \
	({                                                                                        \
		int _t = (fd);                                                                    \
		(fd) = -1;                                                                        \
		_t;                                                                               \
	})
#define TAKE_PTR(p)                                                                               \
	({                                                                                        \
		__typeof__(p) _t = (p);                                                           \
		(p) = NULL;                                                                       \
		_t;                                                                               \
	})

/* -errno of the last failed libc call, never 0. */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
