/* SPDX-License-Identifier: MIT */
#include "spool.h"

#include "fileio.h"
#include "log.h"
#include "macros.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define META_MAX 16384

struct spool {
	int dirfd;
	pthread_mutex_t lock;
	struct spool_entry *e;
	size_t n;
};

static bool spool_name_ok(const char *sha256)
{
	size_t i;

	for (i = 0; sha256[i]; i++)
		if (!((sha256[i] >= '0' && sha256[i] <= '9') || (sha256[i] >= 'a' && sha256[i] <= 'f')))
			return false;
	return i == 64;
}

static int spool_meta_write(struct spool *s, const struct spool_entry *e)
{
	struct json_object *o = json_object_new_object();
	char name[80];
	const char *text;
	int r;

	json_object_object_add(o, "sha256", json_object_new_string(e->sha256));
	json_object_object_add(o, "path", json_object_new_string(e->path));
	json_object_object_add(o, "priority", json_object_new_int(e->priority));
	json_object_object_add(o, "created", json_object_new_int64(e->created));
	json_object_object_add(o, "submission", json_object_new_int64(e->submission));
	json_object_object_add(o, "tries", json_object_new_int(e->tries));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	snprintf(name, sizeof(name), "%s.json", e->sha256);
	r = file_replace_at(s->dirfd, name, text, strlen(text), 0600);
	json_object_put(o);
	return r;
}

static int spool_meta_read(struct spool *s, const char *name, struct spool_entry *ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct json_object *o, *v;
	size_t len;
	int r;

	if (fd < 0)
		return neg_errno();
	r = fd_read_all(fd, META_MAX, &buf, &len);
	if (r < 0)
		return r;
	o = json_tokener_parse(buf);
	if (!o)
		return -EBADMSG;
	*ret = (struct spool_entry){0};
	if (json_object_object_get_ex(o, "sha256", &v))
		snprintf(ret->sha256, sizeof(ret->sha256), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "path", &v))
		snprintf(ret->path, sizeof(ret->path), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "priority", &v))
		ret->priority = json_object_get_int(v) ? 1 : 0;
	if (json_object_object_get_ex(o, "created", &v))
		ret->created = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "submission", &v))
		ret->submission = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "tries", &v))
		ret->tries = (unsigned)json_object_get_int(v);
	json_object_put(o);
	return spool_name_ok(ret->sha256) ? 0 : -EBADMSG;
}

static int spool_load(struct spool *s)
{
	DIR *d = fdopendir(dup(s->dirfd));
	struct dirent *de;

	if (!d)
		return neg_errno();
	while ((de = readdir(d)) && s->n < SPOOL_MAX) {
		size_t len = strlen(de->d_name);
		struct spool_entry e;
		struct stat st;
		char obj[80];

		if (len != 69 || strcmp(de->d_name + 64, ".json") != 0)
			continue;
		if (spool_meta_read(s, de->d_name, &e) < 0)
			continue;
		snprintf(obj, sizeof(obj), "%s.obj", e.sha256);
		if (fstatat(s->dirfd, obj, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue; /* the copy never finished: the access was answered anyway */
		e.next_try = 0;
		s->e[s->n++] = e;
	}
	closedir(d);
	return 0;
}

int spool_open(const char *dir, struct spool **ret)
{
	struct spool *s;
	int r = mkdir_p_at(AT_FDCWD, dir, 0700);

	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->e = calloc(SPOOL_MAX, sizeof(*s->e));
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (!s->e || s->dirfd < 0) {
		r = s->e ? neg_errno() : -ENOMEM;
		spool_close(s);
		return r;
	}
	pthread_mutex_init(&s->lock, NULL);
	r = spool_load(s);
	if (r < 0) {
		spool_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	closep(&s->dirfd);
	free(s->e);
	free(s);
}

static ssize_t spool_find(struct spool *s, const char *sha256)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->e[i].sha256, sha256) == 0)
			return (ssize_t)i;
	return -1;
}

/* Copy fd into a new file in the spool, hashing as it goes; the hex digest in ret. */
static int spool_copy(struct spool *s, int fd, uint64_t max, const char *name, char ret[65])
{
	_cleanup_close_ int out = -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE], buf[65536];
	uint64_t off = 0;
	unsigned n = 0;
	int r = 0;

	unlinkat(s->dirfd, name, 0);
	out = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (out < 0 || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = out < 0 ? neg_errno() : -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? neg_errno() : 0;
			break;
		}
		off += (uint64_t)got;
		if (off > max) {
			r = -EFBIG;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)got);
		r = fd_write_all(out, buf, (size_t)got);
		if (r < 0)
			break;
	}
	if (r == 0 && fsync(out) < 0)
		r = neg_errno();
	if (r == 0) {
		EVP_DigestFinal_ex(md, d, &n);
		for (unsigned i = 0; i < n; i++)
			snprintf(ret + 2 * i, 3, "%02x", d[i]);
	}
