/* SPDX-License-Identifier: MIT */
/*
 * The scheduler of the HTTP process: claims queued submissions while a slot is free,
 * hands each to the detonator with its object as a sealed memory file, and records each
 * result once. A submission is `running` in the store while the detonator has it, so a
 * crash leaves it there and the next start queues it again.
 */
#include "server.h"

#include "escape.h"
#include "fileio.h"
#include "hash.h"
#include "jobmsg.h"
#include "log.h"
#include "macros.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_MAX     (512ull << 20)
#define JSON_DEPTH_MAX 64
#define STOP_GRACE_SEC 15

bool server_verdict_fresh(const struct server *srv, const struct store_verdict *v)
{
	bool same;

	if (strcmp(v->verdict, "clean") == 0)
		return (uint64_t)(time(NULL) - v->scanned_at) < srv->cfg->clean_ttl_sec;
	pthread_mutex_lock((pthread_mutex_t *)&srv->lock);
	same = strcmp(v->rules_version, srv->rules_version) == 0;
	pthread_mutex_unlock((pthread_mutex_t *)&srv->lock);
	return same;
}

void server_wake(struct server *srv)
{
	uint64_t one = 1;

	if (write(srv->wake_fd, &one, sizeof(one)) < 0)
		log_debug("sched: wake: %m");
}

static void sched_slot_set(struct server *srv, int64_t old, int64_t new)
{
	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < SERVER_SLOTS_MAX; i++)
		if (srv->running[i] == old) {
			srv->running[i] = new;
			srv->scoring[i] = false;
			srv->artefact_bytes[i] = 0;
			srv->artefact_count[i] = 0;
			srv->busy += new ? 1 : -1;
			break;
		}
	pthread_mutex_unlock(&srv->lock);
}

/* The detonator says a job's detonation has ended: it is being judged. */
static void sched_slot_scoring(struct server *srv, int64_t id)
{
	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < SERVER_SLOTS_MAX; i++)
		if (srv->running[i] == id)
			srv->scoring[i] = true;
	pthread_mutex_unlock(&srv->lock);
}

const char *server_submission_phase(struct server *srv, const struct store_submission *sub)
{
	bool scoring = false;

	if (sub->status != STORE_RUNNING)
		return store_status_name(sub->status);
	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < SERVER_SLOTS_MAX; i++)
		scoring = scoring || (srv->running[i] == sub->id && srv->scoring[i]);
	pthread_mutex_unlock(&srv->lock);
	return scoring ? "scoring" : "running";
}

static bool sched_slot_has(struct server *srv, int64_t id)
{
	bool found = false;

	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < SERVER_SLOTS_MAX; i++)
		found = found || srv->running[i] == id;
	pthread_mutex_unlock(&srv->lock);
	return found;
}

/* One queued submission to the detonator. 1: sent; 0: nothing queued. */
static int sched_dispatch_one(struct server *srv)
{
	struct store_submission sub;
	struct jobmsg_job job = {.magic = JOBMSG_MAGIC};
	_cleanup_close_ int fd = -1;
	int r;

	r = store_submission_claim(srv->store, &sub);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = store_object_open(srv->store, sub.sha256, srv->cfg->object_max, &fd);
	if (r < 0) {
		store_submission_fail(srv->store, sub.id, "the stored object cannot be read");
		return 1;
	}
	job.id = sub.id;
	job.timeout_sec = sub.timeout_sec;
	r = jobmsg_job_send(srv->sock, &job, fd);
	if (r < 0) {
		store_submission_release(srv->store, sub.id);
		return log_errno(r, "sched: cannot send submission %" PRId64, sub.id);
	}
	sched_slot_set(srv, 0, sub.id);
	log_info("sched: submission %" PRId64 " running (%s, attempt %u)", sub.id, sub.sha256,
		 sub.attempts);
	return 1;
}

static void sched_dispatch(struct server *srv)
{
	while (srv->busy < srv->cfg->slots && sched_dispatch_one(srv) > 0)
		;
}

static void json_copy(struct json_object *o, const char *key, char *dst, size_t dstsz)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, dstsz, "%s", json_object_get_string(v));
}

/* The verdict section of a report the detonator made. */
static int sched_verdict_parse(struct json_object *root, struct store_verdict *v)
{
	struct json_object *ver, *x;

	if (!root || !json_object_object_get_ex(root, "verdict", &ver))
		return -EBADMSG;
	json_copy(ver, "result", v->verdict, sizeof(v->verdict));
	json_copy(ver, "threat", v->threat, sizeof(v->threat));
	json_copy(ver, "rules_version", v->rules_version, sizeof(v->rules_version));
	v->score = json_object_object_get_ex(ver, "score", &x) ? json_object_get_int(x) : 0;
	snprintf(v->techniques, sizeof(v->techniques), "[]");
	if (json_object_object_get_ex(ver, "techniques", &x) &&
	    json_object_is_type(x, json_type_array)) {
		const char *t = json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN);

		if (strlen(t) < sizeof(v->techniques))
			snprintf(v->techniques, sizeof(v->techniques), "%s", t);
	}
	return v->verdict[0] ? 0 : -EBADMSG;
}

