/* SPDX-License-Identifier: MIT */
/*
 * The worker thread: spools objects and gets them scanned (a verdict lookup first, then an
 * upload; retried with backoff while the server is away), runs the threat responses, and
 * sends every action report (kept on disk until the server has it).
 */
#include "agent.h"
#include "quarantine.h"
#include "respond.h"
#include "spool.h"

#include "escape.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOOKUP_TIMEOUT_MS 3000L
#define UPLOAD_TIMEOUT_MS 120000L
#define REPORT_TIMEOUT_MS 5000L
#define POLL_SECONDS      5
#define BACKOFF_MAX       60
#define OUTBOX_MAX        10000

struct worker {
	struct agent *a;
	struct uplink *u;
	int outbox_fd;
	unsigned seq;
};

static void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}

static int64_t backoff(unsigned tries)
{
	return MIN((int64_t)1 << MIN(tries, 6u), (int64_t)BACKOFF_MAX);
}

/* A verdict object of the API ({"verdict", "threat", ...}) as a cache entry. */
int agent_verdict_from_json(struct json_object *o, const char *sha256, struct vc_entry *ret)
{
	struct json_object *v;

	*ret = (struct vc_entry){0};
	snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha256);
	if (!json_object_object_get_ex(o, "verdict", &v) ||
	    vc_verdict_parse(json_object_get_string(v), &ret->verdict) < 0)
		return -EBADMSG;
	if (json_object_object_get_ex(o, "threat", &v) && json_object_is_type(v, json_type_string))
		snprintf(ret->threat, sizeof(ret->threat), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "rules_version", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(ret->rules_version, sizeof(ret->rules_version), "%s",
			 json_object_get_string(v));
	ret->scanned_at = json_object_object_get_ex(o, "scanned_at", &v) ?
				  json_object_get_int64(v) : time(NULL);
	return 0;
}

/* --- scanning --- */

static void worker_done(struct worker *w, const struct spool_entry *e, const struct vc_entry *v)
{
	agent_verdict(w->a, v);
	spool_remove(w->a->spool, e->sha256);
	log_info("agent: verdict for %s: %s%s%s", e->sha256, vc_verdict_name(v->verdict),
		 v->threat[0] ? " " : "", v->threat);
}

/* A fresh verdict on the server already? 1 when it settled the entry. */
static int worker_lookup(struct worker *w, const struct spool_entry *e)
{
	__attribute__((cleanup(json_object_putp))) struct json_object *o = NULL;
	struct json_object *fresh;
	struct vc_entry v;
	char path[128];
	int r;

	snprintf(path, sizeof(path), "/api/v1/verdicts/%s", e->sha256);
	r = uplink_call(w->u, "GET", path, NULL, LOOKUP_TIMEOUT_MS, &o);
	if (r < 0)
		return r;
	if (r != 200 || !o || !json_object_object_get_ex(o, "fresh", &fresh) ||
	    !json_object_get_boolean(fresh) || agent_verdict_from_json(o, e->sha256, &v) < 0)
		return 0;
	worker_done(w, e, &v);
	return 1;
}

static int worker_submit(struct worker *w, struct spool_entry *e)
{
	__attribute__((cleanup(json_object_putp))) struct json_object *o = NULL;
	_cleanup_close_ int fd = -1;
	struct json_object *id, *vo;
	struct vc_entry v;
	char path[128];
	int64_t agent_id;
	int r;

	r = worker_lookup(w, e);
	if (r != 0)
		return r < 0 ? r : 0;
	pthread_mutex_lock(&w->a->lock);
	agent_id = w->a->agent_id;
	pthread_mutex_unlock(&w->a->lock);
	/* Not enrolled yet (just started): its clean verdict would reach no agent. Later. */
	if (agent_id <= 0)
		return -ENOTCONN;
	fd = spool_object_open(w->a->spool, e->sha256);
	if (fd < 0) {
		spool_remove(w->a->spool, e->sha256);
		return log_errno(fd, "agent: the spooled copy of %s is gone", e->sha256);
	}
	snprintf(path, sizeof(path), "/api/v1/submissions?priority=%s&agent=%" PRId64,
		 e->priority ? "high" : "normal", agent_id);
	r = uplink_upload(w->u, path, fd, UPLOAD_TIMEOUT_MS, &o);
	if (r < 0)
		return r;
	if (r == 413 || r == 400) {
		log_warn("agent: the server refused %s (HTTP %d): it stays unknown", e->sha256, r);
		spool_remove(w->a->spool, e->sha256);
		return 0;
	}
	if ((r != 200 && r != 202) || !o || !json_object_object_get_ex(o, "id", &id))
		return -EAGAIN;
	if (json_object_object_get_ex(o, "verdict", &vo) &&
	    agent_verdict_from_json(vo, e->sha256, &v) == 0) {
		worker_done(w, e, &v);
		return 0;
	}
	e->submission = json_object_get_int64(id);
	e->next_try = time(NULL) + POLL_SECONDS;
	e->tries = 0;
	log_info("agent: %s submitted as %" PRId64, e->sha256, e->submission);
	return spool_update(w->a->spool, e);
}

