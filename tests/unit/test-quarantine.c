/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fileio.h"
#include "hash.h"
#include "macros.h"
#include "quarantine.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTENT_LEN (200 * 1024 + 7)

struct fixture {
	char dir[64];
	char qdir[96];
	char path[96];
	unsigned char *content;
	char sha256[65];
	struct stat st;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* An ELF-looking file with an unusual owner, mode and nanosecond times. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct timespec times[2] = {{1600000000, 123456789}, {1500000000, 987654321}};
	struct file_hashes h;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-quarantine.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->qdir, sizeof(f->qdir), "%s/state/quarantine", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/evil", f->dir);
	f->content = malloc(CONTENT_LEN);
	memcpy(f->content,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	for (size_t i = 7; i < CONTENT_LEN; i++)
		f->content[i] = (unsigned char)(i * 7 + (i >> 9));
	hash_buf(f->content, CONTENT_LEN, &h);
	memcpy(f->sha256, h.sha256, 65);

	if (file_create_at(AT_FDCWD, f->path, f->content, CONTENT_LEN, 0751) < 0)
		return -1;
	if (chown(f->path, 1234, 5678) < 0 || chmod(f->path, 0751) < 0 ||
	    utimensat(AT_FDCWD, f->path, times, 0) < 0 || stat(f->path, &f->st) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->content);
	free(f);
	return 0;
}

static void assert_same_file(const struct fixture *f, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len;

	/* stat before reading: the read moves the atime */
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	assert_int_equal(st.st_mode, S_IFREG | 0751);
	assert_int_equal(st.st_mtim.tv_sec, f->st.st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, f->st.st_mtim.tv_nsec);
	assert_int_equal(st.st_atim.tv_sec, f->st.st_atim.tv_sec);
	assert_int_equal(st.st_atim.tv_nsec, f->st.st_atim.tv_nsec);
	assert_int_equal(file_read_all(path, CONTENT_LEN + 1, &buf, &len), 0);
	assert_int_equal(len, CONTENT_LEN);
	assert_memory_equal(buf, f->content, CONTENT_LEN);
}

static void entry_file(const struct fixture *f, const char *id, const char *ext, char *out,
		       size_t size)
{
	snprintf(out, size, "%s/%s.%s", f->qdir, id, ext);
}

static size_t qdir_count(const struct fixture *f)
{
	DIR *d = opendir(f->qdir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void touch_old(const char *dir, const char *name, bool old)
{
	char path[256];
	const struct timespec t[2] = {{1000000000, 0}, {1000000000, 0}};
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("leftover", fp);
	fclose(fp);
	if (old)
		assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* A crash between ID.bin and ID.json leaves an orphan: the sweep takes old ones only. */
static void test_sweep_leftovers(void **state)
{
	struct fixture *f = *state;
	struct qentry e, *list = NULL;
	unsigned removed;
	size_t n;
	char path[256];

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, f->sha256, "Linux.Test", &e), 0);
	touch_old(f->qdir, "0123456789abcdef0123456789abcdef.bin", true);
	touch_old(f->qdir, "fedcba9876543210fedcba9876543210.json.tmp", true);
	touch_old(f->qdir, "00000000000000000000000000000000.bin", false); /* an add running */
	touch_old(f->qdir, "not-ours.bin", true);
	assert_int_equal(quarantine_sweep(f->qdir, 600, &removed), 0);
	assert_int_equal(removed, 2);
	snprintf(path, sizeof(path), "%s/0123456789abcdef0123456789abcdef.bin", f->qdir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/00000000000000000000000000000000.bin", f->qdir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/not-ours.bin", f->qdir);
	assert_int_equal(access(path, F_OK), 0);
	/* The whole entry is untouched, and restores. */
	assert_int_equal(quarantine_list(f->qdir, &list, &n), 0);
	assert_int_equal(n, 1);
	free(list);
	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), 0);
	/* No quarantine directory at all: nothing to do. */
	assert_int_equal(quarantine_sweep("/nonexistent/quarantine", 600, &removed), 0);
	assert_int_equal(removed, 0);
}

static void test_add_restore(void **state)
{
	struct fixture *f = *state;
	struct qentry e, *list = NULL;
	struct stat st;
	size_t n;

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, f->sha256, "Linux.Test", &e), 0);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(strlen(e.id), 32);
	assert_string_equal(e.sha256, f->sha256);
	assert_int_equal(e.size, CONTENT_LEN);

	assert_int_equal(stat(f->qdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(quarantine_list(f->qdir, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, e.id);
	assert_string_equal(list[0].path, f->path);
	assert_string_equal(list[0].threat, "Linux.Test");
	assert_int_equal(list[0].uid, 1234);
	assert_int_equal(list[0].gid, 5678);
	assert_int_equal(list[0].mode, 0751);
	assert_int_equal(list[0].mtime.tv_nsec, f->st.st_mtim.tv_nsec);
	free(list);

	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), 0);
	assert_same_file(f, f->path);
	assert_int_equal(quarantine_get(f->qdir, e.id, &e), -ENOENT);
	assert_int_equal(qdir_count(f), 0);
}

