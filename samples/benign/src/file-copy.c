/* Copies a text file into a temporary directory, checks its size, and removes the copy.
 * Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Built into
 * the build directory and copied without the exec bit; analysed only through
 * `sandtrap analyze`, never run on a host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "/tmp/copy-XXXXXX", path[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/copy.txt", dir);
	FILE *in = fopen("/etc/hostname", "r"), *out = fopen(path, "w");
	if (!in || !out)
		return 1;
	int c;
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	fclose(out);
	struct stat st;
	if (stat(path, &st) == 0)
		printf("copied %lld bytes\n", (long long)st.st_size);
	unlink(path);
	rmdir(dir);
	return 0;
}
