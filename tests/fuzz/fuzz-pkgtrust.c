/* SPDX-License-Identifier: MIT */
/*
 * dpkg's status and md5sums parsers on arbitrary bytes: the input up to its first NUL is
 * DIR/status, the rest is the md5sums of every package named "p" (p.md5sums and
 * p:amd64.md5sums), written into a temporary directory made once and removed at exit.
 */
#include "log.h"
#include "pkgtrust.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static const char *const files[] = {"status", "info/p.md5sums", "info/p:amd64.md5sums"};

static void cleanup(void)
{
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/info", dir);
	rmdir(path);
	rmdir(dir);
}

static int setup(void)
{
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/fuzz-pkgtrust.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/info", dir);
	log_set_level(LOG_EMERG);
	return mkdir(path, 0700);
}

static void put(const char *name, const uint8_t *data, size_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t status_len = nul ? (size_t)(nul - data) : size;
	const uint8_t *rest = nul ? nul + 1 : data + size;
	struct pkgtrust *t;
	size_t n_files, bytes;

	if (!ready && setup() < 0)
		abort();
	ready = 1;
	put(files[0], data, status_len);
	put(files[1], rest, size - (rest - data));
	put(files[2], rest, size - (rest - data));
	if (pkgtrust_open(dir, &t) < 0)
		abort();
	if (pkgtrust_stats(t, &n_files, &bytes) < 0 || n_files > size)
		abort();
	pkgtrust_free(t);
	return 0;
}