static void test_neutralised(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *buf = NULL;
	char bin[160];
	struct qentry e;
	struct stat st;
	size_t len, same = 0;

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, NULL, "Linux.Test", &e), 0);
	assert_string_equal(e.sha256, f->sha256);
	entry_file(f, e.id, "bin", bin, sizeof(bin));
	assert_int_equal(stat(bin, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());

	assert_int_equal(file_read_all(bin, 2 * CONTENT_LEN, &buf, &len), 0);
	assert_true(len > CONTENT_LEN);
	assert_memory_not_equal(buf,
				"\x7f"
				"ELF",
				4);
	assert_memory_equal(buf, "sandtrap-quar-v1", 16);
	assert_null(memmem(buf, len, f->content, 64));
	assert_null(memmem(buf, len, f->content + 4096, 64));
	for (size_t i = 0; i < CONTENT_LEN; i++)
		same += buf[len - CONTENT_LEN + i] == (char)f->content[i];
	assert_true(same < CONTENT_LEN / 64);
}

static void test_refuses_overwrite(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *buf = NULL;
	char other[160];
	struct qentry e;
	size_t len;

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, f->sha256, "T", &e), 0);
	assert_int_equal(file_create_at(AT_FDCWD, f->path, "new", 3, 0644), 0);
	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), -EEXIST);
	assert_int_equal(file_read_all(f->path, 100, &buf, &len), 0);
	assert_string_equal(buf, "new");
	assert_int_equal(quarantine_get(f->qdir, e.id, &e), 0);

	snprintf(other, sizeof(other), "%s/restored", f->dir);
	assert_int_equal(quarantine_restore(f->qdir, e.id, other), 0);
	assert_same_file(f, other);
}

static void test_tampered(void **state)
{
	struct fixture *f = *state;
	char bin[160];
	struct qentry e;
	int fd;

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, f->sha256, "T", &e), 0);
	entry_file(f, e.id, "bin", bin, sizeof(bin));
	fd = open(bin, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "x", 1, 5000), 1);
	close(fd);

	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), -EBADMSG);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(quarantine_get(f->qdir, e.id, &e), 0);

	assert_int_equal(truncate(bin, 100), 0);
	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), -EBADMSG);
	assert_int_equal(truncate(bin, 10), 0);
	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), -EBADMSG);
	/* no temporary file left next to where the original was */
	assert_int_equal(rmdir(f->qdir), -1);
	assert_int_equal(quarantine_delete(f->qdir, e.id), 0);
	assert_int_equal(rmdir(f->qdir), 0);
	{
		DIR *d = opendir(f->dir);
		struct dirent *de;
		size_t n = 0;

		while ((de = readdir(d)))
			n += strncmp(de->d_name, ".sandtrap-restore", 17) == 0;
		closedir(d);
		assert_int_equal(n, 0);
	}
}

static void test_bad_metadata(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"{",
		"[]",
		"{\"id\":1}",
		"{} trailing",
	};
	_cleanup_free_ char *big = NULL;
	struct qentry e, *list = NULL;
	char meta[160];
	size_t n;

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, f->sha256, "T", &e), 0);
	entry_file(f, e.id, "json", meta, sizeof(meta));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(file_create_at(AT_FDCWD, meta, bad[i], strlen(bad[i]), 0600), 0);
		assert_int_equal(quarantine_get(f->qdir, e.id, &e), -EBADMSG);
	}
	big = malloc(100000);
	memset(big, ' ', 100000);
	big[0] = '{';
	big[99999] = '}';
	assert_int_equal(file_create_at(AT_FDCWD, meta, big, 100000, 0600), 0);
	assert_int_equal(quarantine_get(f->qdir, e.id, &e), -EBADMSG);
	assert_int_equal(quarantine_restore(f->qdir, e.id, NULL), -EBADMSG);

	assert_int_equal(quarantine_list(f->qdir, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
}

static void test_wrong_sha256(void **state)
{
	struct fixture *f = *state;
	const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
	struct qentry e;

	assert_int_equal(quarantine_add(f->qdir, f->path, -1, wrong, "T", &e), -ESTALE);
	assert_int_equal(access(f->path, F_OK), 0);
	assert_int_equal(qdir_count(f), 0);
	assert_int_equal(quarantine_add(f->qdir, f->path, -1, "../x", "T", &e), -EINVAL);
}

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct qentry e, *list = NULL;
	size_t n;
	int fd;

	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(quarantine_add(f->qdir, f->path, fd, f->sha256, "T", &e), 0);
	close(fd);
	assert_int_equal(qdir_count(f), 2);
	assert_int_equal(quarantine_delete(f->qdir, e.id), 0);
	assert_int_equal(qdir_count(f), 0);
	assert_int_equal(quarantine_delete(f->qdir, e.id), -ENOENT);
	assert_int_equal(quarantine_list(f->qdir, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
	assert_int_equal(quarantine_delete(f->qdir, "../../etc/passwd"), -EINVAL);
	assert_int_equal(quarantine_restore(f->qdir, "0123", NULL), -EINVAL);
}

static void test_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	char link[160];
	struct qentry e;

	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_true(quarantine_add(f->qdir, link, -1, NULL, "T", &e) < 0);
	assert_int_equal(access(f->path, F_OK), 0);
	assert_int_equal(qdir_count(f), 0);
}

static void test_relative_path(void **state)
{
	struct fixture *f = *state;
	struct qentry a, b, *list = NULL;
	char cwd[256], second[160];
	size_t n;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(quarantine_add(f->qdir, "evil", -1, f->sha256, "T", &a), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(a.path, f->path);

	snprintf(second, sizeof(second), "%s/second", f->dir);
	assert_int_equal(file_create_at(AT_FDCWD, second, "2", 1, 0600), 0);
	assert_int_equal(quarantine_add(f->qdir, second, -1, NULL, "T", &b), 0);
	assert_int_equal(quarantine_list(f->qdir, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_true(list[0].quarantined_at <= list[1].quarantined_at);
	assert_string_not_equal(list[0].id, list[1].id);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neutralised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
