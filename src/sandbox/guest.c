/* SPDX-License-Identifier: MIT */
#include "guest.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "rootfs.h"
#include "sysfilter.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CTL_TIMEOUT_MS 5000
#define CHANGES_MAX    20000
#define CHANGES_DEPTH  48

enum ctl_type {
	CTL_SPAWNED = 1, /* helper -> supervisor: value = init's pid, fds = upper, shm */
	CTL_MAPPED,      /* supervisor -> init: ids are mapped, cgroups joined */
	CTL_READY,       /* init -> supervisor: root and mounts done */
	CTL_GO,          /* supervisor -> init: start the sample */
	CTL_MAIN_EXIT,   /* init -> supervisor: value = the sample's wait status */
	CTL_EMPTY,       /* init -> supervisor: no process left */
	CTL_FAILED,      /* helper or init -> supervisor: value = -errno of a setup step */
	CTL_EXEC_FAILED, /* init -> supervisor: value = -errno of execve */
};

struct ctl_msg {
	uint32_t type;
	int32_t value;
};

struct guest {
	pid_t pid; /* init, as the supervisor sees it */
	int pidfd;
	int ctl_fd;
	int output_fd;
	int netns_fd;
	int upper_fd;
	int shm_fd;
	struct guest_cgroup *cg;
	uint32_t uid_base; /* host uid of guest uid 0, from the claimed slot */
	int slot_fd;       /* holds the slot's lock for the guest's life */
	bool killed;
	char sample_path[128];
};

/* What init needs after the clone; it lives in the helper's copy of the memory. */
struct init_args {
	const struct guest_config *cfg;
	const char *sample_path;
	char **argv; /* copied: init's disguise overwrites the supervisor's argument area */
	int ctl_fd;
	int output_fd;
};

static const char *const guest_env_root[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash",
	"LANG=C.UTF-8", "TERM=xterm-256color", NULL,
};

/* ---- control socket ---- */

static int ctl_send(int fd, enum ctl_type type, int value, const int *fds, size_t n_fds)
{
	struct ctl_msg m = { .type = type, .value = value };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	char cbuf[CMSG_SPACE(sizeof(int) * 2)] = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n_fds > 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? neg_errno() : 0;
}

static int ctl_recv(int fd, int timeout_ms, struct ctl_msg *ret, int *ret_fds, size_t n_fds)
{
	struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) };
	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (timeout_ms >= 0) {
		int r = poll(&p, 1, timeout_ms);

		if (r < 0)
			return neg_errno();
		if (r == 0)
			return -ETIMEDOUT;
	}
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return neg_errno();
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n != sizeof(*ret))
		return -EBADMSG;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t have;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		have = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (have != n_fds || !ret_fds)
			return -EBADMSG;
		memcpy(ret_fds, CMSG_DATA(c), sizeof(int) * n_fds);
	}
	return 0;
}

/* ---- inside the guest: init ---- */

