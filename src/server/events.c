/* SPDX-License-Identifier: MIT */
/*
 * Events for the endpoint agents: verdicts, detections, policy changes, isolation and
 * blocked hashes, stored with increasing ids and handed to agents by a long poll
 * (GET /api/v1/agents/{id}/events in http.c). A verdict's event is stored with the
 * verdict (sched.c), detections' from a mark after re-scoring, a policy's after the
 * policy; waiting polls are woken at once.
 */
#include "server.h"

#include "log.h"
#include "macros.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

#define DETECTIONS_PAGE 1000
#define DETECTIONS_SENT "detections_sent" /* the last detection made an event */

int server_event_policy(struct server *srv, int64_t agent_id, const char *name, int64_t version)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("policy"));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "version", json_object_new_int64(version));
	return server_event_add(srv, agent_id, o, NULL);
}

int server_agents_init(struct server *srv)
{
	_cleanup_free_ char *body = NULL;
	int64_t version, sent;
	unsigned pruned = 0;
	int r;

	r = store_policy_get(srv->store, SERVER_POLICY_DEFAULT, &version, &body);
	if (r == -ENOENT) {
		r = store_policy_put(srv->store, SERVER_POLICY_DEFAULT, "{}", &version);
		/* The first event: from now on an event id is never 0, which means "new". */
		if (r >= 0)
			r = server_event_policy(srv, 0, SERVER_POLICY_DEFAULT, version);
	}
	if (r < 0)
		return log_errno(r, "sandtrapd: cannot create the policy '%s'",
		                 SERVER_POLICY_DEFAULT);
	/* A store from before the mark: what is there was sent. Else what a crash left. */
	if (store_meta_int_get(srv->store, DETECTIONS_SENT, &sent) == -ENOENT) {
		if (store_detections_last(srv->store, &sent) >= 0)
			store_meta_int_set(srv->store, DETECTIONS_SENT, sent);
	} else {
		server_event_detections(srv);
	}
	r = store_events_prune(srv->store, time(NULL) - SERVER_EVENTS_KEEP_SEC, &pruned);
	if (r >= 0 && pruned)
		log_info("sandtrapd: %u events older than %d days pruned", pruned,
		         SERVER_EVENTS_KEEP_SEC / 86400);
	return 0;
}

int server_event_add(struct server *srv, int64_t agent_id, struct json_object *o, int64_t *ret_id)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int r = text ? store_event_add(srv->store, agent_id, text, ret_id) : -ENOMEM;

	if (r < 0)
		log_warn("sandtrapd: an event for agent %" PRId64 " is lost: %s", agent_id,
		         strerror(-r));
	json_object_put(o);
	if (r >= 0)
		http_events_notify(agent_id);
	return r;
}

static struct json_object *string_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

struct json_object *server_event_verdict_new(const struct store_submission *sub,
					     const struct store_verdict *v, int64_t *ret_agent)
{
	bool clean = strcmp(v->verdict, "clean") == 0;
	struct json_object *o;

	if (clean && sub->agent_id <= 0)
		return NULL; /* a clean verdict concerns only the agent that asked */
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("verdict"));
	json_object_object_add(o, "sha256", json_object_new_string(v->sha256));
	json_object_object_add(o, "verdict", json_object_new_string(v->verdict));
	json_object_object_add(o, "threat", string_or_null(v->threat));
	json_object_object_add(o, "score", json_object_new_int(v->score));
	json_object_object_add(o, "rules_version", json_object_new_string(v->rules_version));
	json_object_object_add(o, "scanned_at", json_object_new_int64(v->scanned_at));
	json_object_object_add(o, "submission", json_object_new_int64(sub->id));
	*ret_agent = clean ? sub->agent_id : 0;
	return o;
}

void server_event_verdict(struct server *srv, const struct store_submission *sub,
                          const struct store_verdict *v)
{
	int64_t agent;
	struct json_object *o = server_event_verdict_new(sub, v, &agent);

	if (o)
		server_event_add(srv, agent, o, NULL);
}

static int event_detections_page(struct server *srv, int64_t *since)
{
	_cleanup_free_ struct store_detection *d = NULL;
	size_t n = 0;
	int r;

	r = store_detections_list(srv->store, *since, DETECTIONS_PAGE, &d, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "type", json_object_new_string("detection"));
		json_object_object_add(o, "sha256", json_object_new_string(d[i].sha256));
		json_object_object_add(o, "old_verdict", json_object_new_string(d[i].old_verdict));
		json_object_object_add(o, "new_verdict", json_object_new_string(d[i].new_verdict));
		json_object_object_add(o, "threat", string_or_null(d[i].new_threat));
		json_object_object_add(o, "rules_version",
		                       json_object_new_string(d[i].new_rules_version));
		server_event_add(srv, 0, o, NULL);
		*since = d[i].id;
	}
	return (int)n;
}

/*
 * Every detection after the mark DETECTIONS_SENT becomes an event, then the mark moves.
 * A crash in between sends some again at the next start (an agent takes a verdict twice
 * without harm); none is lost.
 */
void server_event_detections(struct server *srv)
{
	int64_t since = 0, from;
	int r;

	if (store_meta_int_get(srv->store, DETECTIONS_SENT, &since) == -EIO)
		return;
	from = since;
	do
		r = event_detections_page(srv, &since);
	while (r == DETECTIONS_PAGE);
	if (r < 0)
		log_warn("sandtrapd: detections after %" PRId64 " are not sent to agents: %s",
		         since, strerror(-r));
	if (since != from && store_meta_int_set(srv->store, DETECTIONS_SENT, since) < 0)
		log_warn("sandtrapd: detections up to %" PRId64 " may be sent again", since);
}
