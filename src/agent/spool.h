/* SPDX-License-Identifier: MIT */
/*
 * Objects waiting for a verdict from the server, kept on disk in the agent's state
 * directory (a copy of the content, root-only, never executable, and its details) so that
 * nothing is lost across agent or server restarts. Thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define SPOOL_MAX 10000

struct spool_entry {
	char sha256[65];
	char path[4096];  /* where the object was seen (first time) */
	int priority;     /* 1: a user's access is held for it */
	int64_t created;  /* unix seconds */
	int64_t submission; /* the server's id once submitted, else 0 */
	int64_t next_try;   /* unix seconds: when to send (or poll) again */
	unsigned tries;
};

struct spool;

int spool_open(const char *dir, struct spool **ret);
void spool_close(struct spool *s);
/*
 * Copy the object at fd (from offset 0, at most max bytes) into the spool under its
 * sha256, durably. The copy is hashed as it is written: -ESTALE when the content is no
 * longer the one named sha256 (the file changed). An entry already there only gets the
 * higher priority; *ret_new says which.
 */
int spool_add(struct spool *s, int fd, uint64_t max, const char *sha256, const char *path,
	      int priority, bool *ret_new);
bool spool_has(struct spool *s, const char *sha256);
int spool_update(struct spool *s, const struct spool_entry *e);
int spool_remove(struct spool *s, const char *sha256);
/* The entry due first (highest priority, then earliest next_try) if due by now. */
int spool_next_due(struct spool *s, int64_t now, struct spool_entry *ret);
/* Seconds until the next entry is due (-1: none). */
int64_t spool_wait_hint(struct spool *s, int64_t now);
int spool_object_open(struct spool *s, const char *sha256);
unsigned spool_count(struct spool *s);
