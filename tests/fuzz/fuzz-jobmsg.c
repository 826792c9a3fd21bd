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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jobmsg_job job;
	int sp[2], fd = -1, got = -1, r;

	if (size < 1 || size > 4096 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return 0;
	if (data[0] & 1)
		fd = memfd_create("fuzz-object", MFD_CLOEXEC);
	jobmsg_send(sp[0], data + 1, size - 1, fd);
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
