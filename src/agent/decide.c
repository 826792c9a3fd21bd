/* SPDX-License-Identifier: MIT */
/*
 * The decision loop: every permission event is answered here, at once when the answer is
 * known (our own access, not a watched kind of file, trusted, excluded, cached), or held
 * for a verdict until the policy's deadline. The kernel's answer is written before
 * anything is logged, queued or reported.
 */
#include "agent.h"
#include "exclude.h"
#include "fan.h"
#include "filetype.h"
#include "hasher.h"
#include "pkgtrust.h"
#include "spool.h"

#include "escape.h"
#include "hash.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX     1024
#define FAN_BUF_SIZE (64u << 10)
/* Larger files are hashed off the loop (about 0.6 ms a MiB here): held meanwhile. */
#define HASH_INLINE_MAX (2u << 20)
#define HASH_THREADS    2

enum outcome {
	OUT_ALLOW,
	OUT_ALLOW_IGNORE, /* allow, and no more events for this file until it changes */
	OUT_DENY,
	OUT_HOLD,
	OUT_HASH, /* held while the hasher reads it; decided when the digest is back */
};

/* One event's decision: what to answer, then what to do after answering. */
struct decision {
	enum outcome out;
	uint64_t ignore_mask;
	bool scan;    /* spool the object for the server */
	bool pending; /* it runs: remember where and by whom for the responses */
	bool known_threat;
	bool document;
	char sha256[65];
	struct vc_entry v;
	const char *why;
};

struct held {
	int fd;
	pid_t pid;
	bool hashing; /* else waiting for a verdict */
	bool answered; /* hashing, and the deadline answered it (allowed): the scan follows */
	bool allowed;
	bool exec;
	uint64_t id; /* the hasher's request */
	uint64_t t0_ns, deadline_ns;
	char sha256[65];
	struct pending p;
};

struct loop {
	struct agent *a;
	pid_t self;
	struct policy pol; /* the loop's own copy of the policy in force */
	struct exclude *ex; /* built from pol */
	unsigned generation;
	struct held *held; /* HELD_MAX, allocated: its pages are touched only as used */
	size_t n_held;
	struct hasher *hasher; /* NULL: every hash inline */
	uint64_t next_id;
	int ep, timer_fd, sig_fd;
	volatile uint64_t *alive_ns;
	char *buf;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* path is below (or is) prefix, component-wise. */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 1 && prefix[0] == '/')
		return true;
	return strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool path_under_any(const char *path, const struct strv *prefixes)
{
	for (size_t i = 0; i < prefixes->n; i++)
		if (path_under(path, prefixes->v[i]))
			return true;
	return false;
}

static int fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return neg_errno();
	buf[n] = '\0';
	return 0;
}

/* The effective uid of pid: the owner of /proc/PID. */
static uid_t pid_uid(pid_t pid)
{
	char p[32];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d", (int)pid);
	return stat(p, &st) == 0 ? st.st_uid : (uid_t)-1;
}

static unsigned threat_actions(const struct policy *pol, const struct vc_entry *v)
{
	if (v->verdict == VC_MALICIOUS)
		return pol->on_malicious | ACT_DENY; /* known-malicious is denied in every mode */
	if (v->verdict == VC_SUSPICIOUS)
		return pol->on_suspicious;
	return 0;
}

/* What the cache says: a fresh clean, a threat (fresh or not: only a re-score clears it). */
static void decide_cached(struct loop *l, struct decision *d)
{
	struct agent *a = l->a;
	char rules[48];
	unsigned acts;

	pthread_mutex_lock(&a->lock);
	snprintf(rules, sizeof(rules), "%s", a->rules_version);
	pthread_mutex_unlock(&a->lock);

	if (vcache_get(a->vc, d->sha256, &d->v) < 0)
		d->v.verdict = VC_UNKNOWN;
	if (d->v.verdict == VC_CLEAN && vcache_fresh(&d->v, time(NULL), l->pol.clean_ttl, rules)) {
		d->out = OUT_ALLOW_IGNORE;
		d->why = "cached clean";
		return;
	}
	if (d->v.verdict == VC_SUSPICIOUS || d->v.verdict == VC_MALICIOUS) {
		acts = threat_actions(&l->pol, &d->v);
		d->known_threat = true;
		d->out = (acts & ACT_DENY) && l->pol.mode != POLICY_AUDIT ? OUT_DENY : OUT_ALLOW;
		d->why = "cached threat";
		return;
	}
	d->scan = true;
	d->why = "unknown";
	if (l->pol.mode == POLICY_BLOCK) {
		d->out = OUT_HOLD;
	} else {
		d->out = OUT_ALLOW;
		d->pending = true;
	}
}

