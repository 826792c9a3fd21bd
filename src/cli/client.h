/* SPDX-License-Identifier: MIT */
/*
 * The sandtrapd client the CLI's server commands share: where the server is and which
 * token to send (flags, else $SANDTRAP_SERVER and $SANDTRAP_TOKEN, else a config file),
 * and one request.
 */
#pragma once

#include <stddef.h>

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:8080"

struct client {
	const char *server;
	const char *token;
	const char *cacert; /* a CA or self-signed server certificate (PEM) to trust */
	const char *config; /* --config: the only config file read, which must exist */
};

#define CLIENT_CONFIG_USER   "sandtrap/cli.conf" /* below $XDG_CONFIG_HOME or ~/.config */
#define CLIENT_CONFIG_SYSTEM "/etc/sandtrap/cli.conf"

/*
 * Fills in what flags left NULL from the environment, then from the config file:
 * c->config, else the user's (CLIENT_CONFIG_USER), then CLIENT_CONFIG_SYSTEM for what is
 * still missing. A file that holds a token must belong to the user (or root) and be
 * readable by its owner only. -EINVAL without a token or with a bad config file.
 */
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
	"  --config FILE      read server, token and ca from FILE (default\n"                  \
	"                     $XDG_CONFIG_HOME/" CLIENT_CONFIG_USER ", then\n"                   \
	"                     " CLIENT_CONFIG_SYSTEM ")\n"                                    \
	"  -h, --help         show this help\n"

/* The config file's format, for the --help of the commands that read it. */
#define CLIENT_CONFIG_HELP                                                                         \
	"Configuration: flags first, then $SANDTRAP_SERVER, $SANDTRAP_TOKEN and\n"                \
	"$SANDTRAP_CACERT, then the config file: --config FILE, else\n"                           \
	"$XDG_CONFIG_HOME/sandtrap/cli.conf (~/.config/sandtrap/cli.conf), then\n"                \
	"/etc/sandtrap/cli.conf for what is still missing. One `key = value` a line, `#`\n"      \
	"starts a comment; keys: server, token, ca (a CA certificate file). A file with a\n"     \
	"token is refused unless it is yours (or root's) and no one else may read it\n"          \
	"(chmod 600), as ssh does with keys.\n"
