/* SPDX-License-Identifier: MIT */
/* File typing on arbitrary bytes: zip headers and central directories that lie. */
#include "filetype.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ftype t;

	if (ftype_detect_mem(data, size, &t) < 0 || (unsigned)t > FT_RTF)
		abort();
	return 0;
}
