/* SPDX-License-Identifier: MIT */
/*
 * The HTTP front: libmicrohttpd parses, a table of routes dispatches, every answer is
 * JSON (or Prometheus text for /metrics). Bearer tokens are checked before a body is
 * read, and a body is refused with 413 as soon as its size is known to be too big.
 */
#include "server.h"

#include "bundle.h"
#include "escape.h"
#include "fileio.h"
#include "hash.h"
#include "jobmsg.h"
#include "log.h"
#include "macros.h"
#include "policy.h"
#include "store.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_LEN_MIN  16
#define TOKEN_LEN_MAX  128
#define JSON_BODY_MAX  4096
#define JSON_DEPTH_MAX 16
#define REPORT_MAX     (512ull << 20)
#define PARAM_MAX      80
#define DETECTIONS_MAX 1000 /* per answer: a client pages on with since=<last id> */
#define ARTEFACT_MAX   (64ull << 20) /* the largest dropped file a report saves */
#define HTTP_THREADS   2
/*
 * Per connection: request headers and buffers. libmicrohttpd zeroes it for every request
 * on a keep-alive connection, so it is a cost per lookup (and 1,000 clients hold 1,000).
 */
#define CONNECTION_MEMORY (16u << 10)
#define TOKEN_CACHE    64 /* tokens whose role is kept in memory: one lookup per request saved */
#define TOKEN_CACHE_SEC 5 /* how long a cached role is trusted: a revocation's delay */
#define AGENT_ONLINE_SEC 90 /* an agent seen this recently is online: three heartbeats */
#define MULTIPART_FIELD  "file"
#define MULTIPART_BUFFER (64u << 10)
#define MULTIPART_SLACK  (64u << 10) /* boundaries, part headers and small fields */

struct http {
	struct server *srv;
	struct MHD_Daemon *daemon;
};

struct reply {
	unsigned status;
	char *body; /* malloc'd, handed to libmicrohttpd */
	size_t len;
	int fd;        /* > 0: a file to send instead of body, size bytes */
	uint64_t size;
	const char *ctype;
	bool suspended; /* a long poll waits: nothing to send yet */
	char disposition[128]; /* a download: Content-Disposition */
};

struct request;
typedef void (*route_fn)(struct server *srv, struct request *req, struct reply *rep);

struct route {
	const char *method;
	const char *pattern;  /* "*" matches one path segment, captured as the parameter */
	enum store_role role; /* STORE_ROLE_NONE: no token needed */
	bool body;
	route_fn fn;
	size_t body_max; /* a JSON body's limit; 0: JSON_BODY_MAX */
};

struct request {
	struct MHD_Connection *conn;
	const struct route *route;
	enum store_role role;
	char token_sha256[65]; /* who asks: submissions remember it as their owner */
	char param[PARAM_MAX];
	char param2[PARAM_MAX]; /* a second "*" of the pattern */
	char *body; /* JSON bodies, small */
	int fd;     /* an object upload goes to an unnamed file in the data directory */
	size_t len, cap;
	bool too_big;
	bool no_space; /* the upload did not fit on the data directory's disk */
	time_t start;
	bool answered;
	bool waiting;               /* a long poll: wait_until is set */
	int64_t wait_until;         /* when it answers with no events: now_ms() */
	int64_t wait_agent;         /* whose events it waits for */
	struct request *wait_next; /* in the list of suspended long polls */
	/* multipart/form-data: the object is the field named "file" (MULTIPART_FIELD) */
	struct server *srv;
	bool multipart;
	struct MHD_PostProcessor *pp;
	uint64_t raw;     /* multipart bytes received, the framing included */
	bool file_seen;   /* a "file" field began */
	bool file_done;   /* ... and another part followed it */
	bool multipart_bad;
};

/* --- replies --- */

static void reply_json(struct reply *rep, unsigned status, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(s);

	rep->status = status;
	rep->ctype = "application/json";
	rep->body = malloc(n + 2);
	if (rep->body) {
		memcpy(rep->body, s, n);
		rep->body[n] = '\n';
		rep->body[n + 1] = '\0';
		rep->len = n + 1;
	}
	json_object_put(o);
}

static void reply_error(struct reply *rep, unsigned status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	reply_json(rep, status, o);
}

static enum MHD_Result reply_queue(struct MHD_Connection *conn, struct reply *rep,
				   struct MHD_Response *r)
{
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", rep->ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (rep->disposition[0]) {
		/* Never rendered or run by a browser: saved as an opaque file. */
		MHD_add_response_header(r, "Content-Disposition", rep->disposition);
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; sandbox");
	}
	if (rep->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"sandtrap\"");
	ret = MHD_queue_response(conn, rep->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_send(struct MHD_Connection *conn, struct reply *rep)
{
	struct MHD_Response *r;

	if (rep->fd > 0) {
		r = MHD_create_response_from_fd64(rep->size, rep->fd);
		if (!r) {
			close(rep->fd);
			return MHD_NO;
		}
		return reply_queue(conn, rep, r);
	}
	if (!rep->body) {
		rep->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		rep->body = strdup("{\"error\":\"out of memory\"}\n");
		rep->len = rep->body ? strlen(rep->body) : 0;
		rep->ctype = "application/json";
	}
	r = MHD_create_response_from_buffer_with_free_callback(rep->len, rep->body, free);
	if (!r) {
		free(rep->body);
		return MHD_NO;
	}
	return reply_queue(conn, rep, r);
}

static struct json_object *json_string_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *verdict_json(const struct server *srv, const struct store_verdict *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *tech = json_tokener_parse(v->techniques);

	json_object_object_add(o, "sha256", json_object_new_string(v->sha256));
	json_object_object_add(o, "verdict", json_object_new_string(v->verdict));
	json_object_object_add(o, "threat", json_string_or_null(v->threat));
	json_object_object_add(o, "score", json_object_new_int(v->score));
	json_object_object_add(o, "techniques", tech ? tech : json_object_new_array());
	json_object_object_add(o, "scanned_at", json_object_new_int64(v->scanned_at));
	json_object_object_add(o, "rules_version", json_object_new_string(v->rules_version));
	json_object_object_add(o, "fresh", json_object_new_boolean(server_verdict_fresh(srv, v)));
	return o;
}

static struct json_object *submission_json(struct server *srv, const struct store_submission *s)
{
	struct json_object *o = json_object_new_object();
	struct store_verdict v;

	json_object_object_add(o, "id", json_object_new_int64(s->id));
	json_object_object_add(o, "sha256", json_object_new_string(s->sha256));
	json_object_object_add(o, "status", json_object_new_string(store_status_name(s->status)));
	json_object_object_add(o, "phase",
			       json_object_new_string(server_submission_phase(srv, s)));
	json_object_object_add(o, "priority",
			       json_object_new_string(s->priority > 0 ? "high" : "normal"));
	json_object_object_add(o, "timeout", json_object_new_int(s->timeout_sec));
	json_object_object_add(o, "created", json_object_new_int64(s->created));
	json_object_object_add(o, "started", json_object_new_int64(s->started));
	json_object_object_add(o, "finished", json_object_new_int64(s->finished));
	json_object_object_add(o, "attempts", json_object_new_int(s->attempts));
	json_object_object_add(o, "cached", json_object_new_boolean(s->cached));
	if (s->status == STORE_FAILED)
		json_object_object_add(o, "error", json_object_new_string(s->error));
	if (s->status == STORE_DONE && store_verdict_get(srv->store, s->sha256, &v) == 0)
		json_object_object_add(o, "verdict", verdict_json(srv, &v));
	return o;
}

/* A full disk: the one storage failure the client is told about (507). */
static bool errno_no_space(int r)
{
	return r == -ENOSPC || r == -EDQUOT;
}

/* --- handlers --- */

static void route_submit(struct server *srv, struct request *req, struct reply *rep);
static void route_rules_push(struct server *srv, struct request *req, struct reply *rep);

/* Routes whose body goes to an unnamed file rather than memory, and its limit. */
static bool route_body_to_file(const struct route *route)
{
	return route->fn == route_submit || route->fn == route_rules_push;
}

static uint64_t route_file_max(const struct server *srv, const struct route *route)
{
	return route->fn == route_rules_push ? BUNDLE_BODY_MAX : srv->cfg->object_max;
}

static int query_timeout(struct server *srv, struct request *req, unsigned *ret)
{
	const char *s = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "timeout");
	char *end;
	unsigned long v;

	*ret = srv->cfg->default_timeout;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > 3600)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int query_priority(struct request *req, int *ret)
{
	const char *s = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "priority");

	*ret = 0;
	if (!s || strcmp(s, "normal") == 0)
		return 0;
	if (strcmp(s, "high") != 0)
		return -EINVAL;
	*ret = 1;
	return 0;
}