static struct json_object *sched_report_parse(const char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	struct json_object *root;

	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, buf, len);
	json_tokener_free(tok);
	return root;
}

/* One dropped file of the report as an artefact: saved when its bytes are in the store. */
static void sched_artefact_from(struct server *srv, struct json_object *d,
				struct store_artefact *a)
{
	struct json_object *x;

	memset(a, 0, sizeof(*a));
	json_copy(d, "path", a->path, sizeof(a->path));
	json_copy(d, "sha256", a->sha256, sizeof(a->sha256));
	if (json_object_object_get_ex(d, "size", &x))
		a->size = (uint64_t)json_object_get_int64(x);
	json_copy(d, "reason", a->reason, sizeof(a->reason));
	if (!a->sha256[0] || store_object_exists(srv->store, a->sha256) != 1) {
		a->saved = false;
		if (!a->reason[0])
			snprintf(a->reason, sizeof(a->reason), "%s",
				 a->sha256[0] ? "its bytes did not reach the store"
					      : "no content was captured");
		return;
	}
	a->saved = true;
	a->reason[0] = '\0';
}

/* The report's dropped regular files, recorded with the submission. */
static int sched_artefacts_record(struct server *srv, int64_t id, struct json_object *root)
{
	_cleanup_free_ struct store_artefact *a = NULL;
	struct json_object *dropped;
	size_t n = 0, len;

	if (!json_object_object_get_ex(root, "dropped", &dropped) ||
	    !json_object_is_type(dropped, json_type_array))
		return 0;
	len = MIN(json_object_array_length(dropped), (size_t)JOBMSG_ARTEFACTS_MAX);
	a = calloc(len + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		struct json_object *d = json_object_array_get_idx(dropped, i);
		char kind[16];

		json_copy(d, "kind", kind, sizeof(kind));
		if (strcmp(kind, "file") == 0)
			sched_artefact_from(srv, d, &a[n++]);
	}
	return store_artefacts_put(srv->store, id, a, n);
}

static int sched_record(struct server *srv, const struct jobmsg_result *res, int fd)
{
	struct store_submission sub;
	struct store_verdict v = {0};
	struct json_object *root, *ev;
	const char *text;
	int64_t ev_agent = 0;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = store_submission_get(srv->store, res->id, &sub);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0 || fd_read_all(fd, REPORT_MAX, &buf, &len) < 0)
		return log_errno(-EIO, "sched: submission %" PRId64 ": cannot read the report",
				 res->id);
	root = sched_report_parse(buf, len);
	r = sched_verdict_parse(root, &v);
	if (r < 0) {
		json_object_put(root);
		return log_errno(r, "sched: submission %" PRId64 ": report without a verdict",
				 res->id);
	}
	memcpy(v.sha256, sub.sha256, sizeof(v.sha256));
	v.scanned_at = time(NULL);
	/* The agents' event goes in with the verdict: one transaction, one crash-safe fact. */
	ev = server_event_verdict_new(&sub, &v, &ev_agent);
	text = ev ? json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN) : NULL;
	if (text && strlen(text) >= STORE_EVENT_MAX) {
		log_warn("sched: submission %" PRId64 ": its verdict event is too long to send",
			 res->id);
		text = NULL;
	}
	r = store_result_put_event(srv->store, res->id, &v, buf, len, ev_agent, text);
	json_object_put(ev);
	if (r >= 0 && text)
		http_events_notify(ev_agent);
	if (r == -EALREADY)
		log_warn("sched: submission %" PRId64 ": result already recorded", res->id);
	if (r >= 0 && sched_artefacts_record(srv, res->id, root) < 0)
		log_warn("sched: submission %" PRId64 ": cannot record its artefacts", res->id);
	json_object_put(root);
	return r;
}

