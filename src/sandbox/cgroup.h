/* SPDX-License-Identifier: MIT */
/*
 * The cgroups of one guest: a cgroup v2 directory whose id scopes the capture and whose
 * cgroup.kill ends every guest process at once, and the resource limits. On a hybrid
 * host the limits live in the v1 memory, pids and cpu hierarchies; on a pure v2 host in
 * the same v2 directory.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct cgroup_limits {
	uint64_t memory_bytes; /* RAM (and swap where the host accounts it) */
	uint64_t pids_max;     /* tasks, threads included */
	uint32_t cpu_percent;  /* of one CPU */
};

struct guest_cgroup;

int cgroup_create(const char *name, const struct cgroup_limits *limits,
		  struct guest_cgroup **ret);

/* Move pid into every hierarchy of the guest. */
int cgroup_attach(struct guest_cgroup *cg, pid_t pid);

uint64_t cgroup_id(const struct guest_cgroup *cg);

/* Kill every process of the cgroup, wait (up to timeout_ms) until it is empty. */
int cgroup_kill(struct guest_cgroup *cg, int timeout_ms);

/* True when the memory limit was reached (an OOM kill happened). */
int cgroup_oom_events(const struct guest_cgroup *cg);

/* How often a fork failed because the process limit was reached. */
int cgroup_pids_max_events(const struct guest_cgroup *cg);

/* Remove the directories; the cgroup must be empty. Frees cg. */
void cgroup_destroy(struct guest_cgroup *cg);

/*
 * Kill and remove the guest cgroups (below this process's own, as cgroup_create makes
 * them) whose supervisor has died without removing them, e.g. killed with SIGKILL.
 * Cgroups of live supervisors are left alone.
 */
int cgroup_sweep_orphans(void);
