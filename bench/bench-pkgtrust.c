/* SPDX-License-Identifier: MIT */
/*
 * Package trust on this machine's dpkg database (or the directory given): load time,
 * files indexed, the index's bytes and the RSS it adds, then the latency of a check of
 * each program given (default /usr/bin/true, /usr/bin/ls), first (hashes) and cached.
 */
#include "macros.h"
#include "pkgtrust.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHED_ROUNDS 100000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long rss_kib(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	return v;
}

static int bench_check(struct pkgtrust *t, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t t0, first;
	bool trusted = false;

	if (fd < 0) {
		perror(path);
		return -1;
	}
	t0 = now_ns();
	if (pkgtrust_check(t, path, fd, &trusted) < 0)
		return -1;
	first = now_ns() - t0;
	t0 = now_ns();
	for (unsigned i = 0; i < CACHED_ROUNDS; i++)
		if (pkgtrust_check(t, path, fd, &trusted) < 0)
			return -1;
	printf("pkgtrust: %s: %s, first check %.1f us, cached %.2f us\n", path,
	       trusted ? "trusted" : "not trusted", first / 1e3,
	       (now_ns() - t0) / 1e3 / CACHED_ROUNDS);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/var/lib/dpkg";
	const char *defaults[] = {"/usr/bin/true", "/usr/bin/ls", "/bin/ls"};
	struct pkgtrust *t;
	size_t files, bytes;
	long rss0;
	uint64_t t0;
	int r = 0;

	if (pkgtrust_open(dir, &t) < 0)
		return 1;
	rss0 = rss_kib();
	t0 = now_ns();
	if (pkgtrust_stats(t, &files, &bytes) < 0) {
		pkgtrust_free(t);
		return 1;
	}
	printf("pkgtrust: '%s': %zu files indexed in %.0f ms; index and result cache %zu KiB; "
	       "RSS +%ld KiB\n",
	       dir, files, (now_ns() - t0) / 1e6, bytes / 1024, rss_kib() - rss0);
	if (argc > 2) {
		for (int i = 2; i < argc && r >= 0; i++)
			r = bench_check(t, argv[i]);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(defaults) && r >= 0; i++)
			r = bench_check(t, defaults[i]);
	}
	pkgtrust_free(t);
	return r < 0;
}
