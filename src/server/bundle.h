/* SPDX-License-Identifier: MIT */
/*
 * A rules bundle (POST /api/v1/rules): a tar.gz with the layout of rules/ (behaviour/,
 * yara/, hashes/, DATE). The unprivileged HTTP process unpacks it (libarchive) into a
 * directory of its own; the privileged side copies that directory, through its
 * descriptor, into a root-only one before it validates and installs anything, so nothing
 * the unprivileged side can still change is parsed as root. Both steps hold the same
 * bounds: entries, sizes, depth, names (no absolute paths, no "..") and regular files and
 * directories only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BUNDLE_BODY_MAX    (32ull << 20) /* the tar.gz as uploaded */
#define BUNDLE_ENTRIES_MAX 4096
#define BUNDLE_FILE_MAX    (16ull << 20)
#define BUNDLE_TOTAL_MAX   (64ull << 20) /* unpacked */
#define BUNDLE_DEPTH_MAX   8

/*
 * The tar.gz in fd (from its start) into the empty directory dirfd. On -EINVAL err says
 * which entry and why (the entry's name escaped).
 */
int bundle_unpack(int fd, int dirfd, char *err, size_t errsz);

/*
 * Everything under src (a directory of owner's: every entry must be owner's, files with
 * one link only) into the empty directory dst, files 0644 and directories 0755.
 */
int bundle_copy(int src, uid_t owner, int dst, char *err, size_t errsz);

/* Everything under dirfd, then dirfd's own entry name in parent (may be -1: not it). */
void bundle_remove(int parent, const char *name);