/* A query parameter that is an integer in [min, max] (def when absent). */
static int query_int(struct request *req, const char *key, int64_t min, int64_t max, int64_t def,
		     int64_t *ret)
{
	const char *s = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
	char *end;
	long long v;

	*ret = def;
	if (!s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* The agent a submission is made for (?agent=ID): one of the caller's. 0: none given. */
static int query_agent(struct server *srv, struct request *req, int64_t *ret)
{
	struct store_agent a;

	if (query_int(req, "agent", 0, INT64_MAX, 0, ret) < 0)
		return -EINVAL;
	if (*ret == 0)
		return 0;
	if (store_agent_get(srv->store, *ret, &a) < 0 ||
	    (req->role != STORE_ROLE_ADMIN && strcmp(a.owner, req->token_sha256) != 0))
		return -ENOENT;
	return 0;
}

/* A hash on the blocklist that has no verdict: malicious, as the blocklist says. */
static bool verdict_from_blocklist(struct server *srv, const char *sha256,
				   struct store_verdict *v)
{
	struct store_block b;

	if (store_block_get(srv->store, sha256, &b) < 0)
		return false;
	*v = (struct store_verdict){.score = 100, .scanned_at = b.created};
	memcpy(v->sha256, b.sha256, sizeof(v->sha256));
	snprintf(v->verdict, sizeof(v->verdict), "malicious");
	snprintf(v->threat, sizeof(v->threat), "blocked: %.*s", (int)sizeof(v->threat) - 10,
		 b.reason);
	snprintf(v->techniques, sizeof(v->techniques), "[]");
	pthread_mutex_lock(&srv->lock);
	snprintf(v->rules_version, sizeof(v->rules_version), "%s", srv->rules_version);
	pthread_mutex_unlock(&srv->lock);
	return true;
}

/* A fresh verdict answers at once: a submission recorded as done, nothing detonated. */
static bool submit_from_cache(struct server *srv, struct store_submission *sub, struct reply *rep)
{
	struct store_verdict v;
	struct json_object *o;

	if (store_verdict_get(srv->store, sub->sha256, &v) < 0 || !server_verdict_fresh(srv, &v))
		return false;
	sub->status = STORE_DONE;
	sub->cached = true;
	if (store_submission_add(srv->store, sub) < 0) {
		reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot record the submission");
		return true;
	}
	pthread_mutex_lock(&srv->lock);
	srv->cache_hits++;
	pthread_mutex_unlock(&srv->lock);
	server_event_verdict(srv, sub, &v);
	o = submission_json(srv, sub);
	reply_json(rep, MHD_HTTP_OK, o);
	return true;
}

static void route_submit(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_submission sub = {.status = STORE_QUEUED};
	struct file_hashes h;
	struct json_object *o;
	int r;

	if (req->too_big)
		return reply_error(rep, MHD_HTTP_CONTENT_TOO_LARGE, "object too large");
	if (req->no_space)
		return reply_error(rep, MHD_HTTP_INSUFFICIENT_STORAGE,
				   "the server's disk is full: try again later");
	if (req->multipart_bad)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a malformed multipart body, or more than one file field");
	if (req->multipart && !req->file_seen)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a multipart body needs the object in a field named file");
	if (req->len == 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "empty body: send the object's bytes");
	if (query_priority(req, &sub.priority) < 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST, "priority must be high or normal");
	if (query_timeout(srv, req, &sub.timeout_sec) < 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST, "timeout must be 1 to 3600 seconds");
	if (query_agent(srv, req, &sub.agent_id) < 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "agent must be the id of an agent enrolled with this token");
	if (lseek(req->fd, 0, SEEK_SET) < 0 || hash_fd(req->fd, srv->cfg->object_max, &h) < 0 ||
	    h.size != req->len)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot hash the object");
	memcpy(sub.sha256, h.sha256, sizeof(sub.sha256));
	memcpy(sub.owner, req->token_sha256, sizeof(sub.owner));
	pthread_mutex_lock(&srv->lock);
	srv->submissions++;
	pthread_mutex_unlock(&srv->lock);

	if (submit_from_cache(srv, &sub, rep))
		return;
	r = store_object_put_fd(srv->store, sub.sha256, req->fd);
	if (r >= 0)
		r = store_submission_add(srv->store, &sub);
	if (errno_no_space(r))
		return reply_error(rep, MHD_HTTP_INSUFFICIENT_STORAGE,
				   "the server's disk is full: try again later");
	if (r < 0)
		return reply_error(rep, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot store the object");
	server_wake(srv);
	log_info("http: submission %" PRId64 " queued: %s (%zu bytes)", sub.id, sub.sha256,
		 req->len);

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(sub.id));
	json_object_object_add(o, "sha256", json_object_new_string(sub.sha256));
	json_object_object_add(o, "status", json_object_new_string("queued"));
	json_object_object_add(o, "cached", json_object_new_boolean(false));
	reply_json(rep, MHD_HTTP_ACCEPTED, o);
}

static int param_id(const struct request *req, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(req->param, &end, 10);
	if (errno || end == req->param || *end || v <= 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int submission_lookup(struct server *srv, struct request *req, struct store_submission *sub,
			     struct reply *rep)
{
	int64_t id;
	int r;

	if (param_id(req, &id) < 0) {
		reply_error(rep, MHD_HTTP_BAD_REQUEST, "a submission id is a positive integer");
		return -EINVAL;
	}
	r = store_submission_get(srv->store, id, sub);
	/* An agent sees its own submissions only; others' do not exist for it. */
	if (r == 0 && req->role == STORE_ROLE_AGENT && strcmp(sub->owner, req->token_sha256) != 0)
		r = -ENOENT;
	if (r == -ENOENT)
		reply_error(rep, MHD_HTTP_NOT_FOUND, "no such submission");
	else if (r < 0)
		reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the submission");
	return r;
}

static void route_submission(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_submission sub;

	if (submission_lookup(srv, req, &sub, rep) < 0)
		return;
	reply_json(rep, MHD_HTTP_OK, submission_json(srv, &sub));
}

static void route_report(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_submission sub;
	uint64_t size;
	int fd;

	if (submission_lookup(srv, req, &sub, rep) < 0)
		return;
	if (sub.status != STORE_DONE)
		return reply_error(rep, MHD_HTTP_CONFLICT, "the submission has no report yet");
	if (store_report_open(srv->store, sub.id, &fd, &size) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the report");
	*rep = (struct reply){ .status = MHD_HTTP_OK, .fd = fd, .size = size,
			       .ctype = "application/json" };
}

static bool sha256_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static void route_verdict(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_verdict v;
	int r;

	if (!sha256_valid(req->param))
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a sha256 is 64 lower-case hex digits");
	r = store_verdict_get(srv->store, req->param, &v);
	if (r == -ENOENT && verdict_from_blocklist(srv, req->param, &v))
		r = 0;
	if (r == -ENOENT)
		return reply_error(rep, MHD_HTTP_NOT_FOUND, "no verdict for this sha256");
	if (r < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the verdict");
	reply_json(rep, MHD_HTTP_OK, verdict_json(srv, &v));
}

static void route_status(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *o = json_object_new_object();
	struct store_counts c;
	char rules_version[48];
	unsigned busy;
	uint64_t agents = 0, online = 0;

	store_counts_get(srv->store, &c);
	store_agents_count(srv->store, time(NULL) - AGENT_ONLINE_SEC, &agents, &online);
	pthread_mutex_lock(&srv->lock);
	busy = srv->busy;
	snprintf(rules_version, sizeof(rules_version), "%s", srv->rules_version);
	pthread_mutex_unlock(&srv->lock);
	json_object_object_add(o, "node", json_object_new_string(srv->cfg->node_name));
	json_object_object_add(o, "version", json_object_new_string(SANDTRAP_VERSION));
	json_object_object_add(o, "slots_busy", json_object_new_int(busy));
	json_object_object_add(o, "slots_total", json_object_new_int(srv->cfg->slots));
	json_object_object_add(o, "queue_depth", json_object_new_int64(c.queued));
	json_object_object_add(o, "analyses_done", json_object_new_int64(c.done));
	json_object_object_add(o, "analyses_failed", json_object_new_int64(c.failed));
	json_object_object_add(o, "rules_version", json_object_new_string(rules_version));
	json_object_object_add(o, "uptime", json_object_new_int64(time(NULL) - srv->started));
	json_object_object_add(o, "agents_total", json_object_new_int64(agents));
	json_object_object_add(o, "agents_online", json_object_new_int64(online));
	reply_json(rep, MHD_HTTP_OK, o);
}

static void route_metrics(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_counts c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t agents = 0, online = 0;

	if (!f)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	store_counts_get(srv->store, &c);
	store_agents_count(srv->store, time(NULL) - AGENT_ONLINE_SEC, &agents, &online);
	pthread_mutex_lock(&srv->lock);
	fprintf(f,
		"# HELP sandtrap_submissions Submissions in the store by status.\n"
		"# TYPE sandtrap_submissions gauge\n"
		"sandtrap_submissions{status=\"queued\"} %" PRIu64 "\n"
		"sandtrap_submissions{status=\"running\"} %" PRIu64 "\n"
		"sandtrap_submissions{status=\"done\"} %" PRIu64 "\n"
		"sandtrap_submissions{status=\"failed\"} %" PRIu64 "\n",
		c.queued, c.running, c.done, c.failed);
	fprintf(f,
		"# HELP sandtrap_slots Detonation slots.\n# TYPE sandtrap_slots gauge\n"
		"sandtrap_slots{state=\"busy\"} %u\nsandtrap_slots{state=\"total\"} %u\n",
		srv->busy, srv->cfg->slots);
	fprintf(f,
		"# HELP sandtrap_analyses_total Analyses finished since start.\n"
		"# TYPE sandtrap_analyses_total counter\n"
		"sandtrap_analyses_total{result=\"done\"} %" PRIu64 "\n"
		"sandtrap_analyses_total{result=\"failed\"} %" PRIu64 "\n"
		"# HELP sandtrap_cache_hits_total Submissions answered from a fresh verdict.\n"
		"# TYPE sandtrap_cache_hits_total counter\n"
		"sandtrap_cache_hits_total %" PRIu64 "\n"
		"# HELP sandtrap_submissions_total Submissions accepted since start.\n"
		"# TYPE sandtrap_submissions_total counter\n"
		"sandtrap_submissions_total %" PRIu64 "\n"
		"# HELP sandtrap_http_requests_total HTTP requests since start.\n"
		"# TYPE sandtrap_http_requests_total counter\n"
		"sandtrap_http_requests_total %" PRIu64 "\n",
		srv->analyses_done, srv->analyses_failed, srv->cache_hits, srv->submissions,
		__atomic_load_n(&srv->requests, __ATOMIC_RELAXED));
	pthread_mutex_unlock(&srv->lock);
	fprintf(f,
		"# HELP sandtrap_uptime_seconds Seconds since the server started.\n"
		"# TYPE sandtrap_uptime_seconds gauge\nsandtrap_uptime_seconds %lld\n"
		"# HELP sandtrap_info Version and rules version.\n# TYPE sandtrap_info gauge\n"
		"sandtrap_info{version=\"%s\",rules_version=\"%s\"} 1\n",
		(long long)(time(NULL) - srv->started), SANDTRAP_VERSION, srv->rules_version);
	fprintf(f,
		"# HELP sandtrap_agents Enrolled endpoint agents; online: seen in the last %d s.\n"
		"# TYPE sandtrap_agents gauge\n"
		"sandtrap_agents{state=\"total\"} %" PRIu64 "\n"
		"sandtrap_agents{state=\"online\"} %" PRIu64 "\n",
		AGENT_ONLINE_SEC, agents, online);
	if (fclose(f) != 0 || !buf)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	*rep = (struct reply){.status = MHD_HTTP_OK,
			      .body = buf,
			      .len = len,
			      .ctype = "text/plain; version=0.0.4"};
}

static void route_token_create(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	struct json_object *in = NULL, *role_o, *o;
	enum store_role role;
	unsigned char raw[32];
	char token[65];
	struct file_hashes h;

	if (req->too_big || !tok)
		goto bad;
	in = json_tokener_parse_ex(tok, req->body ? req->body : "", req->len);
	if (!in || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_object_get_ex(in, "role", &role_o) ||
	    !json_object_is_type(role_o, json_type_string) ||
	    store_role_parse(json_object_get_string(role_o), &role) < 0)
		goto bad;
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		goto fail;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	if (hash_buf(token, 64, &h) < 0 || store_token_add(srv->store, h.sha256, role) < 0)
		goto fail;
	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "role", json_object_new_string(store_role_name(role)));
	explicit_bzero(token, sizeof(token));
	reply_json(rep, MHD_HTTP_CREATED, o);
	goto out;
bad:
	reply_error(rep, MHD_HTTP_BAD_REQUEST,
		    "the body is {\"role\": \"agent\"|\"analyst\"|\"admin\"}");
	goto out;
fail:
	reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot create a token");
out:
	json_object_put(in);
	if (tok)
		json_tokener_free(tok);
}

static struct json_object *detection_json(const struct store_detection *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(d->id));
	json_object_object_add(o, "sha256", json_object_new_string(d->sha256));
	json_object_object_add(o, "old_verdict", json_object_new_string(d->old_verdict));
	json_object_object_add(o, "new_verdict", json_object_new_string(d->new_verdict));
	json_object_object_add(o, "old_threat", json_string_or_null(d->old_threat));
	json_object_object_add(o, "new_threat", json_string_or_null(d->new_threat));
	json_object_object_add(o, "old_rules_version",
			       json_object_new_string(d->old_rules_version));
	json_object_object_add(o, "new_rules_version",
			       json_object_new_string(d->new_rules_version));
	json_object_object_add(o, "created", json_object_new_int64(d->created));
	return o;
}

/* Verdicts that a rules change turned into others, after id `since`, oldest first. */
static void route_detections(struct server *srv, struct request *req, struct reply *rep)
{
	const char *s = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "since");
	_cleanup_free_ struct store_detection *d = NULL;
	struct json_object *a;
	long long since = 0;
	size_t n = 0;
	char *end;

	if (s) {
		errno = 0;
		since = strtoll(s, &end, 10);
		if (errno || end == s || *end || since < 0)
			return reply_error(rep, MHD_HTTP_BAD_REQUEST,
					   "since is a detection id (0 or more)");
	}
	if (store_detections_list(srv->store, since, DETECTIONS_MAX, &d, &n) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the detections");
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, detection_json(&d[i]));
	reply_json(rep, MHD_HTTP_OK, a);
}

/* --- endpoint agents: enrolment, heartbeats, policies, events, blocklist, actions --- */

#define EVENTS_MAX        1000 /* per answer: the agent asks again with since=<next> */
#define EVENTS_WAIT_MAX   60
#define EVENTS_WAIT_DEF   25
#define ACTIONS_MAX       1000
#define ACTION_BODY_MAX   (16u << 10) /* a path of 4 KiB, escaped, and the rest */
#define BLOCK_REASON_MAX  200
#define ISOLATE_MIN_MAX   10080
#define PRUNE_EVERY_SEC   3600

/*
 * Long polls waiting for events: their connections are suspended (no thread is held) and
 * listed here. A new event resumes those it is for (one agent's, or all for an event to
 * every agent), each looks again; a timer thread resumes those whose wait has passed.
 * generation counts the notifications, so a poll that found nothing can tell whether an
 * event came before it was listed (any event: at worst it looks once more).
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct request *head;
	uint64_t generation;
	bool stopping;
	bool started;
	pthread_t thread;
	struct server *srv;
} waiters = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Milliseconds of the real-time clock, the clock of pthread_cond_timedwait(). */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Under waiters.lock: resume the polls whose wait ends by `now` (0: any), waiting for
 * agent's events (0: any agent).
 */
static void waiters_resume_locked(int64_t now, int64_t agent)
{
	struct request **p = &waiters.head;

	while (*p) {
		struct request *r = *p;

		if ((now && r->wait_until > now) || (agent && r->wait_agent != agent)) {
			p = &r->wait_next;
			continue;
		}
		*p = r->wait_next;
		r->wait_next = NULL;
		MHD_resume_connection(r->conn);
	}
}

void http_events_notify(int64_t agent_id)
{
	pthread_mutex_lock(&waiters.lock);
	waiters.generation++;
	waiters_resume_locked(0, agent_id);
	pthread_mutex_unlock(&waiters.lock);
}

static uint64_t waiters_generation(void)
{
	uint64_t g;

	pthread_mutex_lock(&waiters.lock);
	g = waiters.generation;
	pthread_mutex_unlock(&waiters.lock);
	return g;
}

/*
 * Suspend req until an event or its wait_until. -EAGAIN: an event came since generation,
 * look again; -ESHUTDOWN: the server stops, answer now.
 */
static int waiters_add(struct request *req, uint64_t generation)
{
	int r = 0;

	pthread_mutex_lock(&waiters.lock);
	if (waiters.stopping)
		r = -ESHUTDOWN;
	else if (waiters.generation != generation)
		r = -EAGAIN;
	if (r == 0) {
		req->wait_next = waiters.head;
		waiters.head = req;
		MHD_suspend_connection(req->conn);
		pthread_cond_signal(&waiters.cond);
	}
	pthread_mutex_unlock(&waiters.lock);
	return r;
}

/*
 * Slow heads. libmicrohttpd calls us once a request's line and headers are in; until then
 * only its idle timeout applies, which a client sending a byte now and then never meets.
 * Every connection is listed here from its start; the long-poll thread shuts down the
 * socket of one that has not completed a request head within header-timeout of its start
 * or its previous answer, and libmicrohttpd then closes it. The list entry goes when
 * libmicrohttpd tells us the connection closes, which it does before closing the socket,
 * so a shutdown never reaches a descriptor that was reused.
 */
struct conn_watch {
	int fd;
	int64_t since_ms;
	bool in_request; /* its head arrived: a body, an answer or a long poll follows */
	bool cut;
	struct conn_watch *prev, *next;
};

static struct {
	pthread_mutex_t lock;
	struct conn_watch *head;
} conns = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *info;
	struct conn_watch *w = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = calloc(1, sizeof(*w));
		if (!w || !info) {
			free(w);
			return;
		}
		w->fd = info->connect_fd;
		w->since_ms = now_ms();
		pthread_mutex_lock(&conns.lock);
		w->next = conns.head;
		if (conns.head)
			conns.head->prev = w;
		conns.head = w;
		pthread_mutex_unlock(&conns.lock);
		*socket_context = w;
		return;
	}
	if (!w)
		return;
	pthread_mutex_lock(&conns.lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		conns.head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&conns.lock);
	free(w);
	*socket_context = NULL;
}

/* A request head arrived (true), or its answer went (false): the head's clock restarts. */
static void conn_in_request(struct MHD_Connection *conn, bool in)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_watch *w = info ? info->socket_context : NULL;

	if (!w)
		return;
	pthread_mutex_lock(&conns.lock);
	w->in_request = in;
	w->since_ms = now_ms();
	pthread_mutex_unlock(&conns.lock);
}

