/* SPDX-License-Identifier: MIT */
/* TLS ClientHello SNI parser on arbitrary bytes, into a roomy and a tiny name buffer. */
#include "netproto.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256], tiny[3];

	tls_parse_sni(data, size, name, sizeof(name));
	tls_parse_sni(data, size, tiny, sizeof(tiny));
	return 0;
}
