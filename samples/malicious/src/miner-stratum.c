/* Cryptocurrency mining: stratum mining.subscribe and mining.authorize to 203.0.113.50:3333, then two threads spin for three seconds.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void *spin(void *arg)
{
	volatile unsigned long h = 5381;
	time_t end = time(NULL) + 3;
	while (time(NULL) < end)
		for (int i = 0; i < 100000; i++)
			h = h * 33 + (unsigned long)i;
	return arg;
}

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(3333)};
	inet_pton(AF_INET, "203.0.113.50", &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
		const char *msgs[] = {
			"{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"xmrig/6.20.0\"]}\n",
			"{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9\",\"x\"]}\n",
		};
		for (int i = 0; i < 2; i++)
			if (write(s, msgs[i], strlen(msgs[i])) < 0)
				perror("write");
	}
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, spin, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("mined\n");
	return 0;
}