/* Everything up to the hash: is this access one the policy asks to scan at all? */
static bool decide_scope(struct loop *l, const struct fan_event *ev, const struct stat *st,
			 const char *path, struct decision *d)
{
	enum ftype t = FT_OTHER;
	bool trusted = false;

	d->out = OUT_ALLOW;
	if (!path_under_any(path, ev->exec ? &l->pol.watch : &l->pol.documents)) {
		/* The mount is marked, the path is not watched: no need to ask again. */
		d->out = OUT_ALLOW_IGNORE;
		d->ignore_mask = ev->exec ? FAN_OPEN_EXEC_PERM : FAN_OPEN_PERM;
		d->why = "outside the watched paths";
		return false;
	}
	if (l->ex && exclude_path(l->ex, path)) {
		d->why = "excluded path";
		return false;
	}
	if (l->ex && l->pol.n_exclude_users && exclude_uid(l->ex, pid_uid(ev->pid))) {
		d->why = "excluded user";
		return false;
	}
	if ((uint64_t)st->st_size > l->pol.max_size) {
		d->why = "larger than max_size";
		return false;
	}
	if (ftype_detect(ev->fd, &t) < 0)
		t = FT_OTHER;
	d->document = ftype_is_document(t);
	if (ev->exec ? (t != FT_ELF && t != FT_SCRIPT) : !d->document) {
		/* An open of a program on a document path says nothing about its execution. */
		d->out = OUT_ALLOW_IGNORE;
		d->ignore_mask = ev->exec ? FAN_OPEN_EXEC_PERM : FAN_OPEN_PERM;
		d->why = "not a scanned type";
		return false;
	}
	if (l->pol.trust_packages && l->a->pt &&
	    pkgtrust_check(l->a->pt, path, ev->fd, &trusted) == 0 && trusted) {
		d->out = OUT_ALLOW_IGNORE;
		d->why = "package-owned, unmodified";
		return false;
	}
	return true;
}

/* With the digest (r: the hash's result): the exclusions by hash, then the cache. */
static void decide_digest(struct loop *l, struct decision *d, int r)
{
	if (r < 0) {
		d->out = OUT_ALLOW;
		d->why = "unreadable";
		return;
	}
	if (l->ex && exclude_sha256(l->ex, d->sha256)) {
		d->out = OUT_ALLOW_IGNORE;
		d->why = "excluded hash";
		return;
	}
	decide_cached(l, d);
}

static int hash_inline(struct loop *l, int fd, struct decision *d)
{
	uint64_t size;

	return hash_fd_sha256(fd, l->pol.max_size, d->sha256, &size);
}

static void decide(struct loop *l, const struct fan_event *ev, const struct stat *st,
		   const char *path, struct decision *d)
{
	d->ignore_mask = FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM;
	if (!decide_scope(l, ev, st, path, d))
		return;
	if ((uint64_t)st->st_size > HASH_INLINE_MAX && l->hasher && l->n_held < HELD_MAX) {
		d->out = OUT_HASH;
		d->why = "hashing";
		return;
	}
	decide_digest(l, d, hash_inline(l, ev->fd, d));
}

static void pending_fill(struct pending *p, const struct fan_event *ev, const struct stat *st,
			 const char *path, const struct decision *d)
{
	*p = (struct pending){.dev = st->st_dev, .ino = st->st_ino, .document = d->document};
	snprintf(p->sha256, sizeof(p->sha256), "%s", d->sha256);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->uid = pid_uid(ev->pid);
	p->pids[0] = ev->pid;
	p->n_pids = 1;
}

/* Remember a running object until its verdict; a known one gets the pid added. */
static void pending_add(struct agent *a, const struct pending *p)
{
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n_pending; i++) {
		struct pending *q = &a->pending[i];

		if (strcmp(q->sha256, p->sha256) != 0)
			continue;
		if (q->n_pids < AGENT_PIDS_MAX && p->n_pids)
			q->pids[q->n_pids++] = p->pids[0];
		pthread_mutex_unlock(&a->lock);
		return;
	}
	if (a->n_pending < AGENT_PENDING_MAX)
		a->pending[a->n_pending++] = *p;
	pthread_mutex_unlock(&a->lock);
}