static void conns_sweep(unsigned header_timeout)
{
	int64_t limit = now_ms() - (int64_t)header_timeout * 1000;
	unsigned cut = 0;

	pthread_mutex_lock(&conns.lock);
	for (struct conn_watch *w = conns.head; w; w = w->next) {
		if (w->in_request || w->cut || w->since_ms > limit)
			continue;
		w->cut = shutdown(w->fd, SHUT_RDWR) == 0;
		cut += w->cut;
	}
	pthread_mutex_unlock(&conns.lock);
	if (cut)
		log_info("http: %u connections cut off: no request head within %u s", cut,
			 header_timeout);
}

static void *waiters_run(void *arg)
{
	time_t pruned = time(NULL);

	pthread_mutex_lock(&waiters.lock);
	while (!waiters.stopping) {
		int64_t now = now_ms(), next = now + EVENTS_WAIT_MAX * 1000;
		struct timespec ts;

		waiters_resume_locked(now, 0);
		for (struct request *r = waiters.head; r; r = r->wait_next)
			next = MIN(next, r->wait_until);
		next = MIN(next, now + 1000); /* and the heads' deadlines, every second */
		ts = (struct timespec){.tv_sec = next / 1000, .tv_nsec = next % 1000 * 1000000};
		pthread_cond_timedwait(&waiters.cond, &waiters.lock, &ts);
		conns_sweep(waiters.srv->cfg->header_timeout);
		if (time(NULL) - pruned < PRUNE_EVERY_SEC)
			continue;
		pruned = time(NULL);
		pthread_mutex_unlock(&waiters.lock);
		store_events_prune(waiters.srv->store, pruned - SERVER_EVENTS_KEEP_SEC, NULL);
		pthread_mutex_lock(&waiters.lock);
	}
	waiters_resume_locked(0, 0);
	pthread_mutex_unlock(&waiters.lock);
	return NULL;
}

