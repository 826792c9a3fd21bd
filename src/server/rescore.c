/* SPDX-License-Identifier: MIT */
#include "rescore.h"

#include "judge.h"
#include "log.h"
#include "macros.h"
#include "replay.h"
#include "ruleset.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPORT_READ_MAX     (256u << 20)
#define REPORT_DEPTH        64
#define RESCORE_THREADS_MAX 8

static void rescore_techniques(const struct detect_verdict *dv, char *dst, size_t cap)
{
	struct json_object *a = json_object_new_array();
	const char *s;

	for (size_t i = 0; a && i < dv->n_techniques; i++)
		json_object_array_add(a, json_object_new_string(dv->techniques[i]));
	s = a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : NULL;
	snprintf(dst, cap, "%s", s && strlen(s) < cap ? s : "[]");
	json_object_put(a);
}

static void rescore_events(struct judge *j, struct json_object *root)
{
	struct json_object *events;
	struct event *ev;

	if (!json_object_object_get_ex(root, "events", &events) ||
	    !json_object_is_type(events, json_type_array))
		return;
	ev = malloc(sizeof(*ev));
	if (!ev)
		return;
	for (size_t i = 0; i < json_object_array_length(events); i++)
		if (detect_event_from_json(json_object_array_get_idx(events, i), ev) == 0)
			judge_event(j, ev);
	free(ev);
}

int rescore_report(const struct ruleset *rs, const char *json, size_t len, int obj_fd,
                   struct store_verdict *v)
{
	struct json_tokener *tok = json_tokener_new_ex(REPORT_DEPTH);
	struct json_object *root = NULL;
	struct judge *j = NULL;
	struct detect_verdict dv;
	bool known_good = false;
	int r = -ENOMEM;

	if (!tok)
		goto out;
	root = json_tokener_parse_ex(tok, json, (int)len);
	r = -EBADMSG;
	if (!root || !json_object_is_type(root, json_type_object))
		goto out;
	r = judge_new(rs, &j);
	if (r < 0)
		goto out;
	if (obj_fd >= 0)
		judge_file(j, obj_fd, v->sha256, true, &known_good);
	/* A known-good object is never detonated: no events count, as in analysis_run(). */
	if (!known_good)
		rescore_events(j, root);
	r = judge_verdict(j, &dv);
	if (r < 0)
		goto out;
	snprintf(v->verdict, sizeof(v->verdict), "%s", detect_result_name(dv.result));
	snprintf(v->threat, sizeof(v->threat), "%s", dv.result == DETECT_CLEAN ? "" : dv.threat);
	v->score = dv.score;
	rescore_techniques(&dv, v->techniques, sizeof(v->techniques));
	snprintf(v->rules_version, sizeof(v->rules_version), "%s", rs->version);
out:
	judge_free(j);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return r;
}

static int rescore_one(struct store *st, const struct ruleset *rs, uint64_t object_max,
                       const struct store_verdict_report *in, struct store_verdict *out)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	*out = in->verdict;
	r = store_report_read(st, in->report_id, REPORT_READ_MAX, &buf, &len);
	if (r < 0)
		return log_warn_errno(r, "rescore: %s: cannot read report %lld", in->verdict.sha256,
		                      (long long)in->report_id);
	if (store_object_open(st, in->verdict.sha256, object_max, &fd) < 0)
		fd = -1;
	r = rescore_report(rs, buf, len, fd, out);
	if (r < 0)
		return log_warn_errno(r, "rescore: %s: report %lld does not re-score",
		                      in->verdict.sha256, (long long)in->report_id);
	return 0;
}

/* One thread's share: items first, first + step, ... */
struct rescore_share {
	struct store *st;
	const struct ruleset *rs;
	uint64_t object_max;
	const struct store_verdict_report *items;
	struct store_verdict *new;
	bool *ok;
	size_t n, first, step;
};

static void *rescore_thread(void *arg)
{
	struct rescore_share *sh = arg;

	for (size_t i = sh->first; i < sh->n; i += sh->step)
		sh->ok[i] = rescore_one(sh->st, sh->rs, sh->object_max, &sh->items[i],
		                        &sh->new[i]) == 0;
	return NULL;
}

/* The rules run over events on every core: re-scoring is CPU work on immutable rules. */
static void rescore_parallel(struct rescore_share *base)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = (size_t)MIN(MAX(cores, 1L), (long)RESCORE_THREADS_MAX);
	struct rescore_share sh[RESCORE_THREADS_MAX];
	pthread_t tid[RESCORE_THREADS_MAX];
	bool started[RESCORE_THREADS_MAX] = {0};

	for (size_t t = 0; t < nt; t++) {
		sh[t] = *base;
		sh[t].first = t;
		sh[t].step = nt;
		started[t] = t > 0 && pthread_create(&tid[t], NULL, rescore_thread, &sh[t]) == 0;
	}
	/* This thread takes share 0, and the share of any thread that did not start. */
	for (size_t t = 0; t < nt; t++)
		if (!started[t])
			rescore_thread(&sh[t]);
	for (size_t t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
}

int rescore_all(struct store *st, const struct ruleset *rs, uint64_t object_max,
                struct rescore_stats *ret)
{
	_cleanup_free_ struct store_verdict_report *items = NULL;
	_cleanup_free_ struct store_verdict *old = NULL, *new = NULL;
	_cleanup_free_ bool *ok = NULL;
	size_t n = 0, m = 0;
	unsigned changed = 0;
	int r;

	*ret = (struct rescore_stats){0};
	r = store_verdict_reports(st, &items, &n);
	if (r < 0)
		return r;
	old = calloc(n + 1, sizeof(*old));
	new = calloc(n + 1, sizeof(*new));
	ok = calloc(n + 1, sizeof(*ok));
	if (!old || !new || !ok)
		return -ENOMEM;
	rescore_parallel(&(struct rescore_share){.st = st,
	                                         .rs = rs,
	                                         .object_max = object_max,
	                                         .items = items,
	                                         .new = new,
	                                         .ok = ok,
	                                         .n = n});
	/* Unreadable reports keep their verdicts, stale under the new rules. */
	for (size_t i = 0; i < n; i++) {
		if (!ok[i]) {
			ret->failed++;
			continue;
		}
		old[m] = items[i].verdict;
		new[m++] = new[i];
	}
	r = store_rescore_put(st, old, new, m, rs->version, &changed);
	if (r < 0)
		return r;
	ret->reports = m;
	ret->changed = changed;
	return 0;
}
