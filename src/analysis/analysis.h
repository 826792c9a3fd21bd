/* SPDX-License-Identifier: MIT */
/*
 * One analysis: type the object, start a guest, release the sample with the capture and
 * the simulated internet attached, supervise it until it ends or its time is up, kill
 * the guest, collect what it changed, and hand back the report.
 */
#pragma once

#include "capture.h"
#include "report.h"
#include "ruleset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct analysis_options {
	const char *path;  /* the object, on the host */
	char *const *args; /* extra arguments for the sample */
	size_t n_args;
	unsigned timeout_sec;
	const char *image_dir; /* NULL: the host's OS directories */
	bool as_user;
	const char *report_dir; /* created if missing; receives report.json and dropped/ */
	const struct ruleset *rules; /* NULL: no verdict is computed */
	uint64_t memory_bytes;
	uint64_t disk_bytes;
	uint64_t output_bytes;
	uint32_t pids_max;
	uint32_t cpu_percent;
	/* Called once when the guest has been killed and judging begins (may be NULL). */
	void (*on_judging)(void *userdata);
	void *userdata;
};

void analysis_options_default(struct analysis_options *o);

/*
 * Run the analysis. On -EMEDIUMTYPE the object is of a type the guest cannot run and
 * ret_why says which; no report is made. Other errors are -errno.
 */
int analysis_run(struct capture *cap, const struct analysis_options *o, struct report **ret,
		 char *ret_why, size_t whysz);
