/* SPDX-License-Identifier: MIT */
/*
 * The listener thread: enrols the agent, keeps its policy current, heartbeats, and
 * follows the server's event stream (a long poll) for verdicts, re-scored detections,
 * blocked hashes, policy changes and isolation orders.
 */
#include "agent.h"
#include "respond.h"
#include "spool.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define CALL_TIMEOUT_MS        5000L
#define EVENTS_WAIT_S          20
#define EVENTS_WAIT_ISOLATED_S 2
#define HEARTBEAT_S            30
#define ISOLATION_CHECK_S      10 /* isolated: is the nftables table still there? */
#define STATE_MAX              (1u << 20)

struct listener {
	struct agent *a;
	struct uplink *u;
	int dirfd; /* the state directory */
	int64_t next; /* the event stream's position */
	int64_t policy_version; /* the server's, as last seen */
	bool policy_due;
	time_t last_heartbeat;
	time_t last_isolation_check;
	unsigned failures;
};

static void put_json(struct json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_json_ __attribute__((cleanup(put_json)))

static void listener_isolation(struct listener *l);

/* Asleep (the server out of reach), an isolation's end is still looked at every second. */
static void listener_sleep(struct listener *l, unsigned seconds)
{
	for (unsigned i = 0; i < seconds * 5 && !__atomic_load_n(&l->a->stopping, __ATOMIC_RELAXED);
	     i++) {
		usleep(200000);
		if (i % 5 == 4)
			listener_isolation(l);
	}
}

static struct json_object *state_read(struct listener *l, const char *name)
{
	_cleanup_close_ int fd = openat(l->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (fd < 0 || fd_read_all(fd, STATE_MAX, &buf, &len) < 0)
		return NULL;
	return json_tokener_parse(buf);
}

static void state_write(struct listener *l, const char *name, struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int r = file_replace_at(l->dirfd, name, text, strlen(text), 0600);

	if (r < 0)
		log_warn_errno(r, "agent: cannot save %s", name);
}

static void listener_save(struct listener *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "agent_id", json_object_new_int64(l->a->agent_id));
	json_object_object_add(o, "server", json_object_new_string(l->a->cfg->up.server));
	json_object_object_add(o, "events_next", json_object_new_int64(l->next));
	state_write(l, "agent.json", o);
	json_object_put(o);
}

/* What the last run knew: the agent's id on this server, the stream position, the policy. */
static void listener_load(struct listener *l)
{
	_cleanup_json_ struct json_object *o = state_read(l, "agent.json");
	_cleanup_json_ struct json_object *p = state_read(l, "policy.json");
	struct json_object *v;
	struct policy pol;
	char err[256];

	if (o && json_object_object_get_ex(o, "server", &v) &&
	    strcmp(json_object_get_string(v), l->a->cfg->up.server) == 0) {
		if (json_object_object_get_ex(o, "agent_id", &v))
			l->a->agent_id = json_object_get_int64(v);
		if (json_object_object_get_ex(o, "events_next", &v))
			l->next = json_object_get_int64(v);
	}
	if (p && policy_from_json(p, &pol, err, sizeof(err)) == 0) {
		agent_policy_set(l->a, &pol);
		l->policy_version = pol.version;
		policy_free(&pol);
	}
}

static int listener_enrol(struct listener *l)
{
	_cleanup_json_ struct json_object *ans = NULL;
	struct json_object *o = json_object_new_object(), *v;
	struct utsname un;
	char os[400];
	int r;

	uname(&un);
	snprintf(os, sizeof(os), "%s %s %s", un.sysname, un.release, un.machine);
	json_object_object_add(o, "hostname", json_object_new_string(l->a->hostname));
	json_object_object_add(o, "version", json_object_new_string(SANDTRAP_VERSION));
	json_object_object_add(o, "os", json_object_new_string(os));
	r = uplink_call(l->u, "POST", "/api/v1/agents",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), CALL_TIMEOUT_MS,
			&ans);
	json_object_put(o);
	if (r < 0)
		return r;
	if ((r != 200 && r != 201) || !ans || !json_object_object_get_ex(ans, "agent_id", &v))
		return log_errno(-EPROTO, "agent: enrolment refused (HTTP %d)", r);
	pthread_mutex_lock(&l->a->lock);
	l->a->agent_id = json_object_get_int64(v);
	l->a->outbox_due = true;
	pthread_mutex_unlock(&l->a->lock);
	l->policy_due = true;
	listener_save(l);
	log_info("agent: enrolled as agent %" PRId64 " of %s", l->a->agent_id,
		 l->a->cfg->up.server);
	return 0;
}

