/* SPDX-License-Identifier: MIT */
/*
 * sandtrapd's settings: defaults, then the config file (key = value, the long option
 * names without the dashes; docs/server.md), then the command line.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH "/etc/sandtrap/sandtrapd.conf"

struct server_config {
	char listen[128];
	char data_dir[1024];
	char config_path[1024];
	char tls_cert[1024];
	char tls_key[1024];
	char user[64];
	char rules_dir[1024];
	char image_dir[1024];
	char node_name[128];
	unsigned slots;
	unsigned default_timeout;
	uint64_t clean_ttl_sec;
	uint64_t object_max;
	unsigned max_connections;
	unsigned connection_timeout;
	unsigned request_timeout;
	unsigned header_timeout;
	bool foreground;
	bool metrics_auth;
	bool tls_self_signed;
	bool verbose;
};

/* 0 to run, 1 when --help was printed, -EINVAL on an error (already reported). */
int config_parse(int argc, char **argv, struct server_config *ret);
void config_usage(void);

/* The host and port of cfg->listen, and whether the host is a loopback address. */
int config_listen_parse(const char *listen, char *host, unsigned hostsz, unsigned *ret_port,
			bool *ret_loopback);

/*
 * The rules to load. installed is DATA/rules, where `sandtrap rules install` keeps
 * versions and the link `current`: used when DATA/rules and the directory `current`
 * names are root's and writable by root only, since the HTTP process owns DATA and must
 * not choose what the privileged process parses. Else configured. The chosen directory
 * is held open in ret until config_rules_done().
 */
struct config_rules_dir {
	int fd;
	char path[32];
};
const char *config_rules_pick(const char *installed, const char *configured,
			      struct config_rules_dir *ret);
void config_rules_done(struct config_rules_dir *d);
