/* SPDX-License-Identifier: MIT */
/*
 * The behaviour report of one analysis: the object, the process tree, the event
 * timeline, network activity, dropped files and the verdict section. Written as JSON
 * (docs/report-schema.md) and as a readable summary.
 */
#pragma once

#include "event.h"
#include "hash.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct report;

struct report_object {
	const char *name;  /* as the user gave it */
	const char *type;  /* libmagic description */
	const char *mime;
	struct file_hashes hashes;
};

int report_new(struct report **ret);
void report_free(struct report *r);

int report_set_object(struct report *r, const struct report_object *obj);

/* Wall-clock start and end (CLOCK_REALTIME ns) and the monotonic start that events use. */
void report_set_times(struct report *r, uint64_t start_real_ns, uint64_t end_real_ns,
		      uint64_t start_mono_ns);

/* How the run ended: "exited", "timeout", "error"; main_status is a wait status or -1. */
void report_set_outcome(struct report *r, const char *outcome, int main_status);

/* Take one event into the timeline and derived views (process tree, network). */
int report_add_event(struct report *r, const struct event *ev);

/* Captured stdout/stderr of the sample (bounded by the caller), and whether it was cut. */
int report_set_output(struct report *r, const char *buf, size_t len, bool truncated);

/*
 * A file the guest created or changed. content_fd is a regular file opened read-only
 * (or -1 for a symlink, a deletion or anything not copied); the content is copied into
 * save_dir as dropped/<sha256> with mode 0400, never executable.
 */
struct report_dropped {
	const char *path;        /* as the guest sees it */
	const char *kind;        /* "file", "symlink", "deleted", "directory" */
	const char *link_target; /* for symlinks, the text only: never followed */
	mode_t mode;
	int content_fd;
};
/* ret_sha256 (may be NULL) receives the content's digest, or "" when none was taken. */
int report_add_dropped(struct report *r, const struct report_dropped *d, int save_dirfd,
		       char ret_sha256[65]);

/* Counters the report states so a reader knows what may be missing. */
void report_set_limits(struct report *r, uint64_t events_lost, bool events_truncated,
		       const char *limit_hit);

/* Mark that no detection engine has ruled: the verdict is "none", never "clean". */
void report_set_no_verdict(struct report *r);

/* A detection engine's ruling; the report copies everything. */
struct report_detection {
	const char *id;
	const char *title;
	const char *severity; /* "info" .. "critical" */
	const char *kind;     /* "behaviour", "yara", "hash", "elf" */
	const char *const *techniques;
	size_t n_techniques;
	const size_t *evidence; /* indexes into the timeline ("events") */
	size_t n_evidence;
	uint64_t count; /* how often it matched */
};

struct report_verdict {
	const char *result; /* "clean", "suspicious", "malicious" */
	int score;          /* 0-100 */
	const char *threat; /* NULL when clean */
	const char *const *techniques;
	size_t n_techniques;
	const struct report_detection *detections;
	size_t n_detections;
	const char *rules_version;
	uint64_t detection_us; /* time spent ruling, to compare with the detonation's */
};
int report_set_verdict(struct report *r, const struct report_verdict *v);

/* The verdict's result: "none" until report_set_verdict(). */
const char *report_result(const struct report *r);

const char *report_sha256(const struct report *r);

int report_write_json(struct report *r, FILE *out);
int report_print_summary(struct report *r, FILE *out);
