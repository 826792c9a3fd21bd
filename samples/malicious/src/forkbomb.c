/* Fork bomb (bounded): forks children that sleep until fork() fails at the guest pids limit, then stops and reaps them.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int n = 0;
	signal(SIGCHLD, SIG_DFL);
	for (; n < 4096; n++) {
		pid_t p = fork();
		if (p == 0) {
			sleep(3);
			_exit(0);
		}
		if (p < 0) {
			printf("fork failed after %d children: %s\n", n, strerror(errno));
			break;
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