/* after_hash: the second half of an event counted (and held) when it came. */
static void stats_decided(struct agent *a, const struct decision *d, uint64_t ns,
			  bool after_hash)
{
	struct agent_stats *st = &a->st;

	pthread_mutex_lock(&a->lock);
	if (!after_hash)
		st->events++;
	if (d->out == OUT_DENY)
		st->denied++;
	else if (d->out == OUT_HOLD || d->out == OUT_HASH)
		st->held += !after_hash;
	else
		st->allowed++;
	if (d->known_threat || (d->why && strcmp(d->why, "cached clean") == 0))
		st->cached++;
	if (d->why && strcmp(d->why, "package-owned, unmodified") == 0)
		st->trusted++;
	if (d->scan)
		st->submitted++;
	if (d->out != OUT_HOLD && d->out != OUT_HASH)
		st->decide_ns[st->n_decide++ % ARRAY_SIZE(st->decide_ns)] = ns;
	pthread_mutex_unlock(&a->lock);
}

static void loop_hold(struct loop *l, const struct fan_event *ev, const struct pending *p)
{
	struct held *h;

	if (l->n_held >= HELD_MAX) {
		/* No room to wait: decide now, as if the deadline had passed. */
		fan_answer(l->a->fan_fd, ev->fd, !l->pol.fail_closed);
		close(ev->fd);
		log_warn("agent: %d accesses already held: pid %d decided by the failure policy",
			 HELD_MAX, (int)ev->pid);
		return;
	}
	h = &l->held[l->n_held++];
	*h = (struct held){.fd = ev->fd, .pid = ev->pid, .exec = ev->exec, .p = *p};
	h->deadline_ns = now_ns() + (uint64_t)l->pol.deadline_ms * 1000000ull;
	snprintf(h->sha256, sizeof(h->sha256), "%s", p->sha256);
}

