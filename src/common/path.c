/* SPDX-License-Identifier: MIT */
#include "path.h"

#include <string.h>

void path_simplify(char *p)
{
	size_t out = 0, in = 0, len = strlen(p);

	if (p[0] != '/')
		return;

	while (in < len) {
		size_t n;

		while (p[in] == '/')
			in++;
		n = strcspn(p + in, "/");
		if (n == 0 || (n == 1 && p[in] == '.')) {
			in += n;
			continue;
		}
		if (n == 2 && p[in] == '.' && p[in + 1] == '.') {
			/* Back to the previous slash; at the root, ".." is the root. */
			while (out > 0 && p[out - 1] != '/')
				out--;
			if (out > 0)
				out--;
			in += n;
			continue;
		}
		p[out++] = '/';
		memmove(p + out, p + in, n);
		out += n;
		in += n;
	}
	if (out == 0)
		p[out++] = '/';
	p[out] = '\0';
}
