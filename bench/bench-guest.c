/* SPDX-License-Identifier: MIT */
/*
 * Guest setup plus teardown for /bin/true, against bubblewrap creating its namespaces for
 * the same command, measured side by side in one run. The capture is loaded once, as in
 * the server; each guest gets its root filesystem, cgroups, simulated internet and
 * capture watch, runs /bin/true, and is killed and removed.
 */
#include "capture.h"
#include "guest.h"
#include "log.h"
#include "macros.h"
#include "netsim.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 31

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void on_event(const struct event *ev, void *userdata)
{
}

static int guest_once(struct capture *cap, int true_fd)
{
	struct guest_config cfg = {
		.sample_fd = true_fd,
		.sample_name = "true",
		.limits = { 512ull << 20, 256, 100 },
		.disk_bytes = 256ull << 20,
		.profile = &decoy_default_profile,
	};
	struct netsim *ns = NULL;
	struct guest *g;
	int r = guest_start(&cfg, &g);

	if (r < 0)
		return r;
	r = netsim_new(guest_netns_fd(g), on_event, NULL, &ns);
	if (r == 0)
		r = capture_watch_cgroup(cap, guest_cgroup_id(g), guest_uid_base(g));
	if (r == 0)
		r = guest_release(g);
	for (bool empty = false; r == 0 && !empty;) {
		struct pollfd p = { .fd = guest_ctl_fd(g), .events = POLLIN };
		enum guest_state st;
		int status;

		if (poll(&p, 1, 5000) <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		r = guest_ctl_read(g, &st, &status);
		empty = st == GUEST_EMPTY;
	}
	capture_consume(cap, on_event, NULL);
	capture_unwatch_cgroup(cap, guest_cgroup_id(g));
	netsim_free(ns);
	guest_free(g);
	return r;
}

static double bwrap_once(void)
{
	char *argv[] = { "bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink",
			 "usr/lib64", "/lib64", "--symlink", "usr/lib", "/lib", "--proc", "/proc",
			 "--dev", "/dev", "/usr/bin/true", NULL };
	double t0 = now_ms();
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, "bwrap", NULL, NULL, argv, environ) != 0)
		return -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? now_ms() - t0 : -1;
}

int main(void)
{
	double guest[RUNS], bwrap[RUNS];
	struct capture *cap;
	int true_fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
	bool have_bwrap = true;

	log_set_level(LOG_ERR);
	if (capture_new(&cap) < 0) {
		fprintf(stderr, "bench-guest: cannot load the capture (root needed)\n");
		return 1;
	}
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ms();

		if (guest_once(cap, true_fd) < 0) {
			fprintf(stderr, "bench-guest: a guest failed\n");
			return 1;
		}
		guest[i] = now_ms() - t0;
		bwrap[i] = have_bwrap ? bwrap_once() : -1;
		have_bwrap = bwrap[i] >= 0;
	}

	double g = median(guest, RUNS);
	printf("guest setup+teardown for /bin/true: median %.1f ms over %d runs (target <= 50 ms)\n",
	       g, RUNS);
	if (have_bwrap) {
		double b = median(bwrap, RUNS);

		printf("bubblewrap --unshare-all /usr/bin/true: median %.1f ms\n", b);
		printf("ratio guest / bubblewrap: %.2fx\n", g / b);
	}
	capture_free(cap);
	return g <= 50.0 ? 0 : 3;
}
