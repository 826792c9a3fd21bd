/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_ROOT    "/sys/fs/cgroup"
#define CGROUP_V2_HYBRID "/sys/fs/cgroup/unified"
#define CGROUP_UNIFIED_PARENT CGROUP_ROOT "/sandtrap.guests"

enum cg_hier { CG_V2, CG_MEMORY, CG_PIDS, CG_CPU, CG_N };

static const char *const v1_controllers[CG_N] = {
	[CG_MEMORY] = "memory",
	[CG_PIDS] = "pids",
	[CG_CPU] = "cpu",
};

struct guest_cgroup {
	bool unified; /* pure v2 host: limits live in the v2 directory */
	uint64_t id;
	char *path[CG_N]; /* NULL when that hierarchy is not used */
};

static bool cgroup_is_unified(void)
{
	return access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
}

/*
 * The cgroup this process is in, for one hierarchy ("" for v2), from /proc/self/cgroup:
 * guests nest under it, so whatever limits the supervisor has bound its guests too.
 */
static int cgroup_self_path(const char *controller, char *buf, size_t bufsz)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	r = file_read_all("/proc/self/cgroup", 65536, &text, NULL);
	if (r < 0)
		return r;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrl = strchr(line, ':'), *path;

		if (!ctrl)
			continue;
		path = strchr(++ctrl, ':');
		if (!path)
			continue;
		*path++ = '\0';

		bool match = controller[0] ? strcmp(ctrl, controller) == 0 : ctrl[0] == '\0';
		for (char *c = ctrl; !match && c && *controller;) {
			size_t n = strcspn(c, ",");

			match = strlen(controller) == n && strncmp(c, controller, n) == 0;
			c = c[n] ? c + n + 1 : NULL;
		}
		if (match) {
			if ((size_t)snprintf(buf, bufsz, "%s", path) >= bufsz)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}

static int cgroup_make_dir(const char *mount, const char *controller, const char *name,
			   char **ret)
{
	char self[PATH_MAX], *path = NULL;

	int r = cgroup_self_path(controller, self, sizeof(self));
	if (r < 0)
		return r;
	if (asprintf(&path, "%s%s%s/%s", mount, self[0] == '/' ? "" : "/",
		     strcmp(self, "/") == 0 ? "" : self, name) < 0)
		return -ENOMEM;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		r = log_errno(neg_errno(), "cgroup: cannot create '%s'", path);
		free(path);
		return r;
	}
	*ret = path;
	return 0;
}

static int cgroup_write(const char *dir, const char *file, uint64_t v)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(val, sizeof(val), "%" PRIu64, v);
	return file_write_str(path, val);
}

static int cgroup_limits_v1(struct guest_cgroup *cg, const struct cgroup_limits *l)
{
	int r;

	r = cgroup_write(cg->path[CG_MEMORY], "memory.limit_in_bytes",
			 l->memory_bytes);
	if (r < 0)
		return log_errno(r, "cgroup: cannot set memory limit in '%s'", cg->path[CG_MEMORY]);
	/* Not every host accounts swap; where it does, swap counts against the limit. */
	(void)cgroup_write(cg->path[CG_MEMORY], "memory.memsw.limit_in_bytes",
			   l->memory_bytes);

	r = cgroup_write(cg->path[CG_PIDS], "pids.max", l->pids_max);
	if (r < 0)
		return log_errno(r, "cgroup: cannot set pids.max in '%s'", cg->path[CG_PIDS]);

	r = cgroup_write(cg->path[CG_CPU], "cpu.cfs_period_us", 100000);
	if (r == 0)
		r = cgroup_write(cg->path[CG_CPU], "cpu.cfs_quota_us",
				 (uint64_t)l->cpu_percent * 1000);
	if (r < 0)
		return log_errno(r, "cgroup: cannot set the CPU quota in '%s'", cg->path[CG_CPU]);
	return 0;
}

