/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel half of the behaviour capture (see capture.h). These programs run for every
 * process on the host, so each one first asks whether the current cgroup is watched and
 * returns at once when it is not; everything after that check only costs the guest.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "event.h"

#define PROT_WRITE 0x2
#define PROT_EXEC  0x4
#define MAY_WRITE  0x2
#define O_ACCMODE  0x3
#define O_CREAT    0x40
#define O_TRUNC    0x200

#define FMODE_WRITE   0x2
#define FMODE_CREATED 0x100000

#define VM_WRITE 0x2
#define VM_EXEC  0x4

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFREG  0100000
#define S_IFDIR  0040000

#define SIGNAL_GROUP_EXIT 0x4
#define CLONE_NEW_ANY     0x7e020080ULL
#define OVERFLOW_ID       65534

/* Components kept per path; deeper paths keep their leaf end, marked with a leading "/...". */
#define PATH_DEPTH 32
/* Mount crossings allowed on top of PATH_DEPTH components. */
#define PATH_STEPS (PATH_DEPTH + 16)
#define NAME_READ  256
#define SOCKADDR_MAX 128

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u32);
} watched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} events SEC(".maps");

/* Open files that already produced EV_FILE_WRITE, keyed by struct file address. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} written SEC(".maps");

__u64 lost_events;

char LICENSE[] SEC("license") = "GPL";

/* x & mask, done where the verifier sees it: clang drops masks it believes redundant. */
static __always_inline __u32 bound(__u32 x, __u32 mask)
{
	asm volatile("%0 &= %1" : "+r"(x) : "i"(mask));
	return x;
}

static __always_inline __u32 *watched_base(void)
{
	__u64 cgid = bpf_get_current_cgroup_id();

	return bpf_map_lookup_elem(&watched, &cgid);
}

static __always_inline __u64 guest_id(__u32 id, __u32 base)
{
	if (id == (__u32)-1)
		return id;
	return id >= base ? id - base : OVERFLOW_ID;
}

/* Number of the thread group of t in namespace ns at level; 0 when t is not visible there. */
static __always_inline __s32 task_vnr(struct task_struct *t, struct pid_namespace *ns, __u32 level)
{
	struct pid *pid = BPF_CORE_READ(t, group_leader, thread_pid);
	struct upid up = {};

	if (!pid || level > BPF_CORE_READ(pid, level))
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
				      (level & 31) * bpf_core_type_size(struct upid));
	return up.ns == ns ? up.nr : 0;
}

/* The pid namespace a task lives in: the deepest level of its own pid. */
static __always_inline struct pid_namespace *task_ns(struct task_struct *t, __u32 *ret_level)
{
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	__u32 level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_probe_read_kernel(&up, sizeof(up),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
				      (level & 31) * bpf_core_type_size(struct upid));
	*ret_level = level;
	return up.ns;
}

/* Pid of target as the current task sees it. */
static __always_inline __s32 current_vnr_of(struct task_struct *target)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid_namespace *ns;
	__u32 level;

	ns = task_ns(task, &level);
	return task_vnr(target, ns, level);
}

static __always_inline void event_fill(struct event *ev, __u32 type, __u32 base)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid_namespace *ns;
	__u32 level;

	ns = task_ns(task, &level);
	ev->time_ns = bpf_ktime_get_ns();
	ev->type = type;
	ev->pid = task_vnr(task, ns, level);
	ev->ppid = task_vnr(BPF_CORE_READ(task, real_parent), ns, level);
	ev->uid = guest_id((__u32)bpf_get_current_uid_gid(), base);
	ev->ret = 0;
	ev->arg0 = 0;
	ev->arg1 = 0;
	ev->arg2 = 0;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->data_len = 0;
	ev->data2_len = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->path[0] = 0;
	ev->path2[0] = 0;
}

/* Reserve an event for a watched task; NULL (and nothing spent) for everybody else. */
static __always_inline struct event *event_start(__u32 type, __u32 *ret_base)
{
	__u32 *base = watched_base();
	struct event *ev;

	if (!base)
		return NULL;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}

	if (ret_base)
		*ret_base = *base;
	event_fill(ev, type, *base);
	return ev;
}

/* Per-CPU room for path building; tracepoint programs run with preemption disabled. */
struct path_scratch {
	__u64 names[PATH_DEPTH];
	char buf[EV_PATH_MAX + NAME_READ];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} scratch SEC(".maps");

struct walk {
	struct vfsmount *mnt;
	struct dentry *dentry;
	struct dentry *root_d;
	struct vfsmount *root_m;
	struct path_scratch *s;
	__u32 n;
	__u32 off;
	bool truncated;
};

