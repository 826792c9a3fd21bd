/* SPDX-License-Identifier: MIT */
/*
 * respond_kill: the processes running an object and their descendants. Each is stopped
 * as soon as it is found, so the tree cannot grow while it is walked, then all are
 * killed. Pids are signalled through a pidfd opened after the process's start time was
 * checked again, so a pid reused in the meantime is never hit.
 */
#include "respond.h"

#include "log.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KILL_MAX_PROCS   (1 << 22) /* the kernel's highest pid_max */
#define KILL_MAX_FDS     65536     /* descriptors looked at per process */
#define KILL_MAX_TARGETS 65536
#define KILL_MAX_ROUNDS  500
#define KILL_WAIT_ROUNDS 200
#define PF_KTHREAD       0x00200000

struct proc_info {
	pid_t pid, ppid;
	char state;
	unsigned flags;
	unsigned long long start;
};

struct target {
	pid_t pid;
	unsigned long long start;
};

struct kill_set {
	struct target *t;
	size_t n, cap;
	bool full;
	dev_t dev;
	ino_t ino;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

static int proc_info_read(pid_t pid, struct proc_info *ret)
{
	char path[32], buf[1024], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? neg_errno() : -ESRCH;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: it ends at the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	ret->pid = pid;
	if (sscanf(p + 1,
		   " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &ret->state, &ret->ppid, &ret->flags, &ret->start) != 4)
		return -EBADMSG;
	return 0;
}

static bool proc_gone(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

/* Never ourselves, init or a kernel thread. */
static bool proc_spared(const struct proc_info *p)
{
	return p->pid == getpid() || p->pid == 1 || (p->flags & PF_KTHREAD) || p->pid == 2;
}

static int pid_signal(const struct target *t, int sig)
{
	_cleanup_close_ int pidfd = syscall(SYS_pidfd_open, t->pid, 0);
	struct proc_info now;

	if (pidfd < 0)
		return neg_errno();
	/* the pidfd holds the process that has the pid now: is it still the one found? */
	if (proc_info_read(t->pid, &now) < 0 || now.start != t->start)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return neg_errno();
	return 0;
}

static bool kill_set_has(const struct kill_set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].pid == pid)
			return true;
	return false;
}

/* Add p and stop it at once; 1 when it was new. */
static int kill_set_add(struct kill_set *s, const struct proc_info *p)
{
	if (proc_spared(p) || kill_set_has(s, p->pid))
		return 0;
	if (s->n == KILL_MAX_TARGETS) {
		s->full = true;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct target *t = reallocarray(s->t, cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		s->t = t;
		s->cap = cap;
	}
	s->t[s->n++] = (struct target){.pid = p->pid, .start = p->start};
	pid_signal(&s->t[s->n - 1], SIGSTOP);
	return 1;
}

static bool file_is(const struct stat *st, const struct kill_set *s)
{
	return st->st_dev == s->dev && st->st_ino == s->ino;
}

/* Does pid run the object, or hold it open (an interpreter running it as a script)? */
static bool proc_uses(pid_t pid, const struct kill_set *s)
{
	char path[48];
	struct stat st;
	struct dirent *de;
	DIR *d;
	unsigned n = 0;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) == 0 && file_is(&st, s))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && n++ < KILL_MAX_FDS && (de = readdir(d)))
		found = de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			file_is(&st, s);
	closedir(d);
	return found;
}

typedef int (*proc_fn)(struct kill_set *s, const struct proc_info *p);

/* Every process in /proc, at most KILL_MAX_PROCS; fn's results summed. */
static int proc_walk(struct kill_set *s, proc_fn fn)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned seen = 0;
	int r = 0, total = 0;

	if (!d)
		return neg_errno();
	while (r >= 0 && seen++ < KILL_MAX_PROCS && (de = readdir(d))) {
		struct proc_info p;
		char *end;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX || proc_info_read(pid, &p) < 0)
			continue;
		r = fn(s, &p);
		total += r > 0 ? r : 0;
	}
	closedir(d);
	return r < 0 ? r : total;
}

static int match_object(struct kill_set *s, const struct proc_info *p)
{
	if (proc_spared(p) || proc_gone(p->state) || !proc_uses(p->pid, s))
		return 0;
	return kill_set_add(s, p);
}

static int match_child(struct kill_set *s, const struct proc_info *p)
{
	if (!kill_set_has(s, p->ppid))
		return 0;
	return kill_set_add(s, p);
}

/* Every target stopped (or dead)? */
static bool kill_set_stopped(const struct kill_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct proc_info p;

		if (proc_info_read(s->t[i].pid, &p) < 0 || p.start != s->t[i].start)
			continue;
		if (p.state != 'T' && p.state != 't' && !proc_gone(p.state))
			return false;
	}
	return true;
}

/*
 * Descendants until a walk finds none and all are stopped; a process in the kernel (a
 * vfork parent) may never show as stopped, so after a while no new ones is enough.
 */
static int kill_set_close(struct kill_set *s)
{
	for (unsigned round = 0; round < KILL_MAX_ROUNDS; round++) {
		int added = proc_walk(s, match_child);

		if (added < 0)
			return added;
		if (added == 0 && (round > 50 || kill_set_stopped(s)))
			return 0;
		if (added == 0)
			sleep_ms(2);
	}
	return -EBUSY;
}

static int kill_given(struct kill_set *s, const pid_t *pids, size_t n_pids)
{
	for (size_t i = 0; i < n_pids; i++) {
		struct proc_info p;
		int r;

		if (pids[i] <= 0 || proc_info_read(pids[i], &p) < 0)
			continue;
		if (proc_spared(&p)) {
			log_warn("respond: not killing pid %d (init, a kernel thread or the agent)",
				 (int)p.pid);
			continue;
		}
		r = kill_set_add(s, &p);
		if (r < 0)
			return r;
	}
	return 0;
}

static unsigned kill_set_kill(const struct kill_set *s)
{
	unsigned killed = 0;

	for (size_t i = 0; i < s->n; i++)
		if (pid_signal(&s->t[i], SIGKILL) == 0)
			killed++;
	/* the object may be quarantined next: give the kernel a moment to close it */
	for (unsigned round = 0; round < KILL_WAIT_ROUNDS; round++) {
		bool alive = false;

		for (size_t i = 0; i < s->n && !alive; i++) {
			struct proc_info p;

			alive = proc_info_read(s->t[i].pid, &p) == 0 && p.start == s->t[i].start &&
				!proc_gone(p.state);
		}
		if (!alive)
			break;
		sleep_ms(5);
	}
	return killed;
}

int respond_kill(dev_t dev, ino_t ino, const pid_t *pids, size_t n_pids, unsigned *ret_killed)
{
	struct kill_set s = {.dev = dev, .ino = ino};
	unsigned killed;
	int r = 0;

	if (ino != 0)
		r = proc_walk(&s, match_object);
	if (r >= 0)
		r = kill_given(&s, pids, n_pids);
	if (r >= 0)
		r = kill_set_close(&s);
	if (r < 0)
		log_warn_errno(r, "respond: finding the processes to kill (%zu found)", s.n);

	/* whatever was stopped is killed, even when the walk failed */
	killed = kill_set_kill(&s);
	if (s.full) {
		log_error("respond: more than %d processes to kill", KILL_MAX_TARGETS);
		r = -E2BIG;
	}
	log_info("respond: killed %u processes", killed);
	free(s.t);
	if (ret_killed)
		*ret_killed = killed;
	return r < 0 ? r : 0;
}
