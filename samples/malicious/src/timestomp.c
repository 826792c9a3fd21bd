/* Timestomping: drops a hidden binary and sets its access and modification times (and those of /etc/passwd) to 2019 with utimensat.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	const char *dst = "/usr/bin/.dbus-daemon-launch";
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0)
		return 1;
	if (write(fd, "#!/bin/sh\nexit 0\n", 17) != 17)
		return 1;
	close(fd);
	struct timespec old[2] = {{1554076800, 0}, {1554076800, 0}};
	struct stat ref;
	if (stat("/usr/bin/ls", &ref) == 0) {
		old[0] = ref.st_atim;
		old[1] = ref.st_mtim;
	}
	utimensat(AT_FDCWD, dst, old, 0);
	struct timespec y2019[2] = {{1554076800, 0}, {1554076800, 0}};
	utimensat(AT_FDCWD, "/etc/passwd", y2019, 0);
	printf("timestamps rewritten\n");
	return 0;
}
