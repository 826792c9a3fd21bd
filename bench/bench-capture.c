/* SPDX-License-Identifier: MIT */
/*
 * Cost of the capture on a syscall-heavy guest: the statwalk of /usr natively, inside a
 * watched cgroup (events consumed as they come) and under strace, medians side by side.
 * usage: bench-capture STATWALK [DIR] [ROUNDS]; needs root for the capture part.
 */
#include "capture.h"
#include "macros.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS        5
#define CGROUP_ROOT "/sys/fs/cgroup/unified"

enum mode { MODE_NATIVE, MODE_CAPTURE, MODE_STRACE };

struct bench {
	const char *statwalk, *dir, *rounds;
	char cgroup[128];
	struct capture *capture;
	uint64_t events;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_count(const struct event *ev, void *userdata)
{
	((struct bench *)userdata)->events++;
}

static void bench_child(struct bench *b, enum mode mode)
{
	char pid[16];
	int fd;

	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 1);
	if (mode == MODE_CAPTURE) {
		char path[160];

		snprintf(path, sizeof(path), "%s/cgroup.procs", b->cgroup);
		snprintf(pid, sizeof(pid), "%d", getpid());
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
			_exit(120);
	}
	if (mode == MODE_STRACE)
		execlp("strace", "strace", "-f", "-o", "/dev/null", b->statwalk, b->dir, b->rounds,
		       (char *)NULL);
	else
		execl(b->statwalk, b->statwalk, b->dir, b->rounds, (char *)NULL);
	_exit(127);
}

/* Seconds one walk takes, or a negative value when it could not run. */
static double bench_run(struct bench *b, enum mode mode)
{
	struct pollfd pfd = {.fd = b->capture ? capture_fd(b->capture) : -1, .events = POLLIN};
	double start = now_s();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		bench_child(b, mode);
	for (;;) {
		if (mode == MODE_CAPTURE) {
			poll(&pfd, 1, 10);
			capture_consume(b->capture, bench_count, b);
		}
		if (waitpid(pid, &status, mode == MODE_CAPTURE ? WNOHANG : 0) == pid)
			break;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return now_s() - start;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double bench_median(struct bench *b, enum mode mode)
{
	double t[RUNS];

	for (int i = 0; i < RUNS; i++) {
		t[i] = bench_run(b, mode);
		if (t[i] < 0)
			return -1;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

static int bench_capture_open(struct bench *b)
{
	struct stat st;
	double start = now_s();

	snprintf(b->cgroup, sizeof(b->cgroup), CGROUP_ROOT "/sandtrap-bench-%d", getpid());
	if (mkdir(b->cgroup, 0755) < 0 || stat(b->cgroup, &st) < 0)
		return neg_errno();
	if (capture_new(&b->capture) < 0 || capture_watch_cgroup(b->capture, st.st_ino, 0) < 0)
		return -EPERM;
	printf("capture load+attach: %.3f s\n", now_s() - start);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = {.dir = "/usr", .rounds = "1"};
	double native, cap = -1, st;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-capture STATWALK [DIR] [ROUNDS]\n");
		return 2;
	}
	b.statwalk = argv[1];
	if (argc > 2)
		b.dir = argv[2];
	if (argc > 3)
		b.rounds = argv[3];

	bench_run(&b, MODE_NATIVE); /* warm the dentry cache */
	native = bench_median(&b, MODE_NATIVE);
	if (bench_capture_open(&b) == 0)
		cap = bench_median(&b, MODE_CAPTURE);
	capture_free(b.capture);
	b.capture = NULL;
	if (b.cgroup[0])
		rmdir(b.cgroup);
	native = (native + bench_median(&b, MODE_NATIVE)) / 2;
	st = bench_median(&b, MODE_STRACE);

	printf("statwalk %s x%s, median of %d: native %.3f s", b.dir, b.rounds, RUNS, native);
	if (cap > 0)
		printf(", capture %.3f s (%" PRIu64 " events)", cap, b.events);
	if (st > 0)
		printf(", strace %.3f s", st);
	printf("\n");
	if (cap > 0)
		printf("capture %.2fx native (target <= 1.3x)", cap / native);
	if (st > 0)
		printf("%sstrace %.1fx native", cap > 0 ? ", " : "", st / native);
	printf("\n");
	return 0;
}
