/* SPDX-License-Identifier: MIT */
/* DNS query parser and answer builder on arbitrary bytes. */
#include "netproto.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_question q;
	uint8_t out[4096];
	size_t len;

	if (dns_parse_query(data, size, &q) == 0)
		dns_build_answer(data, size, &q, 0x010212c6, out, sizeof(out), &len);
	return 0;
}
