/* SPDX-License-Identifier: MIT */
#include "bundle.h"

#include "escape.h"
#include "fileio.h"
#include "macros.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_NAME_MAX 1024
#define CHUNK           (64u << 10)

/* What has been written so far, against the bounds. */
struct bundle_budget {
	size_t entries;
	uint64_t bytes;
};

static bool bundle_component_ok(const char *c, size_t n)
{
	if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
			return false;
	return true;
}

/*
 * A relative name of plain components: no "/" at the start, no "." or ".." or empty
 * component, no control characters, at most BUNDLE_DEPTH_MAX deep. A leading "./" (as
 * `tar -C DIR .` writes) is dropped first; *ret_name is "" for the top directory itself.
 */
static int bundle_name_check(const char *name, const char **ret_name)
{
	unsigned depth = 0;
	const char *p;

	while (name[0] == '.' && name[1] == '/')
		name += 2 + strspn(name + 2, "/");
	if (strcmp(name, ".") == 0 || name[0] == '\0') {
		*ret_name = "";
		return 0;
	}
	if (name[0] == '/' || strlen(name) >= BUNDLE_NAME_MAX)
		return -EINVAL;
	for (p = name; *p;) {
		size_t n = strcspn(p, "/");

		if (!bundle_component_ok(p, n) || ++depth > BUNDLE_DEPTH_MAX)
			return -EINVAL;
		p += n;
		if (*p == '/' && *++p == '\0')
			break; /* "dir/": a directory's trailing slash */
	}
	*ret_name = name;
	return 0;
}

/*
 * The directory that holds name's last component, made as needed below dirfd; *ret_leaf
 * points into path at that component. path is changed (its slashes cut).
 */
static int bundle_parent_open(int dirfd, char *path, char **ret_leaf)
{
	_cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	char *p = path, *slash;

	if (cur < 0)
		return neg_errno();
	while ((slash = strchr(p, '/')) && slash[1]) {
		int next;

		*slash = '\0';
		if (mkdirat(cur, p, 0755) < 0 && errno != EEXIST)
			return neg_errno();
		next = openat(cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return neg_errno();
		close(cur);
		cur = next;
		p = slash + 1;
	}
	if (slash)
		*slash = '\0'; /* a trailing slash */
	*ret_leaf = p;
	return TAKE_FD(cur);
}

static int bundle_write_file(struct archive *a, int dirfd, const char *leaf,
			     struct bundle_budget *b)
{
	_cleanup_close_ int out = -1;
	_cleanup_free_ char *buf = malloc(CHUNK);
	uint64_t size = 0;
	la_ssize_t n;

	if (!buf)
		return -ENOMEM;
	out = openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return errno == EEXIST ? -EEXIST : neg_errno();
	while ((n = archive_read_data(a, buf, CHUNK)) > 0) {
		size += (uint64_t)n;
		b->bytes += (uint64_t)n;
		if (size > BUNDLE_FILE_MAX || b->bytes > BUNDLE_TOTAL_MAX)
			return -EFBIG;
		if (fd_write_all(out, buf, (size_t)n) < 0)
			return -EIO;
	}
	return n < 0 ? -EBADMSG : 0;
}

/* One entry of the archive below dirfd; err set on a refusal. */
static int bundle_entry(struct archive *a, struct archive_entry *e, int dirfd,
			struct bundle_budget *b, char *err, size_t errsz)
{
	const char *raw = archive_entry_pathname(e), *name;
	char shown[160], path[BUNDLE_NAME_MAX], *leaf;
	mode_t type = archive_entry_filetype(e);
	_cleanup_close_ int parent = -1;
	int r;

	escape_printable(raw ? raw : "", raw ? strlen(raw) : 0, shown, sizeof(shown));
	if (++b->entries > BUNDLE_ENTRIES_MAX) {
		snprintf(err, errsz, "more than %d entries", BUNDLE_ENTRIES_MAX);
		return -EINVAL;
	}
	if (!raw || bundle_name_check(raw, &name) < 0) {
		snprintf(err, errsz, "%s: not a relative name of plain components", shown);
		return -EINVAL;
	}
	if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(e)) {
		snprintf(err, errsz, "%s: only regular files and directories are allowed", shown);
		return -EINVAL;
	}
	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > BUNDLE_FILE_MAX) {
		snprintf(err, errsz, "%s: larger than %llu MiB", shown, BUNDLE_FILE_MAX >> 20);
		return -EINVAL;
	}
	if (name[0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "%s", name);
	parent = bundle_parent_open(dirfd, path, &leaf);
	if (parent < 0) {
		snprintf(err, errsz, "%s: cannot create its directory: %s", shown,
			 strerror(-parent));
		return -EINVAL;
	}
	if (type == AE_IFDIR)
		r = mkdirat(parent, leaf, 0755) < 0 && errno != EEXIST ? neg_errno() : 0;
	else
		r = bundle_write_file(a, parent, leaf, b);
	if (r == -EFBIG)
		snprintf(err, errsz, "%s: over the size limits (%llu MiB a file, %llu MiB in all)",
			 shown, BUNDLE_FILE_MAX >> 20, BUNDLE_TOTAL_MAX >> 20);
	else if (r == -EEXIST)
		snprintf(err, errsz, "%s: given twice", shown);
	else if (r < 0)
		snprintf(err, errsz, "%s: %s", shown, strerror(-r));
	return r < 0 ? -EINVAL : 0;
}

