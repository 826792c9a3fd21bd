/* SPDX-License-Identifier: MIT */
#include "judge.h"

#include "log.h"
#include "macros.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JUDGE_HITS_MAX    32
#define JUDGE_FILE_BYTES  (64ull << 20)

struct judge {
	const struct ruleset *rs;
	struct detect_run *run;
	uint64_t busy_ns; /* time spent ruling: rules, YARA, hash lists, the verdict */
};

static uint64_t judge_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int judge_new(const struct ruleset *rs, struct judge **ret)
{
	struct judge *j;
	int r;

	*ret = NULL;
	if (!rs)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->rs = rs;
	r = detect_run_new(rs->engine, &j->run);
	if (r < 0) {
		free(j);
		return r;
	}
	*ret = j;
	return 0;
}

void judge_free(struct judge *j)
{
	if (!j)
		return;
	detect_run_free(j->run);
	free(j);
}

void judge_event(struct judge *j, const struct event *ev)
{
	uint64_t t;

	if (!j)
		return;
	t = judge_now_ns();
	detect_run_event(j->run, ev);
	j->busy_ns += judge_now_ns() - t;
}

int judge_file(struct judge *j, int fd, const char *sha256, bool is_object,
	       bool *ret_known_good)
{
	struct staticsig_hit hits[JUDGE_HITS_MAX];
	size_t n = 0;
	uint64_t t;
	int r;

	if (ret_known_good)
		*ret_known_good = false;
	if (!j || fd < 0)
		return 0;
	t = judge_now_ns();
	r = staticsig_scan(j->rs->sigs, fd, sha256, JUDGE_FILE_BYTES, hits, ARRAY_SIZE(hits), &n);
	j->busy_ns += judge_now_ns() - t;
	if (r < 0)
		return log_warn_errno(r, "judge: cannot scan %s", sha256);

	for (size_t i = 0; i < n; i++) {
		const struct staticsig_hit *h = &hits[i];

		/* A dropped copy of a known-good tool says nothing either way. */
		if (h->kind == SIG_HASH_GOOD) {
			if (is_object && ret_known_good)
				*ret_known_good = true;
			continue;
		}
		detect_run_signal(j->run, staticsig_kind_name(h->kind), h->id,
				  h->family[0] ? h->family : NULL, h->severity,
				  h->technique[0] ? h->technique : NULL, h->weak);
	}
	return 0;
}

static void judge_detections(const struct detect_verdict *v, struct report_detection *dets)
{
	for (size_t i = 0; i < v->n_hits; i++) {
		const struct detect_hit *h = &v->hits[i];

		dets[i] = (struct report_detection){
			.id = h->rule_id,
			.title = h->title,
			.severity = detect_severity_name(h->severity),
			.kind = h->kind,
			.techniques = h->techniques,
			.n_techniques = h->n_techniques,
			.evidence = h->evidence,
			.n_evidence = h->n_evidence,
			.count = h->count,
		};
	}
}

int judge_finish(struct judge *j, struct report *rep)
{
	struct detect_verdict v;
	struct report_detection *dets;
	struct report_verdict rv;
	uint64_t t;
	int r;

	if (!j) {
		report_set_no_verdict(rep);
		return 0;
	}
	t = judge_now_ns();
	r = detect_run_finish(j->run, &v);
	j->busy_ns += judge_now_ns() - t;
	if (r < 0)
		return log_errno(r, "judge: cannot rule");

	dets = calloc(v.n_hits + 1, sizeof(*dets));
	if (!dets)
		return -ENOMEM;
	judge_detections(&v, dets);
	rv = (struct report_verdict){
		.result = detect_result_name(v.result),
		.score = v.score,
		.threat = v.threat[0] ? v.threat : NULL,
		.techniques = v.techniques,
		.n_techniques = v.n_techniques,
		.detections = dets,
		.n_detections = v.n_hits,
		.rules_version = j->rs->version,
		.detection_us = j->busy_ns / 1000,
	};
	r = report_set_verdict(rep, &rv);
	free(dets);
	return r;
}

int judge_verdict(struct judge *j, struct detect_verdict *ret)
{
	if (!j)
		return -EINVAL;
	return detect_run_finish(j->run, ret);
}
