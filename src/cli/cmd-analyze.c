/* SPDX-License-Identifier: MIT */
/* sandtrap analyze: one object, one disposable guest, one report. */
#include "commands.h"

#include "analysis.h"
#include "capture.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "parse.h"
#include "report.h"
#include "ruleset.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARGS_MAX      32
#define YARA_DIRS_MAX 16

enum exit_status {
	EXIT_CLEAN = 0,
	EXIT_THREAT = 1,
	EXIT_ERROR = 2,
	EXIT_NO_VERDICT = 3,
};

static void analyze_usage(FILE *out)
{
	fprintf(out,
		"Usage: sandtrap analyze [OPTIONS] FILE\n"
		"\n"
		"Run FILE in a fresh, isolated, disposable guest with a simulated internet and\n"
		"report what it did. Needs root (namespaces, cgroups, eBPF).\n"
		"\n"
		"Options:\n"
		"  --timeout SEC      wall time of the run (default 30)\n"
		"  --json             print the full JSON report instead of the summary\n"
		"  --report-dir DIR   where report.json and dropped files go\n"
		"                     (default ./sandtrap-report-<sha256 prefix>)\n"
		"  --arg ARG          pass ARG to the sample (repeatable, at most %d)\n"
		"  --user             run the sample as an ordinary user (default: guest root)\n"
		"  --image DIR        root filesystem to use instead of the host's OS directories\n"
		"                     (see scripts/build-image)\n"
		"  --rules DIR        rules database (default $SANDTRAP_RULES, else the installed\n"
		"                     rules, else the source tree's rules/)\n"
		"  --yara DIR         more YARA rules to scan with (repeatable, at most %d)\n"
		"  --no-verdict       detonate and report only; compute no verdict\n"
		"  --memory MIB       memory limit (default 512)\n"
		"  --disk MIB         bytes the guest may write (default 256)\n"
		"  --output KIB       captured stdout/stderr (default 1024)\n"
		"  --pids N           processes and threads (default 256)\n"
		"  --cpu PERCENT      of one CPU (default 100)\n"
		"  -v, --verbose      log more\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: 0 clean, 1 threat found (suspicious or malicious), 2 error or\n"
		"unsupported object, 3 analysed but no verdict computed (--no-verdict).\n",
		YARA_DIRS_MAX, ARGS_MAX);
}

struct analyze_cli {
	struct analysis_options o;
	char *args[ARGS_MAX];
	const char *rules_dir;
	const char *yara[YARA_DIRS_MAX + 1];
	size_t n_yara;
	bool no_verdict;
	bool json;
	char default_dir[96];
};

enum { OPT_TIMEOUT = 256, OPT_JSON, OPT_DIR, OPT_ARG, OPT_USER, OPT_IMAGE, OPT_MEMORY,
       OPT_DISK, OPT_OUTPUT, OPT_PIDS, OPT_CPU, OPT_RULES, OPT_YARA, OPT_NO_VERDICT };

static const struct option options[] = {
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "report-dir", required_argument, NULL, OPT_DIR },
	{ "arg", required_argument, NULL, OPT_ARG },
	{ "user", no_argument, NULL, OPT_USER },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "yara", required_argument, NULL, OPT_YARA },
	{ "no-verdict", no_argument, NULL, OPT_NO_VERDICT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

/* Numeric options: the bounds a user may set, and the scale to the stored unit. */
static const struct {
	int opt;
	const char *name;
	uint64_t min, max, scale;
} numeric[] = {
	{ OPT_TIMEOUT, "--timeout", 1, 3600, 1 },
	{ OPT_MEMORY, "--memory", 16, 65536, 1ull << 20 },
	{ OPT_DISK, "--disk", 1, 65536, 1ull << 20 },
	{ OPT_OUTPUT, "--output", 1, 1048576, 1ull << 10 },
	{ OPT_PIDS, "--pids", 8, 65536, 1 },
	{ OPT_CPU, "--cpu", 1, 6400, 1 },
};

static void analyze_store(struct analyze_cli *c, int opt, uint64_t v)
{
	switch (opt) {
	case OPT_TIMEOUT:
		c->o.timeout_sec = v;
		break;
	case OPT_MEMORY:
		c->o.memory_bytes = v;
		break;
	case OPT_DISK:
		c->o.disk_bytes = v;
		break;
	case OPT_OUTPUT:
		c->o.output_bytes = v;
		break;
	case OPT_PIDS:
		c->o.pids_max = v;
		break;
	default:
		c->o.cpu_percent = v;
		break;
	}
}

static int analyze_numeric(struct analyze_cli *c, int opt, const char *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(numeric); i++) {
		uint64_t v;

		if (numeric[i].opt != opt)
			continue;
		if (parse_u64(arg, numeric[i].min, numeric[i].max, &v) < 0) {
			fprintf(stderr, "sandtrap analyze: %s takes a number from %" PRIu64
					" to %" PRIu64 "\n", numeric[i].name, numeric[i].min,
				numeric[i].max);
			return -EINVAL;
		}
		analyze_store(c, opt, v * numeric[i].scale);
		return 0;
	}
	return -EINVAL;
}

