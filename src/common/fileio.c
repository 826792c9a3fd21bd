/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fd_read_all(int fd, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t want = cap ? cap * 2 : 4096;
			char *p;

			if (cap > max)
				return -EFBIG;
			if (want > max + 1)
				want = max + 1;
			p = realloc(buf, want + 1);
			if (!p)
				return -ENOMEM;
			buf = p;
			cap = want;
		}

		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		len += n;
		if (len > max)
			return -EFBIG;
	}

	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*ret_buf = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int file_read_all(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return neg_errno();
	return fd_read_all(fd, max, ret_buf, ret_len);
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		p += n;
		len -= n;
	}
	return 0;
}

int file_write_strat(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = strlen(s);
	ssize_t n;

	if (fd < 0)
		return neg_errno();
	n = write(fd, s, len);
	if (n < 0)
		return neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}

int file_write_str(const char *path, const char *s)
{
	return file_write_strat(AT_FDCWD, path, s);
}

int file_create_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return neg_errno();
	r = fd_write_all(fd, buf, len);
	if (r < 0)
		return r;
	if (fchmod(fd, mode) < 0)
		return neg_errno();
	return 0;
}

int fd_copy(int in_fd, int out_fd, off_t max)
{
	char buf[65536];
	off_t total = 0;

	for (;;) {
		ssize_t n = read(in_fd, buf, sizeof(buf));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			return 0;
		total += n;
		if (total > max)
			return -EFBIG;
		r = fd_write_all(out_fd, buf, n);
		if (r < 0)
			return r;
	}
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);

	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdirat(dirfd, buf, mode) < 0 && errno != EEXIST)
			return neg_errno();
		*p = '/';
	}
	if (mkdirat(dirfd, buf, mode) < 0 && errno != EEXIST)
		return neg_errno();
	return 0;
}

int file_replace_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	char tmp[4096];
	int r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return neg_errno();
	r = fd_write_all(fd, buf, len);
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = neg_errno();
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync(dirfd) < 0 ? neg_errno() : 0;
}
