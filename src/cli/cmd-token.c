/* SPDX-License-Identifier: MIT */
/* sandtrap token create: a new random API token; the store keeps only its sha256. */
#include "commands.h"

#include "hash.h"
#include "macros.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define TOKEN_BYTES 32

static void token_usage(FILE *out)
{
	fprintf(out,
		"Usage: sandtrap token create --data DIR --role agent|analyst|admin\n"
		"\n"
		"Create an API token for sandtrapd and print it once. The server's data directory\n"
		"keeps only the token's sha256. Roles: agent (submit, look up verdicts and its\n"
		"submissions), analyst (also reports and status), admin (also new tokens).\n"
		"Run as root or as the server's user; the server may be running.\n");
}

static const struct option options[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "role", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static int token_create(const char *dir, enum store_role role)
{
	unsigned char raw[TOKEN_BYTES];
	char token[2 * TOKEN_BYTES + 1];
	struct file_hashes h;
	struct store *s = NULL;
	int r;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));

	r = store_open(dir, &s);
	if (r >= 0)
		r = hash_buf(token, strlen(token), &h);
	if (r >= 0)
		r = store_token_add(s, h.sha256, role);
	store_close(s);
	if (r >= 0)
		printf("%s\n", token);
	explicit_bzero(token, sizeof(token));
	return r;
}

int cmd_token(int argc, char **argv)
{
	const char *dir = NULL, *role_name = NULL;
	enum store_role role;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'r':
			role_name = optarg;
			break;
		case 'h':
			token_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "create") != 0 || !dir || !role_name) {
		token_usage(stderr);
		return 2;
	}
	if (store_role_parse(role_name, &role) < 0) {
		fprintf(stderr, "sandtrap token: the role is agent, analyst or admin\n");
		return 2;
	}
	r = token_create(dir, role);
	if (r < 0) {
		fprintf(stderr, "sandtrap token: cannot create a token in '%s': %s\n", dir,
			strerror(-r));
		return 2;
	}
	return 0;
}
