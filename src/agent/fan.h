/* SPDX-License-Identifier: MIT */
/*
 * The agent's fanotify group: permission events for executions on watched mounts and for
 * opens on document mounts, answers, and the ignore marks that keep a clean file quiet
 * until it is modified (the kernel drops an inode's ignore mask on modification).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fan_event {
	int fd; /* the object, opened by the kernel for us (no event of its own) */
	pid_t pid;
	bool exec; /* FAN_OPEN_EXEC_PERM; else FAN_OPEN_PERM */
};

/* A group with permission events (FAN_CLASS_CONTENT), non-blocking. */
int fan_open(int *ret_fd);
/* Mark the mount holding path: executions, and opens when documents is set. */
int fan_mark_mount(int fan_fd, const char *path, bool exec, bool documents);
/* Remove every mount mark, then every inode (ignore) mark. */
int fan_flush(int fan_fd);
/* Drop the ignore marks alone: every file is decided again on its next access. */
int fan_flush_ignores(int fan_fd);
/* No more events of mask (FAN_OPEN_PERM, FAN_OPEN_EXEC_PERM) for fd's file until it changes. */
int fan_ignore(int fan_fd, int fd, uint64_t mask);
/* Answer the kernel for one event: allow or deny. */
int fan_answer(int fan_fd, int fd, bool allow);

/*
 * Read what is pending into buf and call fn for each permission event, in order. fn owns
 * ev->fd (it must answer, then close it). Returns events seen, 0 when none, -errno.
 */
typedef void (*fan_event_fn)(void *userdata, const struct fan_event *ev);
int fan_read(int fan_fd, void *buf, size_t size, fan_event_fn fn, void *userdata);
