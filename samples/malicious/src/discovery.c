/* Discovery from native code: uname, ids, /etc/os-release, a /proc process listing, /proc/net/tcp and interfaces, then a check-in.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <ctype.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

static void cat(const char *path, int max)
{
	char line[512];
	FILE *f = fopen(path, "r");
	for (int i = 0; f && i < max && fgets(line, sizeof(line), f); i++)
		fputs(line, stdout);
	if (f)
		fclose(f);
}

int main(void)
{
	struct utsname u;
	uname(&u);
	printf("%s %s %s %s\n", u.sysname, u.nodename, u.release, u.machine);
	printf("uid=%d euid=%d gid=%d\n", getuid(), geteuid(), getgid());
	cat("/etc/os-release", 2);
	DIR *p = opendir("/proc");
	struct dirent *e;
	char path[300];
	while (p && (e = readdir(p))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		cat(path, 1);
		putchar('\n');
	}
	if (p)
		closedir(p);
	cat("/proc/net/tcp", 5);
	cat("/proc/net/route", 3);
	struct ifaddrs *ifs, *i;
	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i; i = i->ifa_next)
			printf("if %s\n", i->ifa_name);
		freeifaddrs(ifs);
	}
	cat("/etc/passwd", 3);
	return 0;
}
