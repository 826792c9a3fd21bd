/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fileio.h"
#include "hash.h"
#include "macros.h"
#include "pkgtrust.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fake dpkg database (dpkg/status, dpkg/info) and the files it lists, in one temp dir. */
struct fixture {
	char dir[64];
	char dpkg[96];
	struct pkgtrust *t;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void write_file(const char *path, const char *content)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(fd_write_all(fd, content, strlen(content)), 0);
}

static void md5_of(const char *path, char ret[33])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct file_hashes h;

	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, 1 << 30, &h), 0);
	memcpy(ret, h.md5, 33);
}

/* A file under the fixture's dir with content, and its md5sums line. */
static void listed_file(struct fixture *f, const char *name, const char *content, char *line,
                        size_t size)
{
	char path[160], md5[33];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	write_file(path, content);
	md5_of(path, md5);
	snprintf(line, size, "%s  %s\n", md5, path + 1);
}

static void info_file(struct fixture *f, const char *name, const char *content)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/info/%s", f->dpkg, name);
	write_file(path, content);
}

static void status_write(struct fixture *f, const char *content)
{
	char path[160];
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, 0}};
	static time_t bump = 1000000;

	snprintf(path, sizeof(path), "%s/status", f->dpkg);
	write_file(path, content);
	/* A distinct mtime per write, as a real dpkg run a second later would leave. */
	ts[1].tv_sec = bump++;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static const char status_base[] = "Package: hello\n"
                                  "Status: install ok installed\n"
                                  "Architecture: amd64\n"
                                  "Multi-Arch: same\n"
                                  "Description: says hello\n"
                                  " Package: gone\n"
                                  "\n"
                                  "Package: tools\n"
                                  "Status: hold ok installed\n"
                                  "Architecture: all\n"
                                  "Conffiles:\n"
                                  " /etc/tools.conf 0123456789abcdef0123456789abcdef\n"
                                  "\n"
                                  "Package: gone\n"
                                  "Status: deinstall ok config-files\n"
                                  "Architecture: all\n"
                                  "\n"
                                  "Package: ../../evil\n"
                                  "Status: install ok installed\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[192];
	char hello[256], tools[256], gone[256], lines[1024];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-pkgtrust.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->dpkg, sizeof(f->dpkg), "%s/dpkg", f->dir);
	snprintf(path, sizeof(path), "%s/info", f->dpkg);
	if (mkdir(f->dpkg, 0755) < 0 || mkdir(path, 0755) < 0)
		return -1;

	listed_file(f, "hello", "#!/bin/sh\necho hello\n", hello, sizeof(hello));
	listed_file(f, "tools", "tools v1\n", tools, sizeof(tools));
	listed_file(f, "gone", "gone\n", gone, sizeof(gone));
	info_file(f, "hello:amd64.md5sums", hello);
	/* Malformed lines around a good one are skipped, not fatal. */
	snprintf(lines, sizeof(lines), "garbage\nxyz  usr/bin/x\n%s%.31s  short/md5\n", tools,
	         "0123456789abcdef0123456789abcdef");
	info_file(f, "tools.md5sums", lines);
	info_file(f, "gone.md5sums", gone);
	status_write(f, status_base);

	if (pkgtrust_open(f->dpkg, &f->t) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pkgtrust_free(f->t);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static bool check_path(struct pkgtrust *t, const char *as, const char *real)
{
	_cleanup_close_ int fd = open(real, O_RDONLY | O_CLOEXEC);
	bool trusted = true;

	assert_true(fd >= 0);
	assert_int_equal(pkgtrust_check(t, as, fd, &trusted), 0);
	return trusted;
}

static bool check(struct fixture *f, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	return check_path(f->t, path, path);
}

static void installed_unmodified_files_are_trusted(void **state)
{
	struct fixture *f = *state;
	size_t files, bytes;

	assert_true(check(f, "hello")); /* hello:amd64.md5sums */
	assert_true(check(f, "tools")); /* tools.md5sums, held */
	assert_false(check(f, "gone")); /* removed, its config files left */
	assert_int_equal(pkgtrust_stats(f->t, &files, &bytes), 0);
	assert_int_equal(files, 2); /* hello, tools; gone's and the malformed lines are not */
	assert_true(bytes >= 2 * 24);
}

static void unlisted_paths_are_not_trusted(void **state)
{
	struct fixture *f = *state;
	char path[160], copy[160];

	snprintf(path, sizeof(path), "%s/hello", f->dir);
	snprintf(copy, sizeof(copy), "%s/hello-copy", f->dir);
	write_file(copy, "#!/bin/sh\necho hello\n");
	/* Same content as a listed file, other path. */
	assert_false(check_path(f->t, copy, copy));
	assert_false(check_path(f->t, "relative/hello", path));
	assert_false(check_path(f->t, path, "/dev/null"));
}

static void a_modified_file_is_not_trusted_even_with_its_old_mtime(void **state)
{
	struct fixture *f = *state;
	char path[160];
	struct stat st;
	struct timespec ts[2];

	assert_true(check(f, "hello"));
	snprintf(path, sizeof(path), "%s/hello", f->dir);
	assert_int_equal(stat(path, &st), 0);

	/* Same size, other bytes, and the old mtime put back: the ctime still moves. */
	usleep(10000);
	write_file(path, "#!/bin/sh\necho HELLO\n");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_false(check(f, "hello"));

	/* And back: trusted again. */
	write_file(path, "#!/bin/sh\necho hello\n");
	assert_true(check(f, "hello"));
}

static void a_change_of_status_reloads(void **state)
{
	struct fixture *f = *state;
	char line[256], status[2048];

	listed_file(f, "newer", "new file\n", line, sizeof(line));
	info_file(f, "newer.md5sums", line);
	assert_false(check(f, "newer"));

	snprintf(status, sizeof(status), "%s\nPackage: newer\nStatus: install ok installed\n",
	         status_base);
	status_write(f, status);
	assert_true(check(f, "newer"));
	assert_true(check(f, "hello"));

	/* hello removed: no longer trusted, cached result or not. */
	status_write(f, "Package: newer\nStatus: install ok installed\n");
	assert_false(check(f, "hello"));
	assert_true(check(f, "newer"));
}

static void a_missing_database_is_an_error(void **state)
{
	struct pkgtrust *t;
	bool trusted = true;
	int fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pkgtrust_open("/nonexistent/dpkg", &t), 0);
	assert_true(pkgtrust_check(t, "/usr/bin/true", fd, &trusted) < 0);
	assert_false(trusted);
	pkgtrust_free(t);
	close(fd);
}

