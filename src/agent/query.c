/* SPDX-License-Identifier: MIT */
/*
 * The bridge's questions: what sandtrap knows about a file or a hash. The cache first,
 * then the server; an unknown file is submitted so that the next question has an answer.
 */
#include "agent.h"
#include "bridge.h"

#include "hash.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define QUERY_TIMEOUT_MS 2000L

static void answer_from(struct bridge_answer *ret, const struct vc_entry *v)
{
	snprintf(ret->verdict, sizeof(ret->verdict), "%s", vc_verdict_name(v->verdict));
	snprintf(ret->threat, sizeof(ret->threat), "%s", v->threat);
}

/* A connection of the checkers' own: one each, so their questions to the server overlap. */
static int uplink_borrow(struct agent *a)
{
	int k = -1;

	if (!a->bridge_uplinks[0])
		return -ENOTCONN;
	pthread_mutex_lock(&a->bridge_lock);
	for (;;) {
		for (int i = 0; i < BRIDGE_CHECKERS && k < 0; i++)
			if (a->bridge_uplinks[i] && !a->bridge_lent[i])
				k = i;
		if (k >= 0)
			break;
		pthread_cond_wait(&a->bridge_cond, &a->bridge_lock);
	}
	a->bridge_lent[k] = true;
	pthread_mutex_unlock(&a->bridge_lock);
	return k;
}

static void uplink_return(struct agent *a, int k)
{
	pthread_mutex_lock(&a->bridge_lock);
	a->bridge_lent[k] = false;
	pthread_cond_signal(&a->bridge_cond);
	pthread_mutex_unlock(&a->bridge_lock);
}

/* The server's verdict for sha256, cached here when it has one. */
static int query_server(struct agent *a, const char *sha256, struct vc_entry *ret)
{
	struct json_object *o = NULL;
	char path[128];
	int r, k = uplink_borrow(a);

	if (k < 0)
		return k;
	snprintf(path, sizeof(path), "/api/v1/verdicts/%s", sha256);
	r = uplink_call(a->bridge_uplinks[k], "GET", path, NULL, QUERY_TIMEOUT_MS, &o);
	uplink_return(a, k);
	if (r == 200 && o && agent_verdict_from_json(o, sha256, ret) == 0) {
		vcache_put(a->vc, ret);
		r = 0;
	} else {
		r = r < 0 ? r : -ENOENT;
	}
	json_object_put(o);
	return r;
}

static int query_hash(struct agent *a, const char *sha256, struct bridge_answer *ret)
{
	struct vc_entry v;

	snprintf(ret->sha256, sizeof(ret->sha256), "%s", sha256);
	if (vcache_get(a->vc, sha256, &v) == 0 || query_server(a, sha256, &v) == 0)
		answer_from(ret, &v);
	else
		snprintf(ret->verdict, sizeof(ret->verdict), "unknown");
	return 0;
}

static int query_path(struct agent *a, const char *path, struct bridge_answer *ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct job j = {.kind = JOB_SCAN};
	struct stat st;
	char sha256[65];
	uint64_t max;
	int r;

	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	pthread_mutex_lock(&a->lock);
	max = a->pol.max_size;
	pthread_mutex_unlock(&a->lock);
	r = hash_fd_sha256(fd, max, sha256, NULL);
	if (r == 0)
		r = query_hash(a, sha256, ret);
	if (r < 0 || strcmp(ret->verdict, "unknown") != 0 || a->cfg->no_server) {
		close(fd);
		return r;
	}
	j.fd = fd;
	j.p.dev = st.st_dev;
	j.p.ino = st.st_ino;
	j.p.uid = (uid_t)-1;
	snprintf(j.p.sha256, sizeof(j.p.sha256), "%s", ret->sha256);
	snprintf(j.p.path, sizeof(j.p.path), "%s", path);
	ret->submitted = agent_job_push(a, &j);
	if (!ret->submitted)
		close(fd);
	return 0;
}

int agent_bridge_check(void *userdata, const char *path, const char *sha256,
		       struct bridge_answer *ret)
{
	struct agent *a = userdata;

	*ret = (struct bridge_answer){0};
	return path ? query_path(a, path, ret) : query_hash(a, sha256, ret);
}