int bundle_unpack(int fd, int dirfd, char *err, size_t errsz)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct bundle_budget b = {0};
	int r = 0, ar;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK) {
		snprintf(err, errsz, "not a tar.gz: %s", archive_error_string(a));
		archive_read_free(a);
		return -EINVAL;
	}
	while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		r = bundle_entry(a, e, dirfd, &b, err, errsz);
	if (r == 0 && ar != ARCHIVE_EOF) {
		snprintf(err, errsz, "not a valid tar.gz: %s", archive_error_string(a));
		r = -EINVAL;
	}
	if (r == 0 && b.entries == 0) {
		snprintf(err, errsz, "the archive is empty");
		r = -EINVAL;
	}
	archive_read_free(a);
	return r;
}

struct bundle_copy_ctx {
	uid_t owner;
	struct bundle_budget b;
	char *err;
	size_t errsz;
};

static int bundle_copy_file(struct bundle_copy_ctx *c, int in, int dst, const char *name,
			    const struct stat *st)
{
	_cleanup_close_ int out = -1;

	c->b.bytes += (uint64_t)st->st_size;
	if ((uint64_t)st->st_size > BUNDLE_FILE_MAX || c->b.bytes > BUNDLE_TOTAL_MAX) {
		snprintf(c->err, c->errsz, "over the size limits");
		return -EFBIG;
	}
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return neg_errno();
	/* At most the size seen: a file that grows meanwhile is cut there. */
	if (fd_copy(in, out, (uint64_t)st->st_size) < 0 || fsync(out) < 0)
		return -EIO;
	return 0;
}

static int bundle_copy_dir(struct bundle_copy_ctx *c, int src, int dst, unsigned depth);

static int bundle_copy_entry(struct bundle_copy_ctx *c, int src, int dst, const char *name,
			     unsigned depth)
{
	_cleanup_close_ int in = -1, sub = -1;
	struct stat st;

	if (!bundle_component_ok(name, strlen(name)) || ++c->b.entries > BUNDLE_ENTRIES_MAX) {
		snprintf(c->err, c->errsz, "too many entries or a bad name");
		return -EINVAL;
	}
	/* O_NOFOLLOW: a symbolic link is refused, never followed as root. */
	in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return neg_errno();
	if (st.st_uid != c->owner || (S_ISREG(st.st_mode) && st.st_nlink != 1) ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		snprintf(c->err, c->errsz, "an entry that is not a plain file or directory");
		return -EPERM;
	}
	if (S_ISREG(st.st_mode))
		return bundle_copy_file(c, in, dst, name, &st);
	if (depth >= BUNDLE_DEPTH_MAX || (mkdirat(dst, name, 0755) < 0 && errno != EEXIST))
		return depth >= BUNDLE_DEPTH_MAX ? -ELOOP : neg_errno();
	sub = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return neg_errno();
	return bundle_copy_dir(c, in, sub, depth + 1);
}

static int bundle_copy_dir(struct bundle_copy_ctx *c, int src, int dst, unsigned depth)
{
	int fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return neg_errno();
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = bundle_copy_entry(c, src, dst, de->d_name, depth);
	closedir(d);
	return r;
}

int bundle_copy(int src, uid_t owner, int dst, char *err, size_t errsz)
{
	struct bundle_copy_ctx c = {.owner = owner, .err = err, .errsz = errsz};
	int r;

	err[0] = '\0';
	r = bundle_copy_dir(&c, src, dst, 0);
	if (r < 0 && !err[0])
		snprintf(err, errsz, "cannot copy the bundle: %s", strerror(-r));
	return r;
}

static void bundle_remove_below(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno != EISDIR)
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			bundle_remove_below(sub);
			close(sub);
		}
		unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void bundle_remove(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		bundle_remove_below(fd);
		close(fd);
	}
	unlinkat(parent, name, AT_REMOVEDIR);
}
