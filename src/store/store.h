/* SPDX-License-Identifier: MIT */
/*
 * The server's durable state behind one interface: submissions (the queue), verdicts per
 * sha256, reports, API tokens and the objects themselves. Nothing here names the
 * database: store-sqlite.c is the embedded backend, and a PostgreSQL backend implements
 * the same functions. Objects and reports are files in the data directory either way
 * (store-files.c), written durably before the call returns.
 *
 * Every function returns >= 0 on success or -errno; -ENOENT means "no such row".
 * One struct store may be used from several threads: calls are serialised inside.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_status {
	STORE_QUEUED,
	STORE_RUNNING,
	STORE_DONE,
	STORE_FAILED,
};

enum store_role {
	STORE_ROLE_NONE,
	STORE_ROLE_AGENT,   /* submit, look up verdicts and its submissions' status */
	STORE_ROLE_ANALYST, /* read everything, submit */
	STORE_ROLE_ADMIN,   /* everything */
};

#define STORE_OBJECT_MAX_DEFAULT (100ull << 20)

/*
 * In the data directory, beside the store: the rules `sandtrap rules install` put there
 * (a symbolic link to rules/<version>, replaced atomically) and the pid of the running
 * server's main process, which a rules install sends SIGHUP.
 */
#define STORE_RULES_DIR     "rules"
#define STORE_RULES_CURRENT "rules/current"
#define STORE_PID_FILE      "sandtrapd.pid"

struct store_submission {
	int64_t id;
	char sha256[65];
	enum store_status status;
	int priority; /* 1: an agent holds a user's access (goes first), 0: normal */
	unsigned timeout_sec;
	int64_t created, started, finished; /* unix seconds, 0 when not yet */
	unsigned attempts;                  /* detonations started, re-runs after a crash count */
	bool cached;                        /* answered from a fresh verdict, never detonated */
	char owner[65];                     /* sha256 of the submitting token */
	char error[256];
	int64_t agent_id; /* the agent it was submitted for (?agent=ID), 0 when none */
};

struct store_verdict {
	char sha256[65];
	char verdict[16];      /* "clean", "suspicious", "malicious" */
	char threat[128];      /* "" when clean */
	int score;             /* 0-100 */
	char techniques[1024]; /* JSON array text, as in the report */
	int64_t scanned_at;
	char rules_version[48];
};

struct store_counts {
	uint64_t queued, running, done, failed;
};

/* Open (creating on first use) the store in dir: the database, objects/, reports/, tmp/. */
int store_open(const char *dir, struct store **ret);
void store_close(struct store *s);

const char *store_status_name(enum store_status st);
const char *store_role_name(enum store_role role);
int store_role_parse(const char *name, enum store_role *ret);

/*
 * Objects, once per sha256, compressed, mode 0400. Durable (file and directory fsync'd)
 * when store_object_put() returns. store_object_open() gives a sealed memory file with
 * the object's bytes, at most max of them (-EFBIG beyond).
 */
int store_object_put(struct store *s, const char *sha256, const void *buf, size_t len);
/* The same from everything in fd, from its start. */
int store_object_put_fd(struct store *s, const char *sha256, int fd);
/* An unnamed, unlinked file in the data directory for an upload in progress. */
int store_tmpfile(struct store *s, int *ret_fd);
int store_object_open(struct store *s, const char *sha256, uint64_t max, int *ret_fd);

/* The queue. store_submission_add() is durable when it returns. */
int store_submission_add(struct store *s, struct store_submission *sub);
int store_submission_get(struct store *s, int64_t id, struct store_submission *ret);
/* Claim the next queued submission (high priority first, then oldest): it becomes running. */
int store_submission_claim(struct store *s, struct store_submission *ret);
/* After a crash: everything left running is queued again. ret_n: how many. */
int store_submission_requeue(struct store *s, unsigned *ret_n);
/* A running submission back to the queue (a graceful stop cut it short). */
int store_submission_release(struct store *s, int64_t id);
int store_submission_fail(struct store *s, int64_t id, const char *error);

/*
 * The result of a running submission, recorded once: the report file, the verdict for its
 * sha256 and the status done in one transaction. -EALREADY when the submission is not
 * running (its result was recorded before).
 */
int store_result_put(struct store *s, int64_t id, const struct store_verdict *v, const char *report,
		     size_t len);
