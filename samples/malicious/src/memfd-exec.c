/* Fileless execution: memfd_create, copy /usr/bin/id into it, fexecve it under a fake name.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char buf[65536];
	ssize_t n;
	int fd = memfd_create("", MFD_CLOEXEC), in = open("/usr/bin/id", O_RDONLY);
	if (fd < 0 || in < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 1;
	close(in);
	char *argv[] = {"[kworker/0:1H]", NULL}, *envp[] = {NULL};
	pid_t pid = fork();
	if (pid == 0) {
		fexecve(fd, argv, envp);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("memfd payload exited %d\n", WEXITSTATUS(st));
	return 0;
}
