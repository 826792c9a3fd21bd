/* SPDX-License-Identifier: MIT */
/*
 * Interfaces and routes of a guest's network namespace, configured over rtnetlink. The
 * functions act on the network namespace of the calling thread.
 */
#pragma once

/*
 * Bring lo up and make every IPv4 and IPv6 destination local, so whatever the guest sends
 * is delivered inside the namespace.
 */
int netns_route_all_local(void);

/*
 * Give the namespace a plausible eth0 (10.0.2.15/24, default route via 10.0.2.2). Its veth
 * peer lives in a new, empty namespace that only this call knows; *ret_peer_netns keeps
 * that namespace alive and must stay open as long as eth0 should exist. The calling thread
 * ends in the namespace it started in, or the function fails.
 */
int netns_add_fake_uplink(int *ret_peer_netns);
