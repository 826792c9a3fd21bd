/* SPDX-License-Identifier: MIT */
/* ELF fact extraction on arbitrary bytes: every offset in the headers is attacker-chosen. */
#include "elfsig.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned facts;

	elfsig_inspect(data, size, &facts);
	return 0;
}
