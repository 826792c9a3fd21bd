/* SPDX-License-Identifier: MIT */
/*
 * sandtrap rules install DIR --data DATA: validate a rule set, copy it into
 * DATA/rules/<version>, point DATA/rules/current at it atomically (a symbolic link
 * renamed over the old one), and send the running sandtrapd SIGHUP so that it loads
 * the rules and re-scores every stored report with them.
 */
#include "commands.h"

#include "escape.h"
#include "fileio.h"
#include "macros.h"
#include "ruleset.h"
#include "store.h"

#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BUF 4096

/*
 * nftw() takes no context: the copy in progress. Everything is root's and writable by
 * root only (the server loads installed rules only then): the HTTP process, which owns
 * the data directory, can read them but not change what the privileged process parses.
 */
static struct {
	const char *src;
	char dst[PATH_BUF];
} copy;

static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[PATH_BUF];
	_cleanup_close_ int in = -1, out = -1;

	if (snprintf(to, sizeof(to), "%s%s", copy.dst, path + strlen(copy.src)) >= (int)sizeof(to))
		return -ENAMETOOLONG;
	if (type == FTW_D) {
		if (mkdir(to, 0755) < 0 && errno != EEXIST)
			return neg_errno();
		return chown(to, 0, 0) < 0 || chmod(to, 0755) < 0 ? neg_errno() : 0;
	}
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0; /* rule sets are plain files: links and the rest are not copied */
	in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (in < 0 || out < 0)
		return neg_errno();
	if (fd_copy(in, out, st->st_size) < 0 || fsync(out) < 0)
		return -EIO;
	return fchown(out, 0, 0) < 0 || fchmod(out, 0644) < 0 ? neg_errno() : 0;
}

/* DIR into DATA/rules/<version> (written under a temporary name, then renamed). */
static int install_copy(const char *dir, const char *data, const char *version)
{
	char tmp[PATH_BUF], final[PATH_BUF];
	struct stat st;
	int r;

	snprintf(final, sizeof(final), "%s/" STORE_RULES_DIR "/%s", data, version);
	/* The same version is there already, if it is root's: else it is replaced. */
	if (lstat(final, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/" STORE_RULES_DIR "/.%s.%d", data, version, (int)getpid());
	copy.src = dir;
	snprintf(copy.dst, sizeof(copy.dst), "%s", tmp);
	r = nftw(dir, copy_entry, 16, FTW_PHYS);
	if (r != 0) {
		fprintf(stderr, "sandtrap rules install: cannot copy '%s' to '%s': %s\n", dir, tmp,
		        strerror(r < 0 ? -r : errno));
		return -EIO;
	}
	if (rename(tmp, final) < 0) {
		fprintf(stderr, "sandtrap rules install: cannot rename '%s': %m\n", tmp);
		return -EIO;
	}
	return 0;
}

/* DATA/rules/current -> <version>, replaced in one rename. */
static int install_link(const char *data, const char *version)
{
	char tmp[PATH_BUF], cur[PATH_BUF];

	snprintf(tmp, sizeof(tmp), "%s/" STORE_RULES_DIR "/.current.%d", data, (int)getpid());
	snprintf(cur, sizeof(cur), "%s/" STORE_RULES_CURRENT, data);
	unlink(tmp);
	if (symlink(version, tmp) < 0 || rename(tmp, cur) < 0) {
		fprintf(stderr, "sandtrap rules install: cannot point '%s' at %s: %m\n", cur,
		        version);
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

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
	char err[512] = "", shown[1024], rdir[PATH_BUF];
	struct stat owner, st;
	size_t fixtures = 0;
	int failed, r = 2;
	pid_t pid;

	if (stat(data, &owner) < 0 || !S_ISDIR(owner.st_mode)) {
		fprintf(stderr, "sandtrap rules install: no data directory '%s'\n", data);
		return 2;
	}
	if (ruleset_load(dir, NULL, &rs, err, sizeof(err)) < 0) {
		escape_printable(err, strlen(err), shown, sizeof(shown));
		fprintf(stderr, "sandtrap rules install: the rules in '%s' do not load: %s\n", dir,
		        shown);
		return 2;
	}
	failed = detect_engine_test(rs->engine, stderr, &fixtures);
	if (failed != 0) {
		fprintf(stderr, "sandtrap rules install: %d of %zu fixtures fail: not installed\n",
		        failed, fixtures);
		goto out;
	}
	snprintf(rdir, sizeof(rdir), "%s/" STORE_RULES_DIR, data);
	/* Not a link the HTTP process may have put there: a directory, made root's. */
	if ((mkdir(rdir, 0755) < 0 && errno != EEXIST) || lstat(rdir, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || lchown(rdir, 0, 0) < 0 || chmod(rdir, 0755) < 0) {
		fprintf(stderr, "sandtrap rules install: cannot create '%s': %m\n", rdir);
		goto out;
	}
	if (install_copy(dir, data, rs->version) < 0 || install_link(data, rs->version) < 0)
		goto out;
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
