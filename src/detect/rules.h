/* SPDX-License-Identifier: MIT */
/*
 * The compiled form of a rule set, shared by the loader (rules.c), the evaluator
 * (engine.c) and the verdict (verdict.c). Conditions live in one array and refer to each
 * other, to strings, numbers and regular expressions by index, so a rule set is a few flat
 * arrays that are never written after load.
 */
#pragma once

#include "detect.h"

#include "event.h"

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#define RULE_STEPS_MAX 8
#define RULE_COUNT_MAX 1024
#define RULES_MAX      4096

/* Where a field's value comes from. */
enum field_src {
	SRC_NONE = 0,
	SRC_PATH,
	SRC_PATH2,
	SRC_COMM,
	SRC_DATA, /* text in data (HTTP user agent) */
	SRC_ARGV, /* NUL-separated in data, matched joined by single spaces */
	SRC_ENV,  /* same, in data2 */
	SRC_HTTP_METHOD,
	SRC_HTTP_PATH,
	SRC_ARG0,
	SRC_ARG1,
	SRC_ARG2,
	SRC_PID,
	SRC_PPID,
	SRC_UID,
	SRC_RET,
	SRC_FAMILY,
	SRC_ADDRESS,
	SRC_PORT,
	SRC_EXIT_CODE,
	SRC_EXE,     /* the process table: exe of the event's process */
	SRC_CMDLINE, /* the process table: argv of the event's process, joined */
	SRC_PATH_IS_EXE, /* 1 when path is the process's own executable */
	SRC_PREV_OPEN,   /* the process table: the path of the process's previous file_open */
	SRC_COMM_RENAMED, /* 1 when comm is not the start of the exe's file name */
	SRC_PATH_IS_OWN_PROC, /* 1 when path is under /proc/<the event's pid>/ */
};

enum field_kind {
	FIELD_STR,
	FIELD_NUM,
};

struct field_def {
	const char *name;
	enum field_kind kind;
	bool all_types; /* present on every event with src_all */
	uint8_t src_all;
	uint8_t src[EV_TYPE_MAX];
};

extern const struct field_def detect_fields[];
extern const size_t detect_n_fields;
int field_lookup(const char *name);
uint64_t field_types(const struct field_def *f);
/* Symbolic constants usable wherever a number is (O_WRONLY, inet, SIGKILL, finit_module). */
int field_const(const char *name, uint64_t *ret);

enum cond_kind {
	COND_TYPE,
	COND_AND,
	COND_OR,
	COND_NOT,
	COND_STR,       /* string matcher over any of n values */
	COND_NUM,       /* numeric comparison */
	COND_PARENT,    /* kid 0 on the parent process */
	COND_ANCESTOR,  /* kid 0 on any ancestor */
	COND_SAMPLE,    /* the process descends from the sample (or is it) */
};

enum cond_op {
	OP_EXACT,
	OP_PREFIX,
	OP_SUFFIX,
	OP_CONTAINS,
	OP_GLOB,
	OP_REGEX,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_HAS_ANY,
	OP_HAS_ALL,
	OP_IN,
};

struct cond {
	uint8_t kind;
	uint8_t op;
	uint8_t src;     /* enum field_src */
	uint8_t on_proc; /* inside parent/ancestor: read the process record */
	uint32_t first;  /* kids, strs, regexes or nums */
	uint32_t n;
	uint64_t types; /* COND_TYPE */
	uint64_t num;
};

struct rstr {
	char *s;
	size_t len;
};

enum rule_kind {
	RULE_WHEN,
	RULE_SEQUENCE,
	RULE_THRESHOLD,
};

enum rule_group {
	GROUP_PID,
	GROUP_TREE,
	GROUP_ALL,
};

struct fixture {
	struct event *events;
	size_t n, cap;
	unsigned line, col;
	char file[64];
};

struct rule {
	char *id, *title, *description, *threat, *category, *file;
	int severity;
	char **techniques;
	size_t n_techniques;
	enum rule_kind kind;
	uint32_t cond; /* RULE_WHEN and RULE_THRESHOLD */
	uint32_t steps[RULE_STEPS_MAX];
	uint64_t step_types[RULE_STEPS_MAX];
	size_t n_steps;
	uint64_t types;
	uint64_t within_ns;
	uint32_t count;
	enum rule_group group;
	struct fixture *match, *nomatch;
	size_t n_match, n_nomatch;
};

struct detect_engine {
	struct rule *rules;
	size_t n_rules;
	size_t n_lists;
	struct cond *conds;
	size_t n_conds, cap_conds;
	uint32_t *kids;
	size_t n_kids, cap_kids;
	struct rstr *strs;
	size_t n_strs, cap_strs;
	uint64_t *nums;
	size_t n_nums, cap_nums;
	regex_t *regexes;
	size_t n_regexes, cap_regexes;
	/* rule indexes by event type, in rule order */
	uint32_t *by_type[EV_TYPE_MAX];
	size_t n_by_type[EV_TYPE_MAX];
	char version[32];
};


/* ---- per-run state (engine.c), read by the verdict (verdict.c) ---- */

#define RUN_PROCS_MAX    4096
#define RUN_PROC_HASH    8192 /* twice the processes: short probe chains */
#define RUN_PARTIALS_MAX 1024
#define RUN_WINDOWS_MAX  256
#define RUN_SIGNALS_MAX  256
#define RUN_LINEAGE_MAX  32

struct run_proc {
	int32_t pid, ppid;
	uint16_t exe_len, argv_len;
	char comm[EV_COMM_LEN + 1];
	char exe[256];
	char argv[384]; /* joined by spaces, cut at the size */
	uint16_t prev_open_len;
	char prev_open[64]; /* the last file_open's path, empty when longer */
};

struct run_partial {
	uint32_t rule;
	uint32_t step; /* next step to match */
	int32_t key;   /* pid of the first step */
	uint64_t start_ns;
	size_t evidence[DETECT_EVIDENCE_MAX];
	size_t n_evidence;
};

struct run_window {
	uint32_t rule;
	int32_t key;
	uint32_t head, n;
	uint64_t *times;
	size_t *idx;
};

struct run_signal {
	char kind[8];
	char id[128];
	char family[64];
	char technique[16];
	const char *techniques[1];
	int severity;
	bool weak;
};

struct detect_run {
	const struct detect_engine *e;
	size_t n_events;
	int32_t sample_pid;

	struct run_proc *procs;
	size_t n_procs, cap_procs;
	uint64_t procs_over;
	uint16_t proc_hash[RUN_PROC_HASH]; /* slot + 1; 0 is empty */

	struct run_partial partials[RUN_PARTIALS_MAX];
	size_t n_partials;
	uint32_t *partials_of; /* per rule: how many of the partials are its own */
	uint64_t partials_over;

	struct run_window windows[RUN_WINDOWS_MAX];
	size_t n_windows;

	struct detect_hit *rule_hits; /* one per rule, count 0 until it matches */
	struct run_signal signals[RUN_SIGNALS_MAX];
	size_t n_signals;

	/* the verdict's storage */
	struct detect_hit *hits;
	size_t n_hits;
};