static int waiters_start(struct server *srv)
{
	waiters.srv = srv;
	waiters.stopping = false;
	if (pthread_create(&waiters.thread, NULL, waiters_run, NULL) != 0)
		return -EAGAIN;
	waiters.started = true;
	return 0;
}

/* Every waiting poll answers (with no events) before the daemon stops. */
static void waiters_stop(void)
{
	if (!waiters.started)
		return;
	pthread_mutex_lock(&waiters.lock);
	waiters.stopping = true;
	pthread_cond_signal(&waiters.cond);
	pthread_mutex_unlock(&waiters.lock);
	pthread_join(waiters.thread, NULL);
	waiters.started = false;
}

/* The request's JSON body, or NULL with the answer (413, 400) in rep. */
static struct json_object *request_json(struct request *req, struct reply *rep)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (req->too_big) {
		reply_error(rep, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		return NULL;
	}
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok) {
		reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, req->body ? req->body : "", req->len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o)
		reply_error(rep, MHD_HTTP_BAD_REQUEST, "the body must be a JSON object");
	return o;
}

/*
 * A string member of at most max - 1 bytes into ret ("" when absent and optional).
 * -EINVAL with the error in rep.
 */
static int json_string_get(struct json_object *o, const char *key, bool required, char *ret,
			   size_t max, struct reply *rep)
{
	struct json_object *v;
	char msg[160];

	ret[0] = '\0';
	if (!json_object_object_get_ex(o, key, &v)) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "%s is required", key);
	} else if (!json_object_is_type(v, json_type_string) ||
		   (size_t)json_object_get_string_len(v) >= max ||
		   strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		snprintf(msg, sizeof(msg), "%s must be a string of at most %zu bytes", key,
			 max - 1);
	} else {
		memcpy(ret, json_object_get_string(v), json_object_get_string_len(v) + 1);
		return 0;
	}
	reply_error(rep, MHD_HTTP_BAD_REQUEST, msg);
	return -EINVAL;
}

/* An integer member within [min, max] (def when absent). -EINVAL with the error in rep. */
static int json_int_get(struct json_object *o, const char *key, int64_t min, int64_t max,
			int64_t def, int64_t *ret, struct reply *rep)
{
	struct json_object *v;
	char msg[160];

	*ret = def;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*ret = json_object_get_int64(v);
		if (*ret >= min && *ret <= max)
			return 0;
	}
	snprintf(msg, sizeof(msg), "%s must be an integer from %" PRId64 " to %" PRId64, key, min,
		 max);
	reply_error(rep, MHD_HTTP_BAD_REQUEST, msg);
	return -EINVAL;
}

static int json_bool_get(struct json_object *o, const char *key, bool required, bool *ret,
			 struct reply *rep)
{
	struct json_object *v;
	char msg[96];

	if (!json_object_object_get_ex(o, key, &v)) {
		if (!required)
			return 0;
	} else if (json_object_is_type(v, json_type_boolean)) {
		*ret = json_object_get_boolean(v);
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s must be true or false", key);
	reply_error(rep, MHD_HTTP_BAD_REQUEST, msg);
	return -EINVAL;
}

/*
 * The agent of the path ({id}): its owner (the token that enrolled it) or an admin may
 * act for it; to anyone else it does not exist. -errno with the answer in rep.
 */
static int agent_lookup(struct server *srv, struct request *req, struct store_agent *a,
			struct reply *rep)
{
	int64_t id;
	int r;

