/* SPDX-License-Identifier: MIT */
/* The commands that talk to sandtrapd: submit, lookup, report, status. */
#include "commands.h"

#include "client.h"
#include "fileio.h"
#include "hash.h"
#include "macros.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OBJECT_MAX       (4ull << 30)
#define POLL_INTERVAL_US 200000

enum { EXIT_CLEAN = 0, EXIT_THREAT = 1, EXIT_ERROR = 2 };

/* The options every server command takes, and the ones a command adds. */
struct server_cli {
	struct client c;
	bool json, wait;
	const char *priority;
	const char *timeout;
	const char *arg;
};

enum {
	OPT_SERVER = 256,
	OPT_TOKEN,
	OPT_CACERT,
	OPT_JSON,
	OPT_WAIT,
	OPT_PRIORITY,
	OPT_TIMEOUT,
	OPT_CONFIG,
};

static const struct option options[] = {
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* 0 to go on, 1 after help, -EINVAL on a usage error. nargs: positional arguments. */
static int server_cli_parse(struct server_cli *s, const char *cmd, const char *usage, int nargs,
			    int argc, char **argv)
{
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_SERVER:
			s->c.server = optarg;
			break;
		case OPT_TOKEN:
			s->c.token = optarg;
			break;
		case OPT_CACERT:
			s->c.cacert = optarg;
			break;
		case OPT_CONFIG:
			s->c.config = optarg;
			break;
		case OPT_JSON:
			s->json = true;
			break;
		case OPT_WAIT:
			s->wait = true;
			break;
		case OPT_PRIORITY:
			s->priority = optarg;
			break;
		case OPT_TIMEOUT:
			s->timeout = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "sandtrap %s: wrong arguments; see --help\n", cmd);
		return -EINVAL;
	}
	s->arg = nargs ? argv[optind] : NULL;
	return client_setup(&s->c, cmd);
}

/* A JSON object answer with the expected status, else a message and NULL. */
static struct json_object *server_get(struct server_cli *s, const char *cmd, const char *path,
				      long want)
{
	struct client_response r;
	struct json_object *o;

	if (client_request(&s->c, "GET", path, NULL, 0, &r) < 0)
		return NULL;
	if (r.status != want) {
		fprintf(stderr, "sandtrap %s: %s\n", cmd, client_error_text(&r));
		client_response_free(&r);
		return NULL;
	}
	o = json_tokener_parse(r.body);
	client_response_free(&r);
	if (!o)
		fprintf(stderr, "sandtrap %s: the server's answer is not JSON\n", cmd);
	return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

static int verdict_exit(struct json_object *v)
{
	const char *r = jstr(v, "verdict");

	if (!r)
		return EXIT_ERROR;
	return strcmp(r, "clean") == 0 ? EXIT_CLEAN : EXIT_THREAT;
}

/* Unix seconds as a local ISO-8601 date-time with its offset: 2026-12-04T10:15:02+0100. */
static const char *time_local(int64_t t, char *buf, size_t bufsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm) ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		snprintf(buf, bufsz, "unknown");
	return buf;
}

static void verdict_print(struct json_object *v)
{
	char when[40];
	const char *threat = jstr(v, "threat");
	struct json_object *t = json_object_object_get(v, "techniques");
	const char *tech = t ? json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN) : NULL;

	printf("Verdict: %s (score %s)%s%s\n", jstr(v, "verdict"), jstr(v, "score"),
	       threat ? " threat " : "", threat ? threat : "");
	printf("  sha256 %s\n  rules %s, scanned at %s, %s\n", jstr(v, "sha256"),
	       jstr(v, "rules_version"),
	       time_local(json_object_get_int64(json_object_object_get(v, "scanned_at")), when,
			  sizeof(when)),
	       json_object_get_boolean(json_object_object_get(v, "fresh")) ? "fresh" : "stale");
	if (tech && strcmp(tech, "[]") != 0)
		printf("  techniques %s\n", tech);
}

/* --- submit --- */

static const char submit_usage[] =
	"Usage: sandtrap submit [OPTIONS] FILE\n"
	"\n"
	"Send FILE to sandtrapd for analysis. With --wait, show its progress (queued ->\n"
	"running -> scoring -> done) and then the verdict. A file with a fresh verdict is\n"
	"answered from the server's cache without running again.\n"
	"\n"
	"Options:\n"
	"  --wait             wait for the verdict\n"
	"  --priority P       high (an agent holding a user's access) or normal\n"
	"  --timeout SEC      analysis time (default: the server's)\n"
	"  --json             print the server's JSON answer\n" CLIENT_OPTIONS_HELP "\n"
	"Exit status: 0 clean (or queued, without --wait), 1 threat found, 2 error.\n"
	"\n" CLIENT_CONFIG_HELP;

static const char *const submit_steps[] = {"queued", "running", "scoring", "done"};

