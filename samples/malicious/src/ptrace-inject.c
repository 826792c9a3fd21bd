/* Process injection with ptrace: attaches to a child, peeks and pokes its memory and registers, then detaches.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long target = 0x41414141;

int main(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 50 && target == 0x41414141; i++)
			usleep(100000);
		printf("child: target is now %lx\n", target);
		_exit(0);
	}
	usleep(100000);
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0) {
		perror("PTRACE_ATTACH");
		return 0;
	}
	waitpid(pid, NULL, 0);
	struct user_regs_struct regs;
	ptrace(PTRACE_GETREGS, pid, NULL, &regs);
	long v = ptrace(PTRACE_PEEKDATA, pid, (void *)&target, NULL);
	ptrace(PTRACE_POKEDATA, pid, (void *)&target, (void *)0x90909090L);
	printf("rip %llx, old %lx\n", (unsigned long long)regs.rip, v);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	waitpid(pid, NULL, 0);
	return 0;
}
