/* Self-deletion: the running program unlinks its own executable (/proc/self/exe) and keeps running in the background.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	if (unlink(self) == 0)
		printf("deleted %s\n", self);
	if (access(self, F_OK) != 0)
		printf("no trace on disk\n");
	sleep(1);
	return 0;
}