static int init_mount_kernel_fs(void)
{
	static const struct {
		const char *type, *target, *opts;
		unsigned long flags;
	} fs[] = {
		{ "proc", ROOTFS_ROOT_DIR "/proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", ROOTFS_ROOT_DIR "/sys", NULL,
		  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devpts", ROOTFS_ROOT_DIR "/dev/pts", "newinstance,ptmxmode=0666,mode=0620",
		  MS_NOSUID | MS_NOEXEC },
		{ "mqueue", ROOTFS_ROOT_DIR "/dev/mqueue", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	};

	for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
		if (mount(fs[i].type, fs[i].target, fs[i].type, fs[i].flags, fs[i].opts) < 0)
			return neg_errno();
	return 0;
}

static int init_enter_root(void)
{
	/* The copied mounts are locked to this namespace; a fresh bind can be pivoted into. */
	if (mount(ROOTFS_ROOT_DIR, ROOTFS_ROOT_DIR, NULL, MS_BIND | MS_REC, NULL) < 0)
		return neg_errno();
	if (chdir(ROOTFS_ROOT_DIR) < 0)
		return neg_errno();
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return neg_errno();
	if (umount2(".", MNT_DETACH) < 0)
		return neg_errno();
	if (chdir("/") < 0)
		return neg_errno();
	return 0;
}

static int init_become_root(void)
{
	/* Cloned by the host's root, init holds an unmapped uid until it takes guest root. */
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return neg_errno();
	return 0;
}

static int init_setup(const struct init_args *a)
{
	const struct decoy_profile *p = a->cfg->profile;
	int r;

	r = init_become_root();
	/*
	 * Rooted at the run's cgroup, which the supervisor has moved init into:
	 * /proc/self/cgroup then reads "/" like a host's, not the supervisor's name for the run.
	 */
	if (r == 0 && unshare(CLONE_NEWCGROUP) < 0)
		r = neg_errno();
	if (r == 0)
		r = init_mount_kernel_fs();
	if (r == 0 && sethostname(p->hostname, strlen(p->hostname)) < 0)
		r = neg_errno();
	if (r == 0 && setdomainname("(none)", 6) < 0)
		r = neg_errno();
	if (r == 0)
		r = init_enter_root();
	return r;
}

static void sample_drop_to_user(void)
{
	gid_t groups[] = { 4, 27, 100 }; /* adm, sudo, users: a typical workstation account */

	if (setgroups(ARRAY_SIZE(groups), groups) < 0 ||
	    setresgid(GUEST_USER_UID, GUEST_USER_UID, GUEST_USER_UID) < 0 ||
	    setresuid(GUEST_USER_UID, GUEST_USER_UID, GUEST_USER_UID) < 0)
		_exit(126);
}

/* The sample's process: stdio, credentials, the filter, then exec. Never returns. */
static void sample_exec(const struct init_args *a)
{
	const struct guest_config *cfg = a->cfg;
	char home[128], user[96], logname[96];
	const char *env[16];
	size_t e = 0;
	int nul;

	setsid();
	nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(a->output_fd, 1) < 0 || dup2(a->output_fd, 2) < 0)
		_exit(126);

	for (const char *const *s = guest_env_root; *s; s++)
		env[e++] = *s;
	if (cfg->as_user) {
		snprintf(home, sizeof(home), "HOME=/home/%s", cfg->profile->user);
		snprintf(user, sizeof(user), "USER=%s", cfg->profile->user);
		snprintf(logname, sizeof(logname), "LOGNAME=%s", cfg->profile->user);
		env[1] = home;
		env[2] = user;
		env[3] = logname;
	}
	env[e] = NULL;
	if (chdir(env[1] + 5) < 0)
		(void)chdir("/");

	if (sysfilter_install() < 0)
		_exit(126);
	if (cfg->as_user)
		sample_drop_to_user();

	execve(a->sample_path, a->argv, (char **)env);
	ctl_send(a->ctl_fd, CTL_EXEC_FAILED, -errno, NULL, 0);
	_exit(127);
}

/* Reap everything; report the sample's end and, when nothing is left, leave. */
static void init_reap(int ctl_fd, pid_t sample)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			ctl_send(ctl_fd, CTL_EMPTY, 0, NULL, 0);
			_exit(0);
		}
		if (pid == sample)
			ctl_send(ctl_fd, CTL_MAIN_EXIT, status, NULL, 0);
	}
}

/* Whatever the supervisor had open (eBPF maps, other guests' ends) stays outside. */
static void init_close_inherited(const struct init_args *a)
{
	int lo = MIN(a->ctl_fd, a->output_fd), hi = MAX(a->ctl_fd, a->output_fd);

	close_range(3, lo - 1, 0);
	close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
}

static int init_main(void *data)
{
	const struct init_args *a = data;
	struct ctl_msg m;
	pid_t sample;
	int r;

	r = ctl_recv(a->ctl_fd, CTL_TIMEOUT_MS, &m, NULL, 0);
	if (r < 0 || m.type != CTL_MAPPED)
		_exit(1);
	init_close_inherited(a);

	r = init_setup(a);
	if (r < 0) {
		ctl_send(a->ctl_fd, CTL_FAILED, r, NULL, 0);
		_exit(1);
	}

	ctl_send(a->ctl_fd, CTL_READY, 0, NULL, 0);
	r = ctl_recv(a->ctl_fd, -1, &m, NULL, 0);
	if (r < 0 || m.type != CTL_GO)
		_exit(1);

	sample = fork();
	if (sample < 0) {
		ctl_send(a->ctl_fd, CTL_FAILED, neg_errno(), NULL, 0);
		_exit(1);
	}
	if (sample == 0)
		sample_exec(a);

	close(a->output_fd);
	init_reap(a->ctl_fd, sample);
	return 0;
}

