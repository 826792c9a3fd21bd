/* SPDX-License-Identifier: MIT */
#include "escape.h"

#include <stdio.h>

size_t escape_printable(const void *in, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = in;
	size_t o = 0;

	if (outsz == 0)
		return 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = c;
		} else {
			if (o + 4 >= outsz)
				break;
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	out[o] = '\0';
	return o;
}
