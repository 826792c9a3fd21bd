/* SPDX-License-Identifier: MIT */
/* sha256 list parsing on arbitrary bytes, then a lookup of every parsed entry. */
#include "hashlist.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hashlist l;
	size_t line;

	if (hashlist_parse((const char *)data, size, &l, &line) < 0)
		return 0;
	for (size_t i = 0; i < l.n; i++) {
		char hex[65];

		for (size_t j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", l.entries[i].sha256[j]);
		if (hashlist_find(&l, hex) != &l.entries[i])
			abort();
	}
	hashlist_clear(&l);
	return 0;
}