/* A dropped file of a running job into the store, as an object (compressed, 0400). */
static void sched_artefact(struct server *srv, const struct jobmsg_result *res, int fd)
{
	struct file_hashes h;
	struct stat st;
	unsigned slot;
	int r;

	for (slot = 0; slot < SERVER_SLOTS_MAX; slot++)
		if (srv->running[slot] == res->id)
			break;
	if (slot == SERVER_SLOTS_MAX) {
		log_warn("sched: an artefact for submission %" PRId64 " that is not running",
			 res->id);
		return;
	}
	if (fstat(fd, &st) < 0 || srv->artefact_count[slot] >= JOBMSG_ARTEFACTS_MAX ||
	    srv->artefact_bytes[slot] + (uint64_t)st.st_size > JOBMSG_ARTEFACTS_BYTES_MAX) {
		log_warn("sched: submission %" PRId64 ": artefact %s is over the limits", res->id,
			 res->why);
		return;
	}
	srv->artefact_count[slot]++;
	srv->artefact_bytes[slot] += (uint64_t)st.st_size;
	/* Named by its digest: what is stored under a sha256 must have it. */
	if (lseek(fd, 0, SEEK_SET) < 0 || hash_fd(fd, JOBMSG_ARTEFACT_MAX, &h) < 0 ||
	    strcmp(h.sha256, res->why) != 0) {
		log_warn("sched: submission %" PRId64 ": artefact %s does not match its sha256",
			 res->id, res->why);
		return;
	}
	r = store_object_put_fd(srv->store, h.sha256, fd);
	if (r < 0)
		log_errno(r, "sched: submission %" PRId64 ": cannot store artefact %s", res->id,
			  h.sha256);
}

static void sched_result(struct server *srv, const struct jobmsg_result *res, int fd)
{
	bool ok = false;

	if (!sched_slot_has(srv, res->id)) {
		log_warn("sched: result for submission %" PRId64 " that is not running", res->id);
		return;
	}
	sched_slot_set(srv, res->id, 0);
	if (res->status == 0 && sched_record(srv, res, fd) >= 0) {
		ok = true;
		log_info("sched: submission %" PRId64 " done", res->id);
	} else {
		char why[JOBMSG_WHY_MAX];

		snprintf(why, sizeof(why), "%s",
			 res->status < 0 && res->why[0] ? res->why
							: "the result could not be recorded");
		char esc[4 * JOBMSG_WHY_MAX];

		store_submission_fail(srv->store, res->id, why);
		/* The reason may quote the object (its type as libmagic read it). */
		escape_printable(why, strlen(why), esc, sizeof(esc));
		log_warn("sched: submission %" PRId64 " failed: %s", res->id, esc);
	}
	pthread_mutex_lock(&srv->lock);
	if (ok)
		srv->analyses_done++;
	else
		srv->analyses_failed++;
	pthread_mutex_unlock(&srv->lock);
}

/* -ECONNRESET when the detonator has gone. */
static int sched_read_result(struct server *srv)
{
	struct jobmsg_result res;
	int fd = -1, r;

	r = jobmsg_result_recv(srv->sock, &res, &fd);
	if (r == -EBADMSG) {
		log_warn("sched: a malformed result message was dropped");
		return 0;
	}
	if (r < 0)
		return r;
	if (r == 1) {
		sched_slot_scoring(srv, res.id);
		return 0;
	}
	if (r == 2) {
		sched_artefact(srv, &res, fd);
		close(fd);
		return 0;
	}
	if (r == 3) {
		server_rules_answer(srv, &res);
		return 0;
	}
	sched_result(srv, &res, fd);
	if (fd >= 0)
		close(fd);
	if (srv->busy == 0) /* idle: the heap a burst of results grew goes back */
		malloc_trim(0);
	return 0;
}

/* What still runs when the grace period ends goes back to the queue for the next start. */
static void sched_release_all(struct server *srv)
{
	for (unsigned i = 0; i < SERVER_SLOTS_MAX; i++)
		if (srv->running[i]) {
			store_submission_release(srv->store, srv->running[i]);
			log_info("sched: submission %" PRId64 " re-queued", srv->running[i]);
			srv->running[i] = 0;
		}
	srv->busy = 0;
}

int sched_run(struct server *srv, int sigfd)
{
	bool stopping = false;
	time_t deadline = 0;

	for (;;) {
		struct pollfd p[3] = {{.fd = srv->sock, .events = POLLIN},
				      {.fd = srv->wake_fd, .events = POLLIN},
				      {.fd = sigfd, .events = POLLIN}};
		uint64_t n;

		if (!stopping)
			sched_dispatch(srv);
		if (stopping && (srv->busy == 0 || time(NULL) >= deadline))
			break;
		if (poll(p, 3, 1000) < 0 && errno != EINTR)
			return log_errno(neg_errno(), "sched: poll");
		if (p[0].revents && sched_read_result(srv) < 0) {
			log_error("sched: the detonator has gone; stopping");
			break;
		}
		if ((p[1].revents & POLLIN) && read(srv->wake_fd, &n, sizeof(n)) < 0)
			log_debug("sched: wake: %m");
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				server_rescorer_request(srv, true);
				continue;
			}
			if (!stopping) {
				stopping = true;
				deadline = time(NULL) + srv->cfg->default_timeout + STOP_GRACE_SEC;
				log_info("sched: stopping: %u running, waiting up to %lld s",
					 srv->busy, (long long)(deadline - time(NULL)));
			}
		}
	}
	sched_release_all(srv);
	return 0;
}
