/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "escape.h"
#include "macros.h"
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_LINE_MAX 2048
#define SLOTS_MAX       64

enum value_kind { V_STRING, V_UINT, V_BOOL };

struct setting {
	const char *name;
	enum value_kind kind;
	size_t offset;
	size_t size; /* strings: the buffer; numbers: sizeof the field */
	uint64_t min, max;
	const char *help;
};

#define S(n, f, h)                                                                                 \
	{                                                                                          \
		n, V_STRING, offsetof(struct server_config, f),                                    \
			sizeof(((struct server_config *)0)->f), 0, 0, h                            \
	}
#define U(n, f, lo, hi, h)                                                                         \
	{                                                                                          \
		n, V_UINT, offsetof(struct server_config, f),                                      \
			sizeof(((struct server_config *)0)->f), lo, hi, h                          \
	}
#define B(n, f, h)                                                                                 \
	{                                                                                          \
		n, V_BOOL, offsetof(struct server_config, f), 0, 0, 0, h                           \
	}

static const struct setting settings[] = {
	S("listen", listen, "ADDR:PORT to serve on (default 127.0.0.1:8080)"),
	S("data", data_dir, "data directory (default /var/lib/sandtrap), made 0700"),
	S("tls-cert", tls_cert, "TLS certificate (PEM); needed to listen off loopback"),
	S("tls-key", tls_key, "TLS private key (PEM)"),
	B("tls-self-signed", tls_self_signed,
	  "serve TLS with DATA/tls/{cert,key}.pem, made on first start"),
	U("slots", slots, 1, SLOTS_MAX, "detonations at once (default: number of cores)"),
	U("timeout", default_timeout, 1, 3600, "default analysis time in seconds (30)"),
	U("clean-ttl", clean_ttl_sec, 0, 365ull * 86400,
	  "seconds a clean verdict stays fresh (86400)"),
	U("max-object", object_max, 1, 4ull << 30, "largest object in bytes (104857600)"),
	U("max-connections", max_connections, 1, 65536, "open connections at most (4096)"),
	U("connection-timeout", connection_timeout, 1, 3600,
	  "idle seconds before a connection is closed (30)"),
	U("request-timeout", request_timeout, 1, 3600,
	  "seconds a request may take to arrive whole (120)"),
	U("header-timeout", header_timeout, 1, 3600,
	  "seconds for a request's head, from the connection or the last answer (40)"),
	S("user", user, "unprivileged user for the HTTP process (default sandtrap)"),
	S("rules", rules_dir, "rules database (default: as sandtrap analyze)"),
	S("image", image_dir, "guest root file system (default: the host's OS directories)"),
	S("node-name", node_name, "name in /api/v1/status (default: the host name)"),
	B("metrics-auth", metrics_auth, "require a token for /metrics too"),
	B("foreground", foreground, "stay in the foreground (for systemd and tests)"),
	B("verbose", verbose, "log more"),
};

void config_usage(void)
{
	printf("Usage: sandtrapd [OPTIONS]\n"
	       "\n"
	       "The sandtrap server: a REST API (docs/api.yaml) in front of a durable queue,\n"
	       "detonation slots and a verdict cache. Starts as root; the HTTP process drops\n"
	       "to an unprivileged user, detonation stays in a privileged process.\n"
	       "\n"
	       "Options (each also a key in the config file, without the dashes):\n"
	       "  --config FILE              config file (default " CONFIG_DEFAULT_PATH
	       ", if present)\n");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		char opt[48];

		snprintf(opt, sizeof(opt), "--%s%s", settings[i].name,
			 settings[i].kind == V_BOOL   ? ""
			 : settings[i].kind == V_UINT ? " N"
						      : " VALUE");
		printf("  %-26s %s\n", opt, settings[i].help);
	}
	printf("  -h, --help                 show this help\n"
	       "\n"
	       "Tokens: sandtrap token create --data DIR --role agent|analyst|admin\n"
	       "Rules: sandtrap rules install RULES --data DIR installs new rules and sends\n"
	       "SIGHUP (DIR/sandtrapd.pid): the server reloads them and re-scores every stored\n"
	       "report without detonating again. SIGTERM stops it gracefully.\n"
	       "More: docs/server.md\n");
}

