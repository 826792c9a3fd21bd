/* SPDX-License-Identifier: MIT */
/*
 * The re-scoring thread of the HTTP process. Loading the rules again and re-scoring every
 * stored report takes seconds to minutes, so it runs here, one at a time, while the
 * scheduler goes on dispatching jobs and recording results. A request that comes during
 * a re-score is kept (several become one) and served when that one ends.
 */
#include "server.h"

#include "log.h"
#include "rescore.h"
#include "ruleset.h"

#include <stdio.h>
#include <string.h>

int server_rescore(struct server *srv)
{
	struct rescore_stats st;
	char stored[48] = "";
	struct timespec t0, t1;
	int64_t detections_before;
	int r;

	if (store_rules_version_get(srv->store, stored, sizeof(stored)) == 0 &&
	    strcmp(stored, srv->rules->version) == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_detections_last(srv->store, &detections_before) < 0)
		detections_before = INT64_MAX; /* none sent rather than all again */
	r = rescore_all(srv->store, srv->rules, srv->cfg->object_max, &st);
	if (r < 0)
		return log_errno(r, "rescorer: cannot re-score the stored reports with rules %s",
				 srv->rules->version);
	server_event_detections(srv, detections_before);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("rescorer: rules %s -> %s: %zu verdicts re-scored in %.3f s, %zu changed, "
		 "%zu reports unreadable",
		 stored[0] ? stored : "(none)", srv->rules->version, st.reports,
		 (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, st.changed,
		 st.failed);
	return 0;
}

int server_rules_reload(struct server *srv)
{
	struct config_rules_dir held;
	const char *dir =
		config_rules_pick(srv->rules_installed, srv->rules_configured, &held);
	struct ruleset *rs;
	char err[512] = "";
	int r;

	r = ruleset_load(dir, NULL, &rs, err, sizeof(err));
	config_rules_done(&held);
	if (r < 0)
		return log_errno(r, "rescorer: cannot load the rules in '%s', keeping %s: %s",
				 dir, srv->rules_version, err);
	if (srv->rules_owned)
		ruleset_free(srv->rules);
	/* The inherited rules belong to the parent's memory image: never freed here. */
	srv->rules = rs;
	srv->rules_owned = true;
	r = server_rescore(srv);
	pthread_mutex_lock(&srv->lock);
	snprintf(srv->rules_version, sizeof(srv->rules_version), "%s", rs->version);
	pthread_mutex_unlock(&srv->lock);
	return r;
}

static void *rescorer_main(void *arg)
{
	struct server *srv = arg;

	pthread_mutex_lock(&srv->rescore_lock);
	for (;;) {
		bool reload;

		while (!srv->rescore_wanted && !srv->rescorer_stop)
			pthread_cond_wait(&srv->rescore_cond, &srv->rescore_lock);
		if (srv->rescorer_stop)
			break;
		reload = srv->reload_wanted;
		srv->rescore_wanted = srv->reload_wanted = false;
		srv->rescoring = true;
		pthread_mutex_unlock(&srv->rescore_lock);

		/* srv->rules belongs to this thread: nothing else reads or replaces it. */
		if (reload)
			server_rules_reload(srv);
		else
			server_rescore(srv);

		pthread_mutex_lock(&srv->rescore_lock);
		srv->rescoring = false;
		srv->rescores_done++;
		pthread_cond_broadcast(&srv->rescore_cond);
	}
	pthread_mutex_unlock(&srv->rescore_lock);
	return NULL;
}

int server_rescorer_start(struct server *srv)
{
	int r;

	pthread_mutex_init(&srv->rescore_lock, NULL);
	pthread_cond_init(&srv->rescore_cond, NULL);
	r = pthread_create(&srv->rescorer, NULL, rescorer_main, srv);
	if (r != 0)
		return log_errno(-r, "rescorer: cannot start its thread");
	srv->rescorer_started = true;
	return 0;
}

void server_rescorer_request(struct server *srv, bool reload)
{
	pthread_mutex_lock(&srv->rescore_lock);
	srv->rescore_wanted = true;
	srv->reload_wanted = srv->reload_wanted || reload;
	if (srv->rescoring)
		log_info("rescorer: a re-score is running; the new request follows it");
	pthread_cond_broadcast(&srv->rescore_cond);
	pthread_mutex_unlock(&srv->rescore_lock);
}

void server_rescorer_stop(struct server *srv)
{
	if (!srv->rescorer_started)
		return;
	pthread_mutex_lock(&srv->rescore_lock);
	srv->rescorer_stop = true;
	if (srv->rescoring)
		log_info("rescorer: waiting for the running re-score to end");
	pthread_cond_broadcast(&srv->rescore_cond);
	pthread_mutex_unlock(&srv->rescore_lock);
	pthread_join(srv->rescorer, NULL);
	srv->rescorer_started = false;
}
