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
#include "store.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
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

	store_counts_get(srv->store, &c);
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
	reply_json(rep, MHD_HTTP_OK, o);
}

static void route_metrics(struct server *srv, struct request *req, struct reply *rep)
{
	struct store_counts c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return reply_error(rep, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	store_counts_get(srv->store, &c);
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
	{"GET", "/api/v1/submissions/*/artefacts", STORE_ROLE_ANALYST, false, route_artefacts},
	{"GET", "/api/v1/submissions/*/artefacts/*", STORE_ROLE_ANALYST, false, route_artefact},
	{"POST", "/api/v1/rules", STORE_ROLE_ADMIN, true, route_rules_push},
};

/*
 * Known tokens (their sha256) and roles, so that a lookup costs no database query for the
 * token. Tokens are never revoked or changed, so a cached role cannot go stale; an unknown
 * token is not cached (a token made since by `sandtrap token create` is found next time).
 */
static struct {
	pthread_rwlock_t lock;
	char sha256[TOKEN_CACHE][65];
	enum store_role role[TOKEN_CACHE];
	unsigned next; /* the slot replaced next when the cache is full */
} token_cache = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static enum store_role token_cache_get(const char *sha256)
{
	enum store_role role = STORE_ROLE_NONE;

	pthread_rwlock_rdlock(&token_cache.lock);
	for (size_t i = 0; i < TOKEN_CACHE && token_cache.role[i] != STORE_ROLE_NONE; i++)
		if (memcmp(token_cache.sha256[i], sha256, 64) == 0) {
			role = token_cache.role[i];
			break;
		}
	pthread_rwlock_unlock(&token_cache.lock);
	return role;
}

static void token_cache_put(const char *sha256, enum store_role role)
{
	unsigned i;

	pthread_rwlock_wrlock(&token_cache.lock);
	i = token_cache.next++ % TOKEN_CACHE;
	memcpy(token_cache.sha256[i], sha256, 65);
	token_cache.role[i] = role;
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
		if (store_token_role(srv->store, h.sha256, &role) < 0)
			return STORE_ROLE_NONE;
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
		return JSON_BODY_MAX;
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
	size_t max = object ? route_file_max(srv, req->route) : JSON_BODY_MAX;
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
	if (time(NULL) - req->start > (time_t)srv->cfg->request_timeout)
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
	return reply_send(conn, &rep);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

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
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
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
		srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key_pem, MHD_OPTION_END);
	if (!h->daemon) {
		free(h);
		return log_errno(-EIO, "http: cannot start libmicrohttpd");
	}
	*ret = h;
	return 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
