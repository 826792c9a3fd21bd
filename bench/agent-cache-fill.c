/* SPDX-License-Identifier: MIT */
/*
 * agent-cache-fill DB N [SHA256...]: put N random clean verdicts into an agent's verdict
 * cache, and the given hashes as clean, for the agent's memory and speed benchmarks.
 */
#include "vcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void put(struct vcache *c, const char *sha256)
{
	struct vc_entry e = {.verdict = VC_CLEAN, .scanned_at = time(NULL)};

	snprintf(e.sha256, sizeof(e.sha256), "%s", sha256);
	snprintf(e.rules_version, sizeof(e.rules_version), "rules-bench");
	if (vcache_put(c, &e) < 0) {
		fprintf(stderr, "agent-cache-fill: cannot put %s\n", sha256);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct vcache *c;
	long n;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: agent-cache-fill DB N [SHA256...]\n");
		return 2;
	}
	if (vcache_open(argv[1], &c) < 0) {
		fprintf(stderr, "agent-cache-fill: cannot open %s\n", argv[1]);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		unsigned char raw[32];
		char hex[65];

		if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
			return 1;
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", raw[k]);
		put(c, hex);
	}
	for (int i = 3; i < argc; i++)
		put(c, argv[i]);
	printf("%zu entries\n", vcache_count(c));
	vcache_close(c);
	return 0;
}
