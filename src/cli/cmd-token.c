/* SPDX-License-Identifier: MIT */
/*
 * sandtrap token create|list|revoke: API tokens in a server's data directory. The store
 * keeps only a token's sha256; list shows its first 16 hex digits, which revoke takes.
 */
#include "commands.h"

#include "hash.h"
#include "macros.h"
#include "store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define TOKEN_BYTES 32

static void token_usage(FILE *out)
{
	fprintf(out,
		"Usage: sandtrap token create --data DIR --role agent|analyst|admin\n"
		"       sandtrap token list --data DIR\n"
		"       sandtrap token revoke --data DIR ID|TOKEN\n"
		"\n"
		"create  make an API token for sandtrapd and print it once. The server's data\n"
		"        directory keeps only the token's sha256. Roles: agent (submit, look up\n"
		"        verdicts and its submissions), analyst (also reports and status), admin\n"
		"        (also new tokens).\n"
		"list    every token: its ID (the first 16 hex digits of its sha256), role and\n"
		"        when it was made\n"
		"revoke  remove a token, named by its ID (8 hex digits or more) or by the token\n"
		"        itself; a running server refuses it within 5 seconds\n"
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

static int token_list(const char *dir)
{
	_cleanup_free_ struct store_token *t = NULL;
	struct store *s = NULL;
	size_t n = 0;
	int r = store_open(dir, &s);

	if (r >= 0)
		r = store_token_list(s, &t, &n);
	store_close(s);
	if (r < 0)
		return r;
	printf("%-16s  %-7s  %s\n", "ID", "ROLE", "CREATED");
	for (size_t i = 0; i < n; i++) {
		time_t when = (time_t)t[i].created;
		char date[32] = "?";
		struct tm tm;

		if (gmtime_r(&when, &tm))
			strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%.16s  %-7s  %s\n", t[i].sha256, store_role_name(t[i].role), date);
	}
	return 0;
}

/* An ID (a prefix of the sha256) or the token itself, which is hashed first. */
static int token_revoke(const char *dir, const char *which)
{
	struct file_hashes h;
	struct store *s = NULL;
	const char *prefix = which;
	size_t len = strlen(which);
	int r;

	if (len == 2 * TOKEN_BYTES) { /* a whole token, as create printed it */
		r = hash_buf(which, len, &h);
		if (r < 0)
			return r;
		prefix = h.sha256;
	}
	r = store_open(dir, &s);
	if (r >= 0)
		r = store_token_revoke(s, prefix);
	store_close(s);
	return r;
}

int cmd_token(int argc, char **argv)
{
	const char *dir = NULL, *role_name = NULL, *cmd;
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
	cmd = optind < argc ? argv[optind] : "";
	if (!dir) {
		token_usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "list") == 0 && optind == argc - 1) {
		r = token_list(dir);
		if (r < 0)
			fprintf(stderr, "sandtrap token: cannot list the tokens in '%s': %s\n", dir,
				strerror(-r));
		return r < 0 ? 2 : 0;
	}
	if (strcmp(cmd, "revoke") == 0 && optind == argc - 2) {
		r = token_revoke(dir, argv[optind + 1]);
		if (r == -ENOENT)
			fprintf(stderr, "sandtrap token: no token has that ID\n");
		else if (r == -EEXIST)
			fprintf(stderr, "sandtrap token: several tokens start so: give more digits\n");
		else if (r == -EINVAL)
			fprintf(stderr, "sandtrap token: an ID is 8 to 64 lower-case hex digits\n");
		else if (r < 0)
			fprintf(stderr, "sandtrap token: cannot revoke in '%s': %s\n", dir,
				strerror(-r));
		else
			printf("revoked\n");
		return r < 0 ? 1 : 0;
	}
	if (strcmp(cmd, "create") != 0 || optind != argc - 1 || !role_name) {
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
