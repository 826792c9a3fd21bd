/* SPDX-License-Identifier: MIT */
/*
 * sandtrap-agent: the endpoint agent's daemon. Settings come from the command line, then
 * the config file (both are local and win over the server's policy), then the server.
 */
#include "agent.h"
#include "bridge.h"

#include "escape.h"
#include "log.h"
#include "macros.h"
#include "parse.h"

#include <curl/curl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_LINE_MAX 4096
#define WATCHDOG_SLACK_S 15

struct options {
	struct agent_config cfg;
	const char *config_path;
	bool foreground;
	char *owned[64]; /* strings from the config file, freed at exit */
	size_t n_owned;
	bool cli_pass;              /* the command line is being read (after the file) */
	bool watch_cli, documents_cli; /* the command line's lists replace the file's */
};

typedef int (*setting_fn)(struct options *o, const char *value);

static int set_server(struct options *o, const char *v)
{
	o->cfg.up.server = v;
	return 0;
}

static int set_token(struct options *o, const char *v)
{
	o->cfg.up.token = v;
	return 0;
}

static int set_cacert(struct options *o, const char *v)
{
	o->cfg.up.cacert = v;
	return 0;
}

static int set_state(struct options *o, const char *v)
{
	o->cfg.state_dir = v;
	return 0;
}

static int set_socket(struct options *o, const char *v)
{
	o->cfg.socket_path = v;
	return 0;
}

static int set_socket_group(struct options *o, const char *v)
{
	struct group gr, *res = NULL;
	char buf[4096];
	uint64_t gid;

	if (parse_u64(v, 0, UINT32_MAX - 1, &gid) == 0) {
		o->cfg.socket_gid = (gid_t)gid;
		return 0;
	}
	if (getgrnam_r(v, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -ENOENT;
	o->cfg.socket_gid = gr.gr_gid;
	return 0;
}

static int set_dpkg(struct options *o, const char *v)
{
	o->cfg.dpkg_dir = v;
	return 0;
}

static int set_watch(struct options *o, const char *v)
{
	if (o->cli_pass && !o->watch_cli) {
		strv_free(&o->cfg.cli.watch);
		o->watch_cli = true;
	}
	o->cfg.cli_fields |= PF_WATCH;
	return v[0] == '/' ? strv_push(&o->cfg.cli.watch, v) : -EINVAL;
}

static int set_documents(struct options *o, const char *v)
{
	if (o->cli_pass && !o->documents_cli) {
		strv_free(&o->cfg.cli.documents);
		o->documents_cli = true;
	}
	o->cfg.cli_fields |= PF_DOCUMENTS;
	return v[0] == '/' ? strv_push(&o->cfg.cli.documents, v) : -EINVAL;
}

static int set_mode(struct options *o, const char *v)
{
	o->cfg.cli_fields |= PF_MODE;
	return policy_mode_parse(v, &o->cfg.cli.mode);
}

static int set_deadline(struct options *o, const char *v)
{
	uint64_t ms;
	int r = parse_u64(v, 100, 60000, &ms);

	o->cfg.cli.deadline_ms = (unsigned)ms;
	o->cfg.cli_fields |= PF_DEADLINE;
	return r;
}

static int set_fail(struct options *o, const char *v)
{
	o->cfg.cli_fields |= PF_FAIL;
	o->cfg.cli.fail_closed = strcmp(v, "closed") == 0;
	return strcmp(v, "open") == 0 || strcmp(v, "closed") == 0 ? 0 : -EINVAL;
}

static int set_max_size(struct options *o, const char *v)
{
	o->cfg.cli_fields |= PF_MAX_SIZE;
	return parse_u64(v, 1, 1ull << 30, &o->cfg.cli.max_size);
}

static int set_package_trust(struct options *o, const char *v)
{
	o->cfg.cli_fields |= PF_TRUST;
	o->cfg.cli.trust_packages = strcmp(v, "yes") == 0 || strcmp(v, "true") == 0;
	return o->cfg.cli.trust_packages || strcmp(v, "no") == 0 || strcmp(v, "false") == 0
		       ? 0 : -EINVAL;
}

static int set_log_level(struct options *o, const char *v)
{
	static const char *const levels[] = {"error", "warning", "notice", "info", "debug"};
	static const int values[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcmp(v, levels[i]) == 0) {
			log_set_level(values[i]);
			return 0;
		}
	return -EINVAL;
}

static const struct setting {
	const char *name;
	const char *arg;
	setting_fn set;
	const char *help;
} settings[] = {
	{"server", "URL", set_server, "sandtrapd's address (or $SANDTRAP_SERVER)"},
	{"token", "TOKEN", set_token, "an agent token (or $SANDTRAP_TOKEN)"},
	{"cacert", "FILE", set_cacert, "trust this certificate for https://"},
	{"watch", "PATH", set_watch, "check executions on the mount holding PATH (repeatable)"},
	{"documents", "PATH", set_documents, "check opens of documents under PATH (repeatable)"},
	{"mode", "MODE", set_mode, "block, allow-and-scan or audit"},
	{"deadline", "MS", set_deadline, "longest hold of an access in block mode (10000)"},
	{"fail", "open|closed", set_fail, "the answer when the deadline passes (open)"},
	{"max-size", "BYTES", set_max_size, "larger objects are not scanned (104857600)"},
	{"package-trust", "yes|no", set_package_trust, "trust unmodified package files (yes)"},
	{"dpkg-admindir", "DIR", set_dpkg, "dpkg's database (/var/lib/dpkg)"},
	{"state", "DIR", set_state, "state directory (" AGENT_STATE_DEFAULT ")"},
	{"socket", "PATH", set_socket, "the bridge socket (" AGENT_SOCKET_DEFAULT ")"},
	{"socket-group", "GROUP", set_socket_group, "a group allowed on the bridge besides root"},
	{"log-level", "LEVEL", set_log_level, "error, warning, notice, info or debug (info)"},
};

static const struct setting *setting_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: sandtrap-agent [OPTIONS]\n\n"
		   "The sandtrap endpoint agent: checks executions and document opens with\n"
		   "fanotify, asks sandtrapd for verdicts and responds to threats.\n\n"
		   "Options (each also a `name = value` line of the config file):\n");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		char left[48];

		snprintf(left, sizeof(left), "--%s %s", settings[i].name, settings[i].arg);
		fprintf(f, "  %-26s %s\n", left, settings[i].help);
	}
	fprintf(f, "  %-26s %s\n  %-26s %s\n  %-26s %s\n  %-26s %s\n", "--config FILE",
		"config file (" AGENT_CONFIG_DEFAULT " when present)", "--foreground",
		"stay in the foreground (for systemd and tests)", "-h, --help", "show this help",
		"--version", "print the version");
	fprintf(f, "\nLocal settings win over the server's policy. docs/agent.md has the rest.\n");
}

