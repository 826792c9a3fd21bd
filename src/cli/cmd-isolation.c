/* SPDX-License-Identifier: MIT */
/*
 * sandtrap isolation status|lift: the endpoint agent's network isolation, by hand. The
 * server and the agent's timer lift it too; this is the way back when the server cannot
 * be reached, which is exactly what an isolated host's console may face.
 */
#include "commands.h"

#include "log.h"
#include "respond.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ICLI_STATE_DEFAULT "/var/lib/sandtrap-agent"

static const char isolation_usage[] =
        "Usage: sandtrap isolation status|lift [--state DIR]\n"
        "\n"
        "The endpoint agent's network isolation (the nftables table inet sandtrap_isolate).\n"
        "status  whether the host is isolated, and until when the agent keeps it so\n"
        "lift    restore the network now and record it in STATE/isolation.json, so a\n"
        "        running agent reports the lift and a restarting one does not isolate again\n"
        "\n"
        "Options:\n"
        "  --state DIR  the agent's state directory (default " ICLI_STATE_DEFAULT ")\n"
        "  -h, --help   show this help\n"
        "Run as root.\n";

static int isolation_status(const char *state)
{
	bool on;
	int64_t until;
	int table = respond_isolated();
	int r = isolation_state_load(state, &on, &until);

	if (table < 0) {
		fprintf(stderr, "sandtrap isolation: cannot read the nftables tables: %s\n",
		        strerror(-table));
		return 1;
	}
	printf("network: %s\n",
	       table ? "isolated (table inet sandtrap_isolate present)" : "not isolated");
	if (r < 0)
		printf("agent state: unreadable in %s/isolation.json (%s)\n", state, strerror(-r));
	else if (!on)
		printf("agent state: not isolated\n");
	else if (until == 0)
		printf("agent state: isolated until lifted\n");
	else {
		char when[64];
		time_t t = (time_t)until;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
		else
			snprintf(when, sizeof(when), "%" PRId64, until);
		printf("agent state: isolated until %s\n", when);
	}
	return 0;
}

/*
 * The state first: an agent that finds its table gone while its state says isolated puts
 * the table back. The network comes back even when the state cannot be written.
 */
static int isolation_lift(const char *state)
{
	int saved = isolation_state_save(state, false, 0), r;

	if (saved < 0)
		fprintf(stderr,
		        "sandtrap isolation: cannot write %s/isolation.json (%s): an agent using "
		        "it "
		        "would isolate the host again\n",
		        state, strerror(-saved));
	r = respond_isolate_lift();
	if (r < 0) {
		fprintf(stderr, "sandtrap isolation: the network could not be restored: %s\n",
		        strerror(-r));
		return 1;
	}
	printf("network isolation lifted\n");
	return saved < 0 ? 1 : 0;
}

int cmd_isolation(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"state", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {},
	};
	const char *state = ICLI_STATE_DEFAULT, *what;
	int c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(isolation_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	what = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state = optarg;
			break;
		case 'h':
			fputs(isolation_usage, stdout);
			return 0;
		default:
			fputs(isolation_usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sandtrap isolation: unexpected argument '%s'\n", argv[optind + 1]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "sandtrap isolation: run as root\n");
		return 1;
	}
	log_set_level(LOG_WARNING);
	if (strcmp(what, "status") == 0)
		return isolation_status(state);
	if (strcmp(what, "lift") == 0)
		return isolation_lift(state);
	fprintf(stderr, "sandtrap isolation: unknown command '%s'\n%s", what, isolation_usage);
	return 2;
}
