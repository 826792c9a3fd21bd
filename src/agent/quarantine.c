/* SPDX-License-Identifier: MIT */
/*
 * The quarantine store: per entry ID.bin (a 64-byte header, then the content XORed with
 * a ChaCha20 keystream of a random per-entry key) and ID.json (the metadata). The header
 * keeps the key: the transform is there so the stored file is inert, not to hide it.
 */
#include "quarantine.h"

#include "escape.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUAR_MAGIC       "sandtrap-quar-v1"
#define QUAR_MAGIC_LEN   16
#define QUAR_KEY_LEN     32
#define QUAR_IV_LEN      16
#define QUAR_HDR_LEN     (QUAR_MAGIC_LEN + QUAR_KEY_LEN + QUAR_IV_LEN)
#define QUAR_META_MAX    (64 * 1024)
#define QUAR_MAX_SIZE    (4ULL << 30)
#define QUAR_MAX_ENTRIES 100000
#define QUAR_CHUNK       65536

struct qheader {
	unsigned char key[QUAR_KEY_LEN];
	unsigned char iv[QUAR_IV_LEN];
};

static void qcipher_freep(EVP_CIPHER_CTX **c)
{
	EVP_CIPHER_CTX_free(*c);
}

static void qmd_freep(EVP_MD_CTX **c)
{
	EVP_MD_CTX_free(*c);
}

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_cipher_ __attribute__((cleanup(qcipher_freep)))
#define _cleanup_md_     __attribute__((cleanup(qmd_freep)))
#define _cleanup_json_   __attribute__((cleanup(json_putp)))

