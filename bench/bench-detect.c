/* SPDX-License-Identifier: MIT */
/*
 * Rule evaluation speed: a synthetic but realistic mix of events (opens of libraries and
 * configuration, forks and execs, connects, DNS, writes in a build tree) run through the
 * default rule set on one core. Prints events per second.
 */
#include "detect.h"
#include "event.h"
#include "macros.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define POOL   4096
#define ROUNDS 500

static const char *const paths[] = {
        "/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/etc/nsswitch.conf",
        "/home/dmitchell/project/src/main.c", "/tmp/cc8f2a.o", "/usr/share/locale/locale.alias",
        "/proc/self/maps", "/etc/passwd", "/home/dmitchell/.bashrc", "/var/lib/dpkg/status",
};
static const char *const exes[] = {"/usr/bin/gcc", "/bin/sh", "/usr/bin/make", "/usr/bin/ls",
                                   "/usr/bin/python3", "/usr/bin/tar"};

static void bench_event(struct event *ev, size_t i)
{
	static const enum event_type mix[] = {
	        EV_FILE_OPEN, EV_FILE_OPEN, EV_FILE_OPEN, EV_FILE_OPEN, EV_FILE_OPEN,
	        EV_FILE_WRITE, EV_MEM_EXEC, EV_PROC_FORK, EV_PROC_EXEC, EV_PROC_EXIT,
	        EV_NET_CONNECT, EV_DNS_QUERY, EV_FILE_RENAME, EV_FILE_UNLINK, EV_FD_DUP,
	        EV_FILE_CHMOD,
	};

	memset(ev, 0, sizeof(*ev));
	ev->type = mix[i % ARRAY_SIZE(mix)];
	ev->pid = 100 + (int)(i % 50);
	ev->ppid = 100 + (int)(i % 50) / 2;
	ev->time_ns = 1000000000ull + i * 20000ull;
	snprintf(ev->comm, sizeof(ev->comm), "bench");
	snprintf(ev->path, sizeof(ev->path), "%s", paths[i % ARRAY_SIZE(paths)]);
	snprintf(ev->path2, sizeof(ev->path2), "%s.new", paths[i % ARRAY_SIZE(paths)]);
	if (ev->type == EV_PROC_EXEC) {
		const char *exe = exes[i % ARRAY_SIZE(exes)];

		snprintf(ev->path, sizeof(ev->path), "%s", exe);
		ev->data_len = (uint32_t)snprintf(ev->data, sizeof(ev->data), "%s%c-c%cmain.c", exe,
		                                  0, 0) + 1;
	}
	if (ev->type == EV_NET_CONNECT) {
		ev->arg0 = 2;
		ev->data_len = 16;
		memcpy(ev->data, "\x02\x00\x01\xbb\xc6\x33\x64\x07", 8);
	}
	if (ev->type == EV_DNS_QUERY) {
		ev->pid = 0;
		snprintf(ev->path, sizeof(ev->path), "deb.debian.org");
		ev->arg0 = 1;
	}
	if (ev->type == EV_FILE_OPEN)
		ev->arg0 = i % 7 == 0 ? 0x241 : 0;
	if (ev->type == EV_FILE_CHMOD)
		ev->arg0 = 0755;
	if (ev->type == EV_FD_DUP)
		ev->arg0 = 3, ev->arg1 = 1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "rules";
	struct detect_engine *e;
	struct detect_run *r;
	struct detect_verdict v;
	struct event *pool = calloc(POOL, sizeof(*pool));
	struct timespec a, b;
	char err[512];
	double secs;

	if (!pool || detect_engine_load(dir, &e, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-detect: %s\n", pool ? err : "out of memory");
		return 1;
	}
	for (size_t i = 0; i < POOL; i++)
		bench_event(&pool[i], i);
	if (detect_run_new(e, &r) < 0)
		return 1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t k = 0; k < ROUNDS; k++)
		for (size_t i = 0; i < POOL; i++) {
			pool[i].time_ns += POOL * 20000ull;
			detect_run_event(r, &pool[i]);
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	detect_run_finish(r, &v);

	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("detect: %zu rules, %d events in %.3f s on one core: %.0f events/s, %.2fx the "
	       "target of 1,000,000 (verdict %s, %zu hits)\n",
	       detect_engine_rule_count(e), POOL * ROUNDS, secs, POOL * ROUNDS / secs,
	       POOL * ROUNDS / secs / 1e6, detect_result_name(v.result), v.n_hits);
	detect_run_free(r);
	detect_engine_free(e);
	free(pool);
	return 0;
}