static void config_defaults(struct server_config *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	*c = (struct server_config){
		.slots = n > 0 ? MIN(n, SLOTS_MAX) : 1,
		.default_timeout = 30,
		.clean_ttl_sec = 86400,
		.object_max = 100ull << 20,
		.max_connections = 4096,
		.connection_timeout = 30,
		.request_timeout = 120,
		.header_timeout = 40,
	};
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
	snprintf(c->data_dir, sizeof(c->data_dir), "/var/lib/sandtrap");
	snprintf(c->user, sizeof(c->user), "sandtrap");
	if (gethostname(c->node_name, sizeof(c->node_name) - 1) < 0)
		snprintf(c->node_name, sizeof(c->node_name), "sandtrap");
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *ret = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

static int setting_apply(struct server_config *c, const struct setting *st, const char *value)
{
	char *field = (char *)c + st->offset;
	uint64_t v;

	switch (st->kind) {
	case V_BOOL:
		return parse_bool(value ? value : "yes", (bool *)field);
	case V_STRING:
		if (strlen(value) >= st->size)
			return -ENAMETOOLONG;
		memcpy(field, value, strlen(value) + 1);
		return 0;
	default:
		if (parse_u64(value, st->min, st->max, &v) < 0)
			return -EINVAL;
		if (st->size == sizeof(uint64_t))
			*(uint64_t *)field = v;
		else
			*(unsigned *)field = v;
		return 0;
	}
}

static const struct setting *setting_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int config_line(struct server_config *c, const char *path, unsigned lineno, char *line)
{
	char *eq, *key, *value, esc[128];
	const struct setting *st;

	line = trim(line);
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq)
		*eq = '\0';
	key = trim(line);
	value = eq ? trim(eq + 1) : NULL;
	st = setting_find(key);
	if (!st || (!value && st->kind != V_BOOL) || setting_apply(c, st, value) < 0) {
		escape_printable(key, strlen(key), esc, sizeof(esc));
		fprintf(stderr, "sandtrapd: %s:%u: bad setting '%s'\n", path, lineno, esc);
		return -EINVAL;
	}
	return 0;
}

static int config_load_file(struct server_config *c, const char *path, bool required)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[CONFIG_LINE_MAX];
	unsigned lineno = 0;

	if (!f) {
		if (!required && errno == ENOENT)
			return 0;
		fprintf(stderr, "sandtrapd: cannot read '%s': %m\n", path);
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "sandtrapd: %s:%u: line too long\n", path, lineno);
			return -EINVAL;
		}
		if (config_line(c, path, lineno, line) < 0)
			return -EINVAL;
	}
	return 0;
}

enum { OPT_CONFIG = 1000, OPT_SETTING = 2000 };

static void config_options(struct option *opts)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		opts[i] = (struct option){settings[i].name,
					  settings[i].kind == V_BOOL ? no_argument
								     : required_argument,
					  NULL, OPT_SETTING + (int)i};
	opts[i++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
	opts[i++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[i] = (struct option){0};
}

/* The config file first (--config or the default), so the command line wins over it. */
static int config_find_file(int argc, char **argv, struct server_config *c, bool *required)
{
	*required = false;
	snprintf(c->config_path, sizeof(c->config_path), "%s", CONFIG_DEFAULT_PATH);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--config") == 0 && i + 1 < argc)
			a = argv[i + 1];
		else if (strncmp(a, "--config=", 9) == 0)
			a += 9;
		else
			continue;
		if (strlen(a) >= sizeof(c->config_path))
			return -ENAMETOOLONG;
		snprintf(c->config_path, sizeof(c->config_path), "%s", a);
		*required = true;
	}
	return config_load_file(c, c->config_path, *required);
}

int config_parse(int argc, char **argv, struct server_config *ret)
{
	struct option opts[ARRAY_SIZE(settings) + 3];
	bool required;
	int opt;

	config_defaults(ret);
	if (config_find_file(argc, argv, ret, &required) < 0)
		return -EINVAL;
	config_options(opts);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		const struct setting *st;

		if (opt == 'h') {
			config_usage();
			return 1;
		}
		if (opt == 'v') {
			ret->verbose = true;
			continue;
		}
		if (opt == OPT_CONFIG)
			continue;
		if (opt < OPT_SETTING || opt >= OPT_SETTING + (int)ARRAY_SIZE(settings))
			return -EINVAL;
		st = &settings[opt - OPT_SETTING];
		if (setting_apply(ret, st, optarg) < 0) {
			fprintf(stderr, "sandtrapd: bad value for --%s; see --help\n", st->name);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sandtrapd: unexpected argument; see --help\n");
		return -EINVAL;
	}
	return 0;
}

int config_listen_parse(const char *listen, char *host, unsigned hostsz, unsigned *ret_port,
			bool *ret_loopback)
{
	const char *colon = strrchr(listen, ':');
	const char *h = listen;
	size_t hl;
	uint64_t port;
	struct in_addr a4;
	struct in6_addr a6;

	if (!colon || parse_u64(colon + 1, 0, 65535, &port) < 0)
		return -EINVAL;
	hl = colon - listen;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		h++, hl -= 2;
	if (hl == 0 || hl >= hostsz)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &a4) == 1)
		*ret_loopback = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		*ret_loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	else
		return -EINVAL;
	*ret_port = port;
	return 0;
}

/* Root's, and nobody else may write it: the HTTP process cannot have made or changed it. */
static bool rules_dir_trusted(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

const char *config_rules_pick(const char *installed, const char *configured,
			      struct config_rules_dir *ret)
{
	int dfd, fd;

	ret->fd = -1;
	dfd = open(installed, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return configured;
	fd = rules_dir_trusted(dfd) ? openat(dfd, "current", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				    : -1;
	close(dfd);
	if (fd < 0 || !rules_dir_trusted(fd)) {
		if (fd >= 0)
			close(fd);
		return configured;
	}
	/* Loaded through the descriptor: a rename in the data directory cannot swap it. */
	ret->fd = fd;
	snprintf(ret->path, sizeof(ret->path), "/proc/self/fd/%d", fd);
	return ret->path;
}

void config_rules_done(struct config_rules_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