/*
 * The same, with an event for the agents (agent_id, 0 for all; its JSON body) stored in
 * that transaction: a crash cannot keep the verdict and lose the event that tells it.
 * event_body NULL: none.
 */
int store_result_put_event(struct store *s, int64_t id, const struct store_verdict *v,
			   const char *report, size_t len, int64_t event_agent,
			   const char *event_body);
/* The report of a submission; for one answered from the cache, the newest of its object. */
/* The same as an open file and its size, to send without reading it into memory. */
int store_report_open(struct store *s, int64_t id, int *ret_fd, uint64_t *ret_size);
int store_report_read(struct store *s, int64_t id, size_t max, char **ret, size_t *ret_len);

int store_verdict_get(struct store *s, const char *sha256, struct store_verdict *ret);

/* Tokens are stored as the sha256 (hex) of the token, never the token. */
int store_token_add(struct store *s, const char *token_sha256, enum store_role role);
int store_token_role(struct store *s, const char *token_sha256, enum store_role *ret);

struct store_token {
	char sha256[65];
	enum store_role role;
	int64_t created;
};

/* Every token, oldest first; *ret is malloc'd (NULL when there are none). */
int store_token_list(struct store *s, struct store_token **ret, size_t *ret_n);
/*
 * Revoke the one token whose sha256 starts with prefix (8 to 64 hex digits): 0, -ENOENT
 * when none does, -EEXIST when several do (a longer prefix tells them apart).
 */
int store_token_revoke(struct store *s, const char *prefix);

int store_counts_get(struct store *s, struct store_counts *ret);

/* --- re-scoring when the rules change --- */

struct store_verdict_report {
	struct store_verdict verdict;
	int64_t report_id; /* the submission whose report is the object's newest */
};

/* A verdict that a rules change turned into another one. */
struct store_detection {
	int64_t id;
	char sha256[65];
	char old_verdict[16], new_verdict[16];
	char old_threat[128], new_threat[128];
	char old_rules_version[48], new_rules_version[48];
	int64_t created;
};

/* Every verdict with the id of its object's newest report; *ret is malloc'd. */
int store_verdict_reports(struct store *s, struct store_verdict_report **ret, size_t *ret_n);
/*
 * In one transaction: each verdict old[i] becomes new[i] (same sha256), each change of
 * verdict is recorded as a detection, and rules_version is remembered as the one the
 * verdicts were made with. ret_changed (may be NULL): how many detections.
 */
int store_rescore_put(struct store *s, const struct store_verdict *old,
		      const struct store_verdict *new, size_t n, const char *rules_version,
		      unsigned *ret_changed);
/* The rules version of the last re-scoring; -ENOENT before the first. */
int store_rules_version_get(struct store *s, char *ret, size_t retsz);
/* A number kept by name in the store (marks such as the last detection sent); -ENOENT. */
int store_meta_int_get(struct store *s, const char *key, int64_t *ret);
int store_meta_int_set(struct store *s, const char *key, int64_t value);
/* Detections with an id above since, oldest first, at most max; *ret is malloc'd. */
int store_detections_list(struct store *s, int64_t since, size_t max,
			  struct store_detection **ret, size_t *ret_n);

/* --- endpoint agents, their policies, events, blocklist and action reports --- */

/* An enrolled endpoint agent: one per owner (its token) and hostname. */
struct store_agent {
	int64_t id;
	char hostname[256];
	char owner[65]; /* sha256 of the enrolling token */
	char version[64];
	char os[128];
	int64_t enrolled, last_seen; /* unix seconds */
	char policy[65];             /* name of the policy assigned to it */
	int64_t policy_version;      /* the version the agent last said it applies */
	bool isolated;
	int64_t cache_entries, pending;
};

/*
 * Enrol a->hostname for a->owner with a->version and a->os. Returns 1 when that owner had
 * enrolled that hostname before (the row is updated), 0 for a new agent; fills *a.
 */
int store_agent_enroll(struct store *s, struct store_agent *a);
int store_agent_get(struct store *s, int64_t id, struct store_agent *ret);
/* A heartbeat: policy_version, isolated, cache_entries, pending and last_seen = now. */
int store_agent_heartbeat(struct store *s, const struct store_agent *a);
int store_agent_policy_set(struct store *s, int64_t id, const char *policy);
/* Every agent, by id; *ret is malloc'd. */
int store_agents_list(struct store *s, struct store_agent **ret, size_t *ret_n);
/* How many agents, and how many were seen at or after seen_since. */
int store_agents_count(struct store *s, int64_t seen_since, uint64_t *ret_total,
		       uint64_t *ret_online);

