/* SPDX-License-Identifier: MIT */
/*
 * Trust of package-managed files, like fapolicyd's dpkg backend: a file that an installed
 * Debian package owns, whose content still matches the md5 dpkg recorded for it, is not
 * scanned. The database is read from DIR/info/ *.md5sums (and DIR/status for which
 * packages are installed); a check hashes the file, so results are remembered per
 * (device, inode, size, mtime, ctime) until the file changes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct pkgtrust;

/* dpkg_dir: normally /var/lib/dpkg. Loading is lazy and reloads when dpkg's status changes. */
int pkgtrust_open(const char *dpkg_dir, struct pkgtrust **ret);
void pkgtrust_free(struct pkgtrust *t);
/* *ret true when path (absolute, as the kernel resolved it) is package-owned and unmodified. */
int pkgtrust_check(struct pkgtrust *t, const char *path, int fd, bool *ret);
/*
 * Loads the database now if it is not loaded or dpkg's status changed (the agent calls it
 * at start so the first check does not pay for the load): files indexed, and the bytes the
 * index and the result cache take.
 */
int pkgtrust_stats(struct pkgtrust *t, size_t *ret_files, size_t *ret_bytes);
