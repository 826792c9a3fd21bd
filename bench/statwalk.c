/* SPDX-License-Identifier: MIT */
/*
 * A syscall-heavy workload for the capture benchmark: walk a directory tree with nftw,
 * which opens every directory and fstatat()s every entry, a given number of times.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long statwalk_entries;

static int statwalk_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	statwalk_entries++;
	return 0;
}

int main(int argc, char **argv)
{
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 1;

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: statwalk DIR [ROUNDS]\n");
		return 2;
	}
	for (long i = 0; i < rounds; i++)
		if (nftw(argv[1], statwalk_visit, 64, FTW_PHYS) < 0) {
			perror("nftw");
			return 1;
		}
	printf("%lu\n", statwalk_entries);
	return 0;
}
