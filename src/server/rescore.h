/* SPDX-License-Identifier: MIT */
/*
 * Re-scoring: when the rules change, the behaviour events kept in every stored report
 * (and the stored object, for the static signals) go through the new rules again; no
 * sample runs. The verdicts table takes the new verdicts and every verdict that changes
 * becomes a detection (store.h). Runs in the unprivileged process: reports are input.
 */
#pragma once

#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct ruleset;

struct rescore_stats {
	size_t reports; /* verdicts re-scored */
	size_t changed; /* of which a different verdict: new detections */
	size_t failed;  /* reports that could not be read: their verdicts stay stale */
};

/* Every stored verdict with rs; the store then remembers rs->version. */
int rescore_all(struct store *st, const struct ruleset *rs, uint64_t object_max,
                struct rescore_stats *ret);

/*
 * One report's JSON (its "events" and the object at obj_fd, -1 when gone) ruled with rs
 * into v; v->sha256 and v->scanned_at are left as they are.
 */
int rescore_report(const struct ruleset *rs, const char *json, size_t len, int obj_fd,
                   struct store_verdict *v);
