/* SPDX-License-Identifier: MIT */
#include "detonator.h"

#include "analysis.h"
#include "bundle.h"
#include "capture.h"
#include "config.h"
#include "cgroup.h"
#include "fileio.h"
#include "jobmsg.h"
#include "log.h"
#include "macros.h"
#include "report.h"
#include "rulesinstall.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define JOBS_DIR            "/run/sandtrap/jobs"
#define OBJECT_MAX          (256ull << 20)
#define DETONATOR_SLOTS_MAX 64

struct worker {
	pid_t pid;
	int64_t job_id;
};

/*
 * A job that arrived while every slot was busy. A worker sends its result before it
 * exits, so the HTTP process may send the next job a moment before that worker is reaped:
 * the job waits here for the slot instead of failing.
 */
struct pending_job {
	struct jobmsg_job job;
	int fd;
};

struct detonator {
	struct detonator_config *cfg; /* cfg->rules changes on SIGHUP */
	struct worker workers[DETONATOR_SLOTS_MAX];
	struct pending_job pending[DETONATOR_SLOTS_MAX];
	unsigned npending;
	unsigned busy;
	pid_t rules_pid; /* the worker installing a rules bundle, one at a time */
	int64_t rules_id;
	bool http_gone;
	int http_status;
};

static void detonator_fail(int sock, int64_t id, int err, const char *why)
{
	struct jobmsg_result res = {.magic = JOBMSG_MAGIC, .status = err, .id = id};

	snprintf(res.why, sizeof(res.why), "%s", why);
	jobmsg_result_send(sock, &res, -1);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* The object, copied into a root-only job directory: the guest's view of "sample". */
static int worker_prepare(const struct jobmsg_job *job, int obj_fd, char *dir, size_t dirsz)
{
	char path[256];
	_cleanup_close_ int out = -1;
	int r;

	snprintf(dir, dirsz, JOBS_DIR "/%d-%lld", getpid(), (long long)job->id);
	r = mkdir_p_at(AT_FDCWD, JOBS_DIR, 0700);
	if (r < 0 || mkdir(dir, 0700) < 0)
		return log_errno(r < 0 ? r : neg_errno(), "detonator: cannot create '%s'", dir);
	snprintf(path, sizeof(path), "%s/sample", dir);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (out < 0)
		return log_errno(neg_errno(), "detonator: cannot create '%s'", path);
	if (lseek(obj_fd, 0, SEEK_SET) < 0)
		return log_errno(neg_errno(), "detonator: job %lld: object fd", (long long)job->id);
	return fd_copy(obj_fd, out, OBJECT_MAX);
}

static int worker_report_fd(struct report *rep, int *ret_fd)
{
	_cleanup_close_ int fd = memfd_create("sandtrap-report", MFD_CLOEXEC);
	FILE *f;
	int r;

	if (fd < 0)
		return neg_errno();
	f = fdopen(dup(fd), "w");
	if (!f)
		return -ENOMEM;
	r = report_write_json(rep, f);
	if (fclose(f) != 0 && r >= 0)
		r = -EIO;
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

struct worker_note {
	int sock;
	int64_t id;
};

/* The HTTP process shows "scoring" from here on (GET /api/v1/submissions/{id}). */
static void worker_on_judging(void *userdata)
{
	const struct worker_note *n = userdata;
	int r = jobmsg_progress_send(n->sock, n->id, JOBMSG_PHASE_SCORING);

	if (r < 0)
		log_errno(r, "detonator: job %lld: cannot send its progress", (long long)n->id);
}

static int worker_analyse(const struct detonator_config *cfg, const struct jobmsg_job *job,
			  const char *dir, char *why, size_t whysz, int *ret_fd)
{
	struct analysis_options o;
	struct capture *cap = NULL;
	struct report *rep = NULL;
	char path[256], report_dir[256];
	int r;

	snprintf(path, sizeof(path), "%s/sample", dir);
	snprintf(report_dir, sizeof(report_dir), "%s/report", dir);
	analysis_options_default(&o);
	o.path = path;
	o.timeout_sec = job->timeout_sec;
	o.report_dir = report_dir;
	o.rules = cfg->rules;
	o.image_dir = cfg->image_dir;
	o.on_judging = worker_on_judging;
	o.userdata = &(struct worker_note){.sock = cfg->sock, .id = job->id};

	r = capture_new(&cap);
	if (r < 0) {
		snprintf(why, whysz, "cannot load the eBPF capture: %s", strerror(-r));
		return r;
	}
	r = analysis_run(cap, &o, &rep, why, whysz);
	if (r == -EMEDIUMTYPE || r == -EFBIG) {
		char type[JOBMSG_WHY_MAX];

		snprintf(type, sizeof(type), "%s", why);
		snprintf(why, whysz, "unsupported object type: %.160s", type);
	}
	if (r >= 0)
		r = worker_report_fd(rep, ret_fd);
	else if (!why[0])
		snprintf(why, whysz, "analysis failed: %s", strerror(-r));
	report_free(rep);
	capture_free(cap);
	return r;
}

static bool worker_sha256_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

/*
 * The dropped files the analysis saved (report/dropped/<sha256>, 0400, root's) cross to
 * the HTTP process as read-only descriptors, one message each, before the result: it
 * stores them; nothing it could write to is handed over, and it never reads this
 * directory by path.
 */
static void worker_send_artefacts(const struct detonator_config *cfg, int64_t id,
				  const char *dir)
{
	char path[256];
	_cleanup_close_ int dfd = -1;
	uint64_t total = 0;
	unsigned sent = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/report/dropped", dir);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return; /* nothing was dropped */
	d = fdopendir(dup(dfd));
	if (!d)
		return;
	while ((de = readdir(d)) && sent < JOBMSG_ARTEFACTS_MAX) {
		_cleanup_close_ int fd = -1;
		struct stat st;
		int r;

		if (!worker_sha256_name(de->d_name))
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size > JOBMSG_ARTEFACT_MAX ||
		    total + (uint64_t)st.st_size > JOBMSG_ARTEFACTS_BYTES_MAX)
			continue;
		r = jobmsg_artefact_send(cfg->sock, id, de->d_name, fd);
		if (r < 0) {
			log_errno(r, "detonator: job %lld: cannot send artefact %s", (long long)id,
				  de->d_name);
			break;
		}
		total += (uint64_t)st.st_size;
		sent++;
	}
	closedir(d);
}

/* The worker: one job, one guest, one result message, then it exits. */
static int worker_main(const struct detonator_config *cfg, const struct jobmsg_job *job, int obj_fd)
{
	struct jobmsg_result res = {.magic = JOBMSG_MAGIC, .id = job->id};
	char dir[128];
	_cleanup_close_ int report_fd = -1;
	int r;

	r = worker_prepare(job, obj_fd, dir, sizeof(dir));
	close(obj_fd);
	if (r < 0)
		snprintf(res.why, sizeof(res.why), "cannot prepare the job: %s", strerror(-r));
	else
		r = worker_analyse(cfg, job, dir, res.why, sizeof(res.why), &report_fd);
	if (r >= 0)
		worker_send_artefacts(cfg, job->id, dir);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	res.status = r < 0 ? r : 0;
	r = jobmsg_result_send(cfg->sock, &res, r < 0 ? -1 : report_fd);
	if (r < 0)
		log_errno(r, "detonator: job %lld: cannot send the result", (long long)job->id);
	return r < 0 ? 1 : 0;
}

static int detonator_spawn(struct detonator *d, const struct jobmsg_job *job, int obj_fd)
{
	sigset_t all;
	pid_t pid;

	if (d->busy >= d->cfg->slots) {
		detonator_fail(d->cfg->sock, job->id, -EBUSY, "every detonation slot is busy");
		return -EBUSY;
	}
	pid = fork();
	if (pid < 0) {
		detonator_fail(d->cfg->sock, job->id, neg_errno(), "cannot fork a worker");
		return log_errno(neg_errno(), "detonator: cannot fork");
	}
	if (pid == 0) {
		/* Its own process group: a terminal's ^C stops the server, not a job. */
		setpgid(0, 0);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(worker_main(d->cfg, job, obj_fd));
	}
	for (unsigned i = 0; i < ARRAY_SIZE(d->workers); i++)
		if (d->workers[i].pid == 0) {
			d->workers[i] = (struct worker){.pid = pid, .job_id = job->id};
			break;
		}
	d->busy++;
	log_info("detonator: job %lld in worker %d (timeout %u s)", (long long)job->id, pid,
		 job->timeout_sec);
	return 0;
}

static void detonator_rules_fail(int sock, int64_t id, int err, const char *why)
{
	struct jobmsg_result res = {.magic = JOBMSG_RULES_MAGIC, .status = err, .id = id};

	snprintf(res.why, sizeof(res.why), "%s", why);
	jobmsg_result_send(sock, &res, -1);
}

/*
 * The bundle (the HTTP process's directory at dirfd) copied into a root-only directory
 * first: what is validated and installed cannot change underneath. Then exactly what
 * `sandtrap rules install` does. Exit status 0 when installed.
 */
static int rules_worker_main(const struct detonator_config *cfg, int64_t id, int dirfd)
{
	struct jobmsg_result res = {.magic = JOBMSG_RULES_MAGIC, .id = id};
	struct ruleset *rs = NULL;
	struct rules_counts n;
	char staging[128], err[512] = "";
	_cleanup_close_ int sfd = -1;
	struct stat st;
	int r;

	snprintf(staging, sizeof(staging), JOBS_DIR "/%d-0", getpid());
	r = mkdir_p_at(AT_FDCWD, JOBS_DIR, 0700);
	if (r >= 0 && mkdir(staging, 0700) < 0)
		r = neg_errno();
	if (r >= 0)
		sfd = open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r < 0 || sfd < 0) {
		r = r < 0 ? r : neg_errno();
		snprintf(err, sizeof(err), "cannot create '%s': %s", staging, strerror(-r));
	} else if (fstat(dirfd, &st) < 0 || st.st_uid == 0) {
		r = -EPERM;
		snprintf(err, sizeof(err), "the bundle is not the HTTP process's");
	} else {
		r = bundle_copy(dirfd, st.st_uid, sfd, err, sizeof(err));
	}
	if (r >= 0 && rules_install_validate(staging, NULL, &rs, err, sizeof(err)) < 0)
		r = -EINVAL;
	if (r >= 0 &&
	    rules_install_put(staging, cfg->rules_installed, rs->version, err, sizeof(err)) < 0)
		r = -EIO;
	if (r >= 0) {
		rules_install_counts(rs, &n);
		snprintf(res.why, sizeof(res.why), "%s %zu %zu %zu", rs->version, n.behaviour,
			 n.yara, n.hashes);
		log_info("detonator: rules bundle %lld installed: %s", (long long)id, rs->version);
	} else {
		res.status = r == -EIO ? -EIO : -EINVAL; /* the server's fault, or the bundle's */
		snprintf(res.why, sizeof(res.why), "%.*s", (int)sizeof(res.why) - 1, err);
	}
	ruleset_free(rs);
	nftw(staging, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (jobmsg_result_send(cfg->sock, &res, -1) < 0)
		return 1;
	return r < 0 ? 1 : 0;
}

/* A rules bundle in a worker of its own: loading and testing rules takes a while. */
static void detonator_rules_spawn(struct detonator *d, int64_t id, int dirfd)
{
	sigset_t none;
	pid_t pid;

	if (d->rules_pid > 0) {
		detonator_rules_fail(d->cfg->sock, id, -EBUSY,
				     "another rules bundle is being installed");
		return;
	}
	pid = fork();
	if (pid < 0) {
		detonator_rules_fail(d->cfg->sock, id, neg_errno(), "cannot fork a worker");
		return;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(rules_worker_main(d->cfg, id, dirfd));
	}
	d->rules_pid = pid;
	d->rules_id = id;
	log_info("detonator: rules bundle %lld in worker %d", (long long)id, pid);
}

static int detonator_read_job(struct detonator *d)
{
	struct jobmsg_job job;
	int fd = -1, r;

	r = jobmsg_job_recv(d->cfg->sock, &job, &fd);
	if (r == -EBADMSG) {
		log_warn("detonator: refused a malformed job message");
		return 0;
	}
	if (r == 1) {
		detonator_rules_spawn(d, job.id, fd);
		close(fd);
		return 0;
	}
	if (r < 0 || job.id == 0)
		return -ECONNRESET;
	if (d->busy >= d->cfg->slots && d->npending < ARRAY_SIZE(d->pending)) {
		d->pending[d->npending++] = (struct pending_job){.job = job, .fd = fd};
		return 0;
	}
	r = detonator_spawn(d, &job, fd);
	close(fd);
	return 0;
}

/* Jobs that waited for a slot, oldest first. */
static void detonator_start_pending(struct detonator *d)
{
	while (d->npending > 0 && d->busy < d->cfg->slots) {
		struct pending_job p = d->pending[0];

		memmove(&d->pending[0], &d->pending[1], --d->npending * sizeof(d->pending[0]));
		detonator_spawn(d, &p.job, p.fd);
		close(p.fd);
	}
}

static void detonator_rules_reload(struct detonator *d)
{
	struct config_rules_dir held;
	const char *dir =
		config_rules_pick(d->cfg->rules_installed, d->cfg->rules_configured, &held);
	struct ruleset *rs;
	char err[512] = "";
	int r;

	r = ruleset_load(dir, NULL, &rs, err, sizeof(err));
	config_rules_done(&held);
	if (r < 0) {
		log_errno(r, "detonator: SIGHUP: cannot load the rules in '%s', keeping %s: %s",
			  dir, d->cfg->rules->version, err);
		return;
	}
	log_info("detonator: rules %s (were %s)", rs->version, d->cfg->rules->version);
	ruleset_free(d->cfg->rules);
	d->cfg->rules = rs;
}

/* A worker that died before sending its result still gets its job answered. */
static void detonator_reap(struct detonator *d)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == d->cfg->http_pid) {
			d->http_gone = true;
			d->http_status = status;
			continue;
		}
		if (pid == d->rules_pid) {
			d->rules_pid = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				detonator_rules_reload(d); /* new jobs use the bundle's rules */
			else if (!WIFEXITED(status))
				detonator_rules_fail(d->cfg->sock, d->rules_id, -ECHILD,
						     "the rules worker died");
			continue;
		}
		for (unsigned i = 0; i < ARRAY_SIZE(d->workers); i++) {
			struct worker *w = &d->workers[i];

			if (w->pid != pid)
				continue;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				detonator_fail(d->cfg->sock, w->job_id, -ECHILD,
					       "the detonation worker died");
			*w = (struct worker){0};
			d->busy--;
		}
	}
	detonator_start_pending(d);
	if (d->busy == 0) /* idle: the heap a burst of jobs grew goes back */
		malloc_trim(0);
}