static bool hex_valid(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The escaped form of an untrusted path for a log line. */
static const char *esc(const char *s, char *buf, size_t size)
{
	escape_printable(s, strlen(s), buf, size);
	return buf;
}

/* The quarantine directory, owned by us and closed to everyone else. */
static int qdir_open(const char *qdir, bool create)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (create) {
		r = mkdir_p_at(AT_FDCWD, qdir, 0700);
		if (r < 0)
			return log_errno(r, "quarantine: cannot create '%s'", qdir);
	}
	fd = open(qdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (st.st_uid != geteuid()) {
		log_error("quarantine: '%s' belongs to uid %u, refusing it", qdir,
			  (unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return log_errno(neg_errno(), "quarantine: cannot make '%s' private", qdir);
	return TAKE_FD(fd);
}

static int qcipher_new(const struct qheader *h, EVP_CIPHER_CTX **ret)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (!c)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, h->key, h->iv) != 1) {
		EVP_CIPHER_CTX_free(c);
		return -EIO;
	}
	*ret = c;
	return 0;
}

/*
 * Copy in_fd (from offset off) to out_fd (-1: nowhere) through the keystream, hashing the
 * plain side: the input when hash_in, else the output. At most max bytes.
 */
static int qstream(int in_fd, off_t off, int out_fd, EVP_CIPHER_CTX *c, bool hash_in, uint64_t max,
		   char ret_sha[65], uint64_t *ret_size)
{
	_cleanup_md_ EVP_MD_CTX *md = EVP_MD_CTX_new();
	_cleanup_free_ unsigned char *in = malloc(QUAR_CHUNK), *out = malloc(QUAR_CHUNK);
	unsigned char d[EVP_MAX_MD_SIZE];
	uint64_t total = 0;
	unsigned dn = 0;
	int r, outl;

	if (!md || !in || !out || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;

	for (;;) {
		ssize_t n = pread(in_fd, in, QUAR_CHUNK, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		off += n;
		total += n;
		if (total > max)
			return -EFBIG;
		if (EVP_EncryptUpdate(c, out, &outl, in, n) != 1 || outl != n)
			return -EIO;
		EVP_DigestUpdate(md, hash_in ? in : out, n);
		if (out_fd >= 0) {
			r = fd_write_all(out_fd, out, n);
			if (r < 0)
				return r;
		}
	}

	EVP_DigestFinal_ex(md, d, &dn);
	hex_encode(d, dn, ret_sha);
	*ret_size = total;
	return 0;
}

static int qheader_read(int fd, struct qheader *h)
{
	unsigned char buf[QUAR_HDR_LEN];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return neg_errno();
	if (n != sizeof(buf) || memcmp(buf, QUAR_MAGIC, QUAR_MAGIC_LEN) != 0)
		return -EBADMSG;
	memcpy(h->key, buf + QUAR_MAGIC_LEN, QUAR_KEY_LEN);
	memcpy(h->iv, buf + QUAR_MAGIC_LEN + QUAR_KEY_LEN, QUAR_IV_LEN);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* Open ID.bin and run its content through the keystream to out_fd, checking the entry. */
static int qbin_extract(int dfd, const struct qentry *e, int out_fd)
{
	_cleanup_close_ int fd = -1;
	_cleanup_cipher_ EVP_CIPHER_CTX *c = NULL;
	struct qheader h;
	char name[48], sha[65];
	uint64_t size;
	int r;

	snprintf(name, sizeof(name), "%s.bin", e->id);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return neg_errno();
	r = qheader_read(fd, &h);
	if (r >= 0)
		r = qcipher_new(&h, &c);
	explicit_bzero(&h, sizeof(h));
	if (r < 0)
		return r;

	r = qstream(fd, QUAR_HDR_LEN, out_fd, c, false, QUAR_MAX_SIZE, sha, &size);
	if (r < 0)
		return r;
	if (size != e->size || strcmp(sha, e->sha256) != 0) {
		log_error("quarantine: entry %s has changed: sha256 %s, expected %s", e->id, sha,
			  e->sha256);
		return -EBADMSG;
	}
	return 0;
}

/* ID.bin from src: header, then the neutralised content; durable on return. */
static int qbin_write(int dfd, const char *id, int src, char ret_sha[65], uint64_t *ret_size)
{
	_cleanup_close_ int fd = -1;
	_cleanup_cipher_ EVP_CIPHER_CTX *c = NULL;
	unsigned char hdr[QUAR_HDR_LEN];
	struct qheader h;
	char name[48];
	int r;

	if (getrandom(&h, sizeof(h), 0) != sizeof(h))
		return -EIO;
	memcpy(hdr, QUAR_MAGIC, QUAR_MAGIC_LEN);
	memcpy(hdr + QUAR_MAGIC_LEN, &h, sizeof(h));
	r = qcipher_new(&h, &c);
	explicit_bzero(&h, sizeof(h));
	if (r < 0)
		return r;

	snprintf(name, sizeof(name), "%s.bin", id);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return neg_errno();
	r = fd_write_all(fd, hdr, sizeof(hdr));
	explicit_bzero(hdr, sizeof(hdr));
	if (r >= 0)
		r = qstream(src, 0, fd, c, true, QUAR_MAX_SIZE, ret_sha, ret_size);
	if (r >= 0 && fsync(fd) < 0)
		r = neg_errno();
	return r;
}

static struct json_object *qmeta_to_json(const struct qentry *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "path", json_object_new_string(e->path));
	json_object_object_add(o, "sha256", json_object_new_string(e->sha256));
	json_object_object_add(o, "threat", json_object_new_string(e->threat));
	json_object_object_add(o, "uid", json_object_new_int64(e->uid));
	json_object_object_add(o, "gid", json_object_new_int64(e->gid));
	json_object_object_add(o, "mode", json_object_new_int64(e->mode));
	json_object_object_add(o, "atime", json_object_new_int64(e->atime.tv_sec));
	json_object_object_add(o, "atime_nsec", json_object_new_int64(e->atime.tv_nsec));
	json_object_object_add(o, "mtime", json_object_new_int64(e->mtime.tv_sec));
	json_object_object_add(o, "mtime_nsec", json_object_new_int64(e->mtime.tv_nsec));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)e->size));
	json_object_object_add(o, "quarantined_at", json_object_new_int64(e->quarantined_at));
	return o;
}

