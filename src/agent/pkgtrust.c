/* SPDX-License-Identifier: MIT */
/*
 * The index is a sorted array of {keyed 64-bit hash of the path, md5}: 24 bytes per file
 * dpkg lists, no path strings. The hash is SipHash-2-4 under a random per-process key, so
 * nobody can choose a path that collides with a listed one. Paths are keyed in their
 * merged-/usr spelling (/bin/x as /usr/bin/x) when the root's /bin, /sbin, /lib... are
 * symlinks into /usr, so a file listed under either name is found under both.
 *
 * Results of checks are kept in a direct-mapped table keyed by (device, inode, size,
 * mtime, ctime, path hash): a file that changes gets a new mtime or ctime and so a new
 * key. The table and the index are replaced together when dpkg's status file changes.
 */
#include "pkgtrust.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_MAX    (64u << 20) /* bytes of dpkg's status file */
#define MD5SUMS_MAX   (16u << 20) /* bytes of one package's md5sums */
#define ENTRIES_MAX   (8u << 20)  /* files in the whole index */
#define PKG_NAME_MAX  128
#define PT_PATH_MAX   4096
#define HASH_FILE_MAX (1ull << 30) /* larger files are not hashed, so never trusted */
#define CACHE_SLOTS   8192         /* results remembered; a power of two */
#define MD5_PER_PATH  8            /* packages that may list one path */

struct pt_ent {
	uint64_t h;
	uint8_t md5[16];
};

struct pt_result {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint64_t path_h;
	bool used, trusted;
};

struct pkgtrust {
	pthread_mutex_t lock;
	char *dir;
	uint64_t key[2];
	unsigned usrmerged; /* bit per entry of merged_dirs whose root alias is a symlink */

	/*
	 * The status file as last seen (a load is tried once per change of it), the error of
	 * that load, and what the last good load built: the index, its generation, the results.
	 */
	bool seen, stat_failed;
	struct stat status_st;
	int load_error;
	bool loaded;
	uint64_t gen;
	struct pt_ent *ents;
	size_t n_ents;
	struct pt_result *results;
};

static const char *const merged_dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

