/* SPDX-License-Identifier: MIT */
/*
 * The guest's system call filter: everything a program normally does is allowed, and what
 * could reach the host's kernel beyond the guest's namespaces (modules, kexec, bpf, perf,
 * keyrings, swap, reboot, file handles, new user namespaces, io_uring, mounts) is refused
 * with EPERM. The capture records each refusal as a syscall_denied event; it reads the
 * same rules, so what is refused and what is recorded cannot drift apart.
 */
#pragma once

#include <stddef.h>

enum sysfilter_when {
	SYSFILTER_ALWAYS,      /* every call */
	SYSFILTER_NEWUSER_A0,  /* when argument 0 (flags) has CLONE_NEWUSER */
	SYSFILTER_NEWUSER_A1,  /* when argument 1 (nstype) is CLONE_NEWUSER */
};

struct sysfilter_rule {
	const char *name;
	enum sysfilter_when when;
};

/* The refused calls, by name, for the native ABI and the 32-bit ones alike. */
const struct sysfilter_rule *sysfilter_rules(size_t *ret_n);

/* x86-64 number of a rule's call, or -1 if this libseccomp does not know it. */
int sysfilter_rule_nr(const struct sysfilter_rule *rule);

/* Install on the calling thread, inherited by everything it execs and forks. */
int sysfilter_install(void);