/* Held while a hasher thread reads it; -EAGAIN when the hasher is full (hash inline). */
static int loop_hash(struct loop *l, const struct fan_event *ev, const struct pending *p,
		     uint64_t t0)
{
	struct held *h;
	int fd;

	if (l->n_held >= HELD_MAX)
		return -EAGAIN;
	fd = fcntl(ev->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return neg_errno();
	if (hasher_submit(l->hasher, ++l->next_id, fd, l->pol.max_size) < 0) {
		close(fd);
		return -EAGAIN;
	}
	loop_hold(l, ev, p); /* decide() saw room */
	h = &l->held[l->n_held - 1];
	h->hashing = true;
	h->id = l->next_id;
	h->t0_ns = t0;
	return 0;
}

/* After the answer: the scan job, the pending record, the report and the log. */
static void loop_after(struct loop *l, struct pending p, bool exec, const struct decision *d,
		       int scan_fd)
{
	struct agent *a = l->a;
	char esc[512];

	if (d->scan) {
		struct job j = {.kind = JOB_SCAN, .fd = scan_fd, .priority = d->out == OUT_HOLD,
				.p = p};

		if (scan_fd < 0 || !agent_job_push(a, &j))
			closep(&scan_fd);
	}
	if (d->pending)
		pending_add(a, &p);
	if (d->out == OUT_HOLD) {
		p.n_pids = 0; /* it has not run: nothing to kill */
		pending_add(a, &p);
	}
	if (d->known_threat)
		agent_report(a, &p, vc_verdict_name(d->v.verdict),
			     d->out == OUT_DENY ? "deny" : "allow",
			     l->pol.mode == POLICY_AUDIT ? "audit" : "ok", "known threat");
	escape_printable(p.path, strlen(p.path), esc, sizeof(esc));
	log_debug("agent: pid %d %s '%s': %s (%s)", (int)p.pids[0], exec ? "exec" : "open", esc,
		  d->out == OUT_DENY ? "deny" : d->out == OUT_HOLD ? "hold" : "allow",
		  d->why ? d->why : "");
}

static void loop_event(void *userdata, const struct fan_event *ev)
{
	struct loop *l = userdata;
	struct agent *a = l->a;
	struct decision d = {.why = NULL};
	char path[PATH_MAX];
	uint64_t t0 = now_ns();
	int scan_fd = -1;
	struct pending p;
	struct stat st;

	/* Our own accesses (the bridge, quarantine, IOC scans) never wait for us. */
	if (ev->pid == l->self || fstat(ev->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fd_path(ev->fd, path, sizeof(path)) < 0) {
		fan_answer(a->fan_fd, ev->fd, true);
		close(ev->fd);
		return;
	}
	decide(l, ev, &st, path, &d);
	if (d.out == OUT_HASH) {
		pending_fill(&p, ev, &st, path, &d);
		if (loop_hash(l, ev, &p, t0) == 0) {
			stats_decided(a, &d, 0, false);
			return;
		}
		decide_digest(l, &d, hash_inline(l, ev->fd, &d));
	}
	if (d.out == OUT_ALLOW_IGNORE)
		fan_ignore(a->fan_fd, ev->fd, d.ignore_mask);
	if (d.out != OUT_HOLD)
		fan_answer(a->fan_fd, ev->fd, d.out != OUT_DENY);
	stats_decided(a, &d, now_ns() - t0, false);

	pending_fill(&p, ev, &st, path, &d);
	if (d.scan)
		scan_fd = d.out == OUT_HOLD ? fcntl(ev->fd, F_DUPFD_CLOEXEC, 3) : ev->fd;
	if (d.out == OUT_HOLD)
		loop_hold(l, ev, &p);
	loop_after(l, p, ev->exec, &d, scan_fd);
	if (d.out != OUT_HOLD && scan_fd != ev->fd)
		close(ev->fd);
}

/* A digest is back: the rest of decide(), then the answer, as loop_event gives it. */
static void loop_hashed(struct loop *l, const struct hash_result *res)
{
	struct agent *a = l->a;
	struct decision d = {.ignore_mask = FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM};
	struct held *h = NULL;
	struct pending p;
	bool exec;
	size_t i;

	for (i = 0; i < l->n_held && !h; i++)
		if (l->held[i].hashing && l->held[i].id == res->id)
			h = &l->held[i];
	if (!h) {
		close(res->fd);
		return;
	}
	p = h->p;
	d.document = p.document;
	snprintf(d.sha256, sizeof(d.sha256), "%s", res->sha256);
	decide_digest(l, &d, res->r);
	snprintf(p.sha256, sizeof(p.sha256), "%s", d.sha256);
	if (h->answered) {
		/* The deadline answered the access; the object is still scanned (and known). */
		d.out = h->allowed ? OUT_ALLOW : OUT_DENY;
		d.pending = d.scan && h->allowed;
		exec = h->exec;
		*h = l->held[--l->n_held];
		if (!d.scan)
			close(res->fd);
		loop_after(l, p, exec, &d, d.scan ? res->fd : -1);
		return;
	}
	stats_decided(a, &d, now_ns() - h->t0_ns, true);
	if (d.out == OUT_HOLD) {
		/* Now it waits for its verdict, with the deadline it had from the start. */
		h->hashing = false;
		h->p = p;
		snprintf(h->sha256, sizeof(h->sha256), "%s", p.sha256);
		loop_after(l, p, h->exec, &d, res->fd);
		return;
	}
	if (d.out == OUT_ALLOW_IGNORE)
		fan_ignore(a->fan_fd, h->fd, d.ignore_mask);
	fan_answer(a->fan_fd, h->fd, d.out != OUT_DENY);
	close(h->fd);
	exec = h->exec;
	*h = l->held[--l->n_held];
	if (!d.scan)
		close(res->fd);
	loop_after(l, p, exec, &d, d.scan ? res->fd : -1);
}

static void loop_hashes(struct loop *l)
{
	struct hash_result res[16];
	size_t n;

	while ((n = hasher_take(l->hasher, res, ARRAY_SIZE(res))) > 0)
		for (size_t i = 0; i < n; i++)
			loop_hashed(l, &res[i]);
}

/* --- held events --- */

static void held_answer(struct loop *l, size_t i, bool allow, bool ignore)
{
	struct held *h = &l->held[i];

	if (ignore)
		fan_ignore(l->a->fan_fd, h->fd, FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM);
	fan_answer(l->a->fan_fd, h->fd, allow);
	close(h->fd);
	l->held[i] = l->held[--l->n_held];
}

/* Verdicts arrived: answer the held events they decide. */
static void held_check(struct loop *l)
{
	for (size_t i = 0; i < l->n_held;) {
		struct held h = l->held[i];
		struct vc_entry v;
		unsigned acts;

		if (h.hashing || vcache_get(l->a->vc, h.sha256, &v) < 0 || v.verdict == VC_UNKNOWN) {
			i++;
			continue;
		}
		acts = threat_actions(&l->pol, &v);
		if (v.verdict == VC_CLEAN) {
			held_answer(l, i, true, true);
			continue;
		}
		held_answer(l, i, !(acts & ACT_DENY), false);
		agent_report(l->a, &h.p, vc_verdict_name(v.verdict),
			     acts & ACT_DENY ? "deny" : "allow", "ok", "held until the verdict");
	}
}

/* Deadlines passed: the failure policy decides. Returns the nearest deadline left. */
static uint64_t held_expire(struct loop *l)
{
	uint64_t now = now_ns(), next = 0;
	bool allow;

	for (size_t i = 0; i < l->n_held;) {
		struct held h = l->held[i];

		if (h.answered) {
			i++;
			continue;
		}
		if (h.deadline_ns > now) {
			if (!next || h.deadline_ns < next)
				next = h.deadline_ns;
			i++;
			continue;
		}
		/* Only block mode waits for verdicts; a hash that overran is allowed elsewhere. */
		allow = !l->pol.fail_closed || (h.hashing && l->pol.mode != POLICY_BLOCK);
		if (h.hashing) { /* answered now; it stays listed until its digest comes */
			fan_answer(l->a->fan_fd, h.fd, allow);
			closep(&l->held[i].fd);
			l->held[i].answered = true;
			l->held[i].allowed = allow;
			i++;
		} else {
			held_answer(l, i, allow, false);
		}
		pthread_mutex_lock(&l->a->lock);
		l->a->st.timeouts++;
		pthread_mutex_unlock(&l->a->lock);
		agent_report(l->a, &h.p, "unknown", allow ? "allow" : "deny", "deadline",
			     h.hashing ? "not hashed before the deadline: scanned when it is"
				       : "no verdict before the deadline");
	}
	return next;
}

static void held_arm(struct loop *l, uint64_t next)
{
	struct itimerspec its = {0};

	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
	}
	timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void held_release_all(struct loop *l)
{
	while (l->n_held) {
		if (l->held[0].answered)
			l->held[0] = l->held[--l->n_held];
		else
			held_answer(l, 0, true, false);
	}
}

/* --- marks and policy --- */

static void loop_mark(struct loop *l)
{
	struct agent *a = l->a;
	int r;

	fan_flush(a->fan_fd);
	for (size_t i = 0; i < l->pol.watch.n; i++) {
		r = fan_mark_mount(a->fan_fd, l->pol.watch.v[i], true,
				   path_under_any(l->pol.watch.v[i], &l->pol.documents));
		if (r < 0)
			log_warn_errno(r, "agent: cannot watch '%s'", l->pol.watch.v[i]);
	}
	for (size_t i = 0; i < l->pol.documents.n; i++) {
		r = fan_mark_mount(a->fan_fd, l->pol.documents.v[i], false, true);
		if (r < 0)
			log_warn_errno(r, "agent: cannot watch documents in '%s'",
				       l->pol.documents.v[i]);
	}
}

/* Take the policy in force when it changed; re-mark when its paths did. */
static void loop_policy(struct loop *l)
{
	struct agent *a = l->a;
	struct policy p;
	bool remark;
	int r;

	pthread_mutex_lock(&a->lock);
	if (a->policy_generation == l->generation) {
		pthread_mutex_unlock(&a->lock);
		return;
	}
	r = policy_copy(&p, &a->pol);
	if (r == 0)
		l->generation = a->policy_generation;
	pthread_mutex_unlock(&a->lock);
	if (r < 0)
		return;

	remark = l->generation == 1 || p.watch.n != l->pol.watch.n ||
		 p.documents.n != l->pol.documents.n;
	for (size_t i = 0; !remark && i < p.watch.n; i++)
		remark = strcmp(p.watch.v[i], l->pol.watch.v[i]) != 0;
	for (size_t i = 0; !remark && i < p.documents.n; i++)
		remark = strcmp(p.documents.v[i], l->pol.documents.v[i]) != 0;
	policy_free(&l->pol);
	l->pol = p;
	exclude_free(l->ex);
	l->ex = NULL;
	if (exclude_new((const char *const *)p.exclude_paths.v, p.exclude_paths.n,
			(const char *const *)p.exclude_sha256.v, p.exclude_sha256.n,
			p.exclude_users, p.n_exclude_users, &l->ex) < 0)
		log_warn("agent: the policy's exclusions cannot be used: none apply");
	if (remark)
		loop_mark(l);
	else
		fan_flush_ignores(a->fan_fd); /* exclusions or trust may have changed */
}

/* --- the loop --- */

static int loop_setup(struct loop *l)
{
	struct epoll_event e = {.events = EPOLLIN};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	l->buf = malloc(FAN_BUF_SIZE);
	l->held = calloc(HELD_MAX, sizeof(*l->held));
	if (!l->held)
		return log_errno(-ENOMEM, "agent: cannot set up the loop");
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	l->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!l->buf || l->ep < 0 || l->timer_fd < 0 || l->sig_fd < 0)
		return log_errno(l->buf ? neg_errno() : -ENOMEM, "agent: cannot set up the loop");
	e.data.fd = l->a->fan_fd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->a->fan_fd, &e);
	e.data.fd = l->a->wake_fd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->a->wake_fd, &e);
	e.data.fd = l->timer_fd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->timer_fd, &e);
	e.data.fd = l->sig_fd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sig_fd, &e);
	if (hasher_new(HASH_THREADS, HELD_MAX, &l->hasher) < 0) {
		log_warn("agent: no hashing threads: large files are hashed on the decision loop");
		l->hasher = NULL;
	} else {
		e.data.fd = hasher_fd(l->hasher);
		epoll_ctl(l->ep, EPOLL_CTL_ADD, e.data.fd, &e);
	}
	return 0;
}