/* Jobs started from now on use the new rules; running workers keep their copy (fork). */
static void detonator_signal(struct detonator *d, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGCHLD) {
		detonator_reap(d);
		return;
	}
	if (si.ssi_signo == SIGHUP) {
		detonator_rules_reload(d);
		kill(d->cfg->http_pid, SIGHUP);
		return;
	}
	/* SIGTERM/SIGINT: the HTTP process stops taking work and waits for what runs. */
	log_info("detonator: signal %u, asking the HTTP process %d to stop", si.ssi_signo,
		 d->cfg->http_pid);
	kill(d->cfg->http_pid, SIGTERM);
}

/* Job directories of workers that died (a kill -9 of the server) go at the next start. */
static void detonator_sweep_jobs(void)
{
	DIR *d = opendir(JOBS_DIR);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[512];
		long long id;
		int pid;

		if (sscanf(de->d_name, "%d-%lld", &pid, &id) != 2 || pid <= 0 ||
		    (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), JOBS_DIR "/%s", de->d_name);
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
}

int detonator_run(struct detonator_config *cfg)
{
	struct detonator d = {.cfg = cfg};
	sigset_t set;
	_cleanup_close_ int sfd = -1;
	bool sock_open = true;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return log_errno(neg_errno(), "detonator: cannot create a signalfd");
	detonator_reap(&d);
	cgroup_sweep_orphans();
	detonator_sweep_jobs();

	while (!d.http_gone || d.busy > 0 || d.npending > 0 || d.rules_pid > 0) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
				      {.fd = sock_open ? cfg->sock : -1, .events = POLLIN}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return log_errno(neg_errno(), "detonator: poll");
		if (p[0].revents & POLLIN)
			detonator_signal(&d, sfd);
		if (p[1].revents && detonator_read_job(&d) < 0)
			sock_open = false;
	}
	log_info("detonator: the HTTP process and every worker have ended");
	if (!WIFEXITED(d.http_status) || WEXITSTATUS(d.http_status) != 0)
		return log_errno(-ECHILD, "detonator: the HTTP process %d failed (wait status %#x)",
				 cfg->http_pid, d.http_status);
	return 0;
}