/* This machine's own database: /usr/bin/true is coreutils', listed as bin/true. */
static void this_machines_true_is_trusted_and_a_modified_copy_is_not(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *buf = NULL;
	char copy[160], line[256], md5[33];
	struct pkgtrust *sys;
	size_t len;

	if (access("/var/lib/dpkg/status", R_OK) < 0 || access("/usr/bin/true", R_OK) < 0)
		skip();
	assert_int_equal(pkgtrust_open("/var/lib/dpkg", &sys), 0);
	assert_true(check_path(sys, "/usr/bin/true", "/usr/bin/true"));
	assert_true(check_path(sys, "/bin/true", "/usr/bin/true"));
	pkgtrust_free(sys);

	/* A copy with one byte more, listed in the fake db with the real md5. */
	md5_of("/usr/bin/true", md5);
	assert_int_equal(file_read_all("/usr/bin/true", 16 << 20, &buf, &len), 0);
	snprintf(copy, sizeof(copy), "%s/true", f->dir);
	write_file(copy, "");
	{
		_cleanup_close_ int fd = open(copy, O_WRONLY | O_TRUNC | O_CLOEXEC);

		assert_int_equal(fd_write_all(fd, buf, len), 0);
		assert_int_equal(fd_write_all(fd, "\n", 1), 0);
	}
	snprintf(line, sizeof(line), "%s  %s\n", md5, copy + 1);
	info_file(f, "coreutils.md5sums", line);
	status_write(f, "Package: coreutils\nStatus: install ok installed\n");
	assert_false(check(f, "true"));

	/* The unmodified copy, same listing: trusted. */
	{
		_cleanup_close_ int fd = open(copy, O_WRONLY | O_TRUNC | O_CLOEXEC);

		assert_int_equal(fd_write_all(fd, buf, len), 0);
	}
	assert_true(check(f, "true"));
}

/* usrmerge: listed as bin/true, executed as /usr/bin/true, and the other way round. */
static void merged_usr_aliases_are_the_same_path(void **state)
{
	struct fixture *f = *state;
	char target[16], line[512], md5[33];
	ssize_t n = readlink("/bin", target, sizeof(target) - 1);

	if (n < 0 || strncmp(target, "usr/bin", n) != 0)
		skip();
	md5_of("/usr/bin/true", md5);
	snprintf(line, sizeof(line), "%s  bin/true\n%s  usr/bin/false-not-really\n", md5, md5);
	info_file(f, "coreutils.md5sums", line);
	status_write(f, "Package: coreutils\nStatus: install ok installed\n");
	assert_true(check_path(f->t, "/usr/bin/true", "/usr/bin/true"));
	assert_true(check_path(f->t, "/bin/true", "/usr/bin/true"));
	assert_false(check_path(f->t, "/usr/sbin/true", "/usr/bin/true"));
	assert_true(check_path(f->t, "/bin/false-not-really", "/usr/bin/true"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(installed_unmodified_files_are_trusted, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(unlisted_paths_are_not_trusted, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                a_modified_file_is_not_trusted_even_with_its_old_mtime, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_change_of_status_reloads, setup, teardown),
	        cmocka_unit_test(a_missing_database_is_an_error),
	        cmocka_unit_test_setup_teardown(
	                this_machines_true_is_trusted_and_a_modified_copy_is_not, setup, teardown),
	        cmocka_unit_test_setup_teardown(merged_usr_aliases_are_the_same_path, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
