/* SPDX-License-Identifier: MIT */
/*
 * A rules bundle as the HTTP process receives it (POST /api/v1/rules): arbitrary bytes
 * through bundle_unpack() into a fresh directory. Nothing may land outside it, and a
 * refusal must say why.
 */
#include "bundle.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char top[] = "/tmp/fuzz-bundle.XXXXXX", err[256] = "";
	int fd, dirfd, topfd, r;
	struct stat st;

	if (!mkdtemp(top))
		return 0;
	topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = memfd_create("fuzz-bundle", MFD_CLOEXEC);
	if (topfd < 0 || fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    mkdirat(topfd, "in", 0700) < 0)
		abort();
	dirfd = openat(topfd, "in", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		abort();
	r = bundle_unpack(fd, dirfd, err, sizeof(err));
	if (r < 0 && !err[0])
		abort();
	/* The top directory holds "in" and nothing else: no entry escaped. */
	if (fstatat(topfd, "escape.yml", &st, AT_SYMLINK_NOFOLLOW) == 0)
		abort();
	close(dirfd);
	bundle_remove(topfd, "in");
	close(topfd);
	close(fd);
	rmdir(top);
	return 0;
}
