/* SPDX-License-Identifier: MIT */
/* sandtrap: the command-line tool. Subcommands dispatch through one table. */
#include "commands.h"
#include "log.h"
#include "macros.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static int cmd_version(int argc, char **argv)
{
	printf("sandtrap %s\n", SANDTRAP_VERSION);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "analyze", cmd_analyze, "run a file in a disposable guest and report its behaviour" },
	{ "rules", cmd_rules, "check, test or install a rule set (rules check|test|install DIR)" },
	{ "submit", cmd_submit, "send a file to sandtrapd; --wait for its verdict" },
	{ "lookup", cmd_lookup, "the server's cached verdict for a file or sha256" },
	{ "report", cmd_report, "a submission's report from the server" },
	{ "status", cmd_status, "the server's status: slots, queue, rules" },
	{ "quarantine", cmd_quarantine, "the agent's quarantine: list, show, restore, delete" },
	{ "isolation", cmd_isolation, "the agent's network isolation: status, lift" },
	{ "token", cmd_token, "API tokens in a server's data dir: create, list, revoke" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "show this help" },
};

static int cmd_help(int argc, char **argv)
{
	printf("Usage: sandtrap COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].help);
	printf("\nRun 'sandtrap COMMAND --help' for the options of a command.\n");
	return 0;
}

int main(int argc, char **argv)
{
	log_set_ident("sandtrap");

	if (argc < 2) {
		cmd_help(0, NULL);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(0, NULL);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(0, NULL);

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);

	fprintf(stderr, "sandtrap: unknown command '%s'; see 'sandtrap help'\n", argv[1]);
	return 2;
}
