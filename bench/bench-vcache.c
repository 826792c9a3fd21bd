/* SPDX-License-Identifier: MIT */
/*
 * The agent's verdict cache at 100,000 entries: the process's RSS after the puts (the
 * target is under 20 MiB), the time of a get (median and p99; the target is 5 us median)
 * and of a durable single put, and how long reopening (loading) takes. Works in a
 * temporary directory it removes.
 */
#include "macros.h"
#include "vcache.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ENTRIES 100000
#define BATCH   1000
#define GETS    200000
#define PUTS    200

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long status_kib(const char *field)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t n = strlen(field);
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	return v;
}

static void bench_entry(unsigned i, struct vc_entry *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->sha256, sizeof(e->sha256), "%08x%056x", i * 2654435761u, i);
	e->verdict = i % 50 ? VC_CLEAN : VC_MALICIOUS;
	if (e->verdict == VC_MALICIOUS)
		snprintf(e->threat, sizeof(e->threat), "Linux.Threat.%u", i % 40);
	snprintf(e->rules_version, sizeof(e->rules_version), "2026.12.%02u", i % 3);
	e->scanned_at = 1790000000 + i;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static int bench_puts(struct vcache *c)
{
	static struct vc_entry batch[BATCH];
	uint64_t t0 = now_ns();

	for (unsigned i = 0; i < ENTRIES; i += BATCH) {
		for (unsigned j = 0; j < BATCH; j++)
			bench_entry(i + j, &batch[j]);
		if (vcache_put_many(c, batch, BATCH) < 0)
			return -1;
	}
	printf("vcache: %u puts in batches of %u: %.2f s\n", ENTRIES, BATCH, (now_ns() - t0) / 1e9);

	t0 = now_ns();
	for (unsigned i = 0; i < PUTS; i++) {
		bench_entry(i, &batch[0]);
		if (vcache_put(c, &batch[0]) < 0)
			return -1;
	}
	printf("vcache: single durable put: %.0f us mean (%u puts)\n", (now_ns() - t0) / 1e3 / PUTS,
	       PUTS);
	return 0;
}

struct writer {
	struct vcache *c;
	volatile bool stop;
	unsigned puts;
};

/* Durable puts of new entries, one at a time, as the agent's network thread makes them. */
static void *writer_run(void *arg)
{
	struct writer *w = arg;
	struct vc_entry e;

	while (!w->stop) {
		bench_entry(ENTRIES * 2 + w->puts, &e);
		if (vcache_put(w->c, &e) < 0)
			break;
		w->puts++;
	}
	return NULL;
}

static int bench_gets(struct vcache *c, const char *what)
{
	static uint64_t lat[GETS];
	struct vc_entry e, got;
	unsigned misses = 0;

	srand(1);
	for (unsigned i = 0; i < GETS; i++) {
		unsigned k = (unsigned)rand() % (ENTRIES + ENTRIES / 10); /* ~9% misses */
		uint64_t t0;

		bench_entry(k, &e);
		t0 = now_ns();
		misses += vcache_get(c, e.sha256, &got) < 0;
		lat[i] = now_ns() - t0;
	}
	qsort(lat, GETS, sizeof(lat[0]), cmp_u64);
	printf("vcache: get%s: median %.2f us, p99 %.2f us, max %.2f us (%u gets, %u misses)\n",
	       what, lat[GETS / 2] / 1e3, lat[GETS * 99 / 100] / 1e3, lat[GETS - 1] / 1e3, GETS,
	       misses);
	return lat[GETS / 2] <= 5000 ? 0 : 1;
}

static int bench_gets_during_puts(struct vcache *c)
{
	struct writer w = {.c = c};
	pthread_t th;
	int r;

	if (pthread_create(&th, NULL, writer_run, &w) != 0)
		return 1;
	r = bench_gets(c, " during puts");
	w.stop = true;
	pthread_join(th, NULL);
	printf("vcache: %u durable puts meanwhile\n", w.puts);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/bench-vcache.XXXXXX", path[64];
	struct vcache *c = NULL;
	long rss;
	uint64_t t0;
	int r = 1;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/vcache.db", dir);
	printf("vcache: RSS before open: %ld KiB\n", status_kib("VmRSS"));
	if (vcache_open(path, &c) < 0 || bench_puts(c) < 0)
		goto out;
	rss = status_kib("VmRSS");
	printf("vcache: RSS after %zu entries: %ld KiB (peak %ld KiB)\n", vcache_count(c), rss,
	       status_kib("VmHWM"));
	r = bench_gets(c, "") | bench_gets_during_puts(c);
	vcache_close(c);

	t0 = now_ns();
	c = NULL;
	if (vcache_open(path, &c) < 0) {
		r = 1;
		goto out;
	}
	printf("vcache: reopen with %zu entries: %.0f ms\n", vcache_count(c),
	       (now_ns() - t0) / 1e6);
	if (rss > 20 * 1024)
		r = 1;
	printf("vcache: %s\n", r ? "FAIL (targets: RSS < 20 MiB, get median <= 5 us)" : "ok");
out:
	vcache_close(c);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
