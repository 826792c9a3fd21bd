/* SPDX-License-Identifier: MIT */
#include "fan.h"

#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#define FAN_PERM_MASK (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM)

int fan_open(int *ret_fd)
{
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
				       FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		/* O_NOATIME needs to own the file or CAP_FOWNER; try without. */
		fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
					   FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS,
				   O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	*ret_fd = fd;
	return 0;
}

int fan_mark_mount(int fan_fd, const char *path, bool exec, bool documents)
{
	uint64_t mask = (exec ? FAN_OPEN_EXEC_PERM : 0) | (documents ? FAN_OPEN_PERM : 0);

	if (!mask)
		return 0;
	if (fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, AT_FDCWD, path) < 0)
		return neg_errno();
	return 0;
}

int fan_flush_ignores(int fan_fd)
{
	if (fanotify_mark(fan_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL) < 0)
		return neg_errno();
	return 0;
}

int fan_flush(int fan_fd)
{
	if (fanotify_mark(fan_fd, FAN_MARK_FLUSH | FAN_MARK_MOUNT, 0, AT_FDCWD, NULL) < 0)
		return neg_errno();
	return fan_flush_ignores(fan_fd);
}

int fan_ignore(int fan_fd, int fd, uint64_t mask)
{
	if (fanotify_mark(fan_fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, mask, fd,
			  NULL) < 0)
		return neg_errno();
	return 0;
}

int fan_answer(int fan_fd, int fd, bool allow)
{
	struct fanotify_response resp = {.fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY};
	ssize_t n;

	do
		n = write(fan_fd, &resp, sizeof(resp));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	return n == (ssize_t)sizeof(resp) ? 0 : -EIO;
}

int fan_read(int fan_fd, void *buf, size_t size, fan_event_fn fn, void *userdata)
{
	struct fanotify_event_metadata *m = buf;
	ssize_t len = read(fan_fd, buf, size);
	int seen = 0;

	if (len < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : neg_errno();
	for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
		struct fan_event ev = {.fd = m->fd, .pid = m->pid};

		if (m->vers != FANOTIFY_METADATA_VERSION) {
			if (m->fd >= 0)
				close(m->fd);
			return -EPROTO;
		}
		if (m->fd < 0)
			continue; /* FAN_Q_OVERFLOW cannot happen with an unlimited queue */
		if (!(m->mask & FAN_PERM_MASK)) {
			close(m->fd);
			continue;
		}
		ev.exec = (m->mask & FAN_OPEN_EXEC_PERM) != 0;
		fn(userdata, &ev);
		seen++;
	}
	return seen;
}
