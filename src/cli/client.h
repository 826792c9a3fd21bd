/* SPDX-License-Identifier: MIT */
/*
 * The sandtrapd client the CLI's server commands share: where the server is and which
 * token to send (flags, else $SANDTRAP_SERVER and $SANDTRAP_TOKEN), and one request.
 */
#pragma once

#include <stddef.h>

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:8080"

struct client {
	const char *server;
	const char *token;
	const char *cacert; /* a CA or self-signed server certificate (PEM) to trust */
};

/* Fills in what flags left NULL from the environment; -EINVAL without a token. */
int client_setup(struct client *c, const char *cmd);

struct client_response {
	long status;
	char *body; /* NUL-terminated, malloc'd */
	size_t len;
};

/* One request; body may be NULL. 0 when any HTTP answer came back. */
int client_request(const struct client *c, const char *method, const char *path, const void *body,
		   size_t len, struct client_response *ret);
void client_response_free(struct client_response *r);

/* The server's {"error": "..."} or the status line, for a message to the user. */
const char *client_error_text(const struct client_response *r);

/* The common options of the server commands, for their --help. */
#define CLIENT_OPTIONS_HELP                                                                        \
	"  --server URL       sandtrapd's address (default $SANDTRAP_SERVER, else\n"               \
	"                     " CLIENT_DEFAULT_SERVER ")\n"                                        \
	"  --token TOKEN      API token (default $SANDTRAP_TOKEN)\n"                           \
	"  --cacert FILE      trust this certificate for https:// (default $SANDTRAP_CACERT)\n" \
	"  -h, --help         show this help\n"
