/* SPDX-License-Identifier: MIT */
/*
 * The guest's system call filter: everything a program normally does is allowed, and what
 * could reach the host's kernel beyond the guest's namespaces (modules, kexec, bpf, perf,
 * keyrings, swap, reboot, file handles, new user namespaces, io_uring, mounts) is refused
 * with EPERM. The capture records each refusal as a syscall_denied event.
 */
#pragma once

/* Install on the calling thread, inherited by everything it execs and forks. */
int sysfilter_install(void);
