/* SPDX-License-Identifier: MIT */
/*
 * The bridge for other endpoint products: a Unix stream socket speaking JSON lines
 * (docs/agent-bridge.md). A request {"op":"check","path":P} or {"op":"check","sha256":H}
 * is answered {"verdict":"clean|suspicious|malicious|unknown", ...}. Only root and the
 * members of one configured group may connect (SO_PEERCRED). Runs on threads of its own.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct bridge_answer {
	char verdict[16]; /* clean, suspicious, malicious, unknown */
	char sha256[65];
	char threat[128];
	bool submitted; /* unknown, and sent to the server for a scan */
};

/*
 * Called on one of the bridge's checker threads, several at once (BRIDGE_CHECKERS):
 * exactly one of path and sha256 is set. Returns >= 0 with *ret filled, or -errno (the
 * client gets an error line).
 */
#define BRIDGE_CHECKERS 4
typedef int (*bridge_check_fn)(void *userdata, const char *path, const char *sha256,
			       struct bridge_answer *ret);

struct bridge;

/* gid: the group allowed besides root; (gid_t)-1 for root only. */
int bridge_start(const char *socket_path, gid_t gid, bridge_check_fn fn, void *userdata,
		 struct bridge **ret);
void bridge_stop(struct bridge *b);