	if (param_id(req, &id) < 0) {
		reply_error(rep, MHD_HTTP_BAD_REQUEST, "an agent id is a positive integer");
		return -EINVAL;
	}
	r = store_agent_get(srv->store, id, a);
	if (r == 0 && req->role != STORE_ROLE_ADMIN && strcmp(a->owner, req->token_sha256) != 0)
		r = -ENOENT;
	if (r == -ENOENT)
		reply_error(rep, MHD_HTTP_NOT_FOUND, "no such agent");
	else if (r < 0)
		reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the agent");
	return r;
}

/* The newest version of a policy, 0 when it is gone. */
static int64_t policy_version_of(struct server *srv, const char *name)
{
	int64_t v = 0;

	if (store_policy_get(srv->store, name, &v, NULL) < 0)
		return 0;
	return v;
}

static void route_agent_enroll(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *in = request_json(req, rep), *o;
	struct store_agent a = {0};
	int r;

	if (!in)
		return;
	r = json_string_get(in, "hostname", true, a.hostname, sizeof(a.hostname), rep);
	if (r >= 0)
		r = json_string_get(in, "version", true, a.version, sizeof(a.version), rep);
	if (r >= 0)
		r = json_string_get(in, "os", true, a.os, sizeof(a.os), rep);
	json_object_put(in);
	if (r < 0)
		return;
	if (!a.hostname[0])
		return reply_error(rep, MHD_HTTP_BAD_REQUEST, "hostname must not be empty");
	memcpy(a.owner, req->token_sha256, sizeof(a.owner));
	r = store_agent_enroll(srv->store, &a);
	if (r < 0)
		return reply_error(rep, errno_no_space(r) ? MHD_HTTP_INSUFFICIENT_STORAGE
							  : MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot enrol the agent");
	o = json_object_new_object();
	json_object_object_add(o, "agent_id", json_object_new_int64(a.id));
	json_object_object_add(o, "policy", json_object_new_string(a.policy));
	json_object_object_add(o, "policy_version",
			       json_object_new_int64(policy_version_of(srv, a.policy)));
	reply_json(rep, r == 1 ? MHD_HTTP_OK : MHD_HTTP_CREATED, o);
}

static void route_agent_heartbeat(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *in, *o;
	struct store_agent a;
	int r;

	if (agent_lookup(srv, req, &a, rep) < 0)
		return;
	in = request_json(req, rep);
	if (!in)
		return;
	/* A member left out keeps its value. */
	r = json_int_get(in, "policy_version", 0, INT64_MAX, a.policy_version, &a.policy_version,
			 rep);
	if (r >= 0)
		r = json_bool_get(in, "isolated", false, &a.isolated, rep);
	if (r >= 0)
		r = json_int_get(in, "cache_entries", 0, INT64_MAX, a.cache_entries,
				 &a.cache_entries, rep);
	if (r >= 0)
		r = json_int_get(in, "pending", 0, INT64_MAX, a.pending, &a.pending, rep);
	json_object_put(in);
	if (r < 0)
		return;
	if (store_agent_heartbeat(srv->store, &a) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot record the heartbeat");
	o = json_object_new_object();
	json_object_object_add(o, "policy_version",
			       json_object_new_int64(policy_version_of(srv, a.policy)));
	reply_json(rep, MHD_HTTP_OK, o);
}

/* {"name", "version", "policy"} of the newest version of name, defaults filled in. */
static void reply_policy(struct server *srv, const char *name, unsigned status,
			 struct reply *rep)
{
	_cleanup_free_ char *body = NULL;
	struct json_object *stored, *o;
	int64_t version;
	int r;

	r = store_policy_get(srv->store, name, &version, &body);
	if (r == -ENOENT)
		return reply_error(rep, MHD_HTTP_NOT_FOUND, "no such policy");
	if (r < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the policy");
	stored = json_tokener_parse(body);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "version", json_object_new_int64(version));
	json_object_object_add(o, "policy", policy_fill(stored, srv->cfg->clean_ttl_sec));
	json_object_put(stored);
	reply_json(rep, status, o);
}

static void route_agent_policy(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_agent a;

	if (agent_lookup(srv, req, &a, rep) < 0)
		return;
	reply_policy(srv, a.policy, MHD_HTTP_OK, rep);
}

static void route_policies(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_policy_info *p = NULL;
	struct json_object *a;
	size_t n = 0;

	if (store_policies_list(srv->store, &p, &n) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot list the policies");
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p[i].name));
		json_object_object_add(o, "version", json_object_new_int64(p[i].version));
		json_object_object_add(o, "created", json_object_new_int64(p[i].created));
		json_object_array_add(a, o);
	}
	reply_json(rep, MHD_HTTP_OK, a);
}

static void route_policy_get(struct server *srv, struct request *req, struct reply *rep)
{
	if (!policy_name_valid(req->param))
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a policy name is 1 to 64 of A-Z a-z 0-9 . _ -");
	reply_policy(srv, req->param, MHD_HTTP_OK, rep);
}

static void route_policy_put(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *in;
	char err[256];
	int64_t version;
	int r;

	if (!policy_name_valid(req->param))
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a policy name is 1 to 64 of A-Z a-z 0-9 . _ -");
	in = request_json(req, rep);
	if (!in)
		return;
	if (policy_check(in, err, sizeof(err)) < 0) {
		json_object_put(in);
		return reply_error(rep, MHD_HTTP_BAD_REQUEST, err);
	}
	r = store_policy_put(srv->store, req->param,
			     json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE),
			     &version);
	json_object_put(in);
	if (r == -E2BIG)
		return reply_error(rep, MHD_HTTP_CONTENT_TOO_LARGE, "the policy is too large");
	if (r < 0)
		return reply_error(rep, errno_no_space(r) ? MHD_HTTP_INSUFFICIENT_STORAGE
							  : MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot store the policy");
	log_info("http: policy '%s' version %" PRId64 " stored", req->param, version);
	server_event_policy(srv, 0, req->param, version);
	reply_policy(srv, req->param, version == 1 ? MHD_HTTP_CREATED : MHD_HTTP_OK, rep);
}

static void route_agent_policy_set(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *in, *o;
	struct store_agent a;
	char name[65];
	int64_t version;
	int r;

	if (agent_lookup(srv, req, &a, rep) < 0)
		return;
	in = request_json(req, rep);
	if (!in)
		return;
	r = json_string_get(in, "name", true, name, sizeof(name), rep);
	json_object_put(in);
	if (r < 0)
		return;
	version = policy_version_of(srv, name);
	if (!policy_name_valid(name) || version == 0)
		return reply_error(rep, MHD_HTTP_NOT_FOUND, "no such policy");
	if (store_agent_policy_set(srv->store, a.id, name) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot assign the policy");
	/* The agent learns of it as of a new version of its policy. */
	server_event_policy(srv, a.id, name, version);
	o = json_object_new_object();
	json_object_object_add(o, "agent_id", json_object_new_int64(a.id));
	json_object_object_add(o, "policy", json_object_new_string(name));
	json_object_object_add(o, "policy_version", json_object_new_int64(version));
	reply_json(rep, MHD_HTTP_OK, o);
}

static void reply_events(struct reply *rep, const struct store_event *e, size_t n, int64_t next)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *ev = json_tokener_parse(e[i].body);

		if (!ev || !json_object_is_type(ev, json_type_object)) {
			json_object_put(ev);
			continue;
		}
		json_object_object_add(ev, "id", json_object_new_int64(e[i].id));
		json_object_array_add(a, ev);
		next = e[i].id;
	}
	json_object_object_add(o, "events", a);
	json_object_object_add(o, "next", json_object_new_int64(next));
	reply_json(rep, MHD_HTTP_OK, o);
}

/*
 * The long poll: events after since for this agent at once, or when one comes, or none
 * when wait seconds pass. since=0 is a new agent: it starts from now, without history;
 * so does a since beyond the newest event (the server's database was replaced).
 */
static void route_agent_events(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_event *e = NULL;
	struct store_agent a;
	int64_t since, wait, last;
	uint64_t generation;
	size_t n = 0;
	int r;

	if (agent_lookup(srv, req, &a, rep) < 0)
		return;
	if (query_int(req, "since", 0, INT64_MAX, 0, &since) < 0 ||
	    query_int(req, "wait", 0, EVENTS_WAIT_MAX, EVENTS_WAIT_DEF, &wait) < 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "since is an event id (0 or more), wait 0 to 60 seconds");
	if (!req->waiting) {
		if (store_events_last(srv->store, &last) < 0)
			return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "cannot read the events");
		if (since == 0 || since > last)
			return reply_events(rep, NULL, 0, last);
		req->waiting = true;
		req->wait_until = now_ms() + wait * 1000;
		req->wait_agent = a.id;
	}
	do {
		generation = waiters_generation();
		free(TAKE_PTR(e));
		if (store_events_list(srv->store, a.id, since, EVENTS_MAX, &e, &n) < 0)
			return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "cannot read the events");
		if (n > 0 || now_ms() >= req->wait_until)
			return reply_events(rep, e, n, since);
		r = waiters_add(req, generation);
	} while (r == -EAGAIN);
	if (r < 0)
		return reply_events(rep, e, n, since);
	rep->suspended = true;
}

static void route_agent_isolate(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *in, *ev, *o;
	struct store_agent a;
	int64_t minutes, id;
	bool isolate = false;
	int r;

	if (agent_lookup(srv, req, &a, rep) < 0)
		return;
	in = request_json(req, rep);
	if (!in)
		return;
	r = json_bool_get(in, "isolate", true, &isolate, rep);
	if (r >= 0)
		r = json_int_get(in, "minutes", 0, ISOLATE_MIN_MAX, 60, &minutes, rep);
	json_object_put(in);
	if (r < 0)
		return;
	ev = json_object_new_object();
	json_object_object_add(ev, "type",
			       json_object_new_string(isolate ? "isolate" : "unisolate"));
	if (isolate)
		json_object_object_add(ev, "minutes", json_object_new_int64(minutes));
	if (server_event_add(srv, a.id, ev, &id) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot record the event");
	log_info("http: agent %" PRId64 ": %s", a.id, isolate ? "isolate" : "unisolate");
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_int64(id));
	reply_json(rep, MHD_HTTP_OK, o);
}

static struct json_object *block_json(const struct store_block *b)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "sha256", json_object_new_string(b->sha256));
	json_object_object_add(o, "reason", json_object_new_string(b->reason));
	json_object_object_add(o, "created", json_object_new_int64(b->created));
	return o;
}

