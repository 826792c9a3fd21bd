/* SPDX-License-Identifier: MIT */
/*
 * The isolation's allowed addresses ("IP", "IP:PORT", "[V6]:PORT") on any bytes: what is
 * accepted has no character nft could read as anything but an address and a port.
 */
#include "respond.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 256)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (respond_allow_check(s) == 0 && strspn(s, "0123456789abcdefABCDEF:.[]") != strlen(s))
		abort();
	free(s);
	return 0;
}
