/* SPDX-License-Identifier: MIT */
/*
 * sandtrap rules install DIR --data DATA: validate a rule set, copy it into
 * DATA/rules/<version>, point DATA/rules/current at it atomically (a symbolic link
 * renamed over the old one), and send the running sandtrapd SIGHUP so that it loads
 * the rules and re-scores every stored report with them.
 */
#include "commands.h"

#include "fileio.h"
#include "macros.h"
#include "ruleset.h"
#include "rulesinstall.h"
#include "store.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BUF 4096

/* The pid in DATA/sandtrapd.pid, if that process is a sandtrapd; else 0. */
static pid_t install_server_pid(const char *data)
{
	char path[PATH_BUF], comm[64];
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *c = NULL;
	size_t len;
	long pid;

	snprintf(path, sizeof(path), "%s/" STORE_PID_FILE, data);
	if (file_read_all(path, 32, &buf, &len) < 0)
		return 0;
	pid = strtol(buf, NULL, 10);
	if (pid <= 1)
		return 0;
	snprintf(comm, sizeof(comm), "/proc/%ld/comm", pid);
	if (file_read_all(comm, 64, &c, &len) < 0 || strncmp(c, "sandtrapd", 9) != 0)
		return 0;
	return (pid_t)pid;
}

static int install_run(const char *dir, const char *data)
{
	struct ruleset *rs = NULL;
	char err[1024] = "", rdir[PATH_BUF];
	struct stat owner;
	int r = 2;
	pid_t pid;

	if (stat(data, &owner) < 0 || !S_ISDIR(owner.st_mode)) {
		fprintf(stderr, "sandtrap rules install: no data directory '%s'\n", data);
		return 2;
	}
	if (rules_install_validate(dir, stderr, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "sandtrap rules install: the rules in '%s' are not installed: %s\n",
			dir, err);
		return 2;
	}
	snprintf(rdir, sizeof(rdir), "%s/" STORE_RULES_DIR, data);
	if (rules_install_put(dir, rdir, rs->version, err, sizeof(err)) < 0) {
		fprintf(stderr, "sandtrap rules install: %s\n", err);
		goto out;
	}
	printf("installed rules %s in %s/" STORE_RULES_CURRENT "\n", rs->version, data);
	pid = install_server_pid(data);
	if (pid > 0 && kill(pid, SIGHUP) == 0)
		printf("sandtrapd (pid %d) reloads them and re-scores the stored reports\n",
		       (int)pid);
	else
		printf("no sandtrapd runs on %s: it loads them at its next start\n", data);
	r = 0;
out:
	ruleset_free(rs);
	return r;
}

static void install_usage(FILE *out)
{
	fprintf(out, "Usage: sandtrap rules install DIR --data DATA\n\n"
	             "Validate the rule set in DIR (it must load and pass its own fixtures), copy\n"
	             "it into DATA/rules/<version>, make it the server's rules atomically\n"
	             "(DATA/rules/current) and tell a running sandtrapd, which reloads them and\n"
	             "re-scores every stored report without detonating again. A sandtrapd that is\n"
	             "not running loads them at its next start. Run as root.\n\n"
	             "Options:\n"
	             "  --data DATA  the server's data directory\n"
	             "  -h, --help   show this help\n\n"
	             "Exit status: 0 installed, 2 not installed (the rules do not load, a fixture\n"
	             "fails, or the copy failed).\n");
}

int rules_install(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"data", required_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {0},
	};
	const char *data = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			install_usage(stdout);
			return 0;
		}
		if (c != 'd') {
			install_usage(stderr);
			return 2;
		}
		data = optarg;
	}
	if (!data || optind != argc - 1) {
		install_usage(stderr);
		return 2;
	}
	return install_run(argv[optind], data);
}