/* The event stream usually brings the verdict first; this is the fallback. */
static int worker_poll(struct worker *w, struct spool_entry *e)
{
	__attribute__((cleanup(json_object_putp))) struct json_object *o = NULL;
	struct json_object *st, *vo;
	struct vc_entry v;
	char path[128];
	const char *status;
	int r;

	snprintf(path, sizeof(path), "/api/v1/submissions/%" PRId64, e->submission);
	r = uplink_call(w->u, "GET", path, NULL, LOOKUP_TIMEOUT_MS, &o);
	if (r < 0)
		return r;
	if (r == 404) { /* the server lost it (a new data directory): send it again */
		e->submission = 0;
		e->next_try = 0;
		return spool_update(w->a->spool, e);
	}
	if (r != 200 || !o || !json_object_object_get_ex(o, "status", &st))
		return -EAGAIN;
	status = json_object_get_string(st);
	if (strcmp(status, "done") == 0 && json_object_object_get_ex(o, "verdict", &vo) &&
	    agent_verdict_from_json(vo, e->sha256, &v) == 0) {
		worker_done(w, e, &v);
		return 0;
	}
	if (strcmp(status, "failed") == 0) {
		log_warn("agent: the server could not analyse %s: it stays unknown", e->sha256);
		spool_remove(w->a->spool, e->sha256);
		return 0;
	}
	e->next_try = time(NULL) + POLL_SECONDS;
	return spool_update(w->a->spool, e);
}

static void worker_spool(struct worker *w)
{
	struct spool_entry e;
	int64_t now = time(NULL);
	int r;

	if (!w->u || spool_next_due(w->a->spool, now, &e) < 0)
		return;
	r = e.submission ? worker_poll(w, &e) : worker_submit(w, &e);
	if (r >= 0 || !spool_has(w->a->spool, e.sha256))
		return;
	if (r == -ENOTCONN) { /* enrolment in progress: soon, and no backoff */
		e.next_try = now + 1;
		spool_update(w->a->spool, &e);
		return;
	}
	e.tries++;
	e.next_try = now + backoff(e.tries);
	spool_update(w->a->spool, &e);
	if (e.tries == 1 || e.tries % 10 == 0)
		log_warn_errno(r, "agent: cannot reach the server for %s: retrying in %" PRId64
			       " s", e.sha256, backoff(e.tries));
}

static void worker_scan(struct worker *w, struct job *j)
{
	bool added = false;
	uint64_t max;
	int r;

	pthread_mutex_lock(&w->a->lock);
	max = w->a->pol.max_size;
	pthread_mutex_unlock(&w->a->lock);
	r = spool_add(w->a->spool, j->fd, max, j->p.sha256, j->p.path, j->priority, &added);
	closep(&j->fd);
	if (r < 0)
		log_warn_errno(r, "agent: cannot spool %s", j->p.sha256);
}

/* --- reports --- */

static void user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (uid != (uid_t)-1 && getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", pw.pw_name);
	else
		snprintf(buf, size, "%d", (int)uid);
}