static int submit_step(const char *phase)
{
	for (size_t i = 0; i < ARRAY_SIZE(submit_steps); i++)
		if (strcmp(phase, submit_steps[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * The steps from last to phase. A step shorter than the polling interval (scoring a
 * sample that dropped nothing takes milliseconds) is shown too: every detonated
 * submission passes through each step in order.
 */
static void submit_show_steps(const char *last, const char *phase)
{
	int from = last[0] ? submit_step(last) : -1, to = submit_step(phase);

	if (from < 0 || to < 0 || to <= from) {
		fprintf(stderr, "%s%s", last[0] ? " -> " : "", phase);
		return;
	}
	for (int i = from + 1; i <= to; i++)
		fprintf(stderr, " -> %s", submit_steps[i]);
}

/* Polls until done or failed, printing each step as it changes, from `first` on. */
static int submit_wait(struct server_cli *s, int64_t id, const char *first,
		       struct json_object **ret)
{
	char path[64], last[16];

	snprintf(last, sizeof(last), "%s", first);
	fprintf(stderr, "%s", last);

	snprintf(path, sizeof(path), "/api/v1/submissions/%" PRId64, id);
	for (;;) {
		struct json_object *o = server_get(s, "submit", path, 200);
		const char *st = jstr(o, "status"), *phase = jstr(o, "phase");

		if (!st) {
			json_object_put(o);
			return -EIO;
		}
		if (!phase)
			phase = st; /* a server from before phases */
		if (strcmp(phase, last) != 0) {
			submit_show_steps(last, phase);
			snprintf(last, sizeof(last), "%s", phase);
		}
		if (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0) {
			fprintf(stderr, "\n");
			*ret = o;
			return 0;
		}
		json_object_put(o);
		usleep(POLL_INTERVAL_US);
	}
}

static int submit_post(struct server_cli *s, struct json_object **ret)
{
	_cleanup_free_ char *buf = NULL;
	struct client_response r;
	char path[128];
	size_t len;
	int n;

	if (file_read_all(s->arg, OBJECT_MAX, &buf, &len) < 0) {
		fprintf(stderr, "sandtrap submit: cannot read '%s': %m\n", s->arg);
		return -EIO;
	}
	n = snprintf(path, sizeof(path), "/api/v1/submissions?priority=%s",
		     s->priority ? s->priority : "normal");
	if (s->timeout)
		snprintf(path + n, sizeof(path) - n, "&timeout=%s", s->timeout);
	if (client_request(&s->c, "POST", path, buf, len, &r) < 0)
		return -EIO;
	if (r.status != 200 && r.status != 202) {
		fprintf(stderr, "sandtrap submit: %s\n", client_error_text(&r));
		client_response_free(&r);
		return -EIO;
	}
	*ret = json_tokener_parse(r.body);
	client_response_free(&r);
	return *ret ? 0 : -EBADMSG;
}

int cmd_submit(int argc, char **argv)
{
	struct server_cli s = {0};
	struct json_object *o = NULL, *done = NULL, *v;
	int r, status = EXIT_ERROR;

	r = server_cli_parse(&s, "submit", submit_usage, 1, argc, argv);
	if (r != 0)
		return r > 0 ? EXIT_CLEAN : EXIT_ERROR;
	if (submit_post(&s, &o) < 0)
		return EXIT_ERROR;
	fprintf(stderr, "submission %s: %s%s\n", jstr(o, "id"), jstr(o, "sha256"),
		json_object_get_boolean(json_object_object_get(o, "cached")) ? " (cached)" : "");
	if (!s.wait && strcmp(jstr(o, "status"), "done") != 0) {
		if (s.json)
			printf("%s\n", json_object_to_json_string(o));
		json_object_put(o);
		return EXIT_CLEAN;
	}
	if (submit_wait(&s, json_object_get_int64(json_object_object_get(o, "id")),
			jstr(o, "status"), &done) < 0)
		goto out;
	if (s.json)
		printf("%s\n", json_object_to_json_string(done));
	if (strcmp(jstr(done, "status"), "failed") == 0) {
		fprintf(stderr, "sandtrap submit: the analysis failed: %s\n", jstr(done, "error"));
		goto out;
	}
	if (!json_object_object_get_ex(done, "verdict", &v))
		goto out;
	if (!s.json)
		verdict_print(v);
	status = verdict_exit(v);
out:
	json_object_put(o);
	json_object_put(done);
	return status;
}

/* --- lookup --- */

static const char lookup_usage[] =
	"Usage: sandtrap lookup [OPTIONS] FILE|SHA256\n"
	"\n"
	"The server's verdict for a file (hashed here, never sent) or a sha256: verdict,\n"
	"threat, score, when it was scanned, with which rules, and whether it is fresh.\n"
	"\n"
	"Options:\n"
	"  --json             print the server's JSON answer\n" CLIENT_OPTIONS_HELP "\n"
	"Exit status: 0 clean, 1 threat found, 2 unknown to the server or error.\n";

static int lookup_sha256(const char *arg, char ret[65])
{
	struct file_hashes h;
	size_t i;

	for (i = 0; arg[i] && strchr("0123456789abcdef", arg[i]); i++)
		;
	if (i == 64 && !arg[i] && access(arg, F_OK) < 0) {
		memcpy(ret, arg, 65);
		return 0;
	}
	_cleanup_close_ int fd = open(arg, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || hash_fd(fd, OBJECT_MAX, &h) < 0) {
		fprintf(stderr, "sandtrap lookup: cannot read '%s': %m\n", arg);
		return -EIO;
	}
	memcpy(ret, h.sha256, 65);
	return 0;
}

int cmd_lookup(int argc, char **argv)
{
	struct server_cli s = {0};
	struct json_object *o;
	char sha[65], path[128];
	int r, status;

	r = server_cli_parse(&s, "lookup", lookup_usage, 1, argc, argv);
	if (r != 0)
		return r > 0 ? EXIT_CLEAN : EXIT_ERROR;
	if (lookup_sha256(s.arg, sha) < 0)
		return EXIT_ERROR;
	snprintf(path, sizeof(path), "/api/v1/verdicts/%s", sha);
	o = server_get(&s, "lookup", path, 200);
	if (!o)
		return EXIT_ERROR;
	if (s.json)
		printf("%s\n", json_object_to_json_string(o));
	else
		verdict_print(o);
	status = verdict_exit(o);
	json_object_put(o);
	return status;
}

/* --- report --- */

static const char report_usage[] =
	"Usage: sandtrap report [OPTIONS] ID\n"
	"\n"
	"The report of submission ID: a short summary, or with --json the full report\n"
	"(docs/report-schema.md). Needs an analyst or admin token.\n"
	"\n"
	"Options:\n"
	"  --json             print the full JSON report\n" CLIENT_OPTIONS_HELP;

static void report_summary(struct json_object *rep)
{
	struct json_object *v = json_object_object_get(rep, "verdict");
	struct json_object *dets = json_object_object_get(v, "detections");
	const char *threat = jstr(v, "threat");

	printf("Object: %s\n", jstr(rep, "sha256"));
	printf("Verdict: %s (score %s)%s%s\n", jstr(v, "result"), jstr(v, "score"),
	       threat ? " threat " : "", threat ? threat : "");
	printf("  rules %s\n", jstr(v, "rules_version"));
	for (size_t i = 0; dets && i < json_object_array_length(dets); i++) {
		struct json_object *d = json_object_array_get_idx(dets, i);

		printf("  - %-8s %s  %s\n", jstr(d, "severity"), jstr(d, "id"), jstr(d, "title"));
	}
	printf("Processes: %zu, events: %zu, dropped files: %zu\n",
	       json_object_array_length(json_object_object_get(rep, "processes")),
	       json_object_array_length(json_object_object_get(rep, "events")),
	       json_object_array_length(json_object_object_get(rep, "dropped")));
}

int cmd_report(int argc, char **argv)
{
	struct server_cli s = {0};
	struct client_response r;
	struct json_object *rep;
	char path[128], *end;
	long long id;
	int rc;

	rc = server_cli_parse(&s, "report", report_usage, 1, argc, argv);
	if (rc != 0)
		return rc > 0 ? EXIT_CLEAN : EXIT_ERROR;
	id = strtoll(s.arg, &end, 10);
	if (*end || end == s.arg || id <= 0) {
		fprintf(stderr, "sandtrap report: ID is a submission number\n");
		return EXIT_ERROR;
	}
	snprintf(path, sizeof(path), "/api/v1/submissions/%lld/report", id);
	if (client_request(&s.c, "GET", path, NULL, 0, &r) < 0)
		return EXIT_ERROR;
	if (r.status != 200) {
		fprintf(stderr, "sandtrap report: %s\n", client_error_text(&r));
		client_response_free(&r);
		return EXIT_ERROR;
	}
	if (s.json) {
		fwrite(r.body, 1, r.len, stdout);
		client_response_free(&r);
		return EXIT_CLEAN;
	}
	rep = json_tokener_parse(r.body);
	client_response_free(&r);
	if (!rep)
		return EXIT_ERROR;
	report_summary(rep);
	json_object_put(rep);
	return EXIT_CLEAN;
}

/* --- status --- */

static const char status_usage[] =
	"Usage: sandtrap status [OPTIONS]\n"
	"\n"
	"The server's node name, version, slots busy and total, queue depth, analyses done,\n"
	"rules version and uptime. Needs an analyst or admin token.\n"
	"\n"
	"Options:\n"
	"  --json             print the server's JSON answer\n" CLIENT_OPTIONS_HELP;

int cmd_status(int argc, char **argv)
{
	struct server_cli s = {0};
	struct json_object *o;
	int r;

	r = server_cli_parse(&s, "status", status_usage, 0, argc, argv);
	if (r != 0)
		return r > 0 ? EXIT_CLEAN : EXIT_ERROR;
	o = server_get(&s, "status", "/api/v1/status", 200);
	if (!o)
		return EXIT_ERROR;
	if (s.json) {
		printf("%s\n", json_object_to_json_string(o));
	} else {
		json_object_object_foreach(o, key, val)
			printf("%-16s %s\n", key, json_object_get_string(val));
	}
	json_object_put(o);
	return EXIT_CLEAN;
}
