/* SPDX-License-Identifier: MIT */
/* Placeholder until the simulated internet lands; see netsim.h. */
#include "netsim.h"

#include <errno.h>
#include <stddef.h>

int netsim_new(int netns_fd, netsim_event_fn fn, void *userdata, struct netsim **ret)
{
	*ret = NULL;
	return -ENOSYS;
}

void netsim_free(struct netsim *n)
{
}

int netsim_fd(const struct netsim *n)
{
	return -1;
}

int netsim_dispatch(struct netsim *n)
{
	return -ENOSYS;
}
