/* SPDX-License-Identifier: MIT */
/*
 * The simulated internet of one guest. It lives in the guest's network namespace but in
 * the supervisor's process: every IPv4 and IPv6 destination is routed locally, an
 * sk_lookup program steers every TCP connection and UDP datagram to netsim's sockets, a
 * DNS server answers every name with a sinkhole address, and what arrives is recorded.
 * The namespace has no link to any other namespace, so nothing can leave it.
 */
#pragma once

#include "event.h"

#include <stddef.h>
#include <stdint.h>

struct netsim;

typedef void (*netsim_event_fn)(const struct event *ev, void *userdata);

/*
 * Configure the network namespace netns_fd (interfaces, routes, steering) and open the
 * servers inside it. Events are delivered through fn from netsim_dispatch().
 */
int netsim_new(int netns_fd, netsim_event_fn fn, void *userdata, struct netsim **ret);
void netsim_free(struct netsim *n);

/* An epoll fd: readable when netsim_dispatch() has work. */
int netsim_fd(const struct netsim *n);

/* Serve whatever is ready, without blocking. */
int netsim_dispatch(struct netsim *n);
