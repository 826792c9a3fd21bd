/* SPDX-License-Identifier: MIT */
/* sandtrap quarantine list|show|restore|delete: the endpoint agent's quarantine, by hand. */
#include "commands.h"

#include "escape.h"
#include "macros.h"
#include "quarantine.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define QCLI_STATE_DEFAULT "/var/lib/sandtrap-agent"
#define QCLI_JSON          1u
#define QCLI_TO            2u

struct qcli {
	const char *id;
	const char *to;
	bool json;
	char qdir[4096];
};

struct qcommand {
	const char *name;
	int nargs;
	unsigned opts;
	int (*run)(const struct qcli *c, const char *id);
	const char *usage;
};

static const char quarantine_usage[] =
	"Usage: sandtrap quarantine list|show ID|restore ID|delete ID [--state DIR]\n"
	"\n"
	"The endpoint agent's quarantine, in STATE/quarantine (default state "
	"directory\n" QCLI_STATE_DEFAULT
	"). Quarantined files are stored transformed, so they neither run\n"
	"nor open as what they were; restore gives back the byte-identical file with its\n"
	"owner, mode and times. Run as root. 'sandtrap quarantine COMMAND --help' for more.\n";

/* Untrusted text (a sample's path, a server's threat name) made printable. */
static const char *qcli_esc(const char *s, char *buf, size_t size)
{
	escape_printable(s, strlen(s), buf, size);
	return buf;
}

static void qcli_time(int64_t sec, long nsec, bool with_ns, char *out, size_t size)
{
	time_t t = sec;
	struct tm tm;
	char date[32], zone[8];

	if (!localtime_r(&t, &tm)) {
		snprintf(out, size, "%lld", (long long)sec);
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	if (with_ns)
		snprintf(out, size, "%s.%09ld%s", date, nsec, zone);
	else
		snprintf(out, size, "%s%s", date, zone);
}

static struct json_object *qcli_json(const struct qentry *e)
{
	struct json_object *o = json_object_new_object();
	char when[64];

	qcli_time(e->quarantined_at, 0, false, when, sizeof(when));
	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "path", json_object_new_string(e->path));
	json_object_object_add(o, "sha256", json_object_new_string(e->sha256));
	json_object_object_add(o, "threat", json_object_new_string(e->threat));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)e->size));
	json_object_object_add(o, "uid", json_object_new_int64(e->uid));
	json_object_object_add(o, "gid", json_object_new_int64(e->gid));
	json_object_object_add(o, "mode", json_object_new_int64(e->mode));
	json_object_object_add(o, "atime", json_object_new_int64(e->atime.tv_sec));
	json_object_object_add(o, "atime_nsec", json_object_new_int64(e->atime.tv_nsec));
	json_object_object_add(o, "mtime", json_object_new_int64(e->mtime.tv_sec));
	json_object_object_add(o, "mtime_nsec", json_object_new_int64(e->mtime.tv_nsec));
	json_object_object_add(o, "quarantined_at", json_object_new_int64(e->quarantined_at));
	json_object_object_add(o, "quarantined", json_object_new_string(when));
	return o;
}

static void qcli_json_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int qcli_fail(const char *what, const char *id, int r)
{
	if (r == -ENOENT && id)
		fprintf(stderr, "sandtrap quarantine: no entry %s\n", id);
	else if (r == -EINVAL && id)
		fprintf(stderr, "sandtrap quarantine: '%s' is not an entry id (32 hex digits)\n",
			id);
	else
		fprintf(stderr, "sandtrap quarantine: %s: %s\n", what, strerror(-r));
	return 1;
}

static int qcli_list(const struct qcli *c, const char *id)
{
	_cleanup_free_ struct qentry *list = NULL;
	struct json_object *arr;
	size_t n;
	int r;

	r = quarantine_list(c->qdir, &list, &n);
	if (r < 0)
		return qcli_fail(c->qdir, NULL, r);
	if (c->json) {
		arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, qcli_json(&list[i]));
		qcli_json_print(arr);
		return 0;
	}
	printf("%-32s  %-24s  %10s  %-24s  %s\n", "ID", "DATE", "SIZE", "THREAT", "PATH");
	for (size_t i = 0; i < n; i++) {
		char when[64], threat[512], path[4 * 4096 + 1];

		qcli_time(list[i].quarantined_at, 0, false, when, sizeof(when));
		printf("%-32s  %-24s  %10llu  %-24s  %s\n", list[i].id, when,
		       (unsigned long long)list[i].size,
		       qcli_esc(list[i].threat, threat, sizeof(threat)),
		       qcli_esc(list[i].path, path, sizeof(path)));
	}
	return 0;
}

