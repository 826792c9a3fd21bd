/* A normal network client: resolves www.example, sends an HTTP GET and prints the status line.
 * Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Built into
 * the build directory and copied without the exec bit; analysed only through
 * `sandtrap analyze`, never run on a host.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo("www.example", "80", &hints, &res) != 0)
		return 1;
	int s = socket(res->ai_family, res->ai_socktype, 0);
	if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) != 0)
		return 1;
	freeaddrinfo(res);
	const char req[] = "GET / HTTP/1.1\r\nHost: www.example\r\nUser-Agent: sample-client/1.0\r\n"
			   "Connection: close\r\n\r\n";
	if (write(s, req, strlen(req)) < 0)
		return 1;
	char buf[512];
	ssize_t n = read(s, buf, sizeof(buf) - 1);
	close(s);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("%s\n", buf);
	return 0;
}
