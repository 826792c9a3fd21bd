/* SPDX-License-Identifier: MIT */
/*
 * The endpoint agents' policies (docs/server.md, Agents): what a policy object may hold,
 * checked key by key, and its defaults. A stored policy keeps the keys it was given; the
 * defaults are filled in when it is read, so the server's clean TTL stays the default.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1 to 64 of [A-Za-z0-9._-], not starting with a dot. */
bool policy_name_valid(const char *name);

/* 0 when policy is a valid policy object; else -EINVAL and err names the key and why. */
int policy_check(struct json_object *policy, char *err, size_t errsz);

/* A new object: the keys of policy (may be NULL), and the defaults of those it lacks. */
struct json_object *policy_fill(struct json_object *policy, uint64_t clean_ttl);