static void loop_teardown(struct loop *l)
{
	if (l->held)
		held_release_all(l);
	hasher_free(l->hasher); /* after the answers: a hash may take a moment to end */
	free(l->held);
	closep(&l->ep);
	closep(&l->timer_fd);
	closep(&l->sig_fd);
	free(l->buf);
	exclude_free(l->ex);
	policy_free(&l->pol);
}

/* A signal: false to stop. */
static bool loop_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			agent_stats_write(l->a);
			continue;
		}
		log_info("agent: signal %u: stopping", si.ssi_signo);
		return false;
	}
	return true;
}

static void loop_wake(struct loop *l)
{
	uint64_t n;

	if (read(l->a->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn_errno(neg_errno(), "agent: wake");
	loop_policy(l);
	held_check(l);
}

int agent_run(struct agent *a)
{
	struct loop l = {.a = a, .self = getpid(), .ep = -1, .timer_fd = -1, .sig_fd = -1};
	bool running = true;
	int r;

	policy_init(&l.pol);
	r = loop_setup(&l);
	if (r < 0)
		goto out;
	loop_policy(&l);
	while (running) {
		struct epoll_event evs[4];
		int n = epoll_wait(l.ep, evs, ARRAY_SIZE(evs), 1000);

		__atomic_store_n(&a->alive_ns, now_ns(), __ATOMIC_RELAXED);
		if (n < 0 && errno != EINTR) {
			r = log_errno(neg_errno(), "agent: epoll");
			break;
		}
		for (int i = 0; i < n && running; i++) {
			int fd = evs[i].data.fd;

			if (fd == a->fan_fd) {
				r = fan_read(a->fan_fd, l.buf, FAN_BUF_SIZE, loop_event, &l);
				if (r < 0)
					log_warn_errno(r, "agent: reading fanotify events");
			} else if (fd == a->wake_fd) {
				loop_wake(&l);
			} else if (fd == l.sig_fd) {
				running = loop_signal(&l);
			} else if (l.hasher && fd == hasher_fd(l.hasher)) {
				loop_hashes(&l);
			}
		}
		held_arm(&l, held_expire(&l));
	}
	r = 0;
out:
	loop_teardown(&l);
	return r;
}