static int listener_policy(struct listener *l)
{
	_cleanup_json_ struct json_object *ans = NULL;
	struct policy pol;
	char path[96], err[256];
	int r;

	snprintf(path, sizeof(path), "/api/v1/agents/%" PRId64 "/policy", l->a->agent_id);
	r = uplink_call(l->u, "GET", path, NULL, CALL_TIMEOUT_MS, &ans);
	if (r < 0)
		return r;
	if (r != 200 || !ans)
		return log_errno(-EPROTO, "agent: no policy from the server (HTTP %d)", r);
	r = policy_from_json(ans, &pol, err, sizeof(err));
	if (r < 0)
		return log_errno(r, "agent: the server's policy is refused: %s", err);
	r = agent_policy_set(l->a, &pol);
	if (r == 0) {
		l->policy_version = pol.version;
		l->policy_due = false;
		state_write(l, "policy.json", ans);
	}
	policy_free(&pol);
	return r;
}

static int listener_heartbeat(struct listener *l)
{
	_cleanup_json_ struct json_object *ans = NULL;
	struct json_object *o = json_object_new_object(), *v;
	char path[96];
	int64_t applied;
	bool isolated;
	int r;

	pthread_mutex_lock(&l->a->lock);
	applied = l->a->pol.version;
	isolated = l->a->isolated;
	pthread_mutex_unlock(&l->a->lock);
	json_object_object_add(o, "policy_version", json_object_new_int64(applied));
	json_object_object_add(o, "isolated", json_object_new_boolean(isolated));
	json_object_object_add(o, "cache_entries", json_object_new_int64(vcache_count(l->a->vc)));
	json_object_object_add(o, "pending", json_object_new_int64(spool_count(l->a->spool)));
	snprintf(path, sizeof(path), "/api/v1/agents/%" PRId64 "/heartbeat", l->a->agent_id);
	r = uplink_call(l->u, "POST", path,
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), CALL_TIMEOUT_MS,
			&ans);
	json_object_put(o);
	if (r < 0)
		return r;
	if (r == 404 || r == 403) { /* the server forgot us (a new data directory) */
		l->a->agent_id = 0;
		return 0;
	}
	l->last_heartbeat = time(NULL);
	if (ans && json_object_object_get_ex(ans, "policy_version", &v) &&
	    json_object_get_int64(v) != applied)
		l->policy_due = true;
	return 0;
}

/* --- events --- */

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static void event_verdict(struct listener *l, struct json_object *e, const char *verdict_key,
			  const char *threat_key)
{
	const char *sha256 = json_str(e, "sha256");
	struct vc_entry v = {0}, old;
	struct json_object *t;

	if (strlen(sha256) != 64 || vc_verdict_parse(json_str(e, verdict_key), &v.verdict) < 0)
		return;
	snprintf(v.sha256, sizeof(v.sha256), "%s", sha256);
	snprintf(v.threat, sizeof(v.threat), "%s", json_str(e, threat_key));
	snprintf(v.rules_version, sizeof(v.rules_version), "%s", json_str(e, "rules_version"));
	v.scanned_at = json_object_object_get_ex(e, "scanned_at", &t) ? json_object_get_int64(t)
								       : time(NULL);
	/* Ours, or known here, or a threat (kept so that copies arriving later are denied). */
	if (spool_has(l->a->spool, sha256) || vcache_get(l->a->vc, sha256, &old) == 0 ||
	    v.verdict != VC_CLEAN) {
		agent_verdict(l->a, &v);
		spool_remove(l->a->spool, sha256);
	}
}

static void event_block(struct listener *l, struct json_object *e)
{
	const char *sha256 = json_str(e, "sha256");
	struct vc_entry v = {.verdict = VC_MALICIOUS, .scanned_at = time(NULL)};

	if (strlen(sha256) != 64)
		return;
	snprintf(v.sha256, sizeof(v.sha256), "%s", sha256);
	snprintf(v.threat, sizeof(v.threat), "blocked: %s", json_str(e, "reason"));
	snprintf(v.rules_version, sizeof(v.rules_version), "blocklist");
	agent_verdict(l->a, &v);
}

static void event_isolate(struct listener *l, struct json_object *e, bool on)
{
	struct json_object *m;
	struct job j = {.kind = JOB_ISOLATE, .fd = -1, .isolate = on};

	if (on && json_object_object_get_ex(e, "minutes", &m))
		j.minutes = json_object_get_int(m);
	snprintf(j.p.path, sizeof(j.p.path), "(host)");
	agent_job_push(l->a, &j);
}

static void listener_event(struct listener *l, struct json_object *e)
{
	const char *type = json_str(e, "type");

	if (strcmp(type, "verdict") == 0)
		event_verdict(l, e, "verdict", "threat");
	else if (strcmp(type, "detection") == 0)
		event_verdict(l, e, "new_verdict", "threat");
	else if (strcmp(type, "block_hash") == 0)
		event_block(l, e);
	else if (strcmp(type, "policy") == 0)
		l->policy_due = true;
	else if (strcmp(type, "isolate") == 0)
		event_isolate(l, e, true);
	else if (strcmp(type, "unisolate") == 0)
		event_isolate(l, e, false);
}

