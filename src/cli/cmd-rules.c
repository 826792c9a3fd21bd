/* SPDX-License-Identifier: MIT */
/* sandtrap rules check|test DIR: validate a rule set and run every rule's own fixtures. */
#include "commands.h"

#include "detect.h"
#include "escape.h"
#include "macros.h"

#include <stdio.h>
#include <string.h>

struct rules_action {
	const char *name;
	int (*run)(const struct detect_engine *e);
	const char *help;
};

static int rules_check(const struct detect_engine *e)
{
	printf("%zu rules, %zu lists, version %s\n", detect_engine_rule_count(e),
	       detect_engine_list_count(e), detect_engine_version(e));
	return 0;
}

static int rules_test(const struct detect_engine *e)
{
	size_t total = 0;
	int failed = detect_engine_test(e, stdout, &total);

	if (failed < 0) {
		fprintf(stderr, "sandtrap rules test: %s\n", strerror(-failed));
		return 2;
	}
	printf("%zu rules, %zu fixtures, %d failed\n", detect_engine_rule_count(e), total,
	       failed);
	return failed ? 1 : 0;
}

static const struct rules_action rules_actions[] = {
        {"check", rules_check, "load DIR/behaviour/*.yml and report the first error"},
        {"test", rules_test, "run every rule's match and nomatch fixtures"},
};

static void rules_usage(FILE *out)
{
	fprintf(out, "Usage: sandtrap rules ACTION DIR\n"
	             "       sandtrap rules install DIR --data DATA (see rules install --help)\n"
	             "       sandtrap rules push DIR --server URL (see rules push --help)\n\n"
	             "DIR holds behaviour/*.yml. Exit status: 0 fine, 1 fixtures failed,\n"
	             "2 the rule set does not load or bad usage.\n\nActions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(rules_actions); i++)
		fprintf(out, "  %-6s %s\n", rules_actions[i].name, rules_actions[i].help);
	fprintf(out, "\nOptions:\n  -h, --help  show this help\n");
}

static bool rules_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cmd_rules(int argc, char **argv)
{
	const struct rules_action *action = NULL;
	struct detect_engine *e = NULL;
	char err[512], shown[1024];
	int r;

	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return rules_install(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "push") == 0)
		return rules_push(argc - 1, argv + 1);
	for (int i = 1; i < argc; i++)
		if (rules_is_help(argv[i])) {
			rules_usage(stdout);
			return 0;
		}
	for (size_t i = 0; argc == 3 && i < ARRAY_SIZE(rules_actions); i++)
		if (strcmp(argv[1], rules_actions[i].name) == 0)
			action = &rules_actions[i];
	if (!action) {
		rules_usage(stderr);
		return 2;
	}

	r = detect_engine_load(argv[2], &e, err, sizeof(err));
	if (r < 0) {
		/* Rule text ends up in the message: keep a terminal safe from it. */
		escape_printable(err, strlen(err), shown, sizeof(shown));
		fprintf(stderr, "%s\n", shown);
		return 2;
	}
	r = action->run(e);
	detect_engine_free(e);
	return r;
}
