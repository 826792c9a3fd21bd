/* SPDX-License-Identifier: MIT */
/*
 * Re-scoring N stored reports with the rules (issue 4: 10,000 is the benchmark figure).
 * A store in a temporary directory gets N results whose reports are copies of the given
 * real reports, each under a distinct sha256 with a small object of its own (the static
 * signals scan it); then every verdict is re-scored once with
 * the rules it was made with (nothing may change) and the time is printed.
 * Usage: bench-rescore RULES_DIR N REPORT.json...
 */
#include "fileio.h"
#include "hash.h"
#include "macros.h"
#include "rescore.h"
#include "ruleset.h"
#include "store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPORT_MAX (64u << 20)

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

/* N results in st, report i being reports[i % n] under the sha256 of "bench i". */
static int bench_fill(struct store *st, const struct ruleset *rs, char **reports, size_t *lens,
                      size_t n, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		struct store_submission sub = {.status = STORE_QUEUED, .timeout_sec = 10};
		struct store_verdict v = {0};
		struct file_hashes h;
		char name[32];
		int r;

		snprintf(name, sizeof(name), "bench %u", i);
		hash_buf(name, strlen(name), &h);
		memcpy(sub.sha256, h.sha256, sizeof(sub.sha256));
		memcpy(v.sha256, h.sha256, sizeof(v.sha256));
		r = rescore_report(rs, reports[i % n], lens[i % n], -1, &v);
		if (r < 0 || store_object_put(st, h.sha256, name, strlen(name)) < 0 ||
		    store_submission_add(st, &sub) < 0 || store_submission_claim(st, &sub) < 0 ||
		    store_result_put(st, sub.id, &v, reports[i % n], lens[i % n]) < 0)
			return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/dev/shm/sandtrap-bench-rescore.XXXXXX";
	char *reports[16] = {0}, err[512] = "";
	size_t lens[16], n = 0;
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	struct rescore_stats stats;
	unsigned count;
	double t0, t1;
	int r = 1;

	if (argc < 4 || argc - 3 > (int)ARRAY_SIZE(reports)) {
		fprintf(stderr, "usage: bench-rescore RULES_DIR N REPORT.json... (at most 16)\n");
		return 2;
	}
	count = (unsigned)strtoul(argv[2], NULL, 10);
	for (int i = 3; i < argc; i++, n++)
		if (file_read_all(argv[i], REPORT_MAX, &reports[n], &lens[n]) < 0) {
			fprintf(stderr, "bench-rescore: cannot read '%s'\n", argv[i]);
			return 2;
		}
	if (ruleset_load(argv[1], NULL, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-rescore: rules: %s\n", err);
		return 2;
	}
	if (!mkdtemp(dir) || store_open(dir, &st) < 0)
		goto out;
	t0 = now_s();
	if (bench_fill(st, rs, reports, lens, n, count) < 0) {
		fprintf(stderr, "bench-rescore: cannot fill the store\n");
		goto out;
	}
	t1 = now_s();
	printf("store: %u results from %zu real reports (%zu bytes on average) in %.1f s\n", count,
	       n, (lens[0] + lens[n - 1]) / 2, t1 - t0);

	/* Forget the version so that everything is re-scored, as after a rules change. */
	t0 = now_s();
	if (rescore_all(st, rs, STORE_OBJECT_MAX_DEFAULT, &stats) < 0)
		goto out;
	t1 = now_s();
	printf("re-scoring %-6zu stored reports %10.2f s %10.0f reports/s  (%zu changed, "
	       "%zu unreadable; target: none changed)\n",
	       stats.reports, t1 - t0, stats.reports / (t1 - t0), stats.changed, stats.failed);
	r = stats.reports == count && stats.changed == 0 && stats.failed == 0 ? 0 : 1;
out:
	store_close(st);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ruleset_free(rs);
	for (size_t i = 0; i < n; i++)
		free(reports[i]);
	return r;
}
