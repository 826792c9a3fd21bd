/* SPDX-License-Identifier: MIT */
/*
 * A guest: a fresh set of user, pid, mount, network, ipc, uts and cgroup namespaces with
 * its own root filesystem, resource limits and a tiny init, in which one sample runs.
 *
 * The supervisor (the caller) forks a helper that builds the root filesystem in a private
 * mount namespace and clones the guest's init as the supervisor's own child. The
 * supervisor maps the guest's ids, moves it into its cgroups and waits until the init has
 * mounted /proc, pivoted into its root and says it is ready; guest_release() then starts
 * the sample. The guest ends with guest_kill(): cgroup.kill takes every process at once.
 */
#pragma once

#include "cgroup.h"
#include "decoy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Each live guest owns a range of 65536 host ids, base .. base + 65535, where base is
 * GUEST_UID_FIRST + slot * 65536 for a slot no other live guest on the host holds.
 */
#define GUEST_UID_FIRST 0x70000000u
#define GUEST_UID_COUNT 65536u
#define GUEST_UID_SLOTS 1024u
#define GUEST_SLOT_DIR  "/run/sandtrap/slots"
#define GUEST_USER_UID  1000u

struct guest_config {
	const char *image_dir; /* NULL: the host's OS directories */
	bool as_user;          /* run the sample as the decoy user rather than root */
	int sample_fd;
	const char *sample_name; /* file name the guest sees, already safe */
	char *const *args;       /* extra arguments for the sample */
	size_t n_args;
	struct cgroup_limits limits;
	uint64_t disk_bytes; /* everything the guest may write */
	const struct decoy_profile *profile;
};

struct guest;

/* Build and start the guest up to the point where the sample is about to run. */
int guest_start(const struct guest_config *cfg, struct guest **ret);

/* Start the sample. */
int guest_release(struct guest *g);

/* The supervisor's ends: control socket, sample output, init's pidfd, network namespace. */
int guest_ctl_fd(const struct guest *g);
int guest_output_fd(const struct guest *g);
int guest_pidfd(const struct guest *g);
int guest_netns_fd(const struct guest *g);
uint64_t guest_cgroup_id(const struct guest *g);
uint32_t guest_uid_base(const struct guest *g); /* host uid of guest uid 0 */
const char *guest_sample_path(const struct guest *g);

enum guest_state {
	GUEST_RUNNING,
	GUEST_MAIN_EXITED, /* the sample's first process ended; others may still run */
	GUEST_EMPTY,       /* no process is left in the guest */
	GUEST_EXEC_FAILED,
};

/* Read what init reports; ret_status is the sample's wait status or exec's -errno. */
int guest_ctl_read(struct guest *g, enum guest_state *ret_state, int *ret_status);

/* Kill every process of the guest and wait until none is left. */
int guest_kill(struct guest *g);

/* True when the memory limit killed a process. */
bool guest_hit_memory_limit(const struct guest *g);

/* True when a fork failed for the process limit. */
bool guest_hit_pids_limit(const struct guest *g);

/* True when the guest filled all the space it may write. */
bool guest_disk_full(const struct guest *g);

/* Each file the guest created, changed or deleted, once the guest is dead. */
struct guest_change {
	const char *path; /* as the guest saw it */
	const char *kind; /* "file", "symlink", "deleted", "other" */
	const char *link_target;
	mode_t mode;
	int fd; /* read-only, regular files only; -1 otherwise */
};
typedef int (*guest_change_fn)(const struct guest_change *ch, void *userdata);
int guest_collect_changes(struct guest *g, guest_change_fn fn, void *userdata);

/* Release everything: cgroups, namespaces, the run's tmpfs. Kills first if needed. */
void guest_free(struct guest *g);
