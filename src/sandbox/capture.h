/* SPDX-License-Identifier: MIT */
/*
 * Behaviour capture with eBPF. One capture is loaded per process and serves every guest
 * of that process: a guest is watched by the id of its cgroup (cgroup v2), and the
 * events of all watched cgroups arrive through one ring buffer, each tagged with its
 * cgroup id. Nothing of the capture is visible inside the guest.
 */
#pragma once

#include "event.h"

#include <stdint.h>

struct capture;

typedef void (*capture_event_fn)(const struct event *ev, void *userdata);

/* Load, verify and attach the programs. Needs CAP_BPF/CAP_SYS_ADMIN (root). */
int capture_new(struct capture **ret);
void capture_free(struct capture *c);

/*
 * Record the processes of cgroup_id and of its descendant cgroups. uid_base is the host
 * uid that the guest's uid 0 maps to; events carry guest uids.
 */
int capture_watch_cgroup(struct capture *c, uint64_t cgroup_id, uint32_t uid_base);
int capture_unwatch_cgroup(struct capture *c, uint64_t cgroup_id);

/* Poll this fd for readability, then call capture_consume(). */
int capture_fd(const struct capture *c);

/* Deliver every event waiting in the ring buffer; returns how many, or -errno. */
int capture_consume(struct capture *c, capture_event_fn fn, void *userdata);

/* Events the kernel side had to drop because the ring buffer was full. */
uint64_t capture_lost(const struct capture *c);