static void route_block_add(struct server *srv, struct request *req, struct reply *rep)
{
	struct json_object *in = request_json(req, rep), *ev;
	struct store_block b = {0};
	int r;

	if (!in)
		return;
	r = json_string_get(in, "sha256", true, b.sha256, sizeof(b.sha256), rep);
	if (r >= 0)
		r = json_string_get(in, "reason", false, b.reason, BLOCK_REASON_MAX + 1, rep);
	json_object_put(in);
	if (r < 0)
		return;
	if (!sha256_valid(b.sha256))
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a sha256 is 64 lower-case hex digits");
	memcpy(b.owner, req->token_sha256, sizeof(b.owner));
	r = store_block_add(srv->store, &b);
	if (r < 0)
		return reply_error(rep, errno_no_space(r) ? MHD_HTTP_INSUFFICIENT_STORAGE
							  : MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot block the hash");
	log_info("http: %s blocked", b.sha256);
	ev = json_object_new_object();
	json_object_object_add(ev, "type", json_object_new_string("block_hash"));
	json_object_object_add(ev, "sha256", json_object_new_string(b.sha256));
	json_object_object_add(ev, "reason", json_object_new_string(b.reason));
	server_event_add(srv, 0, ev, NULL);
	reply_json(rep, MHD_HTTP_CREATED, block_json(&b));
}

static void route_blocklist(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_block *b = NULL;
	struct json_object *a;
	size_t n = 0;

	if (store_blocklist(srv->store, &b, &n) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the blocklist");
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, block_json(&b[i]));
	reply_json(rep, MHD_HTTP_OK, a);
}

/* The members of an action report, each bounded; -EINVAL with the answer in rep. */
static int action_parse(struct json_object *in, struct store_action *a, struct reply *rep)
{
	int r;

	r = json_int_get(in, "time", 0, INT64_MAX, 0, &a->time, rep);
	if (r >= 0)
		r = json_int_get(in, "uid", -1, UINT32_MAX, -1, &a->uid, rep);
	if (r >= 0)
		r = json_int_get(in, "pid", 0, INT32_MAX, 0, &a->pid, rep);
	if (r >= 0)
		r = json_string_get(in, "host", false, a->host, sizeof(a->host), rep);
	if (r >= 0)
		r = json_string_get(in, "user", false, a->user, sizeof(a->user), rep);
	if (r >= 0)
		r = json_string_get(in, "path", false, a->path, sizeof(a->path), rep);
	if (r >= 0)
		r = json_string_get(in, "sha256", false, a->sha256, sizeof(a->sha256), rep);
	if (r >= 0)
		r = json_string_get(in, "verdict", false, a->verdict, sizeof(a->verdict), rep);
	if (r >= 0)
		r = json_string_get(in, "action", true, a->action, sizeof(a->action), rep);
	if (r >= 0)
		r = json_string_get(in, "result", false, a->result, sizeof(a->result), rep);
	if (r >= 0)
		r = json_string_get(in, "detail", false, a->detail, sizeof(a->detail), rep);
	if (r >= 0 && a->sha256[0] && !sha256_valid(a->sha256)) {
		reply_error(rep, MHD_HTTP_BAD_REQUEST, "a sha256 is 64 lower-case hex digits");
		r = -EINVAL;
	}
	if (r >= 0 && !a->action[0]) {
		reply_error(rep, MHD_HTTP_BAD_REQUEST, "action must not be empty");
		r = -EINVAL;
	}
	return r;
}

static void route_agent_action(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_action *a = calloc(1, sizeof(*a));
	struct store_agent agent;
	struct json_object *in, *o;
	int r;

	if (!a)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (agent_lookup(srv, req, &agent, rep) < 0)
		return;
	in = request_json(req, rep);
	if (!in)
		return;
	r = action_parse(in, a, rep);
	json_object_put(in);
	if (r < 0)
		return;
	a->agent_id = agent.id;
	r = store_action_add(srv->store, a);
	if (r < 0)
		return reply_error(rep, errno_no_space(r) ? MHD_HTTP_INSUFFICIENT_STORAGE
							  : MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot record the action");
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(a->id));
	reply_json(rep, MHD_HTTP_CREATED, o);
}

static struct json_object *action_json(const struct store_action *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(a->id));
	json_object_object_add(o, "agent_id", json_object_new_int64(a->agent_id));
	json_object_object_add(o, "time", json_object_new_int64(a->time));
	json_object_object_add(o, "received", json_object_new_int64(a->received));
	json_object_object_add(o, "host", json_object_new_string(a->host));
	json_object_object_add(o, "user", json_object_new_string(a->user));
	json_object_object_add(o, "uid", json_object_new_int64(a->uid));
	json_object_object_add(o, "pid", json_object_new_int64(a->pid));
	json_object_object_add(o, "path", json_object_new_string(a->path));
	json_object_object_add(o, "sha256", json_object_new_string(a->sha256));
	json_object_object_add(o, "verdict", json_object_new_string(a->verdict));
	json_object_object_add(o, "action", json_object_new_string(a->action));
	json_object_object_add(o, "result", json_object_new_string(a->result));
	json_object_object_add(o, "detail", json_object_new_string(a->detail));
	return o;
}

static void route_actions(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_action *a = NULL;
	struct json_object *arr;
	int64_t since, agent;
	size_t n = 0;

	if (query_int(req, "since", 0, INT64_MAX, 0, &since) < 0 ||
	    query_int(req, "agent", 0, INT64_MAX, 0, &agent) < 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "since is an action id and agent an agent id (0 or more)");
	if (store_actions_list(srv->store, since, agent, ACTIONS_MAX, &a, &n) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the actions");
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, action_json(&a[i]));
	reply_json(rep, MHD_HTTP_OK, arr);
}

static struct json_object *agent_json(const struct store_agent *a, int64_t policy_current,
				      time_t now)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(a->id));
	json_object_object_add(o, "hostname", json_object_new_string(a->hostname));
	json_object_object_add(o, "version", json_object_new_string(a->version));
	json_object_object_add(o, "os", json_object_new_string(a->os));
	json_object_object_add(o, "enrolled", json_object_new_int64(a->enrolled));
	json_object_object_add(o, "last_seen", json_object_new_int64(a->last_seen));
	json_object_object_add(o, "online",
			       json_object_new_boolean(now - a->last_seen <= AGENT_ONLINE_SEC));
	json_object_object_add(o, "policy", json_object_new_string(a->policy));
	json_object_object_add(o, "policy_version", json_object_new_int64(a->policy_version));
	json_object_object_add(o, "policy_current", json_object_new_int64(policy_current));
	json_object_object_add(o, "isolated", json_object_new_boolean(a->isolated));
	json_object_object_add(o, "cache_entries", json_object_new_int64(a->cache_entries));
	json_object_object_add(o, "pending", json_object_new_int64(a->pending));
	return o;
}

static void route_agents(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_agent *a = NULL;
	_cleanup_free_ struct store_policy_info *p = NULL;
	size_t n = 0, np = 0;
	struct json_object *arr;
	time_t now = time(NULL);

	if (store_agents_list(srv->store, &a, &n) < 0 ||
	    store_policies_list(srv->store, &p, &np) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot list the agents");
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		int64_t current = 0;

		for (size_t j = 0; j < np; j++)
			if (strcmp(p[j].name, a[i].policy) == 0)
				current = p[j].version;
		json_object_array_add(arr, agent_json(&a[i], current, now));
	}
	reply_json(rep, MHD_HTTP_OK, arr);
}

static struct json_object *artefact_json(const struct store_artefact *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "sha256", json_string_or_null(a->sha256));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)a->size));
	json_object_object_add(o, "path", json_object_new_string(a->path));
	json_object_object_add(o, "saved", json_object_new_boolean(a->saved));
	if (!a->saved)
		json_object_object_add(o, "reason", json_object_new_string(a->reason));
	return o;
}

/* The files a submission's sample dropped: each with its sha256, size, guest path. */
static void route_artefacts(struct server *srv, struct request *req, struct reply *rep)
{
	_cleanup_free_ struct store_artefact *a = NULL;
	struct store_submission sub;
	struct json_object *arr;
	size_t n = 0;

	if (submission_lookup(srv, req, &sub, rep) < 0)
		return;
	if (store_artefacts_list(srv->store, sub.id, &a, &n) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the artefacts");
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, artefact_json(&a[i]));
	reply_json(rep, MHD_HTTP_OK, arr);
}

/* A saved artefact of this submission: true, or an error answered. */
static bool artefact_saved(struct server *srv, int64_t id, const char *sha256, struct reply *rep)
{
	_cleanup_free_ struct store_artefact *a = NULL;
	size_t n = 0;

	if (store_artefacts_list(srv->store, id, &a, &n) < 0) {
		reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the artefacts");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i].saved && strcmp(a[i].sha256, sha256) == 0)
			return true;
	reply_error(rep, MHD_HTTP_NOT_FOUND, "no saved artefact with this sha256");
	return false;
}

/* One artefact's bytes, as an attachment a browser saves and never opens. */
static void route_artefact(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_submission sub;
	struct stat st;
	int fd;

	if (submission_lookup(srv, req, &sub, rep) < 0)
		return;
	if (!sha256_valid(req->param2))
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "a sha256 is 64 lower-case hex digits");
	if (!artefact_saved(srv, sub.id, req->param2, rep))
		return;
	if (store_object_open(srv->store, req->param2, ARTEFACT_MAX, &fd) < 0)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the artefact");
	if (fstat(fd, &st) < 0) {
		close(fd);
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the artefact");
	}
	*rep = (struct reply){.status = MHD_HTTP_OK,
			      .fd = fd,
			      .size = (uint64_t)st.st_size,
			      .ctype = "application/octet-stream"};
	snprintf(rep->disposition, sizeof(rep->disposition), "attachment; filename=\"%s.bin\"",
		 req->param2);
}

