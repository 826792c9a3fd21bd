/* SPDX-License-Identifier: MIT */
/*
 * Bounded file input and complete file output. Every read takes a limit: nothing
 * here grows a buffer because a file or a peer said so.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Read at most max bytes of fd into a new NUL-terminated buffer. -EFBIG if longer. */
int fd_read_all(int fd, size_t max, char **ret_buf, size_t *ret_len);
int file_read_all(const char *path, size_t max, char **ret_buf, size_t *ret_len);

int fd_write_all(int fd, const void *buf, size_t len);

/* Write a string to an existing file (sysfs, procfs, cgroupfs): one write call. */
int file_write_str(const char *path, const char *s);
int file_write_strat(int dirfd, const char *path, const char *s);

/* Create (or replace) path relative to dirfd with the given content and mode. */
int file_create_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode);

/* Copy at most max bytes from in_fd to out_fd; -EFBIG when the input is longer. */
int fd_copy(int in_fd, int out_fd, off_t max);

/*
 * Replace dirfd/name with buf atomically and durably: a temporary file beside it, fsync'd,
 * renamed over it, then the directory fsync'd. Readers see the old or the new content.
 */
int file_replace_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);

/* mkdir -p relative to dirfd; existing directories are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);
