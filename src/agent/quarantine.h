/* SPDX-License-Identifier: MIT */
/*
 * The quarantine: a root-only directory where threats are moved, their content
 * neutralised (transformed so that it can neither run nor be opened as what it was), with
 * the original path, owner, mode and times kept beside it. Restore gives back the
 * byte-identical file with its metadata.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct qentry {
	char id[33];
	char path[4096];
	char sha256[65];
	char threat[128];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec atime, mtime;
	uint64_t size;
	int64_t quarantined_at;
};

/*
 * Move path (its content read through fd when fd >= 0, else opened without following a
 * symlink) into the quarantine at qdir; the original is gone when this returns >= 0.
 * sha256 (lower-case hex, or NULL) is what the content must hash to: -ESTALE when it does
 * not, or when path is no longer the file fd reads. Files over 4 GiB: -EFBIG.
 * The layout of the store: docs/agent-response.md.
 */
int quarantine_add(const char *qdir, const char *path, int fd, const char *sha256,
		   const char *threat, struct qentry *ret);
/* Every entry, oldest first; *ret malloc'd. */
int quarantine_list(const char *qdir, struct qentry **ret, size_t *ret_n);
/*
 * What a crash in the middle of quarantine_add left: an ID.bin without its ID.json, or a
 * metadata file half written, older than min_age seconds (an add in progress is
 * younger). The original file was still in place then, so nothing is lost. How many.
 */
int quarantine_sweep(const char *qdir, int64_t min_age, unsigned *ret_removed);
int quarantine_get(const char *qdir, const char *id, struct qentry *ret);
/*
 * Back to to (NULL: the original path); -EEXIST if something is there. The entry goes.
 * -EBADMSG when the stored content no longer hashes to the entry's sha256 (nothing is
 * written) or the metadata is damaged; -EINVAL for an id that is not 32 hex digits.
 */
int quarantine_restore(const char *qdir, const char *id, const char *to);
int quarantine_delete(const char *qdir, const char *id);
/* An entry's metadata (ID.json) from len bytes, checked whole: -EBADMSG when it is bad. */
int quarantine_meta_parse(const char *buf, size_t len, struct qentry *ret);
