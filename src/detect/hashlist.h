/* SPDX-License-Identifier: MIT */
/*
 * sha256 lists (known-bad, known-good): one lower- or upper-case hex digest per line,
 * optionally followed by blanks and a name; '#' starts a comment anywhere on a line.
 * Internal to src/detect; staticsig.h is the public face.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A list file larger than this is refused rather than read. */
#define HASHLIST_FILE_MAX (64u * 1024 * 1024)
#define HASHLIST_NAME_MAX 64

struct hashlist_entry {
	uint8_t sha256[32];
	char name[HASHLIST_NAME_MAX];
};

struct hashlist {
	struct hashlist_entry *entries; /* sorted by digest, no duplicates */
	size_t n;
};

/*
 * Parse len bytes of text (no terminating NUL needed). On -EBADMSG *ret_line is the
 * 1-based line at fault; a list is either parsed whole or not at all.
 */
int hashlist_parse(const char *text, size_t len, struct hashlist *ret, size_t *ret_line);
void hashlist_clear(struct hashlist *l);

/* The entry for a 64-digit hex sha256, or NULL (also for a malformed digest). */
const struct hashlist_entry *hashlist_find(const struct hashlist *l, const char *sha256);