/* A rules bundle (tar.gz) installed through the privileged process, then reloaded. */
static void route_rules_push(struct server *srv, struct request *req, struct reply *rep)
{
	char why[JOBMSG_WHY_MAX + 64], version[48];
	unsigned long long behaviour, yara, hashes;
	struct json_object *o;
	int r;

	if (req->too_big)
		return reply_error(rep, MHD_HTTP_CONTENT_TOO_LARGE, "the bundle is too large");
	if (req->no_space)
		return reply_error(rep, MHD_HTTP_INSUFFICIENT_STORAGE,
				   "the server's disk is full: try again later");
	if (req->len == 0)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST,
				   "empty body: send the rules as a tar.gz");
	r = server_rules_push(srv, req->fd, why, sizeof(why));
	if (r == -EBUSY)
		return reply_error(rep, MHD_HTTP_CONFLICT, why);
	if (r == -EINVAL)
		return reply_error(rep, MHD_HTTP_BAD_REQUEST, why);
	if (r < 0 || sscanf(why, "%47s %llu %llu %llu", version, &behaviour, &yara, &hashes) != 4)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   r < 0 ? why : "the rules were installed, but not counted");
	log_info("http: rules %s installed through the API", version);
	o = json_object_new_object();
	json_object_object_add(o, "rules_version", json_object_new_string(version));
	json_object_object_add(o, "behaviour_rules", json_object_new_int64((int64_t)behaviour));
	json_object_object_add(o, "yara_rules", json_object_new_int64((int64_t)yara));
	json_object_object_add(o, "hashes", json_object_new_int64((int64_t)hashes));
	reply_json(rep, MHD_HTTP_OK, o);
}

static const struct route routes[] = {
	{"POST", "/api/v1/submissions", STORE_ROLE_AGENT, true, route_submit},
	{"GET", "/api/v1/submissions/*", STORE_ROLE_AGENT, false, route_submission},
	{"GET", "/api/v1/submissions/*/report", STORE_ROLE_ANALYST, false, route_report},
	{"GET", "/api/v1/verdicts/*", STORE_ROLE_AGENT, false, route_verdict},
	{"GET", "/api/v1/detections", STORE_ROLE_AGENT, false, route_detections},
	{"GET", "/api/v1/status", STORE_ROLE_ANALYST, false, route_status},
	{"POST", "/api/v1/tokens", STORE_ROLE_ADMIN, true, route_token_create},
	{"GET", "/metrics", STORE_ROLE_NONE, false, route_metrics},
	{"POST", "/api/v1/agents", STORE_ROLE_AGENT, true, route_agent_enroll},
	{"GET", "/api/v1/agents", STORE_ROLE_ANALYST, false, route_agents},
	{"POST", "/api/v1/agents/*/heartbeat", STORE_ROLE_AGENT, true, route_agent_heartbeat},
	{"GET", "/api/v1/agents/*/policy", STORE_ROLE_AGENT, false, route_agent_policy},
	{"POST", "/api/v1/agents/*/policy", STORE_ROLE_ADMIN, true, route_agent_policy_set},
	{"GET", "/api/v1/agents/*/events", STORE_ROLE_AGENT, false, route_agent_events},
	{"POST", "/api/v1/agents/*/isolate", STORE_ROLE_ADMIN, true, route_agent_isolate},
	{"POST", "/api/v1/agents/*/actions", STORE_ROLE_AGENT, true, route_agent_action,
	 ACTION_BODY_MAX},
	{"GET", "/api/v1/policies", STORE_ROLE_ANALYST, false, route_policies},
	{"GET", "/api/v1/policies/*", STORE_ROLE_ANALYST, false, route_policy_get},
	{"PUT", "/api/v1/policies/*", STORE_ROLE_ADMIN, true, route_policy_put,
	 STORE_POLICY_MAX},
	{"POST", "/api/v1/blocklist", STORE_ROLE_AGENT, true, route_block_add},
	{"GET", "/api/v1/blocklist", STORE_ROLE_AGENT, false, route_blocklist},
	{"GET", "/api/v1/actions", STORE_ROLE_ANALYST, false, route_actions},
	{"GET", "/api/v1/submissions/*/artefacts", STORE_ROLE_ANALYST, false, route_artefacts},
	{"GET", "/api/v1/submissions/*/artefacts/*", STORE_ROLE_ANALYST, false, route_artefact},
	{"POST", "/api/v1/rules", STORE_ROLE_ADMIN, true, route_rules_push},
};

/*
 * Known tokens (their sha256) and roles, so that a lookup costs no database query for the
 * token. An entry is trusted for TOKEN_CACHE_SEC, then the store is asked again: a token
 * revoked by `sandtrap token revoke` stops working within that time. An unknown token is
 * not cached (a token made since by `sandtrap token create` is found next time).
 */
static struct {
	pthread_rwlock_t lock;
	char sha256[TOKEN_CACHE][65];
	enum store_role role[TOKEN_CACHE];
	time_t until[TOKEN_CACHE]; /* CLOCK_MONOTONIC seconds */
	unsigned next;             /* the slot replaced next when the cache is full */
} token_cache = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static time_t mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The slot holding sha256, or TOKEN_CACHE. Under the lock. */
static size_t token_cache_find(const char *sha256)
{
	for (size_t i = 0; i < TOKEN_CACHE && token_cache.role[i] != STORE_ROLE_NONE; i++)
		if (memcmp(token_cache.sha256[i], sha256, 64) == 0)
			return i;
	return TOKEN_CACHE;
}

static enum store_role token_cache_get(const char *sha256)
{
	enum store_role role = STORE_ROLE_NONE;
	size_t i;

	pthread_rwlock_rdlock(&token_cache.lock);
	i = token_cache_find(sha256);
	if (i < TOKEN_CACHE && mono_sec() < token_cache.until[i])
		role = token_cache.role[i];
	pthread_rwlock_unlock(&token_cache.lock);
	return role;
}

/* role NONE (revoked): the entry goes stale at once; it is reused by the next token. */
static void token_cache_put(const char *sha256, enum store_role role)
{
	size_t i;

	pthread_rwlock_wrlock(&token_cache.lock);
	i = token_cache_find(sha256);
	if (i == TOKEN_CACHE) {
		if (role == STORE_ROLE_NONE) {
			pthread_rwlock_unlock(&token_cache.lock);
			return;
		}
		i = token_cache.next++ % TOKEN_CACHE;
		memcpy(token_cache.sha256[i], sha256, 65);
		token_cache.role[i] = role;
	}
	if (role != STORE_ROLE_NONE)
		token_cache.role[i] = role;
	token_cache.until[i] = role == STORE_ROLE_NONE ? 0 : mono_sec() + TOKEN_CACHE_SEC;
	pthread_rwlock_unlock(&token_cache.lock);
}

/* --- dispatch --- */

/*
 * Segment by segment; each "*" captures a segment of at most PARAM_MAX - 1 bytes, the
 * first into param, the second into param2.
 */
static bool route_match(const char *pattern, const char *url, char *param, char *param2)
{
	unsigned stars = 0;

	while (*pattern && *url) {
		if (*pattern == '*') {
			size_t n = strcspn(url, "/");
			char *dst = stars++ == 0 ? param : param2;

			if (n == 0 || n >= PARAM_MAX)
				return false;
			memcpy(dst, url, n);
			dst[n] = '\0';
			url += n;
			pattern++;
			continue;
		}
		if (*pattern++ != *url++)
			return false;
	}
	return *pattern == '\0' && *url == '\0';
}

/* The route for url and method; *ret_status 404 or 405 when none. */
static const struct route *route_find(const char *url, const char *method, char *param,
				      char *param2, unsigned *ret_status)
{
	*ret_status = MHD_HTTP_NOT_FOUND;
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		if (!route_match(routes[i].pattern, url, param, param2))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
		*ret_status = MHD_HTTP_METHOD_NOT_ALLOWED;
	}
	return NULL;
}

static enum store_role http_auth(struct server *srv, struct MHD_Connection *conn,
				 char ret_sha256[65])
{
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	struct file_hashes h;
	enum store_role role;
	size_t n;

	if (!a || strncmp(a, "Bearer ", 7) != 0)
		return STORE_ROLE_NONE;
	a += 7;
	n = strlen(a);
	if (n < TOKEN_LEN_MIN || n > TOKEN_LEN_MAX || hash_buf(a, n, &h) < 0)
		return STORE_ROLE_NONE;
	role = token_cache_get(h.sha256);
	if (role == STORE_ROLE_NONE) {
		if (store_token_role(srv->store, h.sha256, &role) < 0) {
			token_cache_put(h.sha256, STORE_ROLE_NONE);
			return STORE_ROLE_NONE;
		}
		token_cache_put(h.sha256, role);
	}
	memcpy(ret_sha256, h.sha256, 65);
	return role;
}

