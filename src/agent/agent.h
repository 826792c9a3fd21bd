/* SPDX-License-Identifier: MIT */
/*
 * The agent's shared state and its threads:
 *   - the decision loop (decide.c) owns the fanotify group: it answers every permission
 *     event at once or holds it, for a verdict, until the policy's deadline;
 *   - the worker (worker.c) sends spooled objects to the server, looks verdicts up, runs
 *     the threat responses and reports every action;
 *   - the listener (listen.c) enrols, heartbeats, follows the server's event stream
 *     (verdicts, re-scored detections, blocked hashes, policies, isolation);
 *   - the bridge (bridge.c) answers other endpoint products on a Unix socket.
 * They meet in the verdict cache and in agent_verdict().
 */
#pragma once

#include "bridge.h"
#include "policy.h"
#include "uplink.h"
#include "vcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pkgtrust;
struct spool;
struct bridge;

#define AGENT_STATE_DEFAULT  "/var/lib/sandtrap-agent"
#define AGENT_SOCKET_DEFAULT "/run/sandtrap-agent.sock"
#define AGENT_CONFIG_DEFAULT "/etc/sandtrap/agent.conf"
#define AGENT_PIDS_MAX 16      /* processes remembered per object awaiting a verdict */
#define AGENT_PENDING_MAX 4096 /* objects allowed and awaiting a verdict */
#define AGENT_JOBS_MAX 1024

struct agent_config {
	struct uplink_config up;
	const char *state_dir;
	const char *socket_path;
	gid_t socket_gid; /* (gid_t)-1: root only */
	const char *dpkg_dir;
	struct policy cli; /* settings given locally; cli_fields says which */
	unsigned cli_fields;
	bool no_server; /* standalone: no server given */
};

/* An object that ran (allow-and-scan, audit) and awaits its verdict: where, by whom. */
struct pending {
	char sha256[65];
	char path[4096];
	dev_t dev;
	ino_t ino;
	pid_t pids[AGENT_PIDS_MAX];
	uid_t uid;
	unsigned n_pids;
	bool document;
};

enum job_kind {
	JOB_SCAN,     /* spool an object (fd) and get it scanned */
	JOB_RESPOND,  /* a threat verdict for a pending object: run the responses */
	JOB_REPORT,   /* an action record to send */
	JOB_ISOLATE,  /* isolate (minutes) or lift */
	JOB_FLUSH,    /* the ignore marks are stale (a verdict changed or a policy arrived) */
};

struct job {
	enum job_kind kind;
	int fd;
	int priority;
	int minutes;
	int64_t until; /* an isolation put back at start ends when it was set to */
	bool isolate;
	struct pending p;
	struct vc_entry v;
	char action[24], result[24], detail[256];
};

struct agent_stats {
	uint64_t events, allowed, denied, held, timeouts, cached, trusted, excluded, skipped;
	uint64_t submitted, responses;
	/* decision times of events answered at once, ns, a ring of the latest */
	uint64_t decide_ns[4096];
	unsigned n_decide;
};

struct agent {
	const struct agent_config *cfg;
	struct vcache *vc;
	struct pkgtrust *pt;
	struct spool *spool;
	struct bridge *bridge;
	/* The bridge checkers' connections, one each, lent under bridge_lock. */
	struct uplink *bridge_uplinks[BRIDGE_CHECKERS];
	bool bridge_lent[BRIDGE_CHECKERS];
	pthread_mutex_t bridge_lock;
	pthread_cond_t bridge_cond;
	int fan_fd;
	int wake_fd; /* eventfd: verdicts arrived (held events), marks to redo */
	bool stopping;
	uint64_t alive_ns; /* the loop's last turn (CLOCK_MONOTONIC): the watchdog reads it */
	char hostname[256];

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t work;  /* jobs queued or spool entries due */
	struct policy pol;    /* in force: the server's with the local settings over it */
	unsigned policy_generation; /* bumped when pol changes: the loop re-marks */
	char rules_version[48];     /* the server's, from verdicts; "" before any */
	int64_t agent_id;
	bool isolated;
	int64_t isolated_until; /* 0: until lifted */
	struct pending *pending;
	size_t n_pending;
	struct job *jobs; /* a ring: n_jobs from jobs_head */
	size_t jobs_head, n_jobs;
	bool outbox_due;  /* action reports wait to be sent */
	struct agent_stats st;
};

int agent_init(struct agent *a, const struct agent_config *cfg);
void agent_fini(struct agent *a);

/* The decision loop (decide.c) until SIGTERM/SIGINT; answers every held event on the way out. */
int agent_run(struct agent *a);

/* A verdict learnt from anywhere: cache it, wake held events, queue the responses. */
void agent_verdict(struct agent *a, const struct vc_entry *v);
/* Queue work for the worker; false when the queue is full (the job is dropped). */
bool agent_job_push(struct agent *a, const struct job *j);
/* Record an action (to the log and, through the worker, to the server). */
void agent_report(struct agent *a, const struct pending *p, const char *verdict,
		  const char *action, const char *result, const char *detail);
/* Replace the policy in force (the local settings are laid over it again). */
int agent_policy_set(struct agent *a, const struct policy *server);
/* Write STATE/stats.json (decision counts and latency percentiles). */
int agent_stats_write(struct agent *a);

/* A verdict object of the API ({"verdict", "threat", "rules_version", ...}) as an entry. */
int agent_verdict_from_json(struct json_object *o, const char *sha256, struct vc_entry *ret);

void *agent_worker_main(void *userdata);
void *agent_listener_main(void *userdata);
/* The bridge's check (bridge.h's bridge_check_fn). */
int agent_bridge_check(void *userdata, const char *path, const char *sha256,
		       struct bridge_answer *ret);
