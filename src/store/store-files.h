/* SPDX-License-Identifier: MIT */
/*
 * The files side of the store, shared by every database backend: compressed objects and
 * report files in the data directory, each written to tmp/, fsync'd, renamed into place
 * and its directory fsync'd, so a file the database names is always complete.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Create objects/, reports/ and tmp/ below the data directory; empty tmp/. */
int store_files_init(int dirfd);

int store_files_object_put(int dirfd, const char *sha256, const void *buf, size_t len);
/* The same from everything in fd (from its start), e.g. a tmpfile an upload went to. */
int store_files_object_put_fd(int dirfd, const char *sha256, int fd);
/* An unnamed file in tmp/ (O_TMPFILE): gone with its last descriptor. */
int store_files_tmpfile(int dirfd, int *ret_fd);
int store_files_object_open(int dirfd, const char *sha256, uint64_t max, int *ret_fd);
/* 1 when objects/<ab>/<sha256>.gz exists, 0 when not, -errno. */
int store_files_object_exists(int dirfd, const char *sha256);

/* reports/<id>.json; ret_name receives the path relative to the data directory. */
int store_files_report_put(int dirfd, int64_t id, const char *buf, size_t len, char *ret_name,
			   size_t namesz);
/* A file of the data directory, read-only, and its size. */
int store_files_open(int dirfd, const char *name, int *ret_fd, uint64_t *ret_size);
int store_files_read(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);

/* A sha256 in lower-case hex, 64 digits: the only names objects get. */
int store_sha256_valid(const char *s);