out:
	EVP_MD_CTX_free(md);
	if (r < 0)
		unlinkat(s->dirfd, name, 0);
	return r;
}

int spool_add(struct spool *s, int fd, uint64_t max, const char *sha256, const char *path,
	      int priority, bool *ret_new)
{
	struct spool_entry e = {.priority = priority, .created = time(NULL)};
	char obj[80], got[65];
	ssize_t i;
	int r;

	if (!spool_name_ok(sha256))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	i = spool_find(s, sha256);
	if (i >= 0) {
		if (priority > s->e[i].priority) {
			s->e[i].priority = priority;
			s->e[i].next_try = 0;
		}
		pthread_mutex_unlock(&s->lock);
		*ret_new = false;
		return 0;
	}
	pthread_mutex_unlock(&s->lock);

	/* The copy is made unlocked: it may take a while, and only one thread adds. */
	snprintf(obj, sizeof(obj), "%s.obj", sha256);
	r = spool_copy(s, fd, max, obj, got);
	if (r < 0)
		return r;
	if (strcmp(got, sha256) != 0) {
		unlinkat(s->dirfd, obj, 0);
		return -ESTALE;
	}
	snprintf(e.sha256, sizeof(e.sha256), "%s", sha256);
	snprintf(e.path, sizeof(e.path), "%s", path);
	r = spool_meta_write(s, &e);
	if (r < 0) {
		unlinkat(s->dirfd, obj, 0);
		return r;
	}
	pthread_mutex_lock(&s->lock);
	if (s->n >= SPOOL_MAX)
		r = -ENOSPC;
	else if (spool_find(s, sha256) < 0)
		s->e[s->n++] = e;
	pthread_mutex_unlock(&s->lock);
	*ret_new = r == 0;
	return r;
}

bool spool_has(struct spool *s, const char *sha256)
{
	bool has;

	pthread_mutex_lock(&s->lock);
	has = spool_find(s, sha256) >= 0;
	pthread_mutex_unlock(&s->lock);
	return has;
}

int spool_update(struct spool *s, const struct spool_entry *e)
{
	bool persist;
	ssize_t i;

	pthread_mutex_lock(&s->lock);
	i = spool_find(s, e->sha256);
	persist = i >= 0 && s->e[i].submission != e->submission;
	if (i >= 0)
		s->e[i] = *e;
	pthread_mutex_unlock(&s->lock);
	if (i < 0)
		return -ENOENT;
	return persist ? spool_meta_write(s, e) : 0;
}

int spool_remove(struct spool *s, const char *sha256)
{
	char name[80];
	ssize_t i;

	pthread_mutex_lock(&s->lock);
	i = spool_find(s, sha256);
	if (i >= 0)
		s->e[i] = s->e[--s->n];
	pthread_mutex_unlock(&s->lock);
	if (i < 0)
		return -ENOENT;
	snprintf(name, sizeof(name), "%s.json", sha256);
	unlinkat(s->dirfd, name, 0);
	snprintf(name, sizeof(name), "%s.obj", sha256);
	unlinkat(s->dirfd, name, 0);
	return 0;
}

int spool_next_due(struct spool *s, int64_t now, struct spool_entry *ret)
{
	ssize_t best = -1;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		const struct spool_entry *e = &s->e[i];

		if (e->next_try > now)
			continue;
		if (best < 0 || e->priority > s->e[best].priority ||
		    (e->priority == s->e[best].priority && e->next_try < s->e[best].next_try))
			best = (ssize_t)i;
	}
	if (best >= 0)
		*ret = s->e[best];
	pthread_mutex_unlock(&s->lock);
	return best >= 0 ? 0 : -ENOENT;
}

int64_t spool_wait_hint(struct spool *s, int64_t now)
{
	int64_t best = -1;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		int64_t w = s->e[i].next_try > now ? s->e[i].next_try - now : 0;

		if (best < 0 || w < best)
			best = w;
	}
	pthread_mutex_unlock(&s->lock);
	return best;
}

int spool_object_open(struct spool *s, const char *sha256)
{
	char name[80];
	int fd;

	snprintf(name, sizeof(name), "%s.obj", sha256);
	fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? neg_errno() : fd;
}

unsigned spool_count(struct spool *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = (unsigned)s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}
