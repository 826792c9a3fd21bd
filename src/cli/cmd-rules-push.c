/* SPDX-License-Identifier: MIT */
/*
 * sandtrap rules push DIR: the rule set in DIR (behaviour/, yara/, hashes/, DATE) as a
 * tar.gz (libarchive) to sandtrapd's POST /api/v1/rules, which validates it as
 * `sandtrap rules install` does, installs it and re-scores. Needs an admin token.
 */
#include "commands.h"

#include "client.h"
#include "escape.h"
#include "fileio.h"
#include "macros.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUSH_BODY_MAX  (32ull << 20) /* the server's limit for a bundle */
#define PUSH_FILE_MAX  (16ull << 20)
#define PUSH_CHUNK     (64u << 10)

/* nftw() takes no context: the archive being written and the directory's prefix. */
static struct {
	struct archive *a;
	size_t prefix;
} push;

static int push_file_data(const char *path, uint64_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[PUSH_CHUNK];
	uint64_t left = size;
	ssize_t n;

	if (fd < 0)
		return neg_errno();
	while (left > 0 && (n = read(fd, buf, MIN(sizeof(buf), left))) > 0) {
		if (archive_write_data(push.a, buf, (size_t)n) != n)
			return -EIO;
		left -= (uint64_t)n;
	}
	return left == 0 ? 0 : -EIO;
}

static int push_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *name = path + push.prefix;
	struct archive_entry *e;
	int r = 0;

	while (*name == '/')
		name++;
	if (!*name)
		return 0; /* DIR itself */
	if (type != FTW_D && !(type == FTW_F && S_ISREG(st->st_mode))) {
		fprintf(stderr, "sandtrap rules push: skipping '%s': not a file or directory\n",
			path);
		return 0;
	}
	if (S_ISREG(st->st_mode) && (uint64_t)st->st_size > PUSH_FILE_MAX) {
		fprintf(stderr, "sandtrap rules push: '%s' is larger than 16 MiB\n", path);
		return -EFBIG;
	}
	e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, S_ISDIR(st->st_mode) ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, S_ISDIR(st->st_mode) ? 0755 : 0644);
	archive_entry_set_size(e, S_ISDIR(st->st_mode) ? 0 : st->st_size);
	archive_entry_set_mtime(e, st->st_mtime, 0);
	if (archive_write_header(push.a, e) != ARCHIVE_OK)
		r = -EIO;
	else if (S_ISREG(st->st_mode))
		r = push_file_data(path, (uint64_t)st->st_size);
	archive_entry_free(e);
	if (r < 0)
		fprintf(stderr, "sandtrap rules push: cannot add '%s': %s\n", path,
			archive_error_string(push.a) ? archive_error_string(push.a) : strerror(-r));
	return r;
}

/* DIR as a tar.gz in memory (*ret malloc'd), at most PUSH_BODY_MAX bytes. */
static int push_pack(const char *dir, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return neg_errno();
	push.a = archive_write_new();
	push.prefix = strlen(dir);
	if (!push.a || archive_write_add_filter_gzip(push.a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(push.a) != ARCHIVE_OK ||
	    archive_write_open_fd(push.a, fd) != ARCHIVE_OK) {
		archive_write_free(push.a);
		return -EIO;
	}
	r = nftw(dir, push_entry, 16, FTW_PHYS);
	if (archive_write_close(push.a) != ARCHIVE_OK && r == 0)
		r = -EIO;
	archive_write_free(push.a);
	if (r != 0)
		return r < 0 ? r : -EIO;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return neg_errno();
	return fd_read_all(fd, PUSH_BODY_MAX, ret, ret_len);
}

static void push_usage(FILE *out)
{
	fprintf(out,
		"Usage: sandtrap rules push [OPTIONS] DIR\n\n"
		"Send the rule set in DIR (behaviour/, yara/, hashes/, DATE: the layout of\n"
		"rules/) to sandtrapd as a tar.gz. The server validates it as `sandtrap rules\n"
		"install` does (it must load and pass its own fixtures), installs it, and\n"
		"re-scores every stored report. Needs an admin token.\n\n"
		"Options:\n" CLIENT_OPTIONS_HELP "\n"
		"Exit status: 0 installed, 2 refused (the error names file:line) or failed.\n\n"
		CLIENT_CONFIG_HELP);
}

static int push_send(struct client *c, const char *body, size_t len)
{
	struct client_response r;
	struct json_object *o, *v;
	char shown[1024];

	if (client_request(c, "POST", "/api/v1/rules", body, len, &r) < 0)
		return 2;
	if (r.status != 200) {
		escape_printable(client_error_text(&r), strlen(client_error_text(&r)), shown,
				 sizeof(shown));
		fprintf(stderr, "sandtrap rules push: not installed: %s\n", shown);
		client_response_free(&r);
		return 2;
	}
	o = json_tokener_parse(r.body);
	client_response_free(&r);
	if (!o || !json_object_object_get_ex(o, "rules_version", &v)) {
		json_object_put(o);
		fprintf(stderr, "sandtrap rules push: the server's answer is not understood\n");
		return 2;
	}
	printf("installed rules %s on %s: %s behaviour rules, %s YARA rules, %s hashes\n",
	       json_object_get_string(v), c->server,
	       json_object_get_string(json_object_object_get(o, "behaviour_rules")),
	       json_object_get_string(json_object_object_get(o, "yara_rules")),
	       json_object_get_string(json_object_object_get(o, "hashes")));
	json_object_put(o);
	return 0;
}

int rules_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"token", required_argument, NULL, 't'},
		{"cacert", required_argument, NULL, 'c'},
		{"config", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct client c = {0};
	_cleanup_free_ char *body = NULL;
	size_t len;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.server = optarg;
			break;
		case 't':
			c.token = optarg;
			break;
		case 'c':
			c.cacert = optarg;
			break;
		case 'f':
			c.config = optarg;
			break;
		case 'h':
			push_usage(stdout);
			return 0;
		default:
			push_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		push_usage(stderr);
		return 2;
	}
	if (client_setup(&c, "rules push") < 0)
		return 2;
	r = push_pack(argv[optind], &body, &len);
	if (r < 0) {
		fprintf(stderr, "sandtrap rules push: cannot pack '%s': %s\n", argv[optind],
			strerror(-r));
		return 2;
	}
	return push_send(&c, body, len);
}
