/* SPDX-License-Identifier: MIT */
/*
 * The agent's persistent verdict cache: sha256 -> verdict, threat, rules version, time of
 * the scan. The same "recently scanned" rule as the server: clean is fresh for clean_ttl
 * seconds; a threat stays until the rules version changes. Survives restarts (a file in
 * the state directory), held on disk and in the kernel's page cache, not in the agent.
 * Thread-safe: the fanotify thread reads while the network thread writes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vc_verdict {
	VC_UNKNOWN = 0,
	VC_CLEAN,
	VC_SUSPICIOUS,
	VC_MALICIOUS,
};

struct vc_entry {
	char sha256[65];
	enum vc_verdict verdict;
	char threat[128];
	char rules_version[48];
	int64_t scanned_at; /* unix seconds */
};

struct vcache;

/* Created 0600 if missing; a damaged file is replaced by an empty cache (logged). */
int vcache_open(const char *path, struct vcache **ret);
void vcache_close(struct vcache *c);
/* -ENOENT when the sha256 is not cached. */
int vcache_get(struct vcache *c, const char *sha256, struct vc_entry *ret);
/* Insert or replace; durable when it returns. */
int vcache_put(struct vcache *c, const struct vc_entry *e);
/* Several in one transaction (one fsync): all are durable when it returns >= 0, none on -errno. */
int vcache_put_many(struct vcache *c, const struct vc_entry *e, size_t n);
size_t vcache_count(struct vcache *c);
/*
 * At most max entries (default 250,000, about 25 MiB of file): a put beyond it evicts the
 * oldest scans. Entries already there stay until a put needs their room.
 */
void vcache_set_max(struct vcache *c, size_t max);
bool vcache_fresh(const struct vc_entry *e, int64_t now, int64_t clean_ttl,
		  const char *rules_version);

const char *vc_verdict_name(enum vc_verdict v);
/* "clean", "suspicious", "malicious"; -EINVAL otherwise. */
int vc_verdict_parse(const char *s, enum vc_verdict *ret);
