/* SPDX-License-Identifier: MIT */
#include "analysis.h"

#include "fileio.h"
#include "guest.h"
#include "hash.h"
#include "judge.h"
#include "log.h"
#include "macros.h"
#include "netsim.h"
#include "objtype.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OBJECT_MAX_BYTES (256ull << 20)
#define DRAIN_GRACE_MS   200

void analysis_options_default(struct analysis_options *o)
{
	*o = (struct analysis_options){
		.timeout_sec = 30,
		.memory_bytes = 512ull << 20,
		.disk_bytes = 256ull << 20,
		.output_bytes = 1ull << 20,
		.pids_max = 256,
		.cpu_percent = 100,
	};
}

/* Everything one run holds while it is supervised. */
struct run {
	const struct analysis_options *o;
	struct report *report;
	struct guest *guest;
	struct netsim *netsim;
	struct capture *cap;
	struct judge *judge;
	uint64_t cgroup_id;
	int epfd;
	int timerfd;
	char *output;
	size_t output_len;
	uint64_t output_total;
	bool timed_out;
	bool empty;
	bool exec_failed;
	int main_status;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The name the guest sees: the object's base name, reduced to characters safe anywhere. */
static void analysis_sample_name(const char *path, char *out, size_t outsz)
{
	const char *base = strrchr(path, '/');
	size_t o = 0;

	base = base ? base + 1 : path;
	for (; *base && o + 1 < outsz && o < 64; base++) {
		char c = *base;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		out[o++] = ok ? c : '_';
	}
	out[o] = '\0';
	if (o == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		snprintf(out, outsz, "sample");
}

static void on_capture_event(const struct event *ev, void *userdata)
{
	struct run *run = userdata;

	if (ev->cgroup_id != run->cgroup_id)
		return;
	report_add_event(run->report, ev);
	judge_event(run->judge, ev);
}

static void on_netsim_event(const struct event *ev, void *userdata)
{
	struct run *run = userdata;

	report_add_event(run->report, ev);
	judge_event(run->judge, ev);
}

static int run_watch(struct run *run, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(run->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return log_errno(neg_errno(), "analysis: cannot watch fd %d", fd);
	return 0;
}

static void run_read_output(struct run *run)
{
	char buf[65536];
	ssize_t n = read(guest_output_fd(run->guest), buf, sizeof(buf));

	if (n <= 0) {
		epoll_ctl(run->epfd, EPOLL_CTL_DEL, guest_output_fd(run->guest), NULL);
		return;
	}
	run->output_total += n;
	/* Past the limit the output is still read, so the sample never blocks, then dropped. */
	size_t room = run->o->output_bytes - run->output_len;
	size_t take = MIN((size_t)n, room);
	memcpy(run->output + run->output_len, buf, take);
	run->output_len += take;
}

static void run_read_ctl(struct run *run)
{
	enum guest_state st;
	int status = 0;

	if (guest_ctl_read(run->guest, &st, &status) < 0) {
		run->empty = true;
		return;
	}
	switch (st) {
	case GUEST_MAIN_EXITED:
		run->main_status = status;
		break;
	case GUEST_EXEC_FAILED:
		run->exec_failed = true;
		run->main_status = status;
		break;
	case GUEST_EMPTY:
		run->empty = true;
		break;
	default:
		break;
	}
}

static void run_dispatch(struct run *run, int fd)
{
	if (run->cap && fd == capture_fd(run->cap))
		capture_consume(run->cap, on_capture_event, run);
	else if (run->netsim && fd == netsim_fd(run->netsim))
		netsim_dispatch(run->netsim);
	else if (fd == guest_output_fd(run->guest))
		run_read_output(run);
	else if (fd == guest_ctl_fd(run->guest))
		run_read_ctl(run);
	else if (fd == run->timerfd)
		run->timed_out = true;
}

static int run_supervise(struct run *run)
{
	while (!run->empty && !run->timed_out && !run->exec_failed) {
		struct epoll_event evs[8];
		int n = epoll_wait(run->epfd, evs, ARRAY_SIZE(evs), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_errno(neg_errno(), "analysis: epoll_wait");
		for (int i = 0; i < n; i++)
			run_dispatch(run, evs[i].data.fd);
	}
	return 0;
}

/* After the kill: the last events and output still in flight. */
static void run_drain(struct run *run)
{
	uint64_t until = clock_ns(CLOCK_MONOTONIC) + DRAIN_GRACE_MS * 1000000ull;
	struct epoll_event evs[8];

	while (clock_ns(CLOCK_MONOTONIC) < until) {
		int n = epoll_wait(run->epfd, evs, ARRAY_SIZE(evs), 20);

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++)
			if (evs[i].data.fd != run->timerfd && evs[i].data.fd != guest_ctl_fd(run->guest))
				run_dispatch(run, evs[i].data.fd);
	}
	if (run->cap)
		capture_consume(run->cap, on_capture_event, run);
}

static int run_start_timer(struct run *run)
{
	struct itimerspec its = { .it_value.tv_sec = run->o->timeout_sec };

	run->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (run->timerfd < 0 || timerfd_settime(run->timerfd, 0, &its, NULL) < 0)
		return log_errno(neg_errno(), "analysis: cannot arm the timeout");
	return run_watch(run, run->timerfd);
}

struct dropped_ctx {
	struct report *report;
	struct judge *judge;
	int save_dirfd;
};

static int on_change(const struct guest_change *ch, void *userdata)
{
	struct dropped_ctx *c = userdata;
	struct report_dropped d = {
		.path = ch->path,
		.kind = ch->kind,
		.link_target = ch->link_target,
		.mode = ch->mode,
		.content_fd = ch->fd,
	};

	char sha256[65];

	report_add_dropped(c->report, &d, c->save_dirfd, sha256);
	if (ch->fd >= 0 && sha256[0])
		judge_file(c->judge, ch->fd, sha256, false, NULL);
	return 0;
}

/* The limits the guest ran into, comma-separated, or NULL. */
static const char *run_limits_hit(struct run *run, char *buf, size_t bufsz)
{
	const struct {
		const char *name;
		bool hit;
	} limits[] = {
		{ "wall_time", run->timed_out },
		{ "memory", guest_hit_memory_limit(run->guest) },
		{ "pids", guest_hit_pids_limit(run->guest) },
		{ "disk", guest_disk_full(run->guest) },
		{ "output", run->output_total > run->o->output_bytes },
	};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++)
		if (limits[i].hit && o < bufsz)
			o += snprintf(buf + o, bufsz - o, "%s%s", o ? "," : "", limits[i].name);
	return o ? buf : NULL;
}

static int run_start(struct run *run, int obj_fd, const char *sample_name)
{
	const struct analysis_options *o = run->o;
	struct guest_config gc = {
		.image_dir = o->image_dir,
		.as_user = o->as_user,
		.sample_fd = obj_fd,
		.sample_name = sample_name,
		.args = o->args,
		.n_args = o->n_args,
		.limits = { o->memory_bytes, o->pids_max, o->cpu_percent },
		.disk_bytes = o->disk_bytes,
		.profile = &decoy_default_profile,
	};
	int r;

	r = guest_start(&gc, &run->guest);
	if (r < 0)
		return r;
	run->cgroup_id = guest_cgroup_id(run->guest);

	r = netsim_new(guest_netns_fd(run->guest), on_netsim_event, run, &run->netsim);
	if (r < 0)
		return log_errno(r, "analysis: cannot start the simulated internet");
	r = capture_watch_cgroup(run->cap, run->cgroup_id, guest_uid_base(run->guest));
	if (r < 0)
		return log_errno(r, "analysis: cannot watch cgroup %llu",
				 (unsigned long long)run->cgroup_id);

	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (run->epfd < 0)
		return neg_errno();
	r = run_watch(run, capture_fd(run->cap));
	if (r == 0)
		r = run_watch(run, netsim_fd(run->netsim));
	if (r == 0)
		r = run_watch(run, guest_output_fd(run->guest));
	if (r == 0)
		r = run_watch(run, guest_ctl_fd(run->guest));
	if (r == 0)
		r = run_start_timer(run);
	return r;
}

static int run_finish(struct run *run, int save_dirfd, uint64_t start_real, uint64_t start_mono)
{
	struct dropped_ctx dc = { run->report, run->judge, save_dirfd };
	char limits[96];
	int r;

	r = guest_kill(run->guest);
	run_drain(run);
	capture_unwatch_cgroup(run->cap, run->cgroup_id);
	if (run->o->on_judging)
		run->o->on_judging(run->o->userdata);

	report_set_times(run->report, start_real, clock_ns(CLOCK_REALTIME), start_mono);
	if (run->exec_failed)
		report_set_outcome(run->report, "error", -1);
	else
		report_set_outcome(run->report, run->timed_out ? "timeout" : "exited",
				   run->main_status);
	report_set_output(run->report, run->output, run->output_len,
			  run->output_total > run->o->output_bytes);

	r = guest_collect_changes(run->guest, on_change, &dc);
	if (r < 0)
		log_warn_errno(r, "analysis: cannot collect the guest's changes");
	report_set_limits(run->report, capture_lost(run->cap), false,
			  run_limits_hit(run, limits, sizeof(limits)));
	return judge_finish(run->judge, run->report);
}

static int analysis_open_object(const char *path, struct obj_type *type, char *why, size_t whysz)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	int r;

	if (fd < 0)
		return log_errno(neg_errno(), "cannot open '%s'", path);
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "not a regular file");
		return -EMEDIUMTYPE;
	}
	if ((uint64_t)st.st_size > OBJECT_MAX_BYTES) {
		snprintf(why, whysz, "larger than %llu MiB", OBJECT_MAX_BYTES >> 20);
		return -EFBIG;
	}
	r = objtype_detect(fd, type);
	if (r < 0)
		return log_errno(r, "cannot determine the type of '%s'", path);
	if (type->kind == OBJ_UNSUPPORTED) {
		snprintf(why, whysz, "%s", type->description);
		return -EMEDIUMTYPE;
	}
	return TAKE_FD(fd);
}

