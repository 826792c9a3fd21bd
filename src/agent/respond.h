/* SPDX-License-Identifier: MIT */
/* Threat responses that act on the host: kill, isolate the network, search for copies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Kill every process running the object (executable dev/ino, or holding it open as a
 * script) and the processes given in pids, with all their descendants: stopped first so
 * none forks away, then SIGKILL. Never the caller. ret_killed: how many.
 * ino 0: no object, the pids only. Never init or a kernel thread either. -E2BIG when there
 * were more than 65,536 (those found are killed all the same).
 */
int respond_kill(dev_t dev, ino_t ino, const pid_t *pids, size_t n_pids, unsigned *ret_killed);

/*
 * Network isolation with nftables (libnftables), in its own table (inet sandtrap_isolate):
 * loopback and the given server addresses ("IP" or "IP:PORT", v4 or v6) stay reachable,
 * everything else is dropped. Applies to the calling process's network namespace.
 * Calling it again replaces the rules in one transaction. At most 64 addresses (-E2BIG);
 * one that does not parse: -EINVAL and the rules stay as they were. The rules in full:
 * docs/agent-response.md.
 */
int respond_isolate(const char *const *allow, size_t n_allow);
/* One allowed address as respond_isolate takes it: 0, or -EINVAL (for checking a config). */
int respond_allow_check(const char *allow);
int respond_isolate_lift(void);
/* 1 isolated, 0 not, -errno. */
int respond_isolated(void);

/*
 * STATE/isolation.json: whether the agent isolated the host and until when (unix seconds,
 * 0: until lifted), so a restart or a reboot puts the isolation back, and a local lift
 * (sandtrap isolation lift) is seen by the agent. A missing file reads as not isolated.
 */
int isolation_state_save(const char *state_dir, bool on, int64_t until);
int isolation_state_load(const char *state_dir, bool *ret_on, int64_t *ret_until);

/*
 * Files under roots (not crossing mounts, not following symlinks) whose sha256 is sha256
 * (64 hex digits, either case). Regular files up to 100 MiB, at most 64 directories deep;
 * fn (may be NULL) once per match, on the caller's thread.
 */
typedef void (*respond_found_fn)(void *userdata, const char *path);
int respond_ioc_scan(const char *const *roots, size_t n_roots, const char *sha256,
		     respond_found_fn fn, void *userdata, unsigned *ret_found);