/*
 * Policies: each name has versions 1, 2, ..., all kept; the body is JSON text, at most
 * STORE_POLICY_BODY_MAX bytes (-E2BIG beyond: a request of STORE_POLICY_MAX may grow when
 * written again with escapes).
 */
#define STORE_POLICY_MAX      (64u << 10)
#define STORE_POLICY_BODY_MAX (4 * STORE_POLICY_MAX)

struct store_policy_info {
	char name[65];
	int64_t version; /* the newest */
	int64_t created; /* of the newest version */
};

/* A new version of name (1 for a new name): *ret_version. */
int store_policy_put(struct store *s, const char *name, const char *body, int64_t *ret_version);
/* The newest version of name; *ret_body is malloc'd. */
int store_policy_get(struct store *s, const char *name, int64_t *ret_version, char **ret_body);
int store_policies_list(struct store *s, struct store_policy_info **ret, size_t *ret_n);

/*
 * Events for agents, ids increasing. agent_id 0: for every agent. The body is the event's
 * JSON text (at most STORE_EVENT_MAX - 1 bytes, -E2BIG beyond).
 */
#define STORE_EVENT_MAX 1024

struct store_event {
	int64_t id;
	int64_t agent_id;
	int64_t created;
	char body[STORE_EVENT_MAX];
};

int store_event_add(struct store *s, int64_t agent_id, const char *body, int64_t *ret_id);
/* Events after since for agent_id (its own and everyone's), oldest first, at most max. */
int store_events_list(struct store *s, int64_t agent_id, int64_t since, size_t max,
		      struct store_event **ret, size_t *ret_n);
/* The greatest event id, 0 when there is none. */
int store_events_last(struct store *s, int64_t *ret_id);
/* Events created before `before` (unix seconds) are deleted, but for the newest. */
int store_events_prune(struct store *s, int64_t before, unsigned *ret_n);

/* Hashes every agent blocks, whatever their verdict. */
struct store_block {
	char sha256[65];
	char reason[256];
	char owner[65]; /* sha256 of the token that asked */
	int64_t created;
};

/* Added, or its reason and time replaced when the hash is blocked already. */
int store_block_add(struct store *s, struct store_block *b);
int store_block_get(struct store *s, const char *sha256, struct store_block *ret);
int store_blocklist(struct store *s, struct store_block **ret, size_t *ret_n);

/* What an agent did about a file, as it reported it. */
struct store_action {
	int64_t id;
	int64_t agent_id;
	int64_t time; /* on the agent, unix seconds */
	int64_t received;
	char host[256];
	char user[64];
	int64_t uid, pid;
	char path[4096];
	char sha256[65];
	char verdict[16];
	char action[32];
	char result[32];
	char detail[512];
};

int store_action_add(struct store *s, struct store_action *a);
/* Actions after since (of agent_id, or every agent's when 0), oldest first, at most max. */
int store_actions_list(struct store *s, int64_t since, int64_t agent_id, size_t max,
		       struct store_action **ret, size_t *ret_n);

/* The greatest detection id, 0 when there is none. */
int store_detections_last(struct store *s, int64_t *ret_id);
/* --- artefacts: the files a detonation dropped, their bytes kept as objects --- */

#define STORE_ARTEFACT_PATH_MAX   1024
#define STORE_ARTEFACT_REASON_MAX 160

struct store_artefact {
	char sha256[65]; /* "" when the file's content was not hashed */
	uint64_t size;
	char path[STORE_ARTEFACT_PATH_MAX]; /* as the guest saw it, cut to fit */
	bool saved;                         /* its bytes are in the store (an object) */
	char reason[STORE_ARTEFACT_REASON_MAX]; /* why not, when not saved */
};

/* Whether an object with this sha256 is stored: 1 yes, 0 no, -errno. */
int store_object_exists(struct store *s, const char *sha256);
/* The artefacts of a submission, recorded once (in one transaction) after its result. */
int store_artefacts_put(struct store *s, int64_t id, const struct store_artefact *a, size_t n);
/*
 * In the order recorded; *ret is malloc'd (NULL when there are none). A submission
 * answered from the cache lists those of the analysis whose report it shows.
 */
int store_artefacts_list(struct store *s, int64_t id, struct store_artefact **ret,
			 size_t *ret_n);
