/* SPDX-License-Identifier: MIT */
/*
 * The rules' side of one analysis: every event goes to the behaviour rules in arrival
 * order (the same order as the report's timeline, so evidence indexes line up), every
 * file (the object, then each dropped file) to the static signals, and at the end the
 * verdict goes into the report. Without a ruleset a judge does nothing and the report
 * says no verdict was computed.
 */
#pragma once

#include "event.h"
#include "report.h"
#include "ruleset.h"

#include <stdbool.h>

struct judge;

/* rs may be NULL: then *ret is NULL and every call below is a no-op. */
int judge_new(const struct ruleset *rs, struct judge **ret);
void judge_free(struct judge *j);

void judge_event(struct judge *j, const struct event *ev);

/*
 * Static signals of the file at fd (read with pread, the offset is untouched). For the
 * object, ret_known_good says whether its hash is on the known-good list.
 */
int judge_file(struct judge *j, int fd, const char *sha256, bool is_object,
	       bool *ret_known_good);

/* Rule, and write the verdict into the report. */
int judge_finish(struct judge *j, struct report *rep);

/* The verdict alone, with no report (re-scoring stored events): valid until judge_free(). */
int judge_verdict(struct judge *j, struct detect_verdict *ret);
