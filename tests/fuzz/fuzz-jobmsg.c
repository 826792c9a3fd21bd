/* SPDX-License-Identifier: MIT */
/*
 * The privileged side's only input: one job message, arbitrary bytes, through a real
 * SOCK_SEQPACKET pair. Sometimes with a descriptor attached (the first byte decides).
 */
#include "jobmsg.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_send(int sock, const uint8_t *data, size_t size, int fd)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = size };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

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
	sendmsg(sock, &mh, MSG_NOSIGNAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jobmsg_job job;
	int sp[2], fd = -1, got = -1, r;

	if (size < 1 || size > 4096 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return 0;
	if (data[0] & 1)
		fd = memfd_create("fuzz-object", MFD_CLOEXEC);
	fuzz_send(sp[0], data + 1, size - 1, fd);
	if (fd >= 0)
		close(fd);
	close(sp[0]);

	r = jobmsg_job_recv(sp[1], &job, &got);
	if (r == 0 && job.id != 0) {
		if (job.magic != JOBMSG_MAGIC || job.id < 0 || job.timeout_sec == 0 ||
		    job.timeout_sec > JOBMSG_TIMEOUT_MAX || got < 0)
			abort();
		close(got);
	}
	close(sp[1]);
	return 0;
}
