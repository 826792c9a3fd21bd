/* SPDX-License-Identifier: MIT */
#include "rulesinstall.h"

#include "escape.h"
#include "fileio.h"
#include "macros.h"
#include "ruleset.h"

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BUF 4096

int rules_install_validate(const char *dir, FILE *log, struct ruleset **ret, char *err,
			   size_t errsz)
{
	struct ruleset *rs = NULL;
	char msg[512] = "", *out = NULL;
	size_t fixtures = 0, outlen = 0;
	FILE *mem;
	int failed, r;

	r = ruleset_load(dir, NULL, &rs, msg, sizeof(msg));
	if (r < 0) {
		escape_printable(msg, strlen(msg), err, errsz);
		return r;
	}
	mem = open_memstream(&out, &outlen);
	failed = detect_engine_test(rs->engine, mem ? mem : log, &fixtures);
	if (mem)
		fclose(mem);
	if (out && log && mem)
		fputs(out, log);
	if (failed != 0) {
		char first[256] = "";

		if (out)
			escape_printable(out, strcspn(out, "\n"), first, sizeof(first));
		if (failed < 0)
			snprintf(err, errsz, "the fixtures cannot run: %s", strerror(-failed));
		else
			snprintf(err, errsz, "%d of %zu fixtures fail%s%s", failed, fixtures,
				 first[0] ? ": " : "", first);
		free(out);
		ruleset_free(rs);
		return -EINVAL;
	}
	free(out);
	*ret = rs;
	return 0;
}

void rules_install_counts(const struct ruleset *rs, struct rules_counts *ret)
{
	ret->behaviour = detect_engine_rule_count(rs->engine);
	staticsig_counts(rs->sigs, &ret->yara, &ret->hashes);
}

/*
 * nftw() takes no context: the copy in progress, one at a time. Everything is root's and
 * writable by root only (the server loads installed rules only then): the HTTP process,
 * which owns the data directory, can read them but not change what the privileged
 * process parses.
 */
static pthread_mutex_t copy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const char *src;
	char dst[PATH_BUF];
} copy;

static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[PATH_BUF];
	_cleanup_close_ int in = -1, out = -1;

	if (snprintf(to, sizeof(to), "%s%s", copy.dst, path + strlen(copy.src)) >=
	    (int)sizeof(to))
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

/* dir into root/<version> (written under a temporary name, then renamed). */
static int install_copy(const char *dir, const char *root, const char *version, char *err,
			size_t errsz)
{
	char tmp[PATH_BUF], final[PATH_BUF];
	struct stat st;
	int r;

	snprintf(final, sizeof(final), "%s/%s", root, version);
	/* The same version is there already, if it is root's: else it is replaced. */
	if (lstat(final, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", root, version, (int)getpid());
	pthread_mutex_lock(&copy_lock);
	copy.src = dir;
	snprintf(copy.dst, sizeof(copy.dst), "%s", tmp);
	r = nftw(dir, copy_entry, 16, FTW_PHYS);
	pthread_mutex_unlock(&copy_lock);
	if (r != 0) {
		snprintf(err, errsz, "cannot copy the rules to '%s': %s", tmp,
			 strerror(r < 0 ? -r : errno));
		return -EIO;
	}
	if (rename(tmp, final) < 0) {
		snprintf(err, errsz, "cannot rename '%s': %s", tmp, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* root/current -> <version>, replaced in one rename. */
static int install_link(const char *root, const char *version, char *err, size_t errsz)
{
	char tmp[PATH_BUF], cur[PATH_BUF];

	snprintf(tmp, sizeof(tmp), "%s/.current.%d", root, (int)getpid());
	snprintf(cur, sizeof(cur), "%s/current", root);
	unlink(tmp);
	if (symlink(version, tmp) < 0 || rename(tmp, cur) < 0) {
		snprintf(err, errsz, "cannot point '%s' at %s: %s", cur, version,
			 strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int rules_install_put(const char *dir, const char *root, const char *version, char *err,
		      size_t errsz)
{
	struct stat st;

	/* Not a link the HTTP process may have put there: a directory, made root's. */
	if ((mkdir(root, 0755) < 0 && errno != EEXIST) || lstat(root, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || lchown(root, 0, 0) < 0 || chmod(root, 0755) < 0) {
		snprintf(err, errsz, "cannot create '%s': %s", root, strerror(errno));
		return -EIO;
	}
	if (install_copy(dir, root, version, err, errsz) < 0)
		return -EIO;
	return install_link(root, version, err, errsz);
}