/* ---- the helper: root filesystem, then the clone ---- */

/*
 * Make init look like an ordinary system's: "/sbin/init" with comm "systemd". The helper
 * overwrites its own copy of the argument area (PR_SET_MM would need CAP_SYS_RESOURCE,
 * which hosts often withhold); the arguments' bounds come from /proc/self/stat.
 */
static void helper_disguise_init(void)
{
	static const char cmdline[] = "/sbin/init";
	_cleanup_free_ char *stat = NULL;
	unsigned long start = 0, end = 0;
	const char *p;

	prctl(PR_SET_NAME, "systemd", 0, 0, 0);
	if (file_read_all("/proc/self/stat", 4096, &stat, NULL) < 0)
		return;
	p = strrchr(stat, ')');
	/* Fields 48 and 49 are arg_start and arg_end; p points at the end of field 2. */
	for (int field = 2; p && field < 48; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %lu %lu", &start, &end) != 2 || end <= start ||
	    end - start < sizeof(cmdline))
		return;
	memset((char *)start, 0, end - start);
	memcpy((char *)start, cmdline, sizeof(cmdline));
}

static pid_t helper_clone_init(struct init_args *a)
{
	/* The cgroup namespace comes later, once init is in its cgroups (init_setup). */
	const int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET |
			  CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PARENT;
	size_t stack_size = 256 * 1024;
	char *stack = malloc(stack_size);

	if (!stack)
		return -ENOMEM;
	/* The child runs on its own copy of this memory; the helper exits right after. */
	pid_t pid = clone(init_main, stack + stack_size, flags | SIGCHLD, a);
	return pid < 0 ? neg_errno() : pid;
}

static void helper_main(const struct guest_config *cfg, const char *sample_path, int ctl_fd,
			int output_fd, int userns_fd, uint32_t uid_base)
{
	struct rootfs_config rc = {
		.image_dir = cfg->image_dir,
		.userns_fd = userns_fd,
		.uid_base = uid_base,
		.size_bytes = cfg->disk_bytes,
		.profile = cfg->profile,
		.sample_fd = cfg->sample_fd,
		.sample_path = sample_path,
		.sample_uid = cfg->as_user ? GUEST_USER_UID : 0,
	};
	struct init_args a = { cfg, sample_path, NULL, ctl_fd, output_fd };
	struct rootfs fs;
	int r;

	a.argv = calloc(cfg->n_args + 2, sizeof(char *));
	if (!a.argv)
		_exit(1);
	a.argv[0] = (char *)sample_path;
	for (size_t i = 0; i < cfg->n_args; i++)
		if (!(a.argv[i + 1] = strdup(cfg->args[i])))
			_exit(1);

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		r = neg_errno();
	else
		r = rootfs_build(&rc, &fs);
	if (r < 0) {
		ctl_send(ctl_fd, CTL_FAILED, r, NULL, 0);
		_exit(1);
	}

	close(userns_fd);
	close(cfg->sample_fd);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	helper_disguise_init();

	pid_t pid = helper_clone_init(&a);
	if (pid < 0) {
		ctl_send(ctl_fd, CTL_FAILED, pid, NULL, 0);
		_exit(1);
	}
	int fds[2] = { fs.upper_fd, fs.shm_fd };
	ctl_send(ctl_fd, CTL_SPAWNED, pid, fds, 2);
	_exit(0);
}

/* ---- the supervisor's side ---- */

