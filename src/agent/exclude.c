/* SPDX-License-Identifier: MIT */
/*
 * Three sorted arrays and binary search. A path is tested by looking up each of its
 * leading components ("/opt", "/opt/a", "/opt/a/x") among the prefixes, so the cost grows
 * with the path's depth and the log of the number of prefixes, not with their count.
 */
#include "exclude.h"

#include "hash.h"
#include "macros.h"
#include "path.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXCLUDE_PATH_MAX 4096

struct exclude {
	char **paths; /* simplified, sorted by strcmp */
	size_t n_paths;
	uint8_t (*shas)[32]; /* sorted by memcmp */
	size_t n_shas;
	uid_t *uids; /* sorted */
	size_t n_uids;
	bool root; /* "/" is a prefix: every path */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_sha(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int cmp_uid(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

	return (x > y) - (x < y);
}

static int exclude_add_paths(struct exclude *e, const char *const *paths, size_t n)
{
	e->paths = calloc(n ? n : 1, sizeof(*e->paths));
	if (!e->paths)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (paths[i][0] != '/' || strlen(paths[i]) >= EXCLUDE_PATH_MAX)
			return -EINVAL;
		e->paths[i] = strdup(paths[i]);
		if (!e->paths[i])
			return -ENOMEM;
		e->n_paths++;
		path_simplify(e->paths[i]);
		e->root |= strcmp(e->paths[i], "/") == 0;
	}
	qsort(e->paths, e->n_paths, sizeof(*e->paths), cmp_str);
	return 0;
}

static int exclude_add_shas(struct exclude *e, const char *const *shas, size_t n)
{
	e->shas = calloc(n ? n : 1, sizeof(*e->shas));
	if (!e->shas)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (hash_sha256_parse(shas[i], e->shas[i]) < 0)
			return -EINVAL;
	e->n_shas = n;
	qsort(e->shas, n, sizeof(*e->shas), cmp_sha);
	return 0;
}

int exclude_new(const char *const *paths, size_t n_paths, const char *const *sha256s,
                size_t n_sha256s, const uid_t *uids, size_t n_uids, struct exclude **ret)
{
	struct exclude *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	r = exclude_add_paths(e, paths, n_paths);
	if (r >= 0)
		r = exclude_add_shas(e, sha256s, n_sha256s);
	if (r >= 0) {
		e->uids = calloc(n_uids ? n_uids : 1, sizeof(*e->uids));
		r = e->uids ? 0 : -ENOMEM;
	}
	if (r < 0) {
		exclude_free(e);
		return r;
	}
	if (n_uids)
		memcpy(e->uids, uids, n_uids * sizeof(*uids));
	e->n_uids = n_uids;
	qsort(e->uids, n_uids, sizeof(*e->uids), cmp_uid);
	*ret = e;
	return 0;
}

void exclude_free(struct exclude *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_paths; i++)
		free(e->paths[i]);
	free(e->paths);
	free(e->shas);
	free(e->uids);
	free(e);
}

bool exclude_path(const struct exclude *e, const char *path)
{
	char buf[EXCLUDE_PATH_MAX];
	size_t len = strlen(path);

	if (e->root)
		return true;
	if (e->n_paths == 0 || path[0] != '/' || len >= sizeof(buf))
		return false;
	memcpy(buf, path, len + 1);

	/* Each leading component in turn: cut at the next slash, look up, put it back. */
	for (size_t i = 1; i <= len; i++) {
		char *key = buf, c = buf[i];

		if (c != '/' && c != '\0')
			continue;
		buf[i] = '\0';
		if (bsearch(&key, e->paths, e->n_paths, sizeof(*e->paths), cmp_str))
			return true;
		buf[i] = c;
	}
	return false;
}

bool exclude_sha256(const struct exclude *e, const char *hex)
{
	uint8_t sha[32];

	if (e->n_shas == 0 || hash_sha256_parse(hex, sha) < 0)
		return false;
	return bsearch(sha, e->shas, e->n_shas, sizeof(*e->shas), cmp_sha) != NULL;
}

bool exclude_uid(const struct exclude *e, uid_t uid)
{
	return bsearch(&uid, e->uids, e->n_uids, sizeof(*e->uids), cmp_uid) != NULL;
}
