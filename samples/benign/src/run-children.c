/* Starts two ordinary child programs with fork and exec (ls and date) and waits for them.
 * Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Built into
 * the build directory and copied without the exec bit; analysed only through
 * `sandtrap analyze`, never run on a host.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char *const cmds[][3] = {{"ls", "/usr/share/common-licenses", NULL}, {"date", "+%F", NULL}};
	for (int i = 0; i < 2; i++) {
		pid_t p = fork();
		if (p == 0) {
			execvp(cmds[i][0], cmds[i]);
			_exit(127);
		}
		int st;
		waitpid(p, &st, 0);
		printf("%s exited %d\n", cmds[i][0], WEXITSTATUS(st));
	}
	return 0;
}
