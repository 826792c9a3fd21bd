/* Reading another process memory with process_vm_readv: dumps a credential buffer from a child process.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char token[64] = "ghp_decoyTokenForSandtrapTestsOnly0000";

int main(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		sleep(5);
		_exit(0);
	}
	usleep(200000);
	char buf[64] = "";
	struct iovec local = {buf, sizeof(buf)}, remote = {token, sizeof(token)};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n > 0)
		printf("stole %zd bytes: %.*s\n", n, (int)strnlen(buf, sizeof(buf)), buf);
	else
		perror("process_vm_readv");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
