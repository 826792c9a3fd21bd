/* Reading another process memory: a child holds a secret; the parent finds it through /proc/PID/maps and reads it from /proc/PID/mem.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static char secret[64] = "AWS_SECRET_ACCESS_KEY=decoy/decoy/decoy";

int main(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NAME, "ssh-agent", 0, 0, 0);
		sleep(5);
		_exit(0);
	}
	usleep(200000);
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *m = fopen(path, "r");
	if (m) {
		char line[256];
		int lines = 0;
		while (fgets(line, sizeof(line), m))
			lines++;
		fclose(m);
		printf("maps: %d regions\n", lines);
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), (off_t)(uintptr_t)secret) : -1;
	if (n > 0)
		printf("read from child: %.*s\n", (int)strnlen(buf, sizeof(buf)), buf);
	else
		perror("read /proc/PID/mem");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