/* Returns 0 to go on, 1 when help was printed, -EINVAL on a usage error. */
static int analyze_parse(struct analyze_cli *c, int argc, char **argv)
{
	int opt;

	analysis_options_default(&c->o);
	c->o.args = c->args;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			analyze_usage(stdout);
			return 1;
		case 'v':
			log_set_level(log_get_level() < LOG_INFO ? LOG_INFO : LOG_DEBUG);
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_DIR:
			c->o.report_dir = optarg;
			break;
		case OPT_USER:
			c->o.as_user = true;
			break;
		case OPT_IMAGE:
			c->o.image_dir = optarg;
			break;
		case OPT_RULES:
			c->rules_dir = optarg;
			break;
		case OPT_NO_VERDICT:
			c->no_verdict = true;
			break;
		case OPT_YARA:
			if (c->n_yara >= YARA_DIRS_MAX) {
				fprintf(stderr, "sandtrap analyze: at most %d --yara\n", YARA_DIRS_MAX);
				return -EINVAL;
			}
			c->yara[c->n_yara++] = optarg;
			break;
		case OPT_ARG:
			if (c->o.n_args >= ARGS_MAX) {
				fprintf(stderr, "sandtrap analyze: at most %d --arg\n", ARGS_MAX);
				return -EINVAL;
			}
			c->args[c->o.n_args++] = optarg;
			break;
		case '?':
			return -EINVAL;
		default:
			if (analyze_numeric(c, opt, optarg) < 0)
				return -EINVAL;
			break;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sandtrap analyze: exactly one FILE is needed; see --help\n");
		return -EINVAL;
	}
	c->o.path = argv[optind];
	return 0;
}

static void analyze_print_unsupported(const struct analyze_cli *c, const char *why)
{
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string("unsupported object type"));
		json_object_object_add(o, "type", json_object_new_string(why));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	fprintf(stderr, "sandtrap analyze: unsupported object type: %s\n", why);
}

static int analyze_write_report(struct report *rep, const char *dir)
{
	char path[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/report.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_errno(neg_errno(), "cannot write '%s'", path);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	if (report_write_json(rep, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0)
		return log_errno(-EIO, "cannot write '%s'", path);
	return 0;
}

/* A report directory named after the object, when the user gave none. */
static int analyze_default_dir(struct analyze_cli *c)
{
	struct file_hashes h;
	_cleanup_close_ int fd = open(c->o.path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 || hash_fd(fd, 256ull << 20, &h) < 0)
		snprintf(c->default_dir, sizeof(c->default_dir), "sandtrap-report");
	else
		snprintf(c->default_dir, sizeof(c->default_dir), "sandtrap-report-%.12s", h.sha256);
	c->o.report_dir = c->default_dir;
	return 0;
}

/* The rules database, unless the user asked for no verdict. */
static int analyze_load_rules(struct analyze_cli *c, struct ruleset **ret)
{
	const char *dir = c->rules_dir ? c->rules_dir : ruleset_default_dir();
	char err[512] = "";
	int r;

	*ret = NULL;
	if (c->no_verdict)
		return 0;
	r = ruleset_load(dir, c->yara, ret, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "sandtrap analyze: cannot load the rules in '%s': %s\n", dir,
			err[0] ? err : strerror(-r));
	return r;
}

/* 0 clean, 1 threat, 3 no verdict: what a script calling us acts on. */
static int analyze_exit_status(const struct report *rep)
{
	const char *result = report_result(rep);

	if (strcmp(result, "clean") == 0)
		return EXIT_CLEAN;
	if (strcmp(result, "none") == 0)
		return EXIT_NO_VERDICT;
	return EXIT_THREAT;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_cli c = { 0 };
	struct capture *cap = NULL;
	struct ruleset *rules = NULL;
	struct report *rep = NULL;
	char why[256] = "";
	int r, status = EXIT_ERROR;

	r = analyze_parse(&c, argc, argv);
	if (r != 0)
		return r > 0 ? EXIT_CLEAN : EXIT_ERROR;
	if (!c.o.report_dir)
		analyze_default_dir(&c);

	if (geteuid() != 0) {
		fprintf(stderr, "sandtrap analyze: needs root (namespaces, cgroups and eBPF)\n");
		return EXIT_ERROR;
	}
	if (analyze_load_rules(&c, &rules) < 0)
		return EXIT_ERROR;
	c.o.rules = rules;
	r = capture_new(&cap);
	if (r < 0) {
		log_errno(r, "cannot load the eBPF capture");
		ruleset_free(rules);
		return EXIT_ERROR;
	}

	r = analysis_run(cap, &c.o, &rep, why, sizeof(why));
	if (r == -EMEDIUMTYPE || r == -EFBIG) {
		analyze_print_unsupported(&c, why);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "sandtrap analyze: analysis failed: %s\n", strerror(-r));
		goto out;
	}
	if (analyze_write_report(rep, c.o.report_dir) < 0)
		goto out;

	if (c.json)
		report_write_json(rep, stdout);
	else
		report_print_summary(rep, stdout);
	fprintf(stderr, "report: %s/report.json\n", c.o.report_dir);
	status = analyze_exit_status(rep);
out:
	report_free(rep);
	capture_free(cap);
	ruleset_free(rules);
	return status;
}