/* ID.json through a temporary name, so a reader sees the whole of it or nothing. */
static int qmeta_write(int dfd, const struct qentry *e)
{
	_cleanup_json_ struct json_object *o = qmeta_to_json(e);
	_cleanup_close_ int fd = -1;
	char tmp[48], name[48];
	const char *s;
	int r;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.json.tmp", e->id);
	snprintf(name, sizeof(name), "%s.json", e->id);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return neg_errno();
	r = fd_write_all(fd, s, strlen(s));
	if (r >= 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = neg_errno();
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	else if (fsync(dfd) < 0)
		r = neg_errno();
	return r;
}

static int json_str(struct json_object *o, const char *key, char *out, size_t size)
{
	struct json_object *v;
	size_t len;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -EBADMSG;
	len = json_object_get_string_len(v);
	if (len >= size || strlen(json_object_get_string(v)) != len)
		return -EBADMSG;
	memcpy(out, json_object_get_string(v), len + 1);
	return 0;
}

static int json_int(struct json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	*ret = json_object_get_int64(v);
	return *ret >= min && *ret <= max ? 0 : -EBADMSG;
}

static int qmeta_from_json(struct json_object *o, struct qentry *e)
{
	int64_t v[10];
	int r = 0;

	r = r ?: json_str(o, "id", e->id, sizeof(e->id));
	r = r ?: json_str(o, "path", e->path, sizeof(e->path));
	r = r ?: json_str(o, "sha256", e->sha256, sizeof(e->sha256));
	r = r ?: json_str(o, "threat", e->threat, sizeof(e->threat));
	r = r ?: json_int(o, "uid", 0, UINT32_MAX - 1, &v[0]);
	r = r ?: json_int(o, "gid", 0, UINT32_MAX - 1, &v[1]);
	r = r ?: json_int(o, "mode", 0, 07777, &v[2]);
	r = r ?: json_int(o, "atime", INT64_MIN, INT64_MAX, &v[3]);
	r = r ?: json_int(o, "atime_nsec", 0, 999999999, &v[4]);
	r = r ?: json_int(o, "mtime", INT64_MIN, INT64_MAX, &v[5]);
	r = r ?: json_int(o, "mtime_nsec", 0, 999999999, &v[6]);
	r = r ?: json_int(o, "size", 0, (int64_t)QUAR_MAX_SIZE, &v[7]);
	r = r ?: json_int(o, "quarantined_at", 0, INT64_MAX, &v[8]);
	r = r ?: json_int(o, "version", 1, 1, &v[9]);
	if (r < 0)
		return r;
	if (!hex_valid(e->sha256, 64) || e->path[0] != '/')
		return -EBADMSG;
	e->uid = v[0];
	e->gid = v[1];
	e->mode = v[2];
	e->atime = (struct timespec){.tv_sec = v[3], .tv_nsec = v[4]};
	e->mtime = (struct timespec){.tv_sec = v[5], .tv_nsec = v[6]};
	e->size = v[7];
	e->quarantined_at = v[8];
	return 0;
}

int quarantine_meta_parse(const char *buf, size_t len, struct qentry *ret)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct json_tokener *tok;
	enum json_tokener_error err;
	size_t end;

	if (len > QUAR_META_MAX)
		return -EBADMSG;
	tok = json_tokener_new_ex(8);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || err != json_tokener_success || !json_object_is_type(o, json_type_object))
		return -EBADMSG;
	for (; end < len; end++)
		if (buf[end] != ' ' && buf[end] != '\t' && buf[end] != '\r' && buf[end] != '\n')
			return -EBADMSG;
	return qmeta_from_json(o, ret);
}

static int qmeta_read(int dfd, const char *id, struct qentry *ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct qentry e = {};
	char name[48];
	size_t len;
	int r;

	snprintf(name, sizeof(name), "%s.json", id);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return neg_errno();
	r = fd_read_all(fd, QUAR_META_MAX, &buf, &len);
	if (r == -EFBIG)
		r = -EBADMSG;
	if (r >= 0)
		r = quarantine_meta_parse(buf, len, &e);
	if (r >= 0 && strcmp(e.id, id) != 0)
		r = -EBADMSG;
	if (r < 0)
		return log_errno(r, "quarantine: metadata of entry %s", id);
	*ret = e;
	return 0;
}

