/* SPDX-License-Identifier: MIT */
/* Placeholder until the eBPF capture lands; see capture.h. */
#include "capture.h"

#include <errno.h>
#include <stddef.h>

int capture_new(struct capture **ret)
{
	*ret = NULL;
	return -ENOSYS;
}

void capture_free(struct capture *c)
{
}

int capture_watch_cgroup(struct capture *c, uint64_t cgroup_id, uint32_t uid_base)
{
	return -ENOSYS;
}

int capture_unwatch_cgroup(struct capture *c, uint64_t cgroup_id)
{
	return -ENOSYS;
}

int capture_fd(const struct capture *c)
{
	return -1;
}

int capture_consume(struct capture *c, capture_event_fn fn, void *userdata)
{
	return -ENOSYS;
}

uint64_t capture_lost(const struct capture *c)
{
	return 0;
}