/* One step up: to the parent dentry, or across a mount point; 1 ends the walk. */
static long walk_up(__u32 i, struct walk *w)
{
	struct dentry *dentry = w->dentry;
	struct vfsmount *mnt = w->mnt;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	struct mount *m = container_of(mnt, struct mount, mnt);
	struct path_scratch *s = w->s;
	__u32 n = w->n;

	if (dentry == w->root_d && mnt == w->root_m)
		return 1;
	if (dentry == BPF_CORE_READ(mnt, mnt_root)) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		if (mp == m)
			return 1;
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (struct vfsmount *)((void *)mp + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	if (n >= PATH_DEPTH) {
		w->truncated = true;
		return 1;
	}
	s->names[bound(n, PATH_DEPTH - 1)] = (__u64)BPF_CORE_READ(dentry, d_name.name);
	w->n = n + 1;
	/* A pseudo file (pipe, memfd, socket) is its own parent: its name is all there is. */
	if (parent == dentry)
		return 1;
	w->dentry = parent;
	return 0;
}

/* Append component i counted from the root. */
static long walk_emit(__u32 i, struct walk *w)
{
	struct path_scratch *s = w->s;
	__u32 off = w->off;
	long len;

	if (i >= w->n || off >= EV_PATH_MAX - 1)
		return 1;
	s->buf[bound(off, EV_PATH_MAX - 1)] = '/';
	off++;
	len = bpf_probe_read_kernel_str(s->buf + bound(off, EV_PATH_MAX - 1), NAME_READ,
					(void *)s->names[bound(w->n - 1 - i, PATH_DEPTH - 1)]);
	if (len <= 0)
		return 1;
	w->off = off + len - 1;
	return 0;
}

/*
 * Write the path of (mnt, dentry) as the current task sees it, resolved up to its root
 * (so inside a chroot or pivot_root the guest's own view); returns its length.
 */
static __always_inline __u32 path_write(char *out, __u64 *unused, struct vfsmount *mnt,
					struct dentry *dentry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 zero = 0;
	struct walk w = {
		.mnt = mnt,
		.dentry = dentry,
		.root_d = BPF_CORE_READ(task, fs, root.dentry),
		.root_m = BPF_CORE_READ(task, fs, root.mnt),
		.s = bpf_map_lookup_elem(&scratch, &zero),
	};

	out[0] = 0;
	if (!w.s)
		return 0;
	bpf_loop(PATH_STEPS, walk_up, &w, 0);
	if (w.truncated) {
		__builtin_memcpy(w.s->buf, "/...", 4);
		w.off = 4;
	}
	bpf_loop(PATH_DEPTH, walk_emit, &w, 0);
	if (w.off == 0)
		w.s->buf[w.off++] = '/';
	if (w.off >= EV_PATH_MAX)
		w.off = EV_PATH_MAX - 1;
	w.s->buf[bound(w.off, EV_PATH_MAX - 1)] = 0;
	bpf_probe_read_kernel(out, EV_PATH_MAX, w.s->buf);
	return w.off;
}

/* Scratch for path_write: data2 is unused by every event that carries a resolved path. */
static __always_inline __u64 *event_scratch(struct event *ev)
{
	return (__u64 *)ev->data2;
}

/* ---- processes ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pid_namespace *ns;
	struct event *ev;
	__u32 level;

	if (BPF_CORE_READ(child, tgid) == BPF_CORE_READ(parent, tgid))
		return 0;
	ev = event_start(EV_PROC_FORK, NULL);
	if (!ev)
		return 0;

	ns = task_ns(child, &level);
	ev->ppid = ev->pid;
	ev->pid = task_vnr(child, ns, level);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static __always_inline __u32 user_range_read(char *dst, __u64 start, __u64 end)
{
	__u64 len = end > start ? end - start : 0;

	if (len > EV_DATA_MAX)
		len = EV_DATA_MAX;
	if (bpf_probe_read_user(dst, len, (void *)start) < 0)
		return 0;
	return len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct event *ev = event_start(EV_PROC_EXEC, NULL);
	struct mm_struct *mm;

	if (!ev)
		return 0;

	bpf_probe_read_kernel_str(ev->path, EV_PATH_MAX, BPF_CORE_READ(bprm, filename));
	mm = BPF_CORE_READ(p, mm);
	ev->data_len = user_range_read(ev->data, BPF_CORE_READ(mm, arg_start),
				       BPF_CORE_READ(mm, arg_end));
	/* The raw environment; capture.c keeps only the entries of interest. */
	ev->data2_len = user_range_read(ev->data2, BPF_CORE_READ(mm, env_start),
					BPF_CORE_READ(mm, env_end));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	struct event *ev;

	if (!group_dead)
		return 0;
	ev = event_start(EV_PROC_EXIT, NULL);
	if (!ev)
		return 0;

	if (BPF_CORE_READ(p, signal, flags) & SIGNAL_GROUP_EXIT)
		ev->arg0 = (__u32)BPF_CORE_READ(p, signal, group_exit_code);
	else
		ev->arg0 = (__u32)BPF_CORE_READ(p, exit_code);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Cgroups created below a watched cgroup are watched too, with the same uid base. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct cgroup *parent = (struct cgroup *)BPF_CORE_READ(cgrp, self.parent);
	__u64 parent_id, id;
	__u32 *base;

	if (!parent || BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	parent_id = BPF_CORE_READ(parent, kn, id);
	base = bpf_map_lookup_elem(&watched, &parent_id);
	if (!base)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_update_elem(&watched, &id, base, BPF_ANY);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(on_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 id;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_delete_elem(&watched, &id);
	return 0;
}

/* ---- syscalls ---- */

/*
 * Trampoline programs (fentry, fexit, lsm) are refused on the target kernel, so the
 * actions of the guest are read at syscall exit, where the arguments are still in pt_regs
 * and the result is known.
 */
#define AT_FDCWD            -100
#define UTIME_NOW_NS        ((1l << 30) - 1l)
#define UTIME_OMIT_NS       ((1l << 30) - 2l)
#define AT_REMOVEDIR        0x200
#define MAP_ANONYMOUS       0x20
#define O_DIRECTORY         0x10000
#define NR_MAX              512

#define CLONE_NEWUSER       0x10000000

/* What user space loads into denied[]: the guest filter's rules, by syscall number. */
enum deny_when { DENY_NONE, DENY_ALWAYS, DENY_NEWUSER_A0, DENY_NEWUSER_A1 };
const volatile __u8 denied[NR_MAX] = {};

/* How a path field of an event is found. */
enum path_kind {
	PK_NONE,
	PK_FD,   /* the file behind fd */
	PK_AT,   /* user string str, relative to dirfd fd (or the cwd for AT_FDCWD) */
	PK_USTR, /* user string str as given */
	PK_KSTR, /* a kernel string */
};

struct path_src {
	__u32 kind;
	__s32 fd;
	__u64 str;
};

/* What one syscall exit turns into; built per syscall, emitted by one common function. */
struct plan {
	__u32 type;
	__s32 nr;
	__s64 ret;
	__u64 arg0, arg1, arg2;
	struct path_src p1, p2;
	__u64 data;      /* user address of bytes to copy into ev->data */
	__u32 data_len;
	__u32 flags;
};

/* plan.flags */
#define PF_ARG0_FAMILY  0x1 /* arg0 = the family at the start of data */
#define PF_ARG2_SOCKTYP 0x2 /* arg2 = the socket type of fd p1.fd; p1 itself is not a path */
#define PF_ARG2_ISSOCK  0x4 /* arg2 = 1 when fd arg1 is a socket */
#define PF_OPEN         0x8 /* arg1 = created, for the file behind fd p1.fd */
#define PF_CREDS        0x10 /* arg0/arg1 = real/effective uid (or gid when arg2) now */

static __always_inline __u64 regs_arg(struct pt_regs *regs, __u32 i)
{
	switch (i) {
	case 0:
		return BPF_CORE_READ(regs, di);
	case 1:
		return BPF_CORE_READ(regs, si);
	case 2:
		return BPF_CORE_READ(regs, dx);
	case 3:
		return BPF_CORE_READ(regs, r10);
	case 4:
		return BPF_CORE_READ(regs, r8);
	default:
		return BPF_CORE_READ(regs, r9);
	}
}

static __always_inline struct file *fd_file(__s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;

	if (fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline bool file_is(struct file *file, __u32 fmt)
{
	return (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) == fmt;
}

static __always_inline __u32 path_of_file(char *out, __u64 *names, struct file *file)
{
	if (!file) {
		out[0] = 0;
		return 0;
	}
	return path_write(out, names, BPF_CORE_READ(file, f_path.mnt),
			  BPF_CORE_READ(file, f_path.dentry));
}

/* A user path made absolute against its directory; "." and ".." are left as written. */
static __noinline __u32 path_at(char *out, __u64 *names, __s32 dirfd, __u64 str)
{
	struct task_struct *task = bpf_get_current_task_btf();
	char first = 0;
	__u32 off;

	bpf_probe_read_user(&first, 1, (void *)str);
	if (first == '/')
		return bpf_probe_read_user_str(out, EV_PATH_MAX, (void *)str);
	if (dirfd == AT_FDCWD)
		off = path_write(out, names, BPF_CORE_READ(task, fs, pwd.mnt),
				 BPF_CORE_READ(task, fs, pwd.dentry));
	else
		off = path_of_file(out, names, fd_file(dirfd));
	if (off >= EV_PATH_MAX - 2)
		return off;
	if (off > 1)
		out[bound(off++, EV_PATH_MAX - 1)] = '/';
	else
		off = 1;
	bpf_probe_read_user_str(out + bound(off, EV_PATH_MAX - 1), NAME_READ, (void *)str);
	out[EV_PATH_MAX - 1] = 0;
	return off;
}

/* out has NAME_READ spare bytes behind it: the next field of struct event, filled later. */
static __always_inline void path_fill(char *out, __u64 *names, struct path_src *src)
{
	switch (src->kind) {
	case PK_FD:
		path_of_file(out, names, fd_file(src->fd));
		break;
	case PK_AT:
		path_at(out, names, src->fd, src->str);
		break;
	case PK_USTR:
		bpf_probe_read_user_str(out, EV_PATH_MAX, (void *)src->str);
		break;
	case PK_KSTR:
		bpf_probe_read_kernel_str(out, EV_PATH_MAX, (void *)src->str);
		break;
	}
}

static __always_inline void plan_args_fill(struct event *ev, struct plan *p, __u32 base)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file;

	if (p->flags & PF_OPEN) {
		/* arg0 stays the requested flags: the kernel drops O_CREAT/O_TRUNC from f_flags. */
		file = fd_file(p->p1.fd);
		ev->arg1 = !!(BPF_CORE_READ(file, f_mode) & FMODE_CREATED);
	}
	if (p->flags & PF_ARG2_SOCKTYP) {
		struct socket *sock;

		file = fd_file(p->p1.fd);
		sock = BPF_CORE_READ(file, private_data);

		ev->arg2 = BPF_CORE_READ(sock, type);
	}
	if (p->flags & PF_ARG2_ISSOCK)
		ev->arg2 = p->ret >= 0 && file_is(fd_file(p->arg1), S_IFSOCK);
	if ((p->flags & PF_CREDS) && !p->arg2) {
		ev->arg0 = guest_id(BPF_CORE_READ(task, cred, uid.val), base);
		ev->arg1 = guest_id(BPF_CORE_READ(task, cred, euid.val), base);
	} else if (p->flags & PF_CREDS) {
		ev->arg0 = guest_id(BPF_CORE_READ(task, cred, gid.val), base);
		ev->arg1 = guest_id(BPF_CORE_READ(task, cred, egid.val), base);
		ev->arg2 = 0;
	}
	if ((p->flags & PF_ARG0_FAMILY) && ev->data_len >= 2)
		ev->arg0 = *(__u16 *)ev->data;
}

/* Verified once for every plan: a global function sees its argument as unknown values. */
__noinline int plan_emit(struct plan *p)
{
	__u32 base = 0;
	struct event *ev;
	__u32 n;

	if (!p)
		return 0;
	ev = event_start(p->type, &base);
	if (!ev)
		return 0;

	ev->ret = p->ret;
	ev->arg0 = p->arg0;
	ev->arg1 = p->arg1;
	ev->arg2 = p->arg2;
	path_fill(ev->path, event_scratch(ev), &p->p1);
	path_fill(ev->path2, event_scratch(ev), &p->p2);
	n = p->data_len;
	if (n > SOCKADDR_MAX)
		n = SOCKADDR_MAX;
	if (p->data && bpf_probe_read_user(ev->data, n, (void *)p->data) == 0)
		ev->data_len = n;
	plan_args_fill(ev, p, base);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static __always_inline void plan_path(struct path_src *ps, __u32 kind, __s32 fd, __u64 str)
{
	ps->kind = kind;
	ps->fd = fd;
	ps->str = str;
}

/* Syscalls recorded, by x86_64 number; 0 = not of interest. */
enum handler {
	H_NONE,
	H_OPEN, H_OPENAT, H_CREAT, H_OPENAT2, H_WRITE,
	H_RENAME, H_RENAMEAT, H_UNLINK, H_UNLINKAT, H_RMDIR, H_MKDIR, H_MKDIRAT,
	H_CHMOD, H_FCHMOD, H_FCHMODAT, H_CHOWN, H_FCHOWN, H_FCHOWNAT,
	H_LINK, H_LINKAT, H_SYMLINK, H_SYMLINKAT, H_TRUNCATE, H_FTRUNCATE,
	H_MMAP, H_MPROTECT, H_MEMFD,
	H_SOCKET, H_CONNECT, H_BIND, H_LISTEN, H_ACCEPT, H_SENDTO, H_SENDMSG, H_DUP,
	H_SETUID, H_SETGID, H_CAPSET, H_PTRACE, H_VM_WRITE, H_VM_READ, H_KILL, H_TGKILL,
	H_KMOD, H_BPF, H_UNSHARE, H_SETNS, H_CLONE, H_CLONE3,
	H_MOUNT, H_UMOUNT, H_MOUNT_PATH0, H_OPEN_TREE, H_MOVE_MOUNT,
	H_UTIME, H_UTIMES, H_FUTIMESAT, H_UTIMENSAT, H_SETXATTR, H_FSETXATTR,
};

static const volatile __u8 handlers[NR_MAX] = {
	[2] = H_OPEN, [257] = H_OPENAT, [85] = H_CREAT, [437] = H_OPENAT2,
	[1] = H_WRITE, [18] = H_WRITE, [20] = H_WRITE, [296] = H_WRITE, [328] = H_WRITE,
	[82] = H_RENAME, [264] = H_RENAMEAT, [316] = H_RENAMEAT,
	[87] = H_UNLINK, [263] = H_UNLINKAT, [84] = H_RMDIR, [83] = H_MKDIR, [258] = H_MKDIRAT,
	[90] = H_CHMOD, [91] = H_FCHMOD, [268] = H_FCHMODAT, [452] = H_FCHMODAT,
	[92] = H_CHOWN, [94] = H_CHOWN, [93] = H_FCHOWN, [260] = H_FCHOWNAT,
	[86] = H_LINK, [265] = H_LINKAT, [88] = H_SYMLINK, [266] = H_SYMLINKAT,
	[76] = H_TRUNCATE, [77] = H_FTRUNCATE,
	[9] = H_MMAP, [10] = H_MPROTECT, [319] = H_MEMFD,
	[41] = H_SOCKET, [42] = H_CONNECT, [49] = H_BIND, [50] = H_LISTEN,
	[43] = H_ACCEPT, [288] = H_ACCEPT, [44] = H_SENDTO, [46] = H_SENDMSG,
	[33] = H_DUP, [292] = H_DUP,
	[105] = H_SETUID, [113] = H_SETUID, [117] = H_SETUID, [122] = H_SETUID,
	[106] = H_SETGID, [114] = H_SETGID, [119] = H_SETGID, [123] = H_SETGID,
	[126] = H_CAPSET, [101] = H_PTRACE, [311] = H_VM_WRITE, [310] = H_VM_READ,
	[62] = H_KILL, [200] = H_KILL, [129] = H_KILL, [234] = H_TGKILL, [297] = H_TGKILL,
	[175] = H_KMOD, [176] = H_KMOD, [313] = H_KMOD, [321] = H_BPF,
	[272] = H_UNSHARE, [308] = H_SETNS, [56] = H_CLONE, [435] = H_CLONE3,
	[165] = H_MOUNT, [166] = H_UMOUNT, [155] = H_MOUNT_PATH0, [430] = H_MOUNT_PATH0,
	[428] = H_OPEN_TREE, [429] = H_MOVE_MOUNT,
	[132] = H_UTIME, [235] = H_UTIMES, [261] = H_FUTIMESAT, [280] = H_UTIMENSAT,
	[188] = H_SETXATTR, [189] = H_SETXATTR, [190] = H_FSETXATTR,
};

#define A(i) regs_arg(regs, i)

static __always_inline bool plan_open(__u32 h, struct pt_regs *regs, struct plan *p)
{
	__u64 flags = h == H_OPEN ? A(1) : h == H_CREAT ? O_CREAT | O_TRUNC | 1 : A(2);
	__s32 dirfd = h == H_OPENAT || h == H_OPENAT2 ? (__s32)A(0) : AT_FDCWD;
	__u64 name = h == H_OPENAT || h == H_OPENAT2 ? A(1) : A(0);
	struct file *file;
	__u64 key;

	if (h == H_OPENAT2)
		bpf_probe_read_user(&flags, sizeof(flags), (void *)A(2));
	p->type = EV_FILE_OPEN;
	p->arg0 = flags;
	if (p->ret < 0) {
		plan_path(&p->p1, PK_AT, dirfd, name);
		return !(flags & O_DIRECTORY);
	}
	file = fd_file(p->ret);
	if (!(flags & (O_ACCMODE | O_CREAT | O_TRUNC)) && file_is(file, S_IFDIR))
		return false;
	/* This address may have belonged to an earlier file that was written and closed. */
	key = (__u64)file;
	bpf_map_delete_elem(&written, &key);
	plan_path(&p->p1, PK_FD, p->ret, 0);
	p->flags |= PF_OPEN;
	return true;
}

static __always_inline bool plan_write(struct pt_regs *regs, struct plan *p)
{
	struct file *file = fd_file(A(0));
	__u64 key = (__u64)file;
	__u8 one = 1;

	if (p->ret <= 0 || !file || !file_is(file, S_IFREG))
		return false;
	if (bpf_map_update_elem(&written, &key, &one, BPF_NOEXIST) < 0)
		return false;
	p->type = EV_FILE_WRITE;
	plan_path(&p->p1, PK_FD, A(0), 0);
	return true;
}

static __always_inline bool plan_file(__u32 h, struct pt_regs *regs, struct plan *p)
{
	switch (h) {
	case H_RENAME:
		p->type = EV_FILE_RENAME;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		plan_path(&p->p2, PK_AT, AT_FDCWD, A(1));
		return true;
	case H_RENAMEAT:
		p->type = EV_FILE_RENAME;
		plan_path(&p->p1, PK_AT, A(0), A(1));
		plan_path(&p->p2, PK_AT, A(2), A(3));
		p->arg0 = p->nr == 316 ? A(4) : 0;
		return true;
	case H_UNLINK:
	case H_RMDIR:
		p->type = EV_FILE_UNLINK;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		p->arg0 = h == H_RMDIR;
		return true;
	case H_UNLINKAT:
		p->type = EV_FILE_UNLINK;
		plan_path(&p->p1, PK_AT, A(0), A(1));
		p->arg0 = !!(A(2) & AT_REMOVEDIR);
		return true;
	case H_MKDIR:
		p->type = EV_FILE_MKDIR;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		p->arg0 = A(1);
		return true;
	case H_MKDIRAT:
		p->type = EV_FILE_MKDIR;
		plan_path(&p->p1, PK_AT, A(0), A(1));
		p->arg0 = A(2);
		return true;
	}
	return false;
}

static __always_inline bool plan_attr(__u32 h, struct pt_regs *regs, struct plan *p)
{
	switch (h) {
	case H_CHMOD:
		p->type = EV_FILE_CHMOD;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		p->arg0 = A(1);
		return true;
	case H_FCHMOD:
		p->type = EV_FILE_CHMOD;
		plan_path(&p->p1, PK_FD, A(0), 0);
		p->arg0 = A(1);
		return true;
	case H_FCHMODAT:
		p->type = EV_FILE_CHMOD;
		plan_path(&p->p1, PK_AT, A(0), A(1));
		p->arg0 = A(2);
		return true;
	case H_CHOWN:
		p->type = EV_FILE_CHOWN;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		p->arg0 = (__u32)A(1);
		p->arg1 = (__u32)A(2);
		return true;
	case H_FCHOWN:
		p->type = EV_FILE_CHOWN;
		plan_path(&p->p1, PK_FD, A(0), 0);
		p->arg0 = (__u32)A(1);
		p->arg1 = (__u32)A(2);
		return true;
	case H_FCHOWNAT:
		p->type = EV_FILE_CHOWN;
		plan_path(&p->p1, PK_AT, A(0), A(1));
		p->arg0 = (__u32)A(2);
		p->arg1 = (__u32)A(3);
		return true;
	}
	return false;
}

/*
 * Explicit file times: arg0 = the modification time set, in seconds; 0 when the call sets
 * "now" (a NULL times pointer or UTIME_NOW), as touch without a date does.
 */
static __always_inline bool plan_times(__u32 h, struct pt_regs *regs, struct plan *p)
{
	__s64 t[4] = {};
	__u64 times;

	switch (h) {
	case H_UTIME:
	case H_UTIMES:
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		times = A(1);
		break;
	case H_FUTIMESAT:
		plan_path(&p->p1, PK_AT, A(0), A(1));
		times = A(2);
		break;
	case H_UTIMENSAT:
		/* futimens(fd) is utimensat(fd, NULL, ...). */
		if (A(1))
			plan_path(&p->p1, PK_AT, A(0), A(1));
		else
			plan_path(&p->p1, PK_FD, A(0), 0);
		times = A(2);
		break;
	default:
		return false;
	}
	p->type = EV_FILE_UTIMES;
	if (times)
		bpf_probe_read_user(t, sizeof(t), (void *)times);
	/* struct utimbuf: actime, modtime; timeval/timespec pairs: sec, usec/nsec each. */
	if (h == H_UTIME)
		p->arg0 = t[1];
	else if (h == H_UTIMENSAT && (t[3] == UTIME_NOW_NS || t[3] == UTIME_OMIT_NS))
		p->arg0 = 0;
	else
		p->arg0 = t[2];
	return true;
}

static __always_inline bool plan_xattr(__u32 h, struct pt_regs *regs, struct plan *p)
{
	if (h != H_SETXATTR && h != H_FSETXATTR)
		return false;
	p->type = EV_FILE_XATTR;
	if (h == H_SETXATTR)
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
	else
		plan_path(&p->p1, PK_FD, A(0), 0);
	plan_path(&p->p2, PK_USTR, 0, A(1));
	return true;
}

static __always_inline bool plan_link(__u32 h, struct pt_regs *regs, struct plan *p)
{
	switch (h) {
	case H_LINK:
		p->type = EV_FILE_LINK;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		plan_path(&p->p2, PK_AT, AT_FDCWD, A(1));
		return true;
	case H_LINKAT:
		p->type = EV_FILE_LINK;
		plan_path(&p->p1, PK_AT, A(0), A(1));
		plan_path(&p->p2, PK_AT, A(2), A(3));
		return true;
	case H_SYMLINK:
		p->type = EV_FILE_SYMLINK;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(1));
		plan_path(&p->p2, PK_USTR, 0, A(0));
		return true;
	case H_SYMLINKAT:
		p->type = EV_FILE_SYMLINK;
		plan_path(&p->p1, PK_AT, A(1), A(2));
		plan_path(&p->p2, PK_USTR, 0, A(0));
		return true;
	case H_TRUNCATE:
		p->type = EV_FILE_TRUNCATE;
		plan_path(&p->p1, PK_AT, AT_FDCWD, A(0));
		p->arg0 = A(1);
		return true;
	case H_FTRUNCATE:
		p->type = EV_FILE_TRUNCATE;
		plan_path(&p->p1, PK_FD, A(0), 0);
		p->arg0 = A(1);
		return true;
	}
	return false;
}

static long vma_anon_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(bool *)data = BPF_CORE_READ(vma, vm_file) == NULL;
	return 0;
}

static __always_inline bool addr_is_anon(__u64 addr)
{
	bool anon = false;

	bpf_find_vma(bpf_get_current_task_btf(), addr, vma_anon_cb, &anon, 0);
	return anon;
}

static __always_inline bool plan_mem(__u32 h, struct pt_regs *regs, struct plan *p)
{
	switch (h) {
	case H_MMAP:
		/*
		 * Executable file mappings are how libraries load; anonymous code, or a
		 * mapping both writable and executable, is the oddity.
		 */
		if (!(A(2) & PROT_EXEC) ||
		    (!(A(3) & MAP_ANONYMOUS) && !(A(2) & PROT_WRITE)))
			return false;
		p->type = EV_MEM_EXEC;
		p->arg0 = A(2);
		p->arg1 = 1;
		return true;
	case H_MPROTECT:
		/* Code made from data: W+X requested, or exec granted to anonymous memory. */
		if (!(A(2) & PROT_EXEC) || (!(A(2) & PROT_WRITE) && !addr_is_anon(A(0))))
			return false;
		p->type = EV_MEM_EXEC;
		p->arg0 = A(2);
		p->arg1 = 2;
		return true;
	case H_MEMFD:
		p->type = EV_MEMFD_CREATE;
		plan_path(&p->p1, PK_USTR, 0, A(0));
		p->arg0 = A(1);
		return true;
	}
	return false;
}

static __always_inline bool plan_net(__u32 h, struct pt_regs *regs, struct plan *p)
{
	struct user_msghdr msg = {};

	switch (h) {
	case H_SOCKET:
		p->type = EV_NET_SOCKET;
		p->arg0 = A(0);
		p->arg1 = A(1);
		p->arg2 = A(2);
		return true;
	case H_CONNECT:
	case H_BIND:
		p->type = h == H_CONNECT ? EV_NET_CONNECT : EV_NET_BIND;
		p->data = A(1);
		p->data_len = A(2);
		break;
	case H_SENDTO:
		if (!A(4))
			return false;
		p->type = EV_NET_SENDTO;
		p->data = A(4);
		p->data_len = A(5);
		break;
	case H_SENDMSG:
		bpf_probe_read_user(&msg, sizeof(msg), (void *)A(1));
		if (!msg.msg_name)
			return false;
		p->type = EV_NET_SENDTO;
		p->data = (__u64)msg.msg_name;
		p->data_len = msg.msg_namelen;
		break;
	case H_LISTEN:
		p->type = EV_NET_LISTEN;
		p->arg1 = A(1);
		break;
	case H_ACCEPT:
		p->type = EV_NET_ACCEPT;
		break;
	case H_DUP:
		if (A(1) > 2 || A(0) == A(1))
			return false;
		p->type = EV_FD_DUP;
		p->arg0 = A(0);
		p->arg1 = A(1);
		p->flags |= PF_ARG2_ISSOCK;
		return true;
	default:
		return false;
	}
	p->p1.fd = A(0);
	p->flags |= PF_ARG2_SOCKTYP | PF_ARG0_FAMILY;
	return true;
}

static __always_inline bool plan_priv(__u32 h, struct pt_regs *regs, struct plan *p)
{
	__u32 caps[3] = {};

	switch (h) {
	case H_SETUID:
	case H_SETGID:
		p->type = h == H_SETUID ? EV_PRIV_SETUID : EV_PRIV_SETGID;
		p->arg2 = h == H_SETGID;
		p->flags |= PF_CREDS;
		return true;
	case H_CAPSET:
		/* struct __user_cap_data_struct: effective, permitted, inheritable. */
		bpf_probe_read_user(caps, sizeof(caps), (void *)A(1));
		p->type = EV_PRIV_CAPSET;
		p->arg0 = caps[0];
		p->arg1 = caps[1];
		return true;
	case H_PTRACE:
		p->type = EV_PTRACE;
		p->arg0 = A(0);
		p->arg1 = (__s32)A(1);
		return true;
	case H_VM_WRITE:
	case H_VM_READ:
		p->type = h == H_VM_WRITE ? EV_PROC_VM_WRITE : EV_PROC_VM_READ;
		p->arg1 = (__s32)A(0);
		return true;
	case H_KILL:
	case H_TGKILL:
		p->type = EV_SIGNAL;
		p->arg0 = h == H_KILL ? A(1) : A(2);
		p->arg1 = (__s32)(h == H_KILL ? A(0) : A(1));
		return p->arg0 != 0;
	}
	return false;
}

static __always_inline bool plan_kernel(__u32 h, struct pt_regs *regs, struct plan *p)
{
	__u64 flags = 0;

	p->arg0 = p->nr;
	switch (h) {
	case H_KMOD:
		p->type = EV_KMOD_LOAD;
		if (p->nr == 176)
			plan_path(&p->p1, PK_USTR, 0, A(0));
		return true;
	case H_BPF:
		p->type = EV_BPF;
		p->arg0 = A(0);
		return true;
	case H_UNSHARE:
	case H_CLONE:
		flags = A(0);
		break;
	case H_SETNS:
		flags = A(1);
		break;
	case H_CLONE3:
		/* struct clone_args starts with the flags. */
		bpf_probe_read_user(&flags, sizeof(flags), (void *)A(0));
		break;
	default:
		return false;
	}
	p->type = EV_NAMESPACE;
	p->arg1 = flags;
	return h == H_SETNS || (flags & CLONE_NEW_ANY);
}

static __always_inline bool plan_mount(__u32 h, struct pt_regs *regs, struct plan *p)
{
	p->type = EV_MOUNT;
	p->arg0 = p->nr;
	switch (h) {
	case H_MOUNT:
		plan_path(&p->p1, PK_USTR, 0, A(1));
		plan_path(&p->p2, PK_USTR, 0, A(2));
		p->arg1 = A(3);
		return true;
	case H_UMOUNT:
	case H_MOUNT_PATH0:
		plan_path(&p->p1, PK_USTR, 0, A(0));
		p->arg1 = A(1);
		return true;
	case H_OPEN_TREE:
		plan_path(&p->p1, PK_USTR, 0, A(1));
		p->arg1 = A(2);
		return true;
	case H_MOVE_MOUNT:
		plan_path(&p->p1, PK_USTR, 0, A(3));
		p->arg1 = A(4);
		return true;
	}
	return false;
}

static __always_inline bool plan_build(__u32 h, struct pt_regs *regs, struct plan *p)
{
	if (h <= H_OPENAT2)
		return plan_open(h, regs, p);
	if (h == H_WRITE)
		return plan_write(regs, p);
	return plan_file(h, regs, p) || plan_attr(h, regs, p) || plan_link(h, regs, p) ||
	       plan_mem(h, regs, p) || plan_net(h, regs, p) || plan_priv(h, regs, p) ||
	       plan_kernel(h, regs, p) || plan_mount(h, regs, p) || plan_times(h, regs, p) ||
	       plan_xattr(h, regs, p);
}

/*
 * A call the guest's filter refuses returns its errno without running; it still passes
 * sys_exit. The filter's rules (sysfilter.c) are loaded into denied[] by user space: a
 * refused call of a rule is one that returns EPERM with the rule's condition met.
 */
static __always_inline bool seccomp_refused(__u8 when, struct pt_regs *regs, long ret)
{
	if (ret != -1 /* EPERM */)
		return false;
	switch (when) {
	case DENY_NEWUSER_A0:
		return (A(0) & CLONE_NEWUSER) != 0;
	case DENY_NEWUSER_A1:
		return A(1) == CLONE_NEWUSER;
	default:
		return true;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct plan p = {};
	__u64 nr;
	__u32 h;

	__u8 deny;

	/* The syscall number first: most calls (a stat walk's) leave right here. */
	nr = BPF_CORE_READ(regs, orig_ax);
	if (nr >= NR_MAX)
		return 0;
	h = handlers[nr & (NR_MAX - 1)];
	deny = denied[nr & (NR_MAX - 1)];
	if (h == H_NONE && deny == DENY_NONE)
		return 0;
	if (!watched_base())
		return 0;

	if (deny != DENY_NONE && seccomp_refused(deny, regs, ret)) {
		p.type = EV_SYSCALL_DENIED;
		p.nr = nr;
		p.ret = ret;
		p.arg0 = nr;
		plan_emit(&p);
		__builtin_memset(&p, 0, sizeof(p));
	}
	if (h == H_NONE)
		return 0;

	p.nr = nr;
	p.ret = ret;
	if (plan_build(h, regs, &p))
		plan_emit(&p);
	return 0;
}
