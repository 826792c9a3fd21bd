/* SPDX-License-Identifier: MIT */
#include "jobmsg.h"

#include "macros.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

int jobmsg_send(int sock, const void *msg, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * One message of exactly len bytes with at most one descriptor. A short, long or
 * truncated message, or one carrying anything but a single fd, is refused whole.
 * Returns 1 on a message, 0 at EOF.
 */
static int jobmsg_recv(int sock, void *msg, size_t len, int *ret_fd)
{
	struct iovec iov = {.iov_base = msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int fd = -1, bad = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[4];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(fds, CMSG_DATA(c), MIN(nfd, ARRAY_SIZE(fds)) * sizeof(int));
		for (size_t i = 0; i < MIN(nfd, ARRAY_SIZE(fds)); i++) {
			if (fd < 0 && nfd == 1)
				fd = fds[i];
			else
				close(fds[i]), bad = 1;
		}
	}
	if (n == 0 && fd < 0)
		return 0;
	if (bad || (size_t)n != len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*ret_fd = fd;
	return 1;
}

int jobmsg_job_send(int sock, const struct jobmsg_job *job, int fd)
{
	return jobmsg_send(sock, job, sizeof(*job), fd);
}

/* The object must be a regular (memory) file: nothing else is worth detonating. */
static int jobmsg_fd_regular(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static bool jobmsg_sha256_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static bool jobmsg_fd_bounded(int fd, uint64_t max)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       (uint64_t)st.st_size <= max;
}

int jobmsg_job_recv(int sock, struct jobmsg_job *ret, int *ret_fd)
{
	int fd = -1, r;

	memset(ret, 0, sizeof(*ret));
	r = jobmsg_recv(sock, ret, sizeof(*ret), &fd);
	if (r <= 0)
		return r;
	if (ret->magic == JOBMSG_RULES_MAGIC) {
		struct stat st;

		if (ret->id <= 0 || ret->timeout_sec != 0 || fd < 0 || fstat(fd, &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			if (fd >= 0)
				close(fd);
			return -EBADMSG;
		}
		*ret_fd = fd;
		return 1;
	}
	if (ret->magic != JOBMSG_MAGIC || ret->id <= 0 || ret->timeout_sec == 0 ||
	    ret->timeout_sec > JOBMSG_TIMEOUT_MAX || !jobmsg_fd_regular(fd)) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*ret_fd = fd;
	return 0;
}

int jobmsg_result_send(int sock, const struct jobmsg_result *res, int fd)
{
	return jobmsg_send(sock, res, sizeof(*res), fd);
}

int jobmsg_result_recv(int sock, struct jobmsg_result *ret, int *ret_fd)
{
	int fd = -1, r;

	memset(ret, 0, sizeof(*ret));
	r = jobmsg_recv(sock, ret, sizeof(*ret), &fd);
	if (r < 0)
		return r;
	if (r == 0)
		return -ECONNRESET;
	ret->why[sizeof(ret->why) - 1] = '\0';
	if (ret->magic == JOBMSG_PROGRESS_MAGIC && fd < 0 && ret->id > 0 &&
	    ret->status == JOBMSG_PHASE_SCORING) {
		*ret_fd = -1;
		return 1;
	}
	if (ret->magic == JOBMSG_RULES_MAGIC) {
		if (fd >= 0 || ret->id <= 0 || ret->status > 0) {
			if (fd >= 0)
				close(fd);
			return -EBADMSG;
		}
		*ret_fd = -1;
		return 3;
	}
	if (ret->magic == JOBMSG_ARTEFACT_MAGIC) {
		if (ret->id <= 0 || ret->status != 0 || !jobmsg_sha256_valid(ret->why) ||
		    !jobmsg_fd_bounded(fd, JOBMSG_ARTEFACT_MAX)) {
			if (fd >= 0)
				close(fd);
			return -EBADMSG;
		}
		*ret_fd = fd;
		return 2;
	}
	if (ret->magic != JOBMSG_MAGIC || ret->id <= 0 || ret->status > 0 ||
	    (ret->status == 0) != jobmsg_fd_regular(fd)) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*ret_fd = fd;
	return 0;
}

int jobmsg_progress_send(int sock, int64_t id, enum jobmsg_phase phase)
{
	struct jobmsg_result note = {.magic = JOBMSG_PROGRESS_MAGIC, .status = phase, .id = id};

	return jobmsg_send(sock, &note, sizeof(note), -1);
}

int jobmsg_artefact_send(int sock, int64_t id, const char *sha256, int fd)
{
	struct jobmsg_result a = {.magic = JOBMSG_ARTEFACT_MAGIC, .id = id};

	snprintf(a.why, sizeof(a.why), "%s", sha256);
	return jobmsg_send(sock, &a, sizeof(a), fd);
}

int jobmsg_rules_send(int sock, int64_t id, int dirfd)
{
	struct jobmsg_job job = {.magic = JOBMSG_RULES_MAGIC, .id = id};

	return jobmsg_send(sock, &job, sizeof(job), dirfd);
}