static int cgroup_limits_v2(struct guest_cgroup *cg, const struct cgroup_limits *l)
{
	const char *dir = cg->path[CG_V2];
	char cpu[64];
	int r;

	r = cgroup_write(dir, "memory.max", l->memory_bytes);
	if (r == 0)
		r = cgroup_write(dir, "pids.max", l->pids_max);
	if (r < 0)
		return log_errno(r, "cgroup: cannot set limits in '%s'", dir);

	/* Only where the host accounts swap: then the guest gets none. */
	(void)cgroup_write(dir, "memory.swap.max", 0);

	snprintf(cpu, sizeof(cpu), "%s/cpu.max", dir);
	char val[48];
	snprintf(val, sizeof(val), "%u 100000", l->cpu_percent * 1000);
	r = file_write_str(cpu, val);
	if (r < 0)
		return log_errno(r, "cgroup: cannot set cpu.max in '%s'", dir);
	return 0;
}

/*
 * On a pure v2 host the limits need their controllers enabled from the root down, and a
 * cgroup with processes cannot hand controllers to children: so guests live under a
 * parent of their own directly below the root (which is exempt), not below the
 * supervisor's cgroup.
 */
static int cgroup_make_unified_dir(const char *name, char **ret)
{
	static const char controllers[] = "+memory +pids +cpu";
	char *path = NULL;
	int r;

	if (mkdir(CGROUP_UNIFIED_PARENT, 0700) < 0 && errno != EEXIST)
		return log_errno(neg_errno(), "cgroup: cannot create '%s'", CGROUP_UNIFIED_PARENT);
	/* Already enabled is fine; what is missing shows when the limits are written. */
	(void)file_write_str(CGROUP_ROOT "/cgroup.subtree_control", controllers);
	(void)file_write_str(CGROUP_UNIFIED_PARENT "/cgroup.subtree_control", controllers);

	if (asprintf(&path, CGROUP_UNIFIED_PARENT "/%s", name) < 0)
		return -ENOMEM;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		r = log_errno(neg_errno(), "cgroup: cannot create '%s'", path);
		free(path);
		return r;
	}
	*ret = path;
	return 0;
}

int cgroup_create(const char *name, const struct cgroup_limits *limits,
		  struct guest_cgroup **ret)
{
	struct guest_cgroup *cg = calloc(1, sizeof(*cg));
	struct stat st;
	int r;

	if (!cg)
		return -ENOMEM;
	cg->unified = cgroup_is_unified();

	r = cg->unified ? cgroup_make_unified_dir(name, &cg->path[CG_V2]) :
			  cgroup_make_dir(CGROUP_V2_HYBRID, "", name, &cg->path[CG_V2]);
	if (r < 0)
		goto fail;
	if (stat(cg->path[CG_V2], &st) < 0) {
		r = neg_errno();
		goto fail;
	}
	cg->id = st.st_ino;

	if (cg->unified) {
		r = cgroup_limits_v2(cg, limits);
		if (r < 0)
			goto fail;
		*ret = cg;
		return 0;
	}

	for (int h = CG_MEMORY; h < CG_N; h++) {
		char mount[64];

		snprintf(mount, sizeof(mount), CGROUP_ROOT "/%s", v1_controllers[h]);
		r = cgroup_make_dir(mount, v1_controllers[h], name, &cg->path[h]);
		if (r < 0)
			goto fail;
	}
	r = cgroup_limits_v1(cg, limits);
	if (r < 0)
		goto fail;

	*ret = cg;
	return 0;
fail:
	cgroup_destroy(cg);
	return r;
}

int cgroup_attach(struct guest_cgroup *cg, pid_t pid)
{
	for (int h = 0; h < CG_N; h++) {
		int r;

		if (!cg->path[h])
			continue;
		r = cgroup_write(cg->path[h], "cgroup.procs", (uint64_t)pid);
		if (r < 0)
			return log_errno(r, "cgroup: cannot move pid %d into '%s'", (int)pid,
					 cg->path[h]);
	}
	return 0;
}

uint64_t cgroup_id(const struct guest_cgroup *cg)
{
	return cg->id;
}

