/* Computes the primes below 100000 with a sieve and prints how many there are.
 * Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Built into
 * the build directory and copied without the exec bit; analysed only through
 * `sandtrap analyze`, never run on a host.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const int n = 100000;
	char *composite = calloc((size_t)n, 1);
	int count = 0;
	if (!composite)
		return 1;
	for (int i = 2; i < n; i++) {
		if (composite[i])
			continue;
		count++;
		for (long j = (long)i * i; j < n; j += i)
			composite[j] = 1;
	}
	printf("%d primes below %d\n", count, n);
	free(composite);
	return 0;
}
