/* SPDX-License-Identifier: MIT */
/* Slots of the sk_lookup socket map, shared by steer.bpf.c and netsim.c. */
#pragma once

enum steer_slot {
	STEER_DNS,
	STEER_UDP,
	STEER_TCP,
	STEER_SLOTS_PER_FAMILY,
};

/* IPv4 slots first, then the same for IPv6. */
#define STEER_SLOTS (2 * STEER_SLOTS_PER_FAMILY)

/* The guest's eth0 address (netns.c), 10.0.2.15: its own, like loopback. */
#define STEER_GUEST_IP4 0x0a00020fu
