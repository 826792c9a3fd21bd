/* SPDX-License-Identifier: MIT */
/* sandtrapd's config file parser and listen-address parser on arbitrary bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_config cfg;
	char path[64], host[64], *text;
	char *argv[] = { "sandtrapd", "--config", path, NULL };
	unsigned port;
	bool loopback;
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		config_parse(3, argv, &cfg);
	}
	close(fd);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_listen_parse(text, host, sizeof(host), &port, &loopback) == 0 &&
	    (port > 65535 || strlen(host) >= sizeof(host)))
		abort();
	free(text);
	return 0;
}