static int listener_events(struct listener *l)
{
	_cleanup_json_ struct json_object *ans = NULL;
	struct json_object *evs, *next;
	char path[160];
	int r, wait;

	/* Isolated, short polls: a lift on the host is then seen within seconds. */
	pthread_mutex_lock(&l->a->lock);
	wait = l->a->isolated ? EVENTS_WAIT_ISOLATED_S : EVENTS_WAIT_S;
	pthread_mutex_unlock(&l->a->lock);
	snprintf(path, sizeof(path), "/api/v1/agents/%" PRId64 "/events?since=%" PRId64 "&wait=%d",
		 l->a->agent_id, l->next, wait);
	r = uplink_call(l->u, "GET", path, NULL, (wait + 10) * 1000L, &ans);
	if (r < 0)
		return r;
	if (r == 404 || r == 403) {
		l->a->agent_id = 0;
		return 0;
	}
	if (r != 200 || !ans || !json_object_object_get_ex(ans, "events", &evs) ||
	    !json_object_object_get_ex(ans, "next", &next))
		return -EPROTO;
	for (size_t i = 0; i < json_object_array_length(evs); i++)
		listener_event(l, json_object_array_get_idx(evs, i));
	if (json_object_get_int64(next) != l->next) {
		l->next = json_object_get_int64(next);
		listener_save(l);
	}
	return 0;
}

/*
 * A timed isolation ends here. One lifted on the host (sandtrap isolation lift, with the
 * server out of reach) shows in the state file: the lift goes through the worker again,
 * which is harmless, so that the agent's state and the server learn of it. A table that
 * went otherwise (a root process flushed the rule set) is put back.
 */
static void listener_isolation(struct listener *l)
{
	struct job j = {.kind = JOB_ISOLATE, .fd = -1, .isolate = false};
	bool lift, isolated, on = true;
	int64_t until = 0;

	pthread_mutex_lock(&l->a->lock);
	isolated = l->a->isolated;
	pthread_mutex_unlock(&l->a->lock);
	if (isolated && isolation_state_load(l->a->cfg->state_dir, &on, &until) < 0)
		on = true;
	pthread_mutex_lock(&l->a->lock);
	lift = l->a->isolated &&
	       (!on || (l->a->isolated_until && time(NULL) >= l->a->isolated_until));
	if (lift)
		l->a->isolated_until = 0;
	j.until = l->a->isolated_until;
	pthread_mutex_unlock(&l->a->lock);
	snprintf(j.p.path, sizeof(j.p.path), "(host)");
	if (lift) {
		agent_job_push(l->a, &j);
		return;
	}
	if (!isolated || time(NULL) - l->last_isolation_check < ISOLATION_CHECK_S)
		return;
	l->last_isolation_check = time(NULL);
	if (respond_isolated() == 0) {
		log_warn("agent: the isolation table is gone (a flush of the rule set?); "
			 "isolating again");
		j.isolate = true;
		agent_job_push(l->a, &j);
	}
}

static int listener_turn(struct listener *l)
{
	int r = 0;

	if (l->a->agent_id <= 0)
		r = listener_enrol(l);
	if (r == 0 && l->policy_due)
		r = listener_policy(l);
	if (r == 0 && time(NULL) - l->last_heartbeat >= HEARTBEAT_S)
		r = listener_heartbeat(l);
	if (r == 0 && l->a->agent_id > 0)
		r = listener_events(l);
	return r;
}

void *agent_listener_main(void *userdata)
{
	struct listener l = {.a = userdata, .policy_due = true};

	l.dirfd = open(l.a->cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l.dirfd < 0) {
		log_errno(neg_errno(), "agent: state directory");
		return NULL;
	}
	listener_load(&l);
	if (l.a->cfg->no_server || uplink_new(&l.a->cfg->up, &l.u) < 0) {
		while (!__atomic_load_n(&l.a->stopping, __ATOMIC_RELAXED)) {
			listener_isolation(&l);
			listener_sleep(&l, 1);
		}
		close(l.dirfd);
		return NULL;
	}
	uplink_set_cancel(l.u, &l.a->stopping);
	while (!__atomic_load_n(&l.a->stopping, __ATOMIC_RELAXED)) {
		int r = listener_turn(&l);

		listener_isolation(&l);
		if (r >= 0) {
			if (l.failures)
				log_info("agent: the server is back");
			l.failures = 0;
			continue;
		}
		if (l.failures++ == 0)
			log_warn_errno(r, "agent: the server %s is unreachable: retrying",
				       l.a->cfg->up.server);
		listener_sleep(&l, (unsigned)MIN(1u << MIN(l.failures, 5u), 30u));
	}
	uplink_free(l.u);
	close(l.dirfd);
	return NULL;
}