/* Map guest ids 0..65535 of pid's user namespace to host ids base .. base + 65535. */
static int guest_write_idmap(pid_t pid, uint32_t base)
{
	static const char *const files[] = { "uid_map", "gid_map" };
	char path[64], map[64];

	snprintf(map, sizeof(map), "0 %u %u\n", base, GUEST_UID_COUNT);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int r;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		r = file_write_str(path, map);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A user namespace that only carries a slot's id mapping, for id-mapped mounts. One per
 * slot, made on first use and kept for the process's life.
 */
static int guest_idmap_userns(unsigned slot, uint32_t base)
{
	static int cached[GUEST_UID_SLOTS]; /* fd + 1; 0: not made yet */
	char path[64];
	int p[2], r = 0, fd = -1;
	pid_t pid;

	if (cached[slot] > 0)
		return cached[slot] - 1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return neg_errno();
	pid = fork();
	if (pid < 0)
		return neg_errno();
	if (pid == 0) {
		char c;

		close(p[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);

	/* EPERM until the child has unshared. */
	for (int tries = 0; tries < 1000; tries++) {
		r = guest_write_idmap(pid, base);
		if (r != -EPERM)
			break;
		usleep(100);
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? neg_errno() : 0;
		if (fd >= 0)
			cached[slot] = fd + 1;
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	return r < 0 ? log_errno(r, "guest: cannot create the id-mapping namespace") : fd;
}

/*
 * Claim an id range no other live guest on this host uses: slot files under
 * /run/sandtrap/slots, each held with an exclusive lock for the guest's life. Locks die
 * with their holder, so a crashed supervisor frees its slots.
 */
static int guest_claim_slot(struct guest *g, unsigned *ret_slot)
{
	unsigned start = (unsigned)getpid() % GUEST_UID_SLOTS;
	int r = mkdir_p_at(AT_FDCWD, GUEST_SLOT_DIR, 0700);

	if (r < 0)
		return log_errno(r, "guest: cannot create '%s'", GUEST_SLOT_DIR);
	for (unsigned i = 0; i < GUEST_UID_SLOTS; i++) {
		unsigned slot = (start + i) % GUEST_UID_SLOTS;
		char path[64];
		int fd;

		snprintf(path, sizeof(path), GUEST_SLOT_DIR "/%u", slot);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return log_errno(neg_errno(), "guest: cannot open '%s'", path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			g->slot_fd = fd;
			g->uid_base = GUEST_UID_FIRST + slot * GUEST_UID_COUNT;
			*ret_slot = slot;
			return 0;
		}
		close(fd);
	}
	return log_errno(-EBUSY, "guest: all %u id ranges are in use", GUEST_UID_SLOTS);
}

static int guest_open_ns(pid_t pid, const char *ns)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

static int guest_wait_helper(struct guest *g, pid_t helper)
{
	struct ctl_msg m;
	int fds[2] = { -1, -1 }, r;

	r = ctl_recv(g->ctl_fd, CTL_TIMEOUT_MS, &m, fds, 2);
	waitpid(helper, NULL, 0);
	if (r < 0)
		return log_errno(r, "guest: no word from the setup helper (pid %d)", (int)helper);
	if (m.type == CTL_FAILED)
		return log_errno(m.value, "guest: setting up the root filesystem failed");
	if (m.type != CTL_SPAWNED || fds[0] < 0)
		return log_errno(-EPROTO, "guest: unexpected message %u from the helper", m.type);

	g->pid = m.value;
	g->upper_fd = fds[0];
	g->shm_fd = fds[1];
	return 0;
}

static int guest_wait_ready(struct guest *g)
{
	struct ctl_msg m;
	int r;

	r = ctl_recv(g->ctl_fd, CTL_TIMEOUT_MS, &m, NULL, 0);
	if (r < 0)
		return log_errno(r, "guest: init (pid %d) did not get ready", (int)g->pid);
	if (m.type == CTL_FAILED)
		return log_errno(m.value, "guest: init (pid %d) setup failed", (int)g->pid);
	if (m.type != CTL_READY)
		return log_errno(-EPROTO, "guest: unexpected message %u from init", m.type);
	return 0;
}

static int guest_adopt(struct guest *g)
{
	int r;

	g->pidfd = syscall(SYS_pidfd_open, g->pid, 0);
	if (g->pidfd < 0)
		return log_errno(neg_errno(), "guest: pidfd_open(%d)", (int)g->pid);
	r = guest_write_idmap(g->pid, g->uid_base);
	if (r < 0)
		return log_errno(r, "guest: cannot map ids of pid %d", (int)g->pid);
	r = cgroup_attach(g->cg, g->pid);
	if (r < 0)
		return r;
	g->netns_fd = guest_open_ns(g->pid, "net");
	if (g->netns_fd < 0)
		return log_errno(g->netns_fd, "guest: cannot open the network namespace");
	return 0;
}

static struct guest *guest_alloc(void)
{
	struct guest *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->pidfd = g->ctl_fd = g->output_fd = g->netns_fd = g->upper_fd = g->shm_fd = -1;
	g->slot_fd = -1;
	return g;
}

int guest_start(const struct guest_config *cfg, struct guest **ret)
{
	struct guest *g = guest_alloc();
	char name[64];
	int sv[2] = { -1, -1 }, out[2] = { -1, -1 }, userns, r;
	unsigned slot = 0;
	pid_t helper;

	if (!g)
		return -ENOMEM;
	/* Where a downloaded file lands: the running user's Downloads. */
	if (cfg->as_user)
		snprintf(g->sample_path, sizeof(g->sample_path), "/home/%s/Downloads/%s",
			 cfg->profile->user, cfg->sample_name);
	else
		snprintf(g->sample_path, sizeof(g->sample_path), "/root/Downloads/%s",
			 cfg->sample_name);

	r = guest_claim_slot(g, &slot);
	if (r < 0)
		goto fail;
	userns = guest_idmap_userns(slot, g->uid_base);
	if (userns < 0) {
		r = userns;
		goto fail;
	}
	static unsigned serial;

	snprintf(name, sizeof(name), "sandtrap-%d-%u", (int)getpid(), serial++);
	r = cgroup_create(name, &cfg->limits, &g->cg);
	if (r < 0)
		goto fail;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0) {
		r = log_errno(neg_errno(), "guest: cannot create the control channels");
		goto fail;
	}

	helper = fork();
	if (helper < 0) {
		r = log_errno(neg_errno(), "guest: cannot fork the setup helper");
		goto fail;
	}
	if (helper == 0) {
		close(sv[0]);
		close(out[0]);
		helper_main(cfg, g->sample_path, sv[1], out[1], userns, g->uid_base);
	}
	close(TAKE_FD(sv[1]));
	close(TAKE_FD(out[1]));
	g->ctl_fd = TAKE_FD(sv[0]);
	g->output_fd = TAKE_FD(out[0]);

	r = guest_wait_helper(g, helper);
	if (r == 0)
		r = guest_adopt(g);
	if (r == 0)
		r = ctl_send(g->ctl_fd, CTL_MAPPED, 0, NULL, 0);
	if (r == 0)
		r = guest_wait_ready(g);
	if (r < 0)
		goto fail;

	*ret = g;
	return 0;
fail:
	closep(&sv[0]);
	closep(&sv[1]);
	closep(&out[0]);
	closep(&out[1]);
	guest_free(g);
	return r;
}

int guest_release(struct guest *g)
{
	return ctl_send(g->ctl_fd, CTL_GO, 0, NULL, 0);
}

int guest_ctl_fd(const struct guest *g)
{
	return g->ctl_fd;
}

int guest_output_fd(const struct guest *g)
{
	return g->output_fd;
}

int guest_pidfd(const struct guest *g)
{
	return g->pidfd;
}

int guest_netns_fd(const struct guest *g)
{
	return g->netns_fd;
}

uint64_t guest_cgroup_id(const struct guest *g)
{
	return cgroup_id(g->cg);
}

uint32_t guest_uid_base(const struct guest *g)
{
	return g->uid_base;
}

const char *guest_sample_path(const struct guest *g)
{
	return g->sample_path;
}

int guest_ctl_read(struct guest *g, enum guest_state *ret_state, int *ret_status)
{
	struct ctl_msg m;
	int r = ctl_recv(g->ctl_fd, 0, &m, NULL, 0);

	if (r == -ETIMEDOUT) {
		*ret_state = GUEST_RUNNING;
		return 0;
	}
	if (r == -ECONNRESET) {
		*ret_state = GUEST_EMPTY;
		return 0;
	}
	if (r < 0)
		return r;

	*ret_status = m.value;
	switch (m.type) {
	case CTL_MAIN_EXIT:
		*ret_state = GUEST_MAIN_EXITED;
		return 0;
	case CTL_EMPTY:
		*ret_state = GUEST_EMPTY;
		return 0;
	case CTL_EXEC_FAILED:
		*ret_state = GUEST_EXEC_FAILED;
		return 0;
	default:
		return -EPROTO;
	}
}

int guest_kill(struct guest *g)
{
	int r = 0;

	if (g->killed)
		return 0;
	if (g->cg)
		r = cgroup_kill(g->cg, 5000);
	if (g->pid > 0) {
		/* init is our child: the cgroup kill took it, reap it. */
		if (r < 0)
			kill(g->pid, SIGKILL);
		waitpid(g->pid, NULL, __WALL);
	}
	g->killed = true;
	return r;
}

bool guest_hit_memory_limit(const struct guest *g)
{
	return g->cg && cgroup_oom_events(g->cg) > 0;
}

bool guest_hit_pids_limit(const struct guest *g)
{
	return g->cg && cgroup_pids_max_events(g->cg) > 0;
}

bool guest_disk_full(const struct guest *g)
{
	struct statfs s;

	/* The writable layer shares the run's tmpfs with the decoys: a few pages is "full". */
	return g->upper_fd >= 0 && fstatfs(g->upper_fd, &s) == 0 && s.f_bavail < 16;
}

/* ---- what the guest changed ---- */

struct walk {
	guest_change_fn fn;
	void *userdata;
	unsigned count;
};

static int changes_visit(struct walk *w, int dirfd, const char *name, const char *path,
			 const struct stat *st)
{
	struct guest_change ch = { .path = path, .mode = st->st_mode & 07777, .fd = -1 };
	char target[512];
	int r;

	if (S_ISCHR(st->st_mode) && st->st_rdev == 0) {
		ch.kind = "deleted"; /* an overlayfs whiteout */
	} else if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

		target[n < 0 ? 0 : n] = '\0';
		ch.kind = "symlink";
		ch.link_target = target;
	} else if (S_ISREG(st->st_mode)) {
		ch.kind = "file";
		ch.fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	} else {
		ch.kind = "other";
	}
	r = w->fn(&ch, w->userdata);
	closep(&ch.fd);
	return r;
}

static int changes_walk(struct walk *w, int dir_fd, const char *prefix, int depth)
{
	_cleanup_close_ int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	int r = 0;

	if (fd < 0)
		return neg_errno();
	if (depth > CHANGES_DEPTH)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return neg_errno();
	fd = -1;

	for (struct dirent *de; r == 0 && (de = readdir(d)) && w->count < CHANGES_MAX;) {
		char path[4096];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", prefix, de->d_name) >= sizeof(path))
			continue;
		w->count++;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(dirfd(d), de->d_name,
							 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub >= 0)
				r = changes_walk(w, sub, path, depth + 1);
			continue;
		}
		r = changes_visit(w, dirfd(d), de->d_name, path, &st);
	}
	closedir(d);
	return r;
}

int guest_collect_changes(struct guest *g, guest_change_fn fn, void *userdata)
{
	struct walk w = { fn, userdata, 0 };
	int r;

	if (!g->killed)
		return -EBUSY;
	r = changes_walk(&w, g->upper_fd, "", 0);
	if (r == 0)
		r = changes_walk(&w, g->shm_fd, "/dev/shm", 0);
	return r;
}

void guest_free(struct guest *g)
{
	if (!g)
		return;
	if (g->pid > 0)
		guest_kill(g);
	cgroup_destroy(g->cg);
	closep(&g->pidfd);
	closep(&g->ctl_fd);
	closep(&g->output_fd);
	closep(&g->netns_fd);
	closep(&g->upper_fd);
	closep(&g->shm_fd);
	closep(&g->slot_fd);
	free(g);
}