/* The object's hashes and static signals; ret_known_good when its hash is listed good. */
static int analysis_object_report(struct run *run, int fd, const struct obj_type *type,
				  bool *ret_known_good)
{
	const char *path = run->o->path;
	struct report_object obj = { .name = path, .type = type->description, .mime = type->mime };
	int r;

	r = hash_fd(fd, OBJECT_MAX_BYTES, &obj.hashes);
	if (r < 0)
		return log_errno(r, "cannot hash '%s'", path);
	r = report_set_object(run->report, &obj);
	if (r == 0)
		r = judge_file(run->judge, fd, obj.hashes.sha256, true, ret_known_good);
	return r;
}

/*
 * A known-good object is ruled clean without detonation; a document is ruled on its
 * content alone (hashes, YARA), since the guest has no program to open it with.
 */
static int analysis_static_only(struct run *run)
{
	uint64_t now = clock_ns(CLOCK_REALTIME);

	report_set_times(run->report, now, now, clock_ns(CLOCK_MONOTONIC));
	report_set_outcome(run->report, "not_run", -1);
	return judge_finish(run->judge, run->report);
}

static int analysis_report_dir(const char *dir)
{
	int r = mkdir_p_at(AT_FDCWD, dir, 0700);
	int fd;

	if (r < 0)
		return log_errno(r, "cannot create the report directory '%s'", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? log_errno(neg_errno(), "cannot open '%s'", dir) : fd;
}

int analysis_run(struct capture *cap, const struct analysis_options *o, struct report **ret,
		 char *why, size_t whysz)
{
	struct run run = { .o = o, .cap = cap, .epfd = -1, .timerfd = -1, .main_status = -1 };
	_cleanup_close_ int obj_fd = -1, save_dirfd = -1;
	struct obj_type type;
	char name[80];
	uint64_t start_real, start_mono;
	bool known_good = false;
	int r;

	obj_fd = analysis_open_object(o->path, &type, why, whysz);
	if (obj_fd < 0)
		return obj_fd;
	save_dirfd = analysis_report_dir(o->report_dir);
	if (save_dirfd < 0)
		return save_dirfd;

	run.output = malloc(o->output_bytes ? o->output_bytes : 1);
	r = run.output ? report_new(&run.report) : -ENOMEM;
	if (r == 0)
		r = judge_new(o->rules, &run.judge);
	if (r == 0)
		r = analysis_object_report(&run, obj_fd, &type, &known_good);
	if (r == 0 && (known_good || type.kind == OBJ_DOCUMENT)) {
		r = analysis_static_only(&run);
		goto out;
	}
	if (r < 0)
		goto out;

	analysis_sample_name(o->path, name, sizeof(name));
	r = run_start(&run, obj_fd, name);
	if (r < 0)
		goto out;

	start_real = clock_ns(CLOCK_REALTIME);
	start_mono = clock_ns(CLOCK_MONOTONIC);
	r = guest_release(run.guest);
	if (r == 0)
		r = run_supervise(&run);
	if (r == 0)
		r = run_finish(&run, save_dirfd, start_real, start_mono);
out:
	judge_free(run.judge);
	netsim_free(run.netsim);
	guest_free(run.guest);
	closep(&run.epfd);
	closep(&run.timerfd);
	free(run.output);
	if (r < 0) {
		report_free(run.report);
		return r;
	}
	*ret = run.report;
	return 0;
}