/* One `name = value` line; blank lines and # comments are skipped. */
static int config_line(struct options *o, char *line, const char *path, unsigned n)
{
	char *key = line + strspn(line, " \t"), *eq, *val, *end;
	const struct setting *s;
	int r;

	line[strcspn(line, "\r\n")] = '\0';
	if (!*key || *key == '#')
		return 0;
	eq = strchr(key, '=');
	if (!eq)
		goto bad;
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	val = eq + 1 + strspn(eq + 1, " \t");
	for (end = val + strlen(val); end > val && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	s = setting_find(key);
	if (!s || o->n_owned >= ARRAY_SIZE(o->owned))
		goto bad;
	o->owned[o->n_owned] = strdup(val);
	if (!o->owned[o->n_owned])
		return -ENOMEM;
	r = s->set(o, o->owned[o->n_owned++]);
	if (r < 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "sandtrap-agent: %s:%u: not a valid setting\n", path, n);
	return -EINVAL;
}

static int config_read(struct options *o, const char *path, bool must_exist)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[CONFIG_LINE_MAX];
	unsigned n = 0;
	struct stat st;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "sandtrap-agent: cannot read %s: %m\n", path);
		return -errno;
	}
	/* It holds the token: refuse one that others can change or read. */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0022)) {
		fprintf(stderr, "sandtrap-agent: %s is writable by others: refused\n", path);
		return -EPERM;
	}
	while (fgets(line, sizeof(line), f)) {
		int r = config_line(o, line, path, ++n);

		if (r < 0)
			return r;
	}
	return 0;
}

