/* Masquerading: renames itself to a kernel worker with prctl(PR_SET_NAME) and overwrites argv[0], then idles like a dormant bot.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *fake = "[kworker/0:2]";
	prctl(PR_SET_NAME, "kworker/0:2", 0, 0, 0);
	size_t len = strlen(argv[0]);
	memset(argv[0], 0, len);
	strncpy(argv[0], fake, len);
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	printf("comm now %s", comm);
	sleep(1);
	return argc > 5;
}
