/* SPDX-License-Identifier: MIT */
/*
 * The unprivileged HTTP process: its shared state, the HTTP front (http.c) and the
 * scheduler that feeds the detonator and records results (sched.c).
 */
#pragma once

#include "config.h"
#include "store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SERVER_SLOTS_MAX 64

struct ruleset;

struct server {
	const struct server_config *cfg;
	struct store *store;
	const char *rules_installed, *rules_configured; /* config_rules_pick() to re-score */
	char rules_version[48]; /* written under lock */
	time_t started;
	int sock;    /* to the detonator */
	int wake_fd; /* eventfd: a submission was queued */
	int listen_fd;
	const char *tls_cert_pem, *tls_key_pem;

	pthread_mutex_t lock; /* the counters below */
	unsigned busy;
	int64_t running[SERVER_SLOTS_MAX];
	uint64_t analyses_done, analyses_failed, cache_hits, requests, submissions;

	/* The re-scoring thread (rescorer.c) and its requests, under rescore_lock. */
	pthread_t rescorer;
	bool rescorer_started;
	pthread_mutex_t rescore_lock;
	pthread_cond_t rescore_cond; /* a request came, or one ended */
	bool rescore_wanted, reload_wanted, rescoring, rescorer_stop;
	uint64_t rescores_done;

	bool scoring[SERVER_SLOTS_MAX]; /* under lock: running[i] is being judged */
	/* Artefacts received for running[i]: the scheduler's thread only. */
	uint64_t artefact_bytes[SERVER_SLOTS_MAX];
	unsigned artefact_count[SERVER_SLOTS_MAX];

	/* A rules bundle waiting for the detonator's answer (rulespush.c), under push_lock. */
	pthread_mutex_t push_lock;
	pthread_cond_t push_cond;
	int64_t push_id, push_last; /* push_id 0: none waits */
	bool push_answered, push_closed; /* closed: the server stops, no bundle starts */
	int push_status;
	char push_why[200];
};

struct store_verdict;
struct json_object;

/* Fresh: clean within the clean TTL; a threat while the rules version is unchanged. */
bool server_verdict_fresh(const struct server *srv, const struct store_verdict *v);
void server_wake(struct server *srv);
/* queued, running, scoring (the detonation ended, the verdict is being made), done, failed */
const char *server_submission_phase(struct server *srv, const struct store_submission *sub);

struct http;
int http_start(struct server *srv, struct http **ret);
void http_stop(struct http *h);

/*
 * The re-scoring thread: loads the rules and re-scores off the scheduler's thread, one
 * at a time, then frees them. A request never waits: with reload, the rules are loaded
 * again (SIGHUP, a rules upload) and every verdict re-scored if their version changed;
 * without, only when the store's rules version is not the server's (at start). Stop
 * waits for a re-score that is running.
 */
int server_rescorer_start(struct server *srv);
void server_rescorer_request(struct server *srv, bool reload);
void server_rescorer_stop(struct server *srv);

/*
 * POST /api/v1/rules: the tar.gz in body_fd unpacked into the data directory's tmp/,
 * handed to the detonator (which copies, validates and installs it as root), its answer
 * awaited. 0: installed, *ret_why "<version> <behaviour> <yara> <hashes>"; -EINVAL: the
 * bundle was refused and *ret_why says why; -EBUSY: another bundle is being installed.
 */
int server_rules_push(struct server *srv, int body_fd, char *ret_why, size_t whysz);
/* At stop: a request still waiting for the detonator is answered (500) at once. */
void server_rules_push_cancel(struct server *srv);
/* The detonator's answer to a bundle (the scheduler's thread); installed: reload. */
struct jobmsg_result;
void server_rules_answer(struct server *srv, const struct jobmsg_result *res);

/* The scheduler's loop on the calling thread, until a stop signal on sigfd and drain. */
int sched_run(struct server *srv, int sigfd);

/* --- endpoint agents (events.c, and the routes in http.c) --- */

#define SERVER_EVENTS_KEEP_SEC (7 * 24 * 3600) /* events older than this are pruned */
#define SERVER_POLICY_DEFAULT  "default"

/* At start: the policy `default` exists (a new store gets it), old events are pruned. */
int server_agents_init(struct server *srv);
/* Store the event o (its "type" and fields; o is consumed) for agent_id, 0: for all. */
int server_event_add(struct server *srv, int64_t agent_id, struct json_object *o,
		     int64_t *ret_id);
/* A new version of a policy ({"type": "policy", "name", "version"}). */
int server_event_policy(struct server *srv, int64_t agent_id, const char *name,
			int64_t version);
/*
 * A submission's verdict (recorded or answered from the cache): a clean one goes to the
 * agent it was submitted for only, a threat to every agent.
 */
/* That event's JSON and its agent, for a caller that stores it itself; NULL for none. */
struct json_object *server_event_verdict_new(const struct store_submission *sub,
					     const struct store_verdict *v, int64_t *ret_agent);
void server_event_verdict(struct server *srv, const struct store_submission *sub,
			  const struct store_verdict *v);
/* Every detection not yet sent (a mark in the store), as an event for every agent. */
void server_event_detections(struct server *srv);
/* Waiting event requests (long polls) of agent_id, or of every agent for 0, look again. */
void http_events_notify(int64_t agent_id);
