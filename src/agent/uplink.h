/* SPDX-License-Identifier: MIT */
/*
 * The agent's connection to sandtrapd: one per thread (a libcurl handle that keeps its
 * connection alive between requests), with a timeout per request. Answers are parsed
 * JSON; transport failures are -EHOSTUNREACH / -ETIMEDOUT so callers back off.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct uplink_config {
	const char *server; /* https://host:port or http://127.0.0.1:port */
	const char *token;
	const char *cacert; /* may be NULL */
};

struct uplink;

int uplink_new(const struct uplink_config *cfg, struct uplink **ret);
void uplink_free(struct uplink *u);
/* Requests in progress give up when *flag becomes true (the agent is stopping). */
void uplink_set_cancel(struct uplink *u, const bool *flag);

/*
 * One request. body: JSON text (NULL for none). *ret_json: the parsed answer, NULL when
 * it was not JSON. Returns the HTTP status (>= 100) or -errno.
 */
int uplink_call(struct uplink *u, const char *method, const char *path, const char *body,
		long timeout_ms, struct json_object **ret_json);
/* POST path with the bytes of the file at fd as the body (application/octet-stream). */
int uplink_upload(struct uplink *u, const char *path, int fd, long timeout_ms,
		  struct json_object **ret_json);

/* The server's host and port ("IP" or "IP:PORT" text), to keep it reachable when isolated. */
int uplink_server_addr(const struct uplink_config *cfg, char *buf, size_t size);