static void worker_report_store(struct worker *w, const struct job *j)
{
	struct json_object *o = json_object_new_object();
	char user[64], name[64], esc[512];
	const char *text;
	struct timespec ts;
	int r;

	user_name(j->p.uid, user, sizeof(user));
	json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	json_object_object_add(o, "host", json_object_new_string(w->a->hostname));
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "uid", json_object_new_int64((int64_t)(int)j->p.uid));
	json_object_object_add(o, "pid", json_object_new_int(j->p.n_pids ? j->p.pids[0] : 0));
	json_object_object_add(o, "path", json_object_new_string(j->p.path));
	json_object_object_add(o, "sha256", json_object_new_string(j->p.sha256));
	json_object_object_add(o, "verdict", json_object_new_string(vc_verdict_name(j->v.verdict)));
	json_object_object_add(o, "action", json_object_new_string(j->action));
	json_object_object_add(o, "result", json_object_new_string(j->result));
	json_object_object_add(o, "detail", json_object_new_string(j->detail));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "%020lld-%09ld-%06u.json", (long long)ts.tv_sec, ts.tv_nsec,
		 w->seq++ % 1000000);
	r = w->outbox_fd >= 0 ? file_replace_at(w->outbox_fd, name, text, strlen(text), 0600)
			      : -EBADF;
	if (r < 0)
		log_warn_errno(r, "agent: cannot keep the report of %s %s", j->action,
			       j->p.sha256);
	escape_printable(j->p.path, strlen(j->p.path), esc, sizeof(esc));
	log_msg(LOG_NOTICE, "agent: %s '%s' (%s, %s): %s%s%s", j->action, esc, j->p.sha256,
		vc_verdict_name(j->v.verdict), j->result, j->detail[0] ? ": " : "", j->detail);
	json_object_put(o);
	pthread_mutex_lock(&w->a->lock);
	w->a->outbox_due = true;
	pthread_mutex_unlock(&w->a->lock);
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Send what the outbox holds, oldest first; stop at the first failure. */
static void worker_outbox(struct worker *w)
{
	_cleanup_free_ char **names = NULL;
	char path[128];
	size_t n = 0;
	int64_t id;
	DIR *d;
	struct dirent *de;

	pthread_mutex_lock(&w->a->lock);
	id = w->a->agent_id;
	if (id > 0)
		w->a->outbox_due = false;
	pthread_mutex_unlock(&w->a->lock);
	if (!w->u || id <= 0 || w->outbox_fd < 0)
		return;
	names = calloc(OUTBOX_MAX, sizeof(*names));
	d = names ? fdopendir(fcntl(w->outbox_fd, F_DUPFD_CLOEXEC, 3)) : NULL;
	if (!d)
		return;
	rewinddir(d);
	while ((de = readdir(d)) && n < OUTBOX_MAX)
		if (strlen(de->d_name) > 5 && !strstr(de->d_name, ".tmp") &&
		    strcmp(de->d_name + strlen(de->d_name) - 5, ".json") == 0)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	snprintf(path, sizeof(path), "/api/v1/agents/%" PRId64 "/actions", id);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *buf = NULL;
		_cleanup_close_ int fd = names[i] ? openat(w->outbox_fd, names[i],
							   O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
		size_t len;
		int r = fd >= 0 ? fd_read_all(fd, 65536, &buf, &len) : -ENOENT;

		if (r == 0)
			r = uplink_call(w->u, "POST", path, buf, REPORT_TIMEOUT_MS, NULL);
		if (r < 0 && r != -ENOENT) {
			pthread_mutex_lock(&w->a->lock);
			w->a->outbox_due = true;
			pthread_mutex_unlock(&w->a->lock);
			break;
		}
		/* 201, or refused for good (a 4xx would be refused again): either way done. */
		if (names[i])
			unlinkat(w->outbox_fd, names[i], 0);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

/* --- responses --- */

/* Open the object where it was seen, only if it is still the same file. */
static int object_reopen(const struct pending *p)
{
	_cleanup_close_ int fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (st.st_dev != p->dev || st.st_ino != p->ino)
		return -ESTALE;
	return TAKE_FD(fd);
}

static void respond_report(struct worker *w, const struct job *j, const char *action, int r,
			   const char *detail)
{
	char buf[256];

	if (r < 0)
		snprintf(buf, sizeof(buf), "%s%s%s", detail ? detail : "", detail ? ": " : "",
			 strerror(-r));
	agent_report(w->a, &j->p, vc_verdict_name(j->v.verdict), action, r < 0 ? "failed" : "ok",
		     r < 0 ? buf : detail);
}

/* Quarantine (or delete) the file at the pending record's path. */
static void respond_file(struct worker *w, const struct job *j, unsigned acts)
{
	char qdir[4096];
	struct qentry q;
	int fd = object_reopen(&j->p), r;

	if (fd < 0) {
		respond_report(w, j, acts & ACT_QUARANTINE ? "quarantine" : "delete", fd,
			       "the file moved or changed");
		return;
	}
	if (acts & ACT_QUARANTINE) {
		snprintf(qdir, sizeof(qdir), "%s/quarantine", w->a->cfg->state_dir);
		r = quarantine_add(qdir, j->p.path, fd, j->p.sha256, j->v.threat, &q);
		respond_report(w, j, "quarantine", r, r >= 0 ? q.id : NULL);
	} else {
		r = unlink(j->p.path) < 0 ? neg_errno() : 0;
		respond_report(w, j, "delete", r, NULL);
	}
	close(fd);
}

static int respond_block_hash(struct worker *w, const struct job *j)
{
	struct json_object *o = json_object_new_object();
	int r;

	if (!w->u) {
		json_object_put(o);
		return -ENOTCONN;
	}
	json_object_object_add(o, "sha256", json_object_new_string(j->p.sha256));
	json_object_object_add(o, "reason", json_object_new_string(j->v.threat));
	r = uplink_call(w->u, "POST", "/api/v1/blocklist",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			REPORT_TIMEOUT_MS, NULL);
	json_object_put(o);
	return r < 0 ? r : r / 100 == 2 ? 0 : -EPROTO;
}

struct ioc_ctx {
	struct worker *w;
	const struct job *j;
	unsigned acts;
};

static void ioc_found(void *userdata, const char *path)
{
	struct ioc_ctx *c = userdata;
	struct job copy = *c->j;
	struct stat st;

	if (stat(path, &st) < 0 || (st.st_dev == c->j->p.dev && st.st_ino == c->j->p.ino))
		return;
	snprintf(copy.p.path, sizeof(copy.p.path), "%s", path);
	copy.p.dev = st.st_dev;
	copy.p.ino = st.st_ino;
	copy.p.n_pids = 0;
	respond_report(c->w, &copy, "ioc_found", 0, "a copy of the threat");
	if (c->acts & (ACT_QUARANTINE | ACT_DELETE))
		respond_file(c->w, &copy, c->acts);
}

static void respond_ioc(struct worker *w, const struct job *j, const struct policy *pol,
			unsigned acts)
{
	struct ioc_ctx c = {w, j, acts};
	unsigned found = 0;
	int r;

	if (!pol->ioc_paths.n)
		return;
	r = respond_ioc_scan((const char *const *)pol->ioc_paths.v, pol->ioc_paths.n,
			     j->p.sha256, ioc_found, &c, &found);
	respond_report(w, j, "ioc_scan", r, NULL);
}

static void worker_respond(struct worker *w, struct job *j)
{
	struct agent *a = w->a;
	struct policy pol;
	unsigned acts, killed = 0;
	char detail[64];
	int r;

	pthread_mutex_lock(&a->lock);
	r = policy_copy(&pol, &a->pol);
	a->st.responses++;
	pthread_mutex_unlock(&a->lock);
	if (r < 0)
		return;
	acts = j->v.verdict == VC_MALICIOUS ? pol.on_malicious : pol.on_suspicious;
	if (pol.mode == POLICY_AUDIT)
		acts &= ACT_REPORT;
	agent_report(a, &j->p, vc_verdict_name(j->v.verdict), "detect", "ok", j->v.threat);
	if (acts & ACT_KILL) {
		/* Held and denied, it never ran here; a copy started earlier may still run. */
		r = respond_kill(j->p.dev, j->p.ino, j->p.pids, j->p.n_pids, &killed);
		if (killed)
			snprintf(detail, sizeof(detail), "%u processes", killed);
		else
			snprintf(detail, sizeof(detail), "no process was running it");
		respond_report(w, j, "kill", r, detail);
	}
	if (acts & (ACT_QUARANTINE | ACT_DELETE))
		respond_file(w, j, acts);
	if (acts & ACT_BLOCK_HASH)
		respond_report(w, j, "block_hash", respond_block_hash(w, j), NULL);
	if (acts & ACT_ISOLATE) {
		struct job iso = {.kind = JOB_ISOLATE, .fd = -1, .isolate = true,
				  .minutes = (int)pol.isolate_minutes, .p = j->p, .v = j->v};

		agent_job_push(a, &iso);
	}
	if (acts & ACT_IOC_SCAN)
		respond_ioc(w, j, &pol, acts);
	policy_free(&pol);
}

/* --- isolation --- */

static void worker_isolate(struct worker *w, struct job *j)
{
	struct agent *a = w->a;
	char server[128], detail[160];
	const char *allow[1] = {server};
	int64_t until = j->isolate && j->minutes > 0 ? time(NULL) + 60ll * j->minutes : 0;

	if (j->isolate && j->until > 0) /* put back: the time set before */
		until = j->until;
	int r;

	if (j->isolate) {
		r = uplink_server_addr(&a->cfg->up, server, sizeof(server));
		if (r == 0)
			r = respond_isolate(allow, 1);
		snprintf(detail, sizeof(detail), "only %s reachable%s", r == 0 ? server : "?",
			 until ? ", for a set time" : ", until lifted");
	} else {
		r = respond_isolate_lift();
		snprintf(detail, sizeof(detail), "network restored");
	}
	if (r == 0) {
		pthread_mutex_lock(&a->lock);
		a->isolated = j->isolate;
		a->isolated_until = until;
		pthread_mutex_unlock(&a->lock);
		isolation_state_save(a->cfg->state_dir, j->isolate, until);
	}
	respond_report(w, j, j->isolate ? "isolate" : "unisolate", r, detail);
}

/* --- the loop --- */

static void worker_job(struct worker *w, struct job *j)
{
	switch (j->kind) {
	case JOB_SCAN:
		worker_scan(w, j);
		break;
	case JOB_RESPOND:
		worker_respond(w, j);
		break;
	case JOB_REPORT:
		worker_report_store(w, j);
		break;
	case JOB_ISOLATE:
		worker_isolate(w, j);
		break;
	case JOB_FLUSH:
		break;
	}
	closep(&j->fd);
}

/* The next job, waiting while there is none and nothing in the spool is due. */
static bool worker_next(struct worker *w, struct job *ret, bool *ret_stop)
{
	struct agent *a = w->a;
	struct timespec until;
	int64_t hint;
	bool have;

	pthread_mutex_lock(&a->lock);
	if (!a->n_jobs && !a->stopping) {
		hint = w->u ? spool_wait_hint(a->spool, time(NULL)) : -1;
		if (hint != 0) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += hint < 0 || hint > 5 ? 5 : hint;
			pthread_cond_timedwait(&a->work, &a->lock, &until);
		}
	}
	have = a->n_jobs > 0;
	if (have) {
		*ret = a->jobs[a->jobs_head];
		a->jobs_head = (a->jobs_head + 1) % AGENT_JOBS_MAX;
		a->n_jobs--;
	}
	*ret_stop = a->stopping && !have;
	pthread_mutex_unlock(&a->lock);
	return have;
}

void *agent_worker_main(void *userdata)
{
	struct worker w = {.a = userdata, .outbox_fd = -1};
	char outbox[4096];
	bool stop = false;

	snprintf(outbox, sizeof(outbox), "%s/outbox", w.a->cfg->state_dir);
	if (mkdir_p_at(AT_FDCWD, outbox, 0700) == 0)
		w.outbox_fd = open(outbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!w.a->cfg->no_server && uplink_new(&w.a->cfg->up, &w.u) < 0)
		log_error("agent: no HTTP client: the worker runs offline");
	if (w.u)
		uplink_set_cancel(w.u, &w.a->stopping);
	while (!stop) {
		struct job j;
		bool due;

		if (worker_next(&w, &j, &stop))
			worker_job(&w, &j);
		worker_spool(&w);
		pthread_mutex_lock(&w.a->lock);
		due = w.a->outbox_due;
		pthread_mutex_unlock(&w.a->lock);
		if (due)
			worker_outbox(&w);
	}
	uplink_free(w.u);
	closep(&w.outbox_fd);
	return NULL;
}