static bool request_multipart(const struct request *req)
{
	const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						     "Content-Type");

	return req->route->fn == route_submit && ct &&
	       strncasecmp(ct, "multipart/form-data", strlen("multipart/form-data")) == 0;
}

/* The largest body a route takes; a multipart object may bring its framing. */
static uint64_t request_body_max(const struct server *srv, const struct request *req)
{
	if (!route_body_to_file(req->route))
		return req->route->body_max ? req->route->body_max : JSON_BODY_MAX;
	return route_file_max(srv, req->route) + (request_multipart(req) ? MULTIPART_SLACK : 0);
}

/* Route, token and size are checked before any body is read. 0: go on. */
static unsigned http_admit(struct server *srv, struct request *req, const char *url,
			   const char *method, struct reply *rep)
{
	const char *cl;
	unsigned status;
	bool need_auth;

	req->route = route_find(url, method, req->param, req->param2, &status);
	if (!req->route) {
		reply_error(rep, status,
			    status == MHD_HTTP_NOT_FOUND ? "no such endpoint"
							 : "method not allowed");
		return status;
	}
	need_auth = req->route->role != STORE_ROLE_NONE || srv->cfg->metrics_auth;
	req->role = need_auth ? http_auth(srv, req->conn, req->token_sha256) : STORE_ROLE_ADMIN;
	if (req->role == STORE_ROLE_NONE) {
		reply_error(rep, MHD_HTTP_UNAUTHORIZED, "a valid bearer token is needed");
		return MHD_HTTP_UNAUTHORIZED;
	}
	if (req->role < req->route->role) {
		reply_error(rep, MHD_HTTP_FORBIDDEN, "this token's role may not do that");
		return MHD_HTTP_FORBIDDEN;
	}
	cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > request_body_max(srv, req)) {
		reply_error(rep, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		return MHD_HTTP_CONTENT_TOO_LARGE;
	}
	return 0;
}

/* The multipart parser, never from inside its own callback. false: the body was malformed. */
static bool request_multipart_end(struct request *req)
{
	bool ok = true;

	if (req->pp)
		ok = MHD_destroy_post_processor(req->pp) == MHD_YES;
	req->pp = NULL;
	return ok;
}

static void request_drop_body(struct request *req)
{
	free(req->body);
	req->body = NULL;
	if (req->fd >= 0)
		close(req->fd);
	req->fd = -1;
	req->len = req->cap = 0;
}

/* An object upload: appended to its unnamed file, never held in memory. */
/* An object upload: appended to its unnamed file, never held in memory. A full disk
 * drops the body and is answered 507 when the request ends. */
static int request_append_object(struct server *srv, struct request *req, const char *data,
				 size_t n)
{
	int r = 0;

	if (req->no_space)
		return 0;
	if (req->fd < 0)
		r = store_tmpfile(srv->store, &req->fd);
	if (r >= 0)
		r = fd_write_all(req->fd, data, n);
	if (errno_no_space(r)) {
		log_warn("http: the data directory's disk is full: an upload is refused");
		req->no_space = true;
		request_drop_body(req);
		return 0;
	}
	if (r < 0)
		return log_errno(-EIO, "http: cannot buffer an upload");
	req->len += n;
	return 0;
}

static int request_append(struct server *srv, struct request *req, const char *data, size_t n)
{
	bool object = route_body_to_file(req->route);
	size_t max = object ? route_file_max(srv, req->route)
			    : req->route->body_max ? req->route->body_max : JSON_BODY_MAX;
	char *p;

	if (req->too_big || !req->route->body)
		return 0;
	if (req->len + n > max) {
		req->too_big = true;
		request_drop_body(req);
		return 0;
	}
	if (object)
		return request_append_object(srv, req, data, n);
	if (req->len + n + 1 > req->cap) {
		size_t cap = MAX(req->cap * 2, req->len + n + 1);

		p = realloc(req->body, MIN(cap, max + 1));
		if (!p)
			return -ENOMEM;
		req->body = p;
		req->cap = MIN(cap, max + 1);
	}
	memcpy(req->body + req->len, data, n);
	req->len += n;
	req->body[req->len] = '\0';
	return 0;
}

/*
 * A part of a multipart body: the "file" field goes to the object's unnamed file as a raw
 * body would; other fields are ignored; a second file field is refused.
 */
static enum MHD_Result multipart_part(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *filename, const char *content_type,
				      const char *transfer_encoding, const char *data,
				      uint64_t off, size_t size)
{
	struct request *req = cls;

	if (!key || strcmp(key, MULTIPART_FIELD) != 0) {
		req->file_done = req->file_seen;
		return MHD_YES;
	}
	if (off == 0 && (req->file_done || (req->file_seen && req->len > 0))) {
		req->multipart_bad = true;
		return MHD_NO;
	}
	req->file_seen = true;
	if (size == 0)
		return MHD_YES;
	if (req->len + size > req->srv->cfg->object_max) {
		req->too_big = true;
		return MHD_NO;
	}
	if (request_append_object(req->srv, req, data, size) < 0)
		return MHD_NO;
	return req->no_space ? MHD_NO : MHD_YES;
}

/* Raw multipart bytes through libmicrohttpd's parser; a refusal drops the rest. */
static int multipart_feed(struct server *srv, struct request *req, const char *data, size_t n)
{
	if (req->too_big || req->multipart_bad || req->no_space || !req->pp)
		return 0;
	req->raw += n;
	if (req->raw > srv->cfg->object_max + MULTIPART_SLACK)
		req->too_big = true;
	else if (MHD_post_process(req->pp, data, n) == MHD_NO && !req->too_big && !req->no_space)
		req->multipart_bad = true;
	if (req->too_big || req->multipart_bad || req->no_space) {
		request_multipart_end(req);
		request_drop_body(req);
	}
	return 0;
}

/* A multipart submission gets its parser; -EINVAL (answered 400) without a boundary. */
static int request_multipart_start(struct request *req, struct reply *rep)
{
	if (!request_multipart(req))
		return 0;
	req->multipart = true;
	req->pp = MHD_create_post_processor(req->conn, MULTIPART_BUFFER, multipart_part, req);
	if (!req->pp) {
		reply_error(rep, MHD_HTTP_BAD_REQUEST, "a multipart body needs a boundary");
		return -EINVAL;
	}
	return 0;
}

static enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *req = *con_cls;
	struct reply rep = {0};

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->conn = conn;
		req->srv = srv;
		req->fd = -1;
		req->start = time(NULL);
		*con_cls = req;
		conn_in_request(conn, true);
		__atomic_add_fetch(&srv->requests, 1, __ATOMIC_RELAXED);
		if (http_admit(srv, req, url, method, &rep) != 0 ||
		    request_multipart_start(req, &rep) < 0) {
			req->answered = true;
			return reply_send(conn, &rep);
		}
		return MHD_YES;
	}
	if (req->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!req->waiting && time(NULL) - req->start > (time_t)srv->cfg->request_timeout)
		return MHD_NO; /* a client too slow to send its request is cut off */
	if (*upload_data_size > 0) {
		if (req->multipart)
			multipart_feed(srv, req, upload_data, *upload_data_size);
		else if (request_append(srv, req, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->pp && !request_multipart_end(req))
		req->multipart_bad = true;
	req->answered = true;
	req->route->fn(srv, req, &rep);
	if (rep.suspended) {
		req->answered = false; /* resumed, the route runs again */
		return MHD_YES;
	}
	return reply_send(conn, &rep);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	conn_in_request(conn, false);
	if (!req)
		return;
	request_multipart_end(req);
	request_drop_body(req);
	free(req);
	*con_cls = NULL;
}

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512], esc[600];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	escape_printable(buf, strcspn(buf, "\n"), esc, sizeof(esc));
	log_warn("http: %s", esc);
}

int http_start(struct server *srv, struct http **ret)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	struct http *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->srv = srv;
	if (srv->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		free(h);
		return log_errno(-EOPNOTSUPP, "http: this libmicrohttpd has no TLS");
	}
	if (srv->tls_cert_pem)
		flags |= MHD_USE_TLS;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, http_handle, srv, MHD_OPTION_EXTERNAL_LOGGER, http_log, srv,
		MHD_OPTION_LISTEN_SOCKET, srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, srv->cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg->connection_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, http_connection, srv,
		srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key_pem, MHD_OPTION_END);
	if (!h->daemon) {
		free(h);
		return log_errno(-EIO, "http: cannot start libmicrohttpd");
	}
	if (waiters_start(srv) < 0) {
		MHD_stop_daemon(h->daemon);
		free(h);
		return log_errno(-EAGAIN, "http: cannot start the long-poll timer");
	}
	*ret = h;
	return 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	waiters_stop();
	MHD_stop_daemon(h->daemon);
	free(h);
}
