/* SPDX-License-Identifier: MIT */
/* The quarantine's entry metadata (ID.json) on any bytes; what parses must be in range. */
#include "quarantine.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qentry e;

	if (quarantine_meta_parse((const char *)data, size, &e) < 0)
		return 0;
	if (strnlen(e.id, sizeof(e.id)) == sizeof(e.id) || e.path[0] != '/' ||
	    strlen(e.sha256) != 64 || e.mode > 07777 || e.atime.tv_nsec > 999999999 ||
	    e.mtime.tv_nsec > 999999999 || memchr(e.threat, '\0', sizeof(e.threat)) == NULL)
		abort();
	return 0;
}