/* --config before everything else: the file is read first so that the command line wins. */
static const char *options_config_path(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

static int options_parse(struct options *o, int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(settings) + 5];
	size_t n = 0;
	int c;

	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		longopts[n++] = (struct option){settings[i].name, required_argument, NULL, 1000 + (int)i};
	longopts[n++] = (struct option){"config", required_argument, NULL, 'c'};
	longopts[n++] = (struct option){"foreground", no_argument, NULL, 'f'};
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n++] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[n] = (struct option){0};
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c >= 1000) {
			const struct setting *s = &settings[c - 1000];

			if (s->set(o, optarg) < 0) {
				fprintf(stderr, "sandtrap-agent: --%s: invalid value\n", s->name);
				return -EINVAL;
			}
			continue;
		}
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("sandtrap-agent %s\n", SANDTRAP_VERSION);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sandtrap-agent: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int options_finish(struct options *o)
{
	struct agent_config *c = &o->cfg;

	if (!c->up.server)
		c->up.server = getenv("SANDTRAP_SERVER");
	if (!c->up.token)
		c->up.token = getenv("SANDTRAP_TOKEN");
	c->no_server = !c->up.server || !c->up.server[0];
	if (!c->no_server && (!c->up.token || !c->up.token[0])) {
		fprintf(stderr, "sandtrap-agent: a server needs a token: --token or $SANDTRAP_TOKEN\n");
		return -EINVAL;
	}
	if (!c->state_dir)
		c->state_dir = AGENT_STATE_DEFAULT;
	if (!c->socket_path)
		c->socket_path = AGENT_SOCKET_DEFAULT;
	if (!c->dpkg_dir)
		c->dpkg_dir = "/var/lib/dpkg";
	if (geteuid() != 0) {
		fprintf(stderr, "sandtrap-agent: fanotify permission events need root\n");
		return -EPERM;
	}
	return 0;
}

/* A decision loop that stops turning would freeze the machine: end the process instead
 * (the kernel then allows every access it was holding). */
static void *watchdog_main(void *userdata)
{
	struct agent *a = userdata;

	while (!__atomic_load_n(&a->stopping, __ATOMIC_RELAXED)) {
		struct timespec ts;
		uint64_t now, alive, limit;

		sleep(1);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		alive = __atomic_load_n(&a->alive_ns, __ATOMIC_RELAXED);
		pthread_mutex_lock(&a->lock);
		limit = ((uint64_t)a->pol.deadline_ms / 1000 + WATCHDOG_SLACK_S) * 1000000000ull;
		pthread_mutex_unlock(&a->lock);
		if (alive && now > alive + limit) {
			log_error("agent: the decision loop is stuck for %llu s: exiting so that the "
				  "kernel releases every held access",
				  (unsigned long long)((now - alive) / 1000000000ull));
			_exit(70);
		}
	}
	return NULL;
}

static int agent_main(struct options *o)
{
	struct agent a;
	pthread_t worker, listener, watchdog;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = agent_init(&a, &o->cfg);
	if (r < 0)
		goto out;
	/* Loading the package index and the cache leaves freed heap behind: give it back. */
	malloc_trim(0);
	for (int i = 0; i < BRIDGE_CHECKERS && !o->cfg.no_server; i++)
		uplink_new(&o->cfg.up, &a.bridge_uplinks[i]);
	r = bridge_start(o->cfg.socket_path, o->cfg.socket_gid, agent_bridge_check, &a, &a.bridge);
	if (r < 0)
		log_warn_errno(r, "agent: no bridge socket at '%s'", o->cfg.socket_path);
	pthread_create(&worker, NULL, agent_worker_main, &a);
	pthread_create(&listener, NULL, agent_listener_main, &a);
	pthread_create(&watchdog, NULL, watchdog_main, &a);
	log_info("agent: running (state %s, server %s)", o->cfg.state_dir,
		 o->cfg.no_server ? "none" : o->cfg.up.server);

	r = agent_run(&a);

	pthread_mutex_lock(&a.lock);
	a.stopping = true;
	pthread_cond_broadcast(&a.work);
	pthread_mutex_unlock(&a.lock);
	if (a.bridge)
		bridge_stop(a.bridge);
	pthread_join(worker, NULL);
	pthread_join(listener, NULL);
	pthread_join(watchdog, NULL);
	agent_stats_write(&a);
	for (int i = 0; i < BRIDGE_CHECKERS; i++)
		uplink_free(a.bridge_uplinks[i]);
out:
	agent_fini(&a);
	return r;
}

int main(int argc, char **argv)
{
	struct options o = {.cfg = {.socket_gid = (gid_t)-1}};
	int r;

	log_set_ident("sandtrap-agent");
	/* A few threads, little allocation: one arena per thread would only hold memory. */
	mallopt(M_ARENA_MAX, 2);
	policy_init(&o.cfg.cli);
	o.config_path = options_config_path(argc, argv);
	r = config_read(&o, o.config_path ? o.config_path : AGENT_CONFIG_DEFAULT,
			o.config_path != NULL);
	o.cli_pass = true;
	if (r == 0)
		r = options_parse(&o, argc, argv);
	if (r == 0)
		r = options_finish(&o);
	if (r != 0)
		goto out;
	if (!o.foreground && daemon(0, 0) < 0) {
		r = -errno;
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = agent_main(&o);
	curl_global_cleanup();
out:
	policy_free(&o.cfg.cli);
	for (size_t i = 0; i < o.n_owned; i++)
		free(o.owned[i]);
	return r < 0 ? 1 : 0;
}