static bool cgroup_populated(const char *dir)
{
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	if (file_read_all(path, 4096, &text, NULL) < 0)
		return false;
	return strstr(text, "populated 1") != NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cgroup_kill(struct guest_cgroup *cg, int timeout_ms)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	uint64_t deadline = now_ms() + timeout_ms;
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.kill", cg->path[CG_V2]);
	r = file_write_str(path, "1");
	if (r < 0)
		return log_errno(r, "cgroup: cannot kill '%s'", cg->path[CG_V2]);

	/* cgroup.events signals POLLPRI when "populated" changes. */
	snprintf(path, sizeof(path), "%s/cgroup.events", cg->path[CG_V2]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	while (cgroup_populated(cg->path[CG_V2])) {
		struct pollfd p = { .fd = fd, .events = POLLPRI };
		int64_t left = (int64_t)(deadline - now_ms());

		if (left <= 0)
			return log_errno(-ETIMEDOUT, "cgroup: '%s' still populated after kill",
					 cg->path[CG_V2]);
		if (fd < 0 || poll(&p, 1, MIN(left, 10)) < 0)
			usleep(1000);
	}
	return 0;
}

int cgroup_oom_events(const struct guest_cgroup *cg)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	const char *key = "oom_kill ", *p;

	snprintf(path, sizeof(path), "%s/%s", cg->unified ? cg->path[CG_V2] : cg->path[CG_MEMORY],
		 cg->unified ? "memory.events" : "memory.oom_control");
	if (file_read_all(path, 4096, &text, NULL) < 0)
		return 0;
	p = strstr(text, key);
	return p ? (int)strtoul(p + strlen(key), NULL, 10) : 0;
}

int cgroup_pids_max_events(const struct guest_cgroup *cg)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	const char *p;

	snprintf(path, sizeof(path), "%s/pids.events",
		 cg->unified ? cg->path[CG_V2] : cg->path[CG_PIDS]);
	if (file_read_all(path, 4096, &text, NULL) < 0)
		return 0;
	p = strstr(text, "max ");
	return p ? (int)strtoul(p + 4, NULL, 10) : 0;
}

void cgroup_destroy(struct guest_cgroup *cg)
{
	if (!cg)
		return;
	for (int h = CG_N - 1; h >= 0; h--) {
		if (!cg->path[h])
			continue;
		/* A v1 memory cgroup may report EBUSY for a moment after its last task left. */
		for (int i = 0; i < 100 && rmdir(cg->path[h]) < 0 && errno == EBUSY; i++)
			usleep(1000);
		free(cg->path[h]);
	}
	free(cg);
}

/* A supervisor that is gone or a zombie: its guests' cgroups have no one to remove them. */
static bool cgroup_owner_dead(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *text = NULL;
	const char *paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (file_read_all(path, 4096, &text, NULL) < 0)
		return true;
	paren = strrchr(text, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static void cgroup_sweep_one(const char *dir, bool v2)
{
	char path[PATH_MAX];

	if (v2) {
		if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.kill", dir) < sizeof(path))
			(void)file_write_str(path, "1");
		for (int i = 0; i < 2000 && cgroup_populated(dir); i++)
			usleep(1000);
	}
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(1000);
	log_info("cgroup: removed '%s', left by a supervisor that died", dir);
}

static void cgroup_sweep_dir(const char *parent, bool v2)
{
	DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		unsigned serial;
		int pid;

		if (sscanf(de->d_name, "sandtrap-%d-%u", &pid, &serial) != 2 || pid <= 0 ||
		    !cgroup_owner_dead(pid))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent, de->d_name) <
		    sizeof(path))
			cgroup_sweep_one(path, v2);
	}
	closedir(d);
}

int cgroup_sweep_orphans(void)
{
	char self[PATH_MAX], parent[PATH_MAX];

	if (cgroup_is_unified()) {
		cgroup_sweep_dir(CGROUP_UNIFIED_PARENT, true);
		return 0;
	}
	for (int h = 0; h < CG_N; h++) {
		const char *ctrl = h == CG_V2 ? "" : v1_controllers[h];

		if (cgroup_self_path(ctrl, self, sizeof(self)) < 0)
			continue;
		if ((size_t)snprintf(parent, sizeof(parent), "%s/%s%s",
				     h == CG_V2 ? CGROUP_V2_HYBRID : CGROUP_ROOT,
				     h == CG_V2 ? "" : ctrl, strcmp(self, "/") == 0 ? "" : self) <
		    sizeof(parent))
			cgroup_sweep_dir(parent, h == CG_V2);
	}
	return 0;
}
