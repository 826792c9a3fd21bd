/* SPDX-License-Identifier: MIT */
/*
 * The detection engine: behaviour rules compiled once from rules/behaviour/NAME.yml, run over
 * the events of one analysis in arrival order, plus static signals (YARA, hash lists, ELF
 * facts) reported by others, ruled on a deterministic verdict. docs/rules.md describes the
 * rule language and the verdict mapping.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct event;

enum detect_severity {
	DETECT_SEV_INFO = 0,
	DETECT_SEV_LOW = 1,
	DETECT_SEV_MEDIUM = 2,
	DETECT_SEV_HIGH = 3,
	DETECT_SEV_CRITICAL = 4,
};

#define DETECT_EVIDENCE_MAX   8
#define DETECT_TECHNIQUES_MAX 64

/* Immutable after load; one per process, shared by any number of runs. */
struct detect_engine;

/* rules_dir holds behaviour/NAME.yml (and later yara/, hashes/). On failure err holds
 * "file:line:column: reason" and nothing is loaded. */
int detect_engine_load(const char *rules_dir, struct detect_engine **ret, char *err,
                       size_t errsz);
void detect_engine_free(struct detect_engine *e);
/* "rules-" and the first 12 hex digits of a sha256 over the sorted rule files. */
const char *detect_engine_version(const struct detect_engine *e);
size_t detect_engine_rule_count(const struct detect_engine *e);
size_t detect_engine_list_count(const struct detect_engine *e);

/*
 * Runs every rule's match and nomatch fixtures, each through a fresh run; prints one line
 * per failure to out (may be NULL). Returns the number of failed fixtures, or -errno.
 */
int detect_engine_test(const struct detect_engine *e, FILE *out, size_t *ret_fixtures);

struct detect_run;

int detect_run_new(const struct detect_engine *e, struct detect_run **ret);
void detect_run_free(struct detect_run *r);
/* Events in arrival order; the n-th call is event index n (from 0) in evidence. */
void detect_run_event(struct detect_run *r, const struct event *ev);
/*
 * A static signal found by someone else: kind "yara"|"hash"|"elf", id, family (may be
 * NULL), severity, ATT&CK technique (may be NULL). weak = true for signals that alone never
 * make a verdict malicious.
 */
void detect_run_signal(struct detect_run *r, const char *kind, const char *id,
                       const char *family, int severity, const char *technique, bool weak);

enum detect_result {
	DETECT_CLEAN,
	DETECT_SUSPICIOUS,
	DETECT_MALICIOUS,
};

struct detect_hit {
	const char *kind; /* "behaviour" for rules, else the signal's kind */
	const char *rule_id;
	const char *title;
	int severity;
	const char *const *techniques;
	size_t n_techniques;
	size_t evidence[DETECT_EVIDENCE_MAX]; /* event indexes, ascending */
	size_t n_evidence;
	uint64_t count; /* times the rule matched */
};

struct detect_verdict {
	enum detect_result result;
	int score; /* 0-100 */
	char threat[96];
	const char *techniques[DETECT_TECHNIQUES_MAX]; /* sorted, unique */
	size_t n_techniques;
	const struct detect_hit *hits; /* rule order, then signals in arrival order */
	size_t n_hits;
	const char *rules_version;
};

/* The verdict stays valid until detect_run_free(). */
int detect_run_finish(struct detect_run *r, struct detect_verdict *ret);
const char *detect_result_name(enum detect_result r);
const char *detect_severity_name(int severity);
