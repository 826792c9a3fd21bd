/* Reads a licence text, sorts its distinct words with qsort and prints the first ones.
 * Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Built into
 * the build directory and copied without the exec bit; analysed only through
 * `sandtrap analyze`, never run on a host.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	FILE *f = fopen("/usr/share/common-licenses/GPL-3", "r");
	if (!f)
		return 1;
	static char *words[50000];
	char w[64];
	int n = 0, len = 0, c;
	while ((c = fgetc(f)) != EOF && n < 50000) {
		if (isalpha(c) && len < 63) {
			w[len++] = (char)tolower(c);
		} else if (len) {
			w[len] = '\0';
			words[n++] = strdup(w);
			len = 0;
		}
	}
	fclose(f);
	qsort(words, (size_t)n, sizeof(words[0]), cmp);
	int distinct = 0;
	for (int i = 0; i < n; i++)
		if (i == 0 || strcmp(words[i], words[i - 1]) != 0)
			if (++distinct <= 5)
				printf("%s\n", words[i]);
	printf("%d words, %d distinct\n", n, distinct);
	for (int i = 0; i < n; i++)
		free(words[i]);
	return 0;
}
