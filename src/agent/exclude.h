/* SPDX-License-Identifier: MIT */
/*
 * What the agent never scans: path prefixes (whole components: /opt/a covers /opt/a and
 * /opt/a/x, not /opt/ab), sha256s and the processes of some uids. Built once from the
 * configuration; lookups take no lock and allocate nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct exclude;

/*
 * paths: absolute (simplified here: "/opt/a/" and "/opt//a" are "/opt/a"); sha256s: 64 hex
 * digits, either case. -EINVAL names nothing: the caller logs its own config's entry.
 */
int exclude_new(const char *const *paths, size_t n_paths, const char *const *sha256s,
                size_t n_sha256s, const uid_t *uids, size_t n_uids, struct exclude **ret);
void exclude_free(struct exclude *e);

/* path: absolute, as the kernel resolved it. */
bool exclude_path(const struct exclude *e, const char *path);
bool exclude_sha256(const struct exclude *e, const char *hex);
bool exclude_uid(const struct exclude *e, uid_t uid);
