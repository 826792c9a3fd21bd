/* SPDX-License-Identifier: MIT */
/* The agent's shared state: set-up, verdicts, the job queue, policy and statistics. */
#include "agent.h"

#include "fan.h"
#include "pkgtrust.h"
#include "quarantine.h"
#include "respond.h"
#include "spool.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static void agent_wake(struct agent *a)
{
	uint64_t one = 1;

	if (write(a->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn_errno(neg_errno(), "agent: cannot wake the decision loop");
}

static int agent_state_open(struct agent *a)
{
	const char *dir = a->cfg->state_dir;
	char path[4096];
	int r = mkdir_p_at(AT_FDCWD, dir, 0700);

	if (r < 0)
		return log_errno(r, "agent: cannot create the state directory '%s'", dir);
	chmod(dir, 0700);
	snprintf(path, sizeof(path), "%s/verdicts.db", dir);
	r = vcache_open(path, &a->vc);
	if (r < 0)
		return log_errno(r, "agent: cannot open the verdict cache '%s'", path);
	snprintf(path, sizeof(path), "%s/spool", dir);
	r = spool_open(path, &a->spool);
	if (r < 0)
		return log_errno(r, "agent: cannot open the spool '%s'", path);
	return 0;
}

/* Leftovers of a quarantine that a crash cut short: nothing else writes there now. */
static void agent_quarantine_sweep(struct agent *a)
{
	char qdir[4096];
	unsigned n = 0;
	int r;

	snprintf(qdir, sizeof(qdir), "%s/quarantine", a->cfg->state_dir);
	r = quarantine_sweep(qdir, 600, &n);
	if (r < 0)
		log_warn_errno(r, "agent: cannot look for quarantine leftovers in '%s'", qdir);
	else if (n)
		log_info("agent: %u leftovers of interrupted quarantines removed", n);
}

/*
 * An isolation outlives the agent and the boot: put back what STATE/isolation.json says
 * (the worker applies it when it starts), or lift it if its time passed meanwhile.
 */
static void agent_isolation_restore(struct agent *a)
{
	struct job j = {.kind = JOB_ISOLATE, .fd = -1};
	bool on;
	int64_t until;
	int r = isolation_state_load(a->cfg->state_dir, &on, &until);

	if (r < 0) {
		log_warn_errno(r, "agent: cannot read the isolation state; the host is not isolated");
		return;
	}
	if (!on)
		return;
	j.isolate = until == 0 || until > time(NULL);
	j.until = until;
	snprintf(j.p.path, sizeof(j.p.path), "(host)");
	log_info("agent: the host was isolated before this start; %s",
		 j.isolate ? "isolating it again" : "its time has passed, lifting it");
	agent_job_push(a, &j);
}

int agent_init(struct agent *a, const struct agent_config *cfg)
{
	int r;

	*a = (struct agent){.cfg = cfg, .fan_fd = -1, .wake_fd = -1};
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_mutex_init(&a->bridge_lock, NULL);
	pthread_cond_init(&a->bridge_cond, NULL);
	policy_init(&a->pol);
	if (gethostname(a->hostname, sizeof(a->hostname) - 1) < 0)
		snprintf(a->hostname, sizeof(a->hostname), "unknown");
	a->pending = calloc(AGENT_PENDING_MAX, sizeof(*a->pending));
	a->jobs = calloc(AGENT_JOBS_MAX, sizeof(*a->jobs));
	if (!a->pending || !a->jobs)
		return -ENOMEM;
	r = agent_state_open(a);
	if (r < 0)
		return r;
	/* Loaded now when trust is on here, else on its first use (a server's policy). */
	if (cfg->dpkg_dir && (!(cfg->cli_fields & PF_TRUST) || cfg->cli.trust_packages)) {
		size_t files = 0, bytes = 0;

		r = pkgtrust_open(cfg->dpkg_dir, &a->pt);
		/* Load the database now rather than on the first execution. */
		if (r == 0)
			r = pkgtrust_stats(a->pt, &files, &bytes);
		if (r < 0)
			log_warn_errno(r, "agent: no package trust from '%s'", cfg->dpkg_dir);
		else
			log_info("agent: %zu package files known from '%s'", files, cfg->dpkg_dir);
	}
	agent_isolation_restore(a);
	agent_quarantine_sweep(a);
	a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->wake_fd < 0)
		return log_errno(neg_errno(), "agent: eventfd");
	r = fan_open(&a->fan_fd);
	if (r < 0)
		return log_errno(r, "agent: cannot create the fanotify group (root is needed)");
	return agent_policy_set(a, NULL);
}

void agent_fini(struct agent *a)
{
	closep(&a->fan_fd);
	closep(&a->wake_fd);
	for (size_t i = 0; i < a->n_jobs; i++)
		closep(&a->jobs[(a->jobs_head + i) % AGENT_JOBS_MAX].fd);
	vcache_close(a->vc);
	spool_close(a->spool);
	pkgtrust_free(a->pt);
	policy_free(&a->pol);
	free(a->pending);
	free(a->jobs);
}

static bool agent_job_push_locked(struct agent *a, const struct job *j)
{
	if (a->n_jobs >= AGENT_JOBS_MAX)
		return false;
	a->jobs[(a->jobs_head + a->n_jobs++) % AGENT_JOBS_MAX] = *j;
	pthread_cond_broadcast(&a->work);
	return true;
}

bool agent_job_push(struct agent *a, const struct job *j)
{
	bool ok;

	pthread_mutex_lock(&a->lock);
	ok = agent_job_push_locked(a, j);
	pthread_mutex_unlock(&a->lock);
	if (!ok)
		log_warn("agent: the job queue is full: a job is dropped");
	return ok;
}

void agent_report(struct agent *a, const struct pending *p, const char *verdict,
		  const char *action, const char *result, const char *detail)
{
	struct job j = {.kind = JOB_REPORT, .fd = -1, .p = *p};

	snprintf(j.v.sha256, sizeof(j.v.sha256), "%s", p->sha256);
	vc_verdict_parse(verdict, &j.v.verdict);
	snprintf(j.action, sizeof(j.action), "%s", action);
	snprintf(j.result, sizeof(j.result), "%s", result);
	snprintf(j.detail, sizeof(j.detail), "%s", detail ? detail : "");
	agent_job_push(a, &j);
}

/* The pending record of sha256, taken out of the table; false when there is none. */
static bool agent_pending_take(struct agent *a, const char *sha256, struct pending *ret)
{
	for (size_t i = 0; i < a->n_pending; i++) {
		if (strcmp(a->pending[i].sha256, sha256) != 0)
			continue;
		*ret = a->pending[i];
		a->pending[i] = a->pending[--a->n_pending];
		return true;
	}
	return false;
}

void agent_verdict(struct agent *a, const struct vc_entry *v)
{
	struct vc_entry old;
	struct pending p;
	bool was_clean, threat = v->verdict == VC_SUSPICIOUS || v->verdict == VC_MALICIOUS;
	int r;

	was_clean = vcache_get(a->vc, v->sha256, &old) == 0 && old.verdict == VC_CLEAN;
	r = vcache_put(a->vc, v);
	if (r < 0)
		log_warn_errno(r, "agent: cannot cache the verdict of %s", v->sha256);
	/* A file the kernel was told to ignore as clean must be looked at again. */
	if (threat && was_clean)
		fan_flush_ignores(a->fan_fd);
	agent_wake(a);

	pthread_mutex_lock(&a->lock);
	if (v->rules_version[0] && strcmp(v->rules_version, "blocklist") != 0)
		snprintf(a->rules_version, sizeof(a->rules_version), "%s", v->rules_version);
	while (agent_pending_take(a, v->sha256, &p)) {
		struct job j = {.kind = JOB_RESPOND, .fd = -1, .p = p, .v = *v};

		if (threat && !agent_job_push_locked(a, &j))
			log_warn("agent: the job queue is full: no response for %s", v->sha256);
	}
	pthread_mutex_unlock(&a->lock);
	if (threat)
		log_warn("agent: %s is %s: %s", v->sha256, vc_verdict_name(v->verdict), v->threat);
}

int agent_policy_set(struct agent *a, const struct policy *server)
{
	struct policy p;
	int r;

	if (server)
		r = policy_copy(&p, server);
	else
		r = policy_copy(&p, &a->pol);
	if (r == 0)
		r = policy_override(&p, &a->cfg->cli, a->cfg->cli_fields);
	if (r < 0) {
		policy_free(&p);
		return r;
	}
	pthread_mutex_lock(&a->lock);
	policy_free(&a->pol);
	a->pol = p;
	a->policy_generation++;
	pthread_mutex_unlock(&a->lock);
	agent_wake(a);
	log_info("agent: policy '%s' version %lld in force: mode %s, deadline %u ms, fail %s",
		 p.name, (long long)p.version, policy_mode_name(p.mode), p.deadline_ms,
		 p.fail_closed ? "closed" : "open");
	return 0;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

int agent_stats_write(struct agent *a)
{
	struct agent_stats st;
	uint64_t *ns = NULL;
	size_t n;
	_cleanup_close_ int dirfd = -1;
	char text[1024];

	pthread_mutex_lock(&a->lock);
	st = a->st;
	pthread_mutex_unlock(&a->lock);
	n = MIN((size_t)st.n_decide, ARRAY_SIZE(st.decide_ns));
	ns = malloc((n ? n : 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	memcpy(ns, st.decide_ns, n * sizeof(*ns));
	qsort(ns, n, sizeof(*ns), cmp_u64);
	snprintf(text, sizeof(text),
		 "{\"events\": %llu, \"allowed\": %llu, \"denied\": %llu, \"held\": %llu, "
		 "\"timeouts\": %llu, \"cached\": %llu, \"trusted\": %llu, \"submitted\": %llu, "
		 "\"responses\": %llu, \"cache_entries\": %zu, \"spooled\": %u, "
		 "\"decide_samples\": %zu, \"decide_us_p50\": %.1f, \"decide_us_p90\": %.1f, "
		 "\"decide_us_p99\": %.1f}\n",
		 (unsigned long long)st.events, (unsigned long long)st.allowed,
		 (unsigned long long)st.denied, (unsigned long long)st.held,
		 (unsigned long long)st.timeouts, (unsigned long long)st.cached,
		 (unsigned long long)st.trusted, (unsigned long long)st.submitted,
		 (unsigned long long)st.responses, vcache_count(a->vc), spool_count(a->spool), n,
		 n ? ns[n / 2] / 1e3 : 0.0, n ? ns[n * 9 / 10] / 1e3 : 0.0,
		 n ? ns[n * 99 / 100] / 1e3 : 0.0);
	free(ns);
	dirfd = open(a->cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return neg_errno();
	return file_replace_at(dirfd, "stats.json", text, strlen(text), 0644);
}
