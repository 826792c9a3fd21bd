/* Sums an array with four pthreads and checks the result.
 * Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Built into
 * the build directory and copied without the exec bit; analysed only through
 * `sandtrap analyze`, never run on a host.
 */
#include <pthread.h>
#include <stdio.h>

#define N 1000000
static int data[N];
static long partial[4];

static void *sum(void *arg)
{
	long id = (long)arg;
	for (int i = (int)id * (N / 4); i < (int)(id + 1) * (N / 4); i++)
		partial[id] += data[i];
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	for (int i = 0; i < N; i++)
		data[i] = i % 7;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, sum, (void *)i);
	long total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += partial[i];
	}
	printf("total %ld\n", total);
	return 0;
}
