/* Rootkit loading: writes a module file and calls finit_module and init_module on it (refused by the guest; the attempt is what counts).
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	const char *ko = "/tmp/.rootkit.ko";
	int fd = open(ko, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 1;
	static const char img[] = "\177ELF\2\1\1\0not-a-real-module";
	if (write(fd, img, sizeof(img)) != (ssize_t)sizeof(img))
		return 1;
	lseek(fd, 0, SEEK_SET);
	long r = syscall(SYS_finit_module, fd, "", 0);
	printf("finit_module: %ld (%s)\n", r, r ? strerror(errno) : "ok");
	r = syscall(SYS_init_module, img, sizeof(img), "");
	printf("init_module: %ld (%s)\n", r, r ? strerror(errno) : "ok");
	close(fd);
	return 0;
}