static int qcli_show(const struct qcli *c, const char *id)
{
	char when[64], mtime[64], atime[64], threat[512], path[4 * 4096 + 1];
	struct qentry e;
	int r;

	r = quarantine_get(c->qdir, id, &e);
	if (r < 0)
		return qcli_fail(c->qdir, id, r);
	if (c->json) {
		qcli_json_print(qcli_json(&e));
		return 0;
	}
	qcli_time(e.quarantined_at, 0, false, when, sizeof(when));
	qcli_time(e.mtime.tv_sec, e.mtime.tv_nsec, true, mtime, sizeof(mtime));
	qcli_time(e.atime.tv_sec, e.atime.tv_nsec, true, atime, sizeof(atime));
	printf("id:          %s\n"
	       "path:        %s\n"
	       "threat:      %s\n"
	       "sha256:      %s\n"
	       "size:        %llu\n"
	       "owner:       %u:%u\n"
	       "mode:        %04o\n"
	       "mtime:       %s\n"
	       "atime:       %s\n"
	       "quarantined: %s\n",
	       e.id, qcli_esc(e.path, path, sizeof(path)),
	       qcli_esc(e.threat, threat, sizeof(threat)), e.sha256, (unsigned long long)e.size,
	       (unsigned)e.uid, (unsigned)e.gid, (unsigned)e.mode, mtime, atime, when);
	return 0;
}

static int qcli_restore(const struct qcli *c, const char *id)
{
	char path[4 * 4096 + 1];
	struct qentry e;
	int r;

	r = quarantine_get(c->qdir, id, &e);
	if (r < 0)
		return qcli_fail(c->qdir, id, r);
	qcli_esc(c->to ? c->to : e.path, path, sizeof(path));
	r = quarantine_restore(c->qdir, id, c->to);
	if (r == -EEXIST) {
		fprintf(stderr, "sandtrap quarantine: '%s' exists; not replaced (see --to)\n",
			path);
		return 1;
	}
	if (r == -EBADMSG) {
		fprintf(stderr,
			"sandtrap quarantine: entry %s no longer has sha256 %s; "
			"not restored\n",
			id, e.sha256);
		return 1;
	}
	if (r < 0)
		return qcli_fail(path, id, r);
	printf("restored %s to %s\n", id, path);
	return 0;
}

static int qcli_delete(const struct qcli *c, const char *id)
{
	int r = quarantine_delete(c->qdir, id);

	if (r < 0)
		return qcli_fail(c->qdir, id, r);
	printf("deleted %s\n", id);
	return 0;
}

static const struct qcommand qcommands[] = {
	{"list", 0, QCLI_JSON, qcli_list,
	 "Usage: sandtrap quarantine list [--json] [--state DIR]\n\n"
	 "The quarantined files, oldest first: id, date (local time), size in bytes, threat\n"
	 "and original path. --json: an array of objects with every field.\n"},
	{"show", 1, QCLI_JSON, qcli_show,
	 "Usage: sandtrap quarantine show ID [--json] [--state DIR]\n\n"
	 "One entry: original path, threat, sha256, size, owner, mode, times.\n"},
	{"restore", 1, QCLI_TO, qcli_restore,
	 "Usage: sandtrap quarantine restore ID [--to PATH] [--state DIR]\n\n"
	 "Put the file back, byte-identical, with its owner, mode and times, at its original\n"
	 "path or PATH. Nothing is replaced: an existing file makes it fail. The stored\n"
	 "content is checked against its sha256 first. The entry is removed.\n"},
	{"delete", 1, 0, qcli_delete,
	 "Usage: sandtrap quarantine delete ID [--state DIR]\n\n"
	 "Remove an entry and its stored content for good.\n"},
};

static const struct option qoptions[] = {
	{"state", required_argument, NULL, 's'},
	{"json", no_argument, NULL, 'j'},
	{"to", required_argument, NULL, 't'},
	{"help", no_argument, NULL, 'h'},
	{},
};

/* Options of one subcommand; 0 to go on, else the exit status. */
static int qcli_parse(const struct qcommand *q, int argc, char **argv, struct qcli *c)
{
	const char *state = QCLI_STATE_DEFAULT;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", qoptions, NULL)) != -1) {
		if (opt == 'h') {
			fputs(q->usage, stdout);
			return -1;
		}
		if (opt == 's') {
			state = optarg;
		} else if (opt == 'j' && (q->opts & QCLI_JSON)) {
			c->json = true;
		} else if (opt == 't' && (q->opts & QCLI_TO)) {
			c->to = optarg;
		} else {
			fputs(q->usage, stderr);
			return 2;
		}
	}
	if (argc - optind != q->nargs) {
		fputs(q->usage, stderr);
		return 2;
	}
	c->id = q->nargs ? argv[optind] : NULL;
	if (snprintf(c->qdir, sizeof(c->qdir), "%s/quarantine", state) >= (int)sizeof(c->qdir))
		return 2;
	return 0;
}

int cmd_quarantine(int argc, char **argv)
{
	struct qcli c = {};
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(quarantine_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(qcommands); i++) {
		const struct qcommand *q = &qcommands[i];

		if (strcmp(argv[1], q->name) != 0)
			continue;
		r = qcli_parse(q, argc - 1, argv + 1, &c);
		if (r != 0)
			return r < 0 ? 0 : r;
		return q->run(&c, c.id);
	}
	fprintf(stderr, "sandtrap quarantine: unknown command '%s'\n%s", argv[1], quarantine_usage);
	return 2;
}
