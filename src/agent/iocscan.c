/* SPDX-License-Identifier: MIT */
/*
 * respond_ioc_scan: other copies of a threat, by sha256. The hash is all there is to go
 * on, so every regular file up to a size limit is read; the walk stays on the roots'
 * file systems, follows no symlink and goes no deeper than a limit.
 */
#include "respond.h"

#include "escape.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <fts.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_MAX_SIZE  (100ULL << 20)
#define SCAN_MAX_DEPTH 64
#define SCAN_MAX_ROOTS 64
#define SCAN_CHUNK     65536

static void md_freep(EVP_MD_CTX **c)
{
	EVP_MD_CTX_free(*c);
}

static int hex_decode(const char *s, unsigned char out[32])
{
	if (strlen(s) != 64)
		return -EINVAL;
	for (size_t i = 0; i < 64; i++) {
		char c = s[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = v << 4;
		else
			out[i / 2] |= v;
	}
	return 0;
}

static int sha256_fd(int fd, unsigned char ret[32])
{
	EVP_MD_CTX *md __attribute__((cleanup(md_freep))) = EVP_MD_CTX_new();
	_cleanup_free_ unsigned char *buf = malloc(SCAN_CHUNK);
	uint64_t total = 0;
	unsigned n = 0;

	if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	for (;;) {
		ssize_t got = read(fd, buf, SCAN_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return neg_errno();
		if (got == 0)
			break;
		total += got;
		if (total > SCAN_MAX_SIZE)
			return -EFBIG;
		EVP_DigestUpdate(md, buf, got);
	}
	if (EVP_DigestFinal_ex(md, ret, &n) != 1 || n != 32)
		return -EIO;
	return 0;
}

/* 1 when the file fts found is (still) a regular file with the wanted hash. */
static int scan_file(const FTSENT *e, const unsigned char want[32])
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	_cleanup_close_ int fd = -1;
	unsigned char got[32];
	struct stat st;
	int r;

	if ((uint64_t)e->fts_statp->st_size > SCAN_MAX_SIZE)
		return 0;
	/* leave the access times alone where we may (owner or CAP_FOWNER) */
	fd = open(e->fts_accpath, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(e->fts_accpath, flags);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode) || st.st_dev != e->fts_statp->st_dev ||
	    st.st_ino != e->fts_statp->st_ino)
		return 0;
	r = sha256_fd(fd, got);
	if (r < 0)
		return r == -EFBIG ? 0 : r;
	return memcmp(got, want, 32) == 0;
}

static void fts_closep(FTS **f)
{
	if (*f)
		fts_close(*f);
}

int respond_ioc_scan(const char *const *roots, size_t n_roots, const char *sha256,
		     respond_found_fn fn, void *userdata, unsigned *ret_found)
{
	FTS *fts __attribute__((cleanup(fts_closep))) = NULL;
	_cleanup_free_ char **paths = NULL;
	unsigned char want[32];
	unsigned found = 0;
	FTSENT *e;
	int r;

	if (!sha256 || hex_decode(sha256, want) < 0 || n_roots == 0 || n_roots > SCAN_MAX_ROOTS)
		return -EINVAL;
	paths = calloc(n_roots + 1, sizeof(*paths));
	if (!paths)
		return -ENOMEM;
	for (size_t i = 0; i < n_roots; i++)
		paths[i] = (char *)roots[i];

	fts = fts_open(paths, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
	if (!fts)
		return log_errno(neg_errno(), "respond: cannot scan the roots");
	for (;;) {
		char p[512];

		errno = 0;
		e = fts_read(fts);
		if (!e)
			break;

		if (e->fts_info == FTS_D && e->fts_level >= SCAN_MAX_DEPTH) {
			fts_set(fts, e, FTS_SKIP);
			continue;
		}
		if (e->fts_info != FTS_F || scan_file(e, want) <= 0)
			continue;
		found++;
		escape_printable(e->fts_path, strlen(e->fts_path), p, sizeof(p));
		log_info("respond: '%s' has sha256 %s", p, sha256);
		if (fn)
			fn(userdata, e->fts_path);
	}
	r = errno != 0 ? log_warn_errno(neg_errno(), "respond: the scan ended early") : 0;
	if (ret_found)
		*ret_found = found;
	return r;
}
