/* SPDX-License-Identifier: MIT */
/*
 * Rules bundles through the API, on the unprivileged side: the upload is unpacked here
 * (libarchive, bounded: bundle.h) into a directory of the HTTP process's own, and only its
 * descriptor goes to the privileged detonator, which copies, validates and installs it.
 * The request waits for the answer; one bundle at a time.
 */
#include "server.h"

#include "bundle.h"
#include "jobmsg.h"
#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define PUSH_WAIT_SEC 600 /* loading and testing a large rule set takes seconds, not this */

/* One bundle at a time: the id it waits under, or 0 when another waits. */
static int64_t push_begin(struct server *srv)
{
	int64_t id = 0;

	pthread_mutex_lock(&srv->push_lock);
	if (srv->push_id == 0 && !srv->push_closed) {
		id = srv->push_id = ++srv->push_last;
		srv->push_answered = false;
	}
	pthread_mutex_unlock(&srv->push_lock);
	return id;
}

static int push_wait(struct server *srv, char *ret_why, size_t whysz)
{
	struct timespec until;
	int r = 0, status = -ETIMEDOUT;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PUSH_WAIT_SEC;
	pthread_mutex_lock(&srv->push_lock);
	while (!srv->push_answered && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&srv->push_cond, &srv->push_lock, &until);
	if (srv->push_answered) {
		status = srv->push_status;
		snprintf(ret_why, whysz, "%s", srv->push_why);
	} else {
		snprintf(ret_why, whysz, "the privileged process did not answer in time");
	}
	srv->push_id = 0;
	pthread_mutex_unlock(&srv->push_lock);
	return status;
}

static void push_end(struct server *srv)
{
	pthread_mutex_lock(&srv->push_lock);
	srv->push_id = 0;
	pthread_mutex_unlock(&srv->push_lock);
}

/* tmp/rules-<id>-<random> in the data directory, empty, the HTTP process's. */
static int push_dir(const struct server *srv, int64_t id, char *name, size_t namesz,
		    int *ret_tmp)
{
	_cleanup_close_ int tmp = -1;
	char path[1200];
	uint32_t rnd = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/tmp", srv->cfg->data_dir);
	tmp = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tmp < 0)
		return log_errno(neg_errno(), "rules: cannot open '%s'", path);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	snprintf(name, namesz, "rules-%" PRId64 "-%08x", id, rnd);
	if (mkdirat(tmp, name, 0700) < 0)
		return log_errno(neg_errno(), "rules: cannot create 'tmp/%s'", name);
	fd = openat(tmp, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_errno(neg_errno(), "rules: cannot open 'tmp/%s'", name);
	*ret_tmp = TAKE_FD(tmp);
	return fd;
}

int server_rules_push(struct server *srv, int body_fd, char *ret_why, size_t whysz)
{
	_cleanup_close_ int tmp = -1, dir = -1;
	int64_t id = push_begin(srv);
	char name[64];
	int r;

	if (id == 0) {
		snprintf(ret_why, whysz, "another rules bundle is being installed, or the "
			 "server is stopping");
		return -EBUSY;
	}
	dir = push_dir(srv, id, name, sizeof(name), &tmp);
	if (dir < 0) {
		push_end(srv);
		snprintf(ret_why, whysz, "cannot unpack the bundle: %s", strerror(-dir));
		return dir;
	}
	r = bundle_unpack(body_fd, dir, ret_why, whysz);
	if (r == 0)
		r = jobmsg_rules_send(srv->sock, id, dir);
	if (r == 0) {
		r = push_wait(srv, ret_why, whysz);
	} else {
		if (r != -EINVAL)
			snprintf(ret_why, whysz, "cannot hand the bundle over: %s", strerror(-r));
		push_end(srv);
	}
	bundle_remove(tmp, name);
	return r;
}

void server_rules_push_cancel(struct server *srv)
{
	pthread_mutex_lock(&srv->push_lock);
	srv->push_closed = true;
	if (srv->push_id && !srv->push_answered) {
		srv->push_answered = true;
		srv->push_status = -ECANCELED;
		snprintf(srv->push_why, sizeof(srv->push_why),
			 "the server is stopping: the bundle may or may not be installed");
		pthread_cond_broadcast(&srv->push_cond);
	}
	pthread_mutex_unlock(&srv->push_lock);
}

void server_rules_answer(struct server *srv, const struct jobmsg_result *res)
{
	bool mine;

	pthread_mutex_lock(&srv->push_lock);
	mine = res->id == srv->push_id;
	if (mine) {
		srv->push_answered = true;
		srv->push_status = res->status;
		snprintf(srv->push_why, sizeof(srv->push_why), "%s", res->why);
		pthread_cond_broadcast(&srv->push_cond);
	}
	pthread_mutex_unlock(&srv->push_lock);
	if (!mine)
		log_warn("rules: an answer for bundle %" PRId64 " that no one waits for", res->id);
	/* Installed: the same reload and re-score as SIGHUP, on the rescorer's thread. */
	if (res->status == 0)
		server_rescorer_request(srv, true);
}