/* ---- SipHash-2-4, 64-bit output ---- */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static uint64_t siphash(const uint64_t key[2], const void *data, size_t len)
{
	uint64_t v[4] = {
	        key[0] ^ 0x736f6d6570736575ull,
	        key[1] ^ 0x646f72616e646f6dull,
	        key[0] ^ 0x6c7967656e657261ull,
	        key[1] ^ 0x7465646279746573ull,
	};
	const uint8_t *p = data;
	uint64_t m, last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	v[3] ^= last;
	sip_round(v);
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int k = 0; k < 4; k++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- paths ---- */

/* The /usr spelling of path into buf when path is under a merged alias; the length. */
static size_t path_canonical(const struct pkgtrust *t, const char *path, size_t len,
                             char buf[PT_PATH_MAX + 8])
{
	for (size_t i = 0; i < ARRAY_SIZE(merged_dirs); i++) {
		size_t n = strlen(merged_dirs[i]);

		if (!(t->usrmerged & 1u << i) || len < n + 2 || path[0] != '/' ||
		    memcmp(path + 1, merged_dirs[i], n) != 0 || path[n + 1] != '/')
			continue;
		memcpy(buf, "/usr", 4);
		memcpy(buf + 4, path, len);
		buf[len + 4] = '\0';
		return len + 4;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	return len;
}

static uint64_t path_hash(const struct pkgtrust *t, const char *path, size_t len)
{
	char buf[PT_PATH_MAX + 8];

	len = path_canonical(t, path, len, buf);
	return siphash(t->key, buf, len);
}

static unsigned usrmerge_detect(void)
{
	unsigned mask = 0;

	for (size_t i = 0; i < ARRAY_SIZE(merged_dirs); i++) {
		char link[64], want[32], root[32];
		ssize_t n;

		snprintf(root, sizeof(root), "/%s", merged_dirs[i]);
		n = readlink(root, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		snprintf(want, sizeof(want), "usr/%s", merged_dirs[i]);
		if (strcmp(link, want) == 0 || (link[0] == '/' && strcmp(link + 1, want) == 0))
			mask |= 1u << i;
	}
	return mask;
}

/* ---- loading ---- */

struct pt_build {
	struct pt_ent *ents;
	size_t n, cap;
	unsigned packages, bad_lines;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool md5_parse(const char *hex, uint8_t ret[16])
{
	for (size_t i = 0; i < 16; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		ret[i] = hi << 4 | lo;
	}
	return true;
}

static int build_add(struct pt_build *b, uint64_t h, const uint8_t md5[16])
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap + b->cap / 2 : 65536;
		struct pt_ent *p;

		if (b->n >= ENTRIES_MAX)
			return -E2BIG;
		p = reallocarray(b->ents, cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->ents = p;
		b->cap = cap;
	}
	b->ents[b->n].h = h;
	memcpy(b->ents[b->n].md5, md5, 16);
	b->n++;
	return 0;
}

/* One md5sums line: 32 hex digits, two spaces, the path without its leading slash. */
static int md5sums_line(const struct pkgtrust *t, struct pt_build *b, const char *line, size_t len)
{
	char path[PT_PATH_MAX + 1];
	uint8_t md5[16];
	size_t plen;

	if (len < 35 || line[32] != ' ' || line[33] != ' ' || !md5_parse(line, md5)) {
		b->bad_lines++;
		return 0;
	}
	line += 34;
	len -= 34;
	if (line[0] == '/') {
		line++;
		len--;
	}
	if (len == 0 || len >= PT_PATH_MAX || memchr(line, '\0', len)) {
		b->bad_lines++;
		return 0;
	}
	path[0] = '/';
	memcpy(path + 1, line, len);
	plen = len + 1;
	return build_add(b, path_hash(t, path, plen), md5);
}

static int md5sums_load(const struct pkgtrust *t, struct pt_build *b, int infofd, const char *name)
{
	_cleanup_close_ int fd = openat(infofd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return neg_errno();
	r = fd_read_all(fd, MD5SUMS_MAX, &buf, &len);
	if (r < 0)
		return log_warn_errno(r, "pkgtrust: info/%s", name);
	for (size_t off = 0; off < len && r >= 0;) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - buf) - off : len - off;

		r = md5sums_line(t, b, buf + off, n);
		off += n + 1;
	}
	b->packages++;
	return r;
}

static bool pkg_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > PKG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr(".+-", s[i])))
			return false;
	return true;
}

struct pt_stanza {
	char pkg[PKG_NAME_MAX + 1];
	char arch[PKG_NAME_MAX + 1];
	bool installed;
};

/* A package's md5sums: "pkg:arch.md5sums" (multi-arch) first, then "pkg.md5sums". */
static int stanza_done(const struct pkgtrust *t, struct pt_build *b, int infofd,
                       struct pt_stanza *s)
{
	char name[2 * PKG_NAME_MAX + 16];
	int r = -ENOENT;

	if (s->installed && s->pkg[0]) {
		if (s->arch[0]) {
			snprintf(name, sizeof(name), "%s:%s.md5sums", s->pkg, s->arch);
			r = md5sums_load(t, b, infofd, name);
		}
		if (r == -ENOENT) {
			snprintf(name, sizeof(name), "%s.md5sums", s->pkg);
			r = md5sums_load(t, b, infofd, name);
		}
	}
	memset(s, 0, sizeof(*s));
	/* A package without md5sums (or a broken one) trusts nothing; the rest still load. */
	return r == -E2BIG || r == -ENOMEM ? r : 0;
}

static void stanza_field(struct pt_stanza *s, const char *line, size_t n)
{
	static const char installed_ok[] = " ok installed";
	const char *v;
	size_t vn;

	v = memchr(line, ':', n);
	if (!v)
		return;
	vn = n - (v + 1 - line);
	v++;
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t' || v[vn - 1] == '\r'))
		vn--;

	if (n > 8 && memcmp(line, "Package:", 8) == 0 && pkg_name_valid(v, vn)) {
		memcpy(s->pkg, v, vn);
		s->pkg[vn] = '\0';
	} else if (n > 13 && memcmp(line, "Architecture:", 13) == 0 && pkg_name_valid(v, vn)) {
		memcpy(s->arch, v, vn);
		s->arch[vn] = '\0';
	} else if (n > 7 && memcmp(line, "Status:", 7) == 0) {
		/* Wanted "install" or "hold", no error flag, unpacked and configured. */
		size_t k = sizeof(installed_ok) - 1;

		s->installed = vn > k && memcmp(v + vn - k, installed_ok, k) == 0 &&
		               ((vn == 7 + k && memcmp(v, "install", 7) == 0) ||
		                (vn == 4 + k && memcmp(v, "hold", 4) == 0));
	}
}

