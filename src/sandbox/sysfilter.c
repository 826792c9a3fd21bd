/* SPDX-License-Identifier: MIT */
#include "sysfilter.h"

#include "log.h"
#include "macros.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>

static const struct sysfilter_rule rules[] = {
	/* kernel code and the kernel's own state */
	{ "init_module" }, { "finit_module" }, { "delete_module" }, { "kexec_load" },
	{ "kexec_file_load" }, { "bpf" }, { "perf_event_open" }, { "iopl" }, { "ioperm" },
	{ "syslog" }, { "acct" }, { "quotactl" }, { "quotactl_fd" }, { "lookup_dcookie" },
	{ "swapon" }, { "swapoff" }, { "reboot" }, { "settimeofday" }, { "clock_settime" },
	{ "clock_adjtime" }, { "adjtimex" }, { "vhangup" },
	/* keyrings are not namespaced */
	{ "keyctl" }, { "add_key" }, { "request_key" },
	/* escaping the mount namespace and its files */
	{ "open_by_handle_at" }, { "name_to_handle_at" }, { "mount" }, { "umount2" },
	{ "pivot_root" }, { "fsopen" }, { "fsconfig" }, { "fsmount" }, { "fspick" },
	{ "move_mount" }, { "open_tree" }, { "mount_setattr" },
	/* large attack surface, or a way around the capture */
	{ "userfaultfd" }, { "io_uring_setup" }, { "io_uring_enter" }, { "io_uring_register" },
	{ "fanotify_init" }, { "uselib" }, { "nfsservctl" }, { "kcmp" },
	/* a user namespace of its own would give the sample a fresh set of capabilities */
	{ "unshare", SYSFILTER_NEWUSER_A0 }, { "clone", SYSFILTER_NEWUSER_A0 },
	{ "setns", SYSFILTER_NEWUSER_A1 },
};

const struct sysfilter_rule *sysfilter_rules(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(rules);
	return rules;
}

int sysfilter_rule_nr(const struct sysfilter_rule *rule)
{
	int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, rule->name);

	return nr == __NR_SCMP_ERROR ? -1 : nr;
}

static int sysfilter_add(scmp_filter_ctx ctx, const struct sysfilter_rule *rule)
{
	int nr = seccomp_syscall_resolve_name(rule->name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	switch (rule->when) {
	case SYSFILTER_NEWUSER_A0:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	case SYSFILTER_NEWUSER_A1:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
					SCMP_A1(SCMP_CMP_EQ, CLONE_NEWUSER));
	default:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
}

int sysfilter_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;

	/* The same rules for 32-bit and x32 system calls, which would otherwise bypass them. */
	r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r == 0 || r == -EEXIST)
		r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (r == -EEXIST)
		r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(rules); i++)
		r = sysfilter_add(ctx, &rules[i]);
	/* clone3 passes its flags in memory a filter cannot read; libc falls back to clone. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r == 0)
		r = seccomp_load(ctx);

	seccomp_release(ctx);
	return r;
}