/* Remove both files of an entry, the metadata first so a half-removed entry is not listed. */
static int qentry_remove(int dfd, const char *id)
{
	char name[48];
	int r = 0, found = 0;

	snprintf(name, sizeof(name), "%s.json", id);
	if (unlinkat(dfd, name, 0) == 0)
		found++;
	else if (errno != ENOENT)
		r = neg_errno();
	snprintf(name, sizeof(name), "%s.bin", id);
	if (unlinkat(dfd, name, 0) == 0)
		found++;
	else if (errno != ENOENT && r == 0)
		r = neg_errno();
	if (r == 0 && !found)
		r = -ENOENT;
	if (fsync(dfd) < 0 && r == 0)
		r = neg_errno();
	return r;
}

/* The directory of path (opened) and a pointer to its last component. */
static int path_parent_open(const char *path, char *buf, size_t size, const char **ret_base)
{
	char *slash;
	int fd;

	if (snprintf(buf, size, "%s", path) >= (int)size)
		return -ENAMETOOLONG;
	slash = strrchr(buf, '/');
	if (!slash) {
		*ret_base = path;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*ret_base = path + (slash - buf) + 1;
		if (slash == buf)
			slash[1] = '\0';
		else
			slash[0] = '\0';
		fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return neg_errno();
	if (!**ret_base || strcmp(*ret_base, ".") == 0 || strcmp(*ret_base, "..") == 0) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* Unlink path if it is still the file we stored (dev/ino), durably. */
static int original_unlink(const char *path, const struct stat *st)
{
	char buf[PATH_MAX];
	const char *base;
	_cleanup_close_ int dfd = path_parent_open(path, buf, sizeof(buf), &base);
	struct stat now;

	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, base, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return -ESTALE;
	if (unlinkat(dfd, base, 0) < 0)
		return neg_errno();
	return fsync(dfd) < 0 ? neg_errno() : 0;
}

/* The content to store: fd when given (it must be path's file), else path itself. */
static int source_open(const char *path, int fd, struct stat *ret_st)
{
	_cleanup_close_ int src = -1;
	struct stat lst;

	if (fd >= 0)
		src = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	else
		src = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (src < 0)
		return neg_errno();
	if (fstat(src, ret_st) < 0 || lstat(path, &lst) < 0)
		return neg_errno();
	if (!S_ISREG(ret_st->st_mode))
		return -EINVAL;
	if (lst.st_dev != ret_st->st_dev || lst.st_ino != ret_st->st_ino)
		return -ESTALE;
	if ((uint64_t)ret_st->st_size > QUAR_MAX_SIZE)
		return -EFBIG;
	return TAKE_FD(src);
}

static int absolute_path(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return neg_errno();
	else
		n = snprintf(out, size, "%s/%s", cwd, path);
	/* not simplified: "a/../b" is not "b" when a is a symlink */
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static void qentry_fill(struct qentry *e, const struct stat *st, const char *threat)
{
	snprintf(e->threat, sizeof(e->threat), "%s", threat ? threat : "");
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mode = st->st_mode & 07777;
	e->atime = st->st_atim;
	e->mtime = st->st_mtim;
	e->quarantined_at = time(NULL);
}

/* Store src as entry e->id and check what was stored; the entry's files go on failure. */
static int qentry_store(int dfd, int src, const char *sha256, struct qentry *e)
{
	int r;

	r = qbin_write(dfd, e->id, src, e->sha256, &e->size);
	if (r >= 0 && sha256 && strcmp(sha256, e->sha256) != 0)
		r = -ESTALE;
	if (r >= 0)
		r = qbin_extract(dfd, e, -1);
	if (r >= 0)
		r = qmeta_write(dfd, e);
	if (r < 0)
		qentry_remove(dfd, e->id);
	return r;
}

int quarantine_add(const char *qdir, const char *path, int fd, const char *sha256,
		   const char *threat, struct qentry *ret)
{
	_cleanup_close_ int dfd = -1, src = -1;
	struct qentry e = {};
	unsigned char raw[16];
	char pe[256];
	struct stat st;
	int r;

	if (!qdir || !path || (sha256 && !hex_valid(sha256, 64)))
		return -EINVAL;
	r = absolute_path(path, e.path, sizeof(e.path));
	if (r < 0)
		return r;
	esc(e.path, pe, sizeof(pe));

	dfd = qdir_open(qdir, true);
	if (dfd < 0)
		return log_errno(dfd, "quarantine: cannot open '%s'", qdir);
	src = source_open(e.path, fd, &st);
	if (src < 0)
		return log_errno(src, "quarantine: cannot take '%s'", pe);
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -EIO;
	hex_encode(raw, sizeof(raw), e.id);
	qentry_fill(&e, &st, threat);

	r = qentry_store(dfd, src, sha256, &e);
	if (r == -ESTALE)
		return log_errno(r, "quarantine: '%s' has sha256 %s, not %s", pe, e.sha256, sha256);
	if (r < 0)
		return log_errno(r, "quarantine: cannot store '%s'", pe);
	r = original_unlink(e.path, &st);
	if (r < 0) {
		qentry_remove(dfd, e.id);
		return log_errno(r, "quarantine: cannot remove '%s'", pe);
	}
	log_info("quarantine: '%s' (sha256 %s) is entry %s", pe, e.sha256, e.id);
	if (ret)
		*ret = e;
	return 0;
}

static int qentry_cmp(const void *a, const void *b)
{
	const struct qentry *x = a, *y = b;

	if (x->quarantined_at != y->quarantined_at)
		return x->quarantined_at < y->quarantined_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* An entry's id from its metadata file name, or false. */
static bool qentry_name(const char *name, char id[33])
{
	if (strlen(name) != 37 || strcmp(name + 32, ".json") != 0)
		return false;
	memcpy(id, name, 32);
	id[32] = '\0';
	return hex_valid(id, 32);
}

static int qlist_read(DIR *d, int dfd, struct qentry **list, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	char id[33];

	while ((de = readdir(d))) {
		if (!qentry_name(de->d_name, id))
			continue;
		if (*n == QUAR_MAX_ENTRIES)
			return -E2BIG;
		if (*n == cap) {
			struct qentry *p;

			cap = cap ? 2 * cap : 16;
			p = reallocarray(*list, cap, sizeof(**list));
			if (!p)
				return -ENOMEM;
			*list = p;
		}
		if (qmeta_read(dfd, id, &(*list)[*n]) >= 0)
			(*n)++;
	}
	return 0;
}

/* A directory stream over the quarantine directory dfd (its own descriptor). */
static int qdir_stream(int dfd, DIR **ret)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return neg_errno();
	*ret = fdopendir(fd);
	if (!*ret) {
		close(fd);
		return neg_errno();
	}
	return 0;
}

int quarantine_list(const char *qdir, struct qentry **ret, size_t *ret_n)
{
	_cleanup_free_ struct qentry *list = NULL;
	_cleanup_close_ int dfd = qdir_open(qdir, false);
	size_t n = 0;
	DIR *d;
	int r;

	if (dfd == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (dfd < 0)
		return dfd;
	r = qdir_stream(dfd, &d);
	if (r < 0)
		return r;
	r = qlist_read(d, dfd, &list, &n);
	closedir(d);
	if (r < 0)
		return r;
	if (n > 0)
		qsort(list, n, sizeof(*list), qentry_cmp);
	*ret = TAKE_PTR(list);
	*ret_n = n;
	return 0;
}

/* ID.bin or ID.json.tmp with 32 hex digits; the id into id. */
static bool qleftover_name(const char *name, char id[33])
{
	size_t len = strlen(name);

	if (len != 36 && len != 41)
		return false;
	if (strcmp(name + 32, len == 36 ? ".bin" : ".json.tmp") != 0)
		return false;
	memcpy(id, name, 32);
	id[32] = '\0';
	return hex_valid(id, 32);
}

int quarantine_sweep(const char *qdir, int64_t min_age, unsigned *ret_removed)
{
	_cleanup_close_ int dfd = qdir_open(qdir, false);
	struct dirent *de;
	time_t now = time(NULL);
	unsigned removed = 0;
	DIR *d;
	int r;

	*ret_removed = 0;
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	r = qdir_stream(dfd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char id[33], meta[48];
		struct stat st;
		bool tmp;

		if (!qleftover_name(de->d_name, id))
			continue;
		tmp = strlen(de->d_name) == 41;
		snprintf(meta, sizeof(meta), "%s.json", id);
		if (!tmp && faccessat(dfd, meta, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* a whole entry */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime < min_age)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	*ret_removed = removed;
	return 0;
}

int quarantine_get(const char *qdir, const char *id, struct qentry *ret)
{
	_cleanup_close_ int dfd = -1;

	if (!id || !hex_valid(id, 32))
		return -EINVAL;
	dfd = qdir_open(qdir, false);
	if (dfd < 0)
		return dfd;
	return qmeta_read(dfd, id, ret);
}

/* The temporary file's content, owner, mode and times; durable when this returns. */
static int restore_fill(int qfd, const struct qentry *e, int fd)
{
	const struct timespec times[2] = {e->atime, e->mtime};
	int r;

	r = qbin_extract(qfd, e, fd);
	if (r < 0)
		return r;
	if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0 || futimens(fd, times) < 0 ||
	    fsync(fd) < 0)
		return neg_errno();
	return 0;
}

/* Put tmp in place as base, never replacing anything, even where renameat2 is refused. */
static int restore_link(int dfd, const char *tmp, const char *base)
{
	if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return neg_errno();
	if (linkat(dfd, tmp, dfd, base, 0) < 0)
		return neg_errno();
	unlinkat(dfd, tmp, 0);
	return 0;
}

static int restore_to(int qfd, const struct qentry *e, const char *target)
{
	char buf[PATH_MAX], tmp[64];
	unsigned char raw[8];
	const char *base;
	_cleanup_close_ int dfd = path_parent_open(target, buf, sizeof(buf), &base);
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -EIO;
	memcpy(tmp, ".sandtrap-restore-", 18);
	hex_encode(raw, sizeof(raw), tmp + 18);

	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return neg_errno();
	r = restore_fill(qfd, e, fd);
	if (r >= 0)
		r = restore_link(dfd, tmp, base);
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
		return r;
	}
	return fsync(dfd) < 0 ? neg_errno() : 0;
}

int quarantine_restore(const char *qdir, const char *id, const char *to)
{
	_cleanup_close_ int dfd = -1;
	struct qentry e;
	char pe[256];
	int r;

	if (!id || !hex_valid(id, 32))
		return -EINVAL;
	dfd = qdir_open(qdir, false);
	if (dfd < 0)
		return dfd;
	r = qmeta_read(dfd, id, &e);
	if (r < 0)
		return r;

	esc(to ? to : e.path, pe, sizeof(pe));
	r = restore_to(dfd, &e, to ? to : e.path);
	if (r < 0)
		return log_errno(r, "quarantine: cannot restore entry %s to '%s'", id, pe);
	log_info("quarantine: entry %s restored to '%s'", id, pe);
	r = qentry_remove(dfd, id);
	if (r < 0)
		return log_errno(r, "quarantine: entry %s restored but not removed", id);
	return 0;
}

int quarantine_delete(const char *qdir, const char *id)
{
	_cleanup_close_ int dfd = -1;

	if (!id || !hex_valid(id, 32))
		return -EINVAL;
	dfd = qdir_open(qdir, false);
	if (dfd < 0)
		return dfd;
	return qentry_remove(dfd, id);
}