static int status_parse(const struct pkgtrust *t, struct pt_build *b, int infofd, const char *buf,
                        size_t len)
{
	struct pt_stanza s = {0};
	int r = 0;

	for (size_t off = 0; off <= len && r >= 0;) {
		const char *nl = off < len ? memchr(buf + off, '\n', len - off) : NULL;
		size_t n = nl ? (size_t)(nl - buf) - off : len - off;
		const char *line = buf + off;

		if (n == 0 || (n == 1 && line[0] == '\r'))
			r = stanza_done(t, b, infofd, &s);
		else if (line[0] != ' ' && line[0] != '\t')
			stanza_field(&s, line, n);
		off += n + 1;
	}
	if (r >= 0)
		r = stanza_done(t, b, infofd, &s);
	return r;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct pt_ent *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return memcmp(x->md5, y->md5, 16);
}

/* Read status and every installed package's md5sums into a new index (t->lock held). */
static int pkgtrust_load(struct pkgtrust *t)
{
	_cleanup_close_ int dirfd = -1, infofd = -1, fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct pt_build b = {0};
	size_t len;
	int r;

	dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return log_errno(neg_errno(), "pkgtrust: '%s'", t->dir);
	infofd = openat(dirfd, "info", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = openat(dirfd, "status", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (infofd < 0 || fd < 0)
		return log_errno(neg_errno(), "pkgtrust: '%s/%s'", t->dir,
		                 infofd < 0 ? "info" : "status");
	r = fd_read_all(fd, STATUS_MAX, &buf, &len);
	if (r < 0)
		return log_errno(r, "pkgtrust: '%s/status'", t->dir);

	r = status_parse(t, &b, infofd, buf, len);
	if (r < 0) {
		free(b.ents);
		return log_errno(r, "pkgtrust: '%s'", t->dir);
	}
	if (b.n)
		qsort(b.ents, b.n, sizeof(*b.ents), ent_cmp);
	if (b.n < b.cap) {
		struct pt_ent *p = reallocarray(b.ents, b.n ? b.n : 1, sizeof(*p));

		b.ents = p ? p : b.ents;
	}
	if (b.bad_lines)
		log_warn("pkgtrust: %u malformed md5sums lines ignored", b.bad_lines);
	log_debug("pkgtrust: %zu files of %u packages", b.n, b.packages);

	free(t->ents);
	t->ents = b.ents;
	t->n_ents = b.n;
	t->loaded = true;
	t->gen++;
	memset(t->results, 0, CACHE_SLOTS * sizeof(*t->results));
	/* The file buffers and the growing array are gone: give their pages back. */
	malloc_trim(0);
	return 0;
}

static bool status_same(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Load on first use and again whenever dpkg replaced or touched its status file. A load
 * that fails is not retried until the file changes again; the last good index stays.
 */
static int pkgtrust_refresh(struct pkgtrust *t)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/status", t->dir);
	if (stat(path, &st) < 0) {
		int r = neg_errno();

		/* Logged once, not on every check of a host without dpkg. */
		if (!t->stat_failed)
			log_errno(r, "pkgtrust: '%s'", path);
		t->stat_failed = true;
		return t->loaded ? 0 : r;
	}
	t->stat_failed = false;
	if (t->seen && status_same(&st, &t->status_st))
		return t->loaded ? 0 : t->load_error;
	t->seen = true;
	t->status_st = st;
	t->load_error = pkgtrust_load(t);
	return t->loaded ? 0 : t->load_error;
}

int pkgtrust_open(const char *dpkg_dir, struct pkgtrust **ret)
{
	_cleanup_free_ struct pkgtrust *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	if (getrandom(t->key, sizeof(t->key), 0) != sizeof(t->key))
		return neg_errno();
	t->results = calloc(CACHE_SLOTS, sizeof(*t->results));
	t->dir = strdup(dpkg_dir);
	if (!t->results || !t->dir) {
		free(t->results);
		free(t->dir);
		return -ENOMEM;
	}
	t->usrmerged = usrmerge_detect();
	pthread_mutex_init(&t->lock, NULL);
	*ret = TAKE_PTR(t);
	return 0;
}

void pkgtrust_free(struct pkgtrust *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->ents);
	free(t->results);
	free(t->dir);
	free(t);
}

/* ---- checks ---- */

/* The md5s listed for path hash h (t->lock held); how many. */
static size_t index_find(const struct pkgtrust *t, uint64_t h, uint8_t ret[][16])
{
	size_t lo = 0, hi = t->n_ents, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ents[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n_ents && t->ents[lo].h == h && n < MD5_PER_PATH; lo++)
		memcpy(ret[n++], t->ents[lo].md5, 16);
	return n;
}

static struct pt_result *result_slot(struct pkgtrust *t, const struct stat *st, uint64_t h)
{
	uint64_t k[3] = {st->st_dev, st->st_ino, h};

	return &t->results[siphash(t->key, k, sizeof(k)) & (CACHE_SLOTS - 1)];
}

static bool result_matches(const struct pt_result *r, const struct stat *st, uint64_t h)
{
	return r->used && r->dev == st->st_dev && r->ino == st->st_ino && r->path_h == h &&
	       r->size == st->st_size && r->mtime.tv_sec == st->st_mtim.tv_sec &&
	       r->mtime.tv_nsec == st->st_mtim.tv_nsec && r->ctime.tv_sec == st->st_ctim.tv_sec &&
	       r->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* md5 of the whole file with pread: the fd's offset is the caller's. */
static int md5_fd(int fd, uint64_t size, uint8_t ret[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t buf[65536];
	uint64_t off = 0;
	unsigned n = 0;
	int r = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
		r = -ENOMEM;
		goto out;
	}
	while (off <= size) {
		ssize_t k = pread(fd, buf, sizeof(buf), off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = neg_errno();
			goto out;
		}
		if (k == 0)
			break;
		EVP_DigestUpdate(ctx, buf, k);
		off += k;
	}
	/* Grown while read: what was hashed is not what the next reader gets. */
	if (off != size) {
		r = -EAGAIN;
		goto out;
	}
	EVP_DigestFinal_ex(ctx, ret, &n);
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int pkgtrust_check(struct pkgtrust *t, const char *path, int fd, bool *ret)
{
	uint8_t listed[MD5_PER_PATH][16], md5[16];
	struct pt_result *slot, res;
	size_t len = strlen(path), n_listed;
	struct stat st;
	uint64_t h, gen;
	int r;

	*ret = false;
	if (path[0] != '/' || len >= PT_PATH_MAX)
		return 0;
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > HASH_FILE_MAX)
		return 0;
	h = path_hash(t, path, len);

	pthread_mutex_lock(&t->lock);
	r = pkgtrust_refresh(t);
	slot = result_slot(t, &st, h);
	if (r >= 0 && result_matches(slot, &st, h)) {
		*ret = slot->trusted;
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	n_listed = r >= 0 ? index_find(t, h, listed) : 0;
	gen = t->gen;
	pthread_mutex_unlock(&t->lock);
	if (r < 0 || n_listed == 0)
		return r;

	r = md5_fd(fd, st.st_size, md5);
	if (r < 0)
		return r == -EAGAIN ? 0 : r;
	for (size_t i = 0; i < n_listed; i++)
		*ret |= memcmp(md5, listed[i], 16) == 0;

	res = (struct pt_result){.dev = st.st_dev,
	                         .ino = st.st_ino,
	                         .size = st.st_size,
	                         .mtime = st.st_mtim,
	                         .ctime = st.st_ctim,
	                         .path_h = h,
	                         .used = true,
	                         .trusted = *ret};
	pthread_mutex_lock(&t->lock);
	if (gen == t->gen) /* not reloaded meanwhile */
		*result_slot(t, &st, h) = res;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int pkgtrust_stats(struct pkgtrust *t, size_t *ret_files, size_t *ret_bytes)
{
	int r;

	pthread_mutex_lock(&t->lock);
	r = pkgtrust_refresh(t);
	*ret_files = t->n_ents;
	*ret_bytes = t->n_ents * sizeof(struct pt_ent) + CACHE_SLOTS * sizeof(struct pt_result);
	pthread_mutex_unlock(&t->lock);
	return r;
}
