/* SPDX-License-Identifier: MIT */
/*
 * Feeds every file of the directories (or files) on the command line to a fuzz harness
 * once, so the normal build and `meson test` exercise the harnesses without libFuzzer.
 */
#include "fileio.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REPLAY_INPUT_MAX (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(int dirfd, const char *name)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return neg_errno();
	r = fd_read_all(fd, REPLAY_INPUT_MAX, &buf, &len);
	if (r < 0)
		return r;
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 0;
}

static int replay_dir(const char *path, unsigned *count)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int r = 0;

	if (!d)
		return neg_errno();
	while (r >= 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		r = replay_file(dirfd(d), de->d_name);
		*count += r >= 0;
	}
	closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	unsigned count = 0;

	for (int i = 1; i < argc; i++) {
		int r = replay_dir(argv[i], &count);

		if (r < 0) {
			fprintf(stderr, "replay: '%s': %s\n", argv[i], strerror(-r));
			return 1;
		}
	}
	printf("replayed %u inputs\n", count);
	return count > 0 ? 0 : 1;
}
