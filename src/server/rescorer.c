/* SPDX-License-Identifier: MIT */
/*
 * The re-scoring thread of the HTTP process. Loading the rules and re-scoring every
 * stored report takes seconds to minutes, so it runs here, one at a time, while the
 * scheduler goes on dispatching jobs and recording results. A request that comes during
 * a re-score is kept (several become one) and served when that one ends.
 */
#include "server.h"

#include "log.h"
#include "rescore.h"
#include "ruleset.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

/* Re-score every stored verdict with rs; the detections that change go to the agents. */
static int rescore_with(struct server *srv, const struct ruleset *rs, const char *stored)
{
	struct rescore_stats st;
	struct timespec t0, t1;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = rescore_all(srv->store, rs, srv->cfg->object_max, &st);
	if (r < 0)
		return log_errno(r, "rescorer: cannot re-score the stored reports with rules %s",
				 rs->version);
	server_event_detections(srv);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("rescorer: rules %s -> %s: %zu verdicts re-scored in %.3f s, %zu changed, "
		 "%zu reports unreadable",
		 stored[0] ? stored : "(none)", rs->version, st.reports,
		 (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, st.changed,
		 st.failed);
	return 0;
}

/*
 * The rules live here only while a re-score needs them: an idle server's HTTP process
 * holds none (the detonator keeps its own), and the memory goes back to the system after.
 * Without reload, nothing is loaded when the store already has the current version.
 */
static int rescorer_pass(struct server *srv, bool reload)
{
	struct config_rules_dir held;
	char stored[48] = "", current[48], err[512] = "";
	struct ruleset *rs;
	const char *dir;
	int r;

	pthread_mutex_lock(&srv->lock);
	snprintf(current, sizeof(current), "%s", srv->rules_version);
	pthread_mutex_unlock(&srv->lock);
	if (store_rules_version_get(srv->store, stored, sizeof(stored)) < 0)
		stored[0] = '\0';
	if (!reload && strcmp(stored, current) == 0)
		return 0;
	dir = config_rules_pick(srv->rules_installed, srv->rules_configured, &held);
	r = ruleset_load(dir, NULL, &rs, err, sizeof(err));
	config_rules_done(&held);
	if (r < 0)
		return log_errno(r, "rescorer: cannot load the rules in '%s', keeping %s: %s",
				 dir, current, err);
	r = strcmp(stored, rs->version) == 0 ? 0 : rescore_with(srv, rs, stored);
	pthread_mutex_lock(&srv->lock);
	snprintf(srv->rules_version, sizeof(srv->rules_version), "%s", rs->version);
	pthread_mutex_unlock(&srv->lock);
	ruleset_free(rs);
	malloc_trim(0);
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

		rescorer_pass(srv, reload);

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
