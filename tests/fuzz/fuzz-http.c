/* SPDX-License-Identifier: MIT */
/* HTTP request head parser on arbitrary bytes, without a terminating NUL. */
#include "netproto.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;

	http_parse_request((const char *)data, size, &req);
	return 0;
}
