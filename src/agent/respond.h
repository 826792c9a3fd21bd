/* SPDX-License-Identifier: MIT */
/* Threat responses that act on the host: kill, isolate the network, search for copies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Kill every process running the object (executable dev/ino, or holding it open as a
 * script) and the processes given in pids, with all their descendants: stopped first so
 * none forks away, then SIGKILL. Never the caller. ret_killed: how many.
 */
int respond_kill(dev_t dev, ino_t ino, const pid_t *pids, size_t n_pids, unsigned *ret_killed);

/*
 * Network isolation with nftables (libnftables), in its own table (inet sandtrap_isolate):
 * loopback and the given server addresses ("IP" or "IP:PORT", v4 or v6) stay reachable,
 * everything else is dropped. Applies to the calling process's network namespace.
 */
int respond_isolate(const char *const *allow, size_t n_allow);
int respond_isolate_lift(void);
/* 1 isolated, 0 not, -errno. */
int respond_isolated(void);

/* Files under roots (not crossing mounts, not following symlinks) whose sha256 is sha256. */
typedef void (*respond_found_fn)(void *userdata, const char *path);
int respond_ioc_scan(const char *const *roots, size_t n_roots, const char *sha256,
		     respond_found_fn fn, void *userdata, unsigned *ret_found);
