/* SPDX-License-Identifier: MIT */
/*
 * The agent's policy: what to watch, how to decide (mode, deadline, failure), what to
 * leave alone, and how to respond per verdict. The server holds named, versioned policies
 * (docs/server.md, "Policies"); settings given on the agent's command line or in its
 * config file win over the server's, for standalone use.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum policy_mode {
	POLICY_ALLOW_AND_SCAN = 0,
	POLICY_BLOCK,
	POLICY_AUDIT,
};

enum policy_action {
	ACT_DENY = 1u << 0,
	ACT_KILL = 1u << 1,
	ACT_QUARANTINE = 1u << 2,
	ACT_DELETE = 1u << 3,
	ACT_BLOCK_HASH = 1u << 4,
	ACT_ISOLATE = 1u << 5,
	ACT_IOC_SCAN = 1u << 6,
	ACT_REPORT = 1u << 7,
};

/* Which fields the command line set: those win over the server's policy. */
enum policy_field {
	PF_MODE = 1u << 0,
	PF_DEADLINE = 1u << 1,
	PF_FAIL = 1u << 2,
	PF_WATCH = 1u << 3,
	PF_DOCUMENTS = 1u << 4,
	PF_MAX_SIZE = 1u << 5,
	PF_TRUST = 1u << 6,
};

struct strv {
	char **v;
	size_t n;
};

struct policy {
	char name[64];
	int64_t version; /* 0: not from a server */
	enum policy_mode mode;
	unsigned deadline_ms;
	bool fail_closed;
	struct strv watch, documents, exclude_paths, exclude_sha256, ioc_paths;
	uid_t *exclude_users;
	size_t n_exclude_users;
	bool trust_packages;
	uint64_t max_size;
	int64_t clean_ttl;
	unsigned on_suspicious, on_malicious; /* enum policy_action bits */
	unsigned isolate_minutes;             /* 0: until lifted */
};

void policy_init(struct policy *p);
void policy_free(struct policy *p);
/* Parse the server's {"name", "version", "policy": {...}} or a bare policy object. */
int policy_from_json(struct json_object *o, struct policy *ret, char *err, size_t errsz);
/* dst gets src's fields named in fields (deep copies). */
int policy_override(struct policy *dst, const struct policy *src, unsigned fields);
int policy_copy(struct policy *dst, const struct policy *src);

const char *policy_mode_name(enum policy_mode m);
int policy_mode_parse(const char *s, enum policy_mode *ret);
int policy_action_parse(const char *s, unsigned *ret);
/* "deny,kill,..." into buf. */
void policy_actions_format(unsigned actions, char *buf, size_t size);

int strv_push(struct strv *s, const char *str);
void strv_free(struct strv *s);
