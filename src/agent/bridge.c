/* SPDX-License-Identifier: MIT */
/*
 * One thread, one poll() over the listening socket, a wake-up eventfd, the checkers'
 * eventfd and every client. Sockets are non-blocking: a client that does not read its
 * answers stops being read (its pending output is bounded), one that sends nothing for
 * IDLE_SEC is closed, and a line longer than LINE_MAX ends the connection. Nothing here
 * waits for a single client.
 *
 * Checks hash files and may ask the server, so they run on CHECKERS threads of their
 * own: a slow check delays its own client only. A client has one check in flight at a
 * time (its next lines wait), so its answers come in the order it asked.
 */
#include "bridge.h"

#include "log.h"
#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192
#define CLIENTS_MAX    64
#define OUT_HIGH       (64 * 1024) /* pending output above which a client is not read */
#define IDLE_SEC       60
#define JSON_DEPTH     8
#define GROUPS_MAX     1024
#define CHECK_PATH_MAX 4096
#define CHECKERS       BRIDGE_CHECKERS

struct client {
	int fd;
	char in[LINE_MAX_BYTES + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	time_t last;
	uint64_t serial; /* which client a check's answer is for (slots move) */
	bool busy;       /* a check of its runs on a checker */
	bool eof;        /* the client shut its side: answer what it sent, then close */
	bool closing;    /* answer what is queued, then close */
};

/* A check handed to the checkers, and its answer on the way back. */
struct check {
	uint64_t serial;
	struct json_object *id; /* the request's, held (only the bridge thread touches it) */
	char *path, *sha256;
	int r;
	struct bridge_answer a;
};

struct bridge {
	char *path;
	ino_t ino; /* the socket we made, so stop removes only that one */
	gid_t gid;
	bridge_check_fn fn;
	void *userdata;
	int listen_fd, wake_fd;
	pthread_t thread;
	struct client clients[CLIENTS_MAX];
	size_t n_clients;
	uint64_t next_serial;

	/* Rings of CLIENTS_MAX: one check per client at most, so neither fills. */
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct check todo[CLIENTS_MAX], done[CLIENTS_MAX];
	size_t todo_head, n_todo, done_head, n_done;
	size_t in_flight; /* queued, running or done and not yet answered */
	bool stopping;
	int done_fd; /* eventfd: answers in done */
	pthread_t checkers[CHECKERS];
	unsigned n_checkers;
};

/* ---- who may connect ---- */

static bool gid_in_proc_status(pid_t pid, gid_t gid)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[4096];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line + 7, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (;;) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				return false;
			if (g == gid)
				return true;
			p = end;
		}
	}
	return false;
}

/* The peer's groups as of connect (SO_PEERGROUPS); /proc/PID/status on older kernels. */
static bool peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t groups[GROUPS_MAX];
	socklen_t len = sizeof(groups);

	if (cred->gid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return errno == ENOPROTOOPT && gid_in_proc_status(cred->pid, gid);
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static bool peer_authorized(int fd, gid_t gid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0)
		return true;
	return gid != (gid_t)-1 && peer_in_group(fd, &cred, gid);
}

/* ---- output ---- */

static int client_queue(struct client *c, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);

	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = MAX(c->out_cap * 2, c->out_len + len + 1);
		char *p = realloc(c->out, cap);

		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return 0;
}

static struct json_object *reply_new(struct json_object *id)
{
	struct json_object *o = json_object_new_object();

	if (o && id)
		json_object_object_add(o, "id", json_object_get(id));
	return o;
}

static void client_error(struct client *c, struct json_object *id, const char *msg)
{
	struct json_object *o = reply_new(id);

	if (!o)
		return;
	json_object_object_add(o, "error", json_object_new_string(msg));
	client_queue(c, o);
	json_object_put(o);
}

/* ---- requests ---- */

static bool sha256_valid(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n == 64 && s[64] == '\0';
}

/* The member's string; NULL when absent; "" (never valid) when not a string or holding a NUL. */
static const char *str_or_null_field(struct json_object *req, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(req, key, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return "";
	s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : "";
}

static struct json_object *answer_json(struct json_object *id, struct bridge_answer *a)
{
	struct json_object *o = reply_new(id);

	if (!o)
		return NULL;
	a->verdict[sizeof(a->verdict) - 1] = '\0';
	a->sha256[sizeof(a->sha256) - 1] = '\0';
	a->threat[sizeof(a->threat) - 1] = '\0';
	json_object_object_add(o, "verdict", json_object_new_string(a->verdict));
	json_object_object_add(o, "sha256",
	                       a->sha256[0] ? json_object_new_string(a->sha256) : NULL);
	json_object_object_add(o, "threat",
	                       a->threat[0] ? json_object_new_string(a->threat) : NULL);
	json_object_object_add(o, "submitted", json_object_new_boolean(a->submitted));
	return o;
}

static const char *const verdicts[] = {"clean", "suspicious", "malicious", "unknown"};

static bool verdict_valid(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(verdicts); i++)
		if (strcmp(v, verdicts[i]) == 0)
			return true;
	return false;
}

/* What is wrong with a check request, or NULL. */
static const char *check_request_error(const char *path, const char *sha)
{
	if (!path == !sha)
		return "exactly one of path and sha256 is needed";
	if (path && (path[0] != '/' || strnlen(path, CHECK_PATH_MAX) == CHECK_PATH_MAX))
		return "path must be absolute";
	if (sha && !sha256_valid(sha))
		return "sha256 must be 64 hex digits";
	return NULL;
}

static void check_free(struct check *k)
{
	json_object_put(k->id);
	free(k->path);
	free(k->sha256);
	*k = (struct check){0};
}

static void op_check(struct bridge *b, struct client *c, struct json_object *req,
                     struct json_object *id)
{
	const char *path = str_or_null_field(req, "path"), *sha = str_or_null_field(req, "sha256");
	const char *bad = check_request_error(path, sha);
	struct check k = {.serial = c->serial};

	if (bad) {
		client_error(c, id, bad);
		return;
	}
	k.id = json_object_get(id);
	k.path = path ? strdup(path) : NULL;
	k.sha256 = sha ? strdup(sha) : NULL;
	if ((path && !k.path) || (sha && !k.sha256)) {
		check_free(&k);
		client_error(c, id, "check failed: out of memory");
		return;
	}
	/* Clients that left keep their checks running: the rings are bounded all the same. */
	if (b->in_flight == CLIENTS_MAX) {
		check_free(&k);
		client_error(c, id, "check failed: too many checks at once, ask again");
		return;
	}
	b->in_flight++;
	pthread_mutex_lock(&b->lock);
	b->todo[(b->todo_head + b->n_todo) % CLIENTS_MAX] = k;
	b->n_todo++;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->lock);
	c->busy = true;
}

/* On the bridge thread: the answer of a check, to its client if it is still here. */
static void check_answer(struct bridge *b, struct check *k)
{
	struct client *c = NULL;
	struct json_object *o;
	char err[160];
	int r = k->r;

	for (size_t i = 0; i < b->n_clients && !c; i++)
		if (b->clients[i].serial == k->serial)
			c = &b->clients[i];
	if (!c)
		return;
	c->busy = false;
	k->a.verdict[sizeof(k->a.verdict) - 1] = '\0';
	if (r >= 0 && !verdict_valid(k->a.verdict))
		r = -EPROTO;
	if (r < 0) {
		snprintf(err, sizeof(err), "check failed: %s", strerror(-r));
		client_error(c, k->id, err);
	} else {
		o = answer_json(k->id, &k->a);
		if (o)
			client_queue(c, o);
		json_object_put(o);
	}
}

static void *checker_main(void *arg)
{
	struct bridge *b = arg;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		struct check k;
		uint64_t one = 1;

		while (!b->n_todo && !b->stopping)
			pthread_cond_wait(&b->work, &b->lock);
		if (b->stopping)
			break;
		k = b->todo[b->todo_head];
		b->todo_head = (b->todo_head + 1) % CLIENTS_MAX;
		b->n_todo--;
		pthread_mutex_unlock(&b->lock);

		k.r = b->fn(b->userdata, k.path, k.sha256, &k.a);

		pthread_mutex_lock(&b->lock);
		b->done[(b->done_head + b->n_done) % CLIENTS_MAX] = k;
		b->n_done++;
		if (write(b->done_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn_errno(neg_errno(), "bridge: eventfd");
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static void op_ping(struct bridge *b, struct client *c, struct json_object *req,
                    struct json_object *id)
{
	struct json_object *o = reply_new(id);

	if (!o)
		return;
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	client_queue(c, o);
	json_object_put(o);
}

static const struct {
	const char *name;
	void (*fn)(struct bridge *b, struct client *c, struct json_object *req,
	           struct json_object *id);
} ops[] = {
        {"check", op_check},
        {"ping", op_ping},
};

static bool only_blanks(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

static void request_handle(struct bridge *b, struct client *c, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *req = NULL, *id = NULL, *op;
	const char *name;

	if (!tok)
		return;
	req = json_tokener_parse_ex(tok, line, len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(req, json_type_object) ||
	    !only_blanks(line + json_tokener_get_parse_end(tok),
	                 len - json_tokener_get_parse_end(tok))) {
		client_error(c, NULL, "bad json");
		goto out;
	}
	json_object_object_get_ex(req, "id", &id);
	if (!json_object_object_get_ex(req, "op", &op) ||
	    !json_object_is_type(op, json_type_string)) {
		client_error(c, id, "op missing");
		goto out;
	}
	name = json_object_get_string(op);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(name, ops[i].name) == 0) {
			ops[i].fn(b, c, req, id);
			goto out;
		}
	client_error(c, id, "unknown op");
out:
	json_object_put(req);
	json_tokener_free(tok);
}

/* ---- clients ---- */

static void client_close(struct bridge *b, size_t i)
{
	struct client *c = &b->clients[i];

	close(c->fd);
	free(c->out);
	b->n_clients--;
	if (i != b->n_clients)
		memcpy(c, &b->clients[b->n_clients], sizeof(*c));
	memset(&b->clients[b->n_clients], 0, sizeof(*c));
	b->clients[b->n_clients].fd = -1;
}

/* Refused: one line, written without waiting (it fits any socket buffer), and closed. */
static void refuse(int fd, const char *msg)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "{\"error\":\"%s\"}\n", msg);

	if (send(fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("bridge: refusal not sent: %m");
	close(fd);
}

/* false when there is nothing more to accept now. */
static bool client_accept(struct bridge *b)
{
	int fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn_errno(neg_errno(), "bridge: accept on '%s'", b->path);
		return errno == EINTR || errno == ECONNABORTED;
	}
	if (!peer_authorized(fd, b->gid)) {
		refuse(fd, "permission denied");
		return true;
	}
	if (b->n_clients == CLIENTS_MAX) {
		refuse(fd, "too many clients");
		return true;
	}
	c = &b->clients[b->n_clients++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->serial = ++b->next_serial;
	c->last = time(NULL);
	return true;
}

/* Every complete line of the input buffer; the rest moves to its start. */
static void client_lines(struct bridge *b, struct client *c)
{
	size_t off = 0;

	if (c->closing)
		return;
	while (!c->closing && !c->busy && c->out_len < OUT_HIGH) {
		char *nl = memchr(c->in + off, '\n', c->in_len - off);
		size_t n;

		if (!nl)
			break;
		n = nl - (c->in + off);
		if (n > 0 && c->in[off + n - 1] == '\r')
			request_handle(b, c, c->in + off, n - 1);
		else if (n > 0)
			request_handle(b, c, c->in + off, n);
		off += n + 1;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (c->in_len == LINE_MAX_BYTES && !memchr(c->in, '\n', c->in_len)) {
		client_error(c, NULL, "line too long");
		c->closing = true;
	}
}

/* false: the client is gone. */
static bool client_read(struct bridge *b, struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, LINE_MAX_BYTES - c->in_len, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		c->eof = true;
		return true;
	}
	c->in_len += n;
	c->last = time(NULL);
	client_lines(b, c);
	return true;
}

static bool client_write(struct client *c)
{
	ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
	c->last = time(NULL);
	return true;
}

/* ---- the thread ---- */

static short client_events(const struct client *c)
{
	short ev = 0;

	if (!c->closing && !c->eof && c->out_len < OUT_HIGH && c->in_len < LINE_MAX_BYTES)
		ev |= POLLIN;
	if (c->out_len)
		ev |= POLLOUT;
	return ev;
}

/* One client's events; false when it is to be closed. */
static bool client_serve(struct bridge *b, struct client *c, short revents, time_t now)
{
	if (revents & (POLLERR | POLLNVAL))
		return false;
	if ((revents & POLLOUT) && !client_write(c))
		return false;
	/* Lines left waiting while output was over the mark, or behind a check. */
	if (!(revents & POLLIN) && c->out_len < OUT_HIGH && c->in_len)
		client_lines(b, c);
	if ((revents & (POLLIN | POLLHUP)) && !client_read(b, c))
		return false;
	if (c->busy) /* its answer is on the way */
		return true;
	if (c->out_len == 0 && (c->closing || (c->eof && !memchr(c->in, '\n', c->in_len))))
		return false;
	return now - c->last < IDLE_SEC;
}

/* The checkers' answers: each to its client, whose waiting lines then go on. */
static void checks_done(struct bridge *b)
{
	uint64_t count;

	if (read(b->done_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn_errno(neg_errno(), "bridge: eventfd");
	for (;;) {
		struct check k;

		pthread_mutex_lock(&b->lock);
		if (!b->n_done) {
			pthread_mutex_unlock(&b->lock);
			return;
		}
		k = b->done[b->done_head];
		b->done_head = (b->done_head + 1) % CLIENTS_MAX;
		b->n_done--;
		pthread_mutex_unlock(&b->lock);
		b->in_flight--;
		check_answer(b, &k);
		for (size_t i = 0; i < b->n_clients; i++)
			if (b->clients[i].serial == k.serial)
				client_lines(b, &b->clients[i]);
		check_free(&k);
	}
}

static void *bridge_thread(void *arg)
{
	struct bridge *b = arg;
	struct pollfd pfd[CLIENTS_MAX + 3];

	for (;;) {
		size_t n = b->n_clients;
		time_t now;

		pfd[0] = (struct pollfd){.fd = b->wake_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = b->listen_fd, .events = POLLIN};
		pfd[2] = (struct pollfd){.fd = b->done_fd, .events = POLLIN};
		for (size_t i = 0; i < n; i++)
			pfd[i + 3] = (struct pollfd){.fd = b->clients[i].fd,
			                             .events = client_events(&b->clients[i])};
		if (poll(pfd, n + 3, 1000) < 0 && errno != EINTR) {
			log_errno(neg_errno(), "bridge: poll");
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[2].revents)
			checks_done(b);
		now = time(NULL);
		/* Backwards, so closing (which moves the last client into the hole) is safe. */
		for (size_t i = n; i-- > 0;)
			if (!client_serve(b, &b->clients[i], pfd[i + 3].revents, now))
				client_close(b, i);
		/* A burst of connections in one round, but never an endless one. */
		for (unsigned k = 0; (pfd[1].revents & POLLIN) && k < CLIENTS_MAX; k++)
			if (!client_accept(b))
				break;
	}
	return NULL;
}

/* ---- the socket ---- */

/* A leftover socket file goes; a live agent on it or anything else there is an error. */
static int stale_socket_remove(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : neg_errno();
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return neg_errno();
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN)
		return -EADDRINUSE;
	return unlink(sa->sun_path) < 0 ? neg_errno() : 0;
}

/* Bound, owned and given its mode before listen(): no moment where others may connect. */
static int bridge_listen(struct bridge *b)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (strlen(b->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, b->path, strlen(b->path) + 1);
	r = stale_socket_remove(&sa);
	if (r < 0)
		return log_errno(r, "bridge: '%s'", b->path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_errno(neg_errno(), "bridge: socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_errno(neg_errno(), "bridge: bind '%s'", b->path);
	if ((b->gid != (gid_t)-1 && chown(b->path, -1, b->gid) < 0) ||
	    chmod(b->path, b->gid != (gid_t)-1 ? 0660 : 0600) < 0 || lstat(b->path, &st) < 0) {
		r = log_errno(neg_errno(), "bridge: '%s'", b->path);
		unlink(b->path);
		return r;
	}
	b->ino = st.st_ino;
	if (listen(fd, CLIENTS_MAX) < 0) {
		r = log_errno(neg_errno(), "bridge: listen '%s'", b->path);
		unlink(b->path);
		return r;
	}
	b->listen_fd = TAKE_FD(fd);
	return 0;
}

/* The checkers end after the check each is running (a few seconds at most). */
static void checkers_stop(struct bridge *b)
{
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->lock);
	for (unsigned i = 0; i < b->n_checkers; i++)
		pthread_join(b->checkers[i], NULL);
	b->n_checkers = 0;
	for (; b->n_todo; b->n_todo--, b->todo_head = (b->todo_head + 1) % CLIENTS_MAX)
		check_free(&b->todo[b->todo_head]);
	for (; b->n_done; b->n_done--, b->done_head = (b->done_head + 1) % CLIENTS_MAX)
		check_free(&b->done[b->done_head]);
}

static void bridge_free(struct bridge *b)
{
	struct stat st;

	checkers_stop(b);
	for (size_t i = b->n_clients; i-- > 0;)
		client_close(b, i);
	if (b->listen_fd >= 0) {
		close(b->listen_fd);
		if (lstat(b->path, &st) == 0 && st.st_ino == b->ino && S_ISSOCK(st.st_mode))
			unlink(b->path);
	}
	if (b->wake_fd >= 0)
		close(b->wake_fd);
	if (b->done_fd >= 0)
		close(b->done_fd);
	pthread_cond_destroy(&b->work);
	pthread_mutex_destroy(&b->lock);
	free(b->path);
	free(b);
}

int bridge_start(const char *socket_path, gid_t gid, bridge_check_fn fn, void *userdata,
                 struct bridge **ret)
{
	struct bridge *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->listen_fd = b->wake_fd = b->done_fd = -1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	b->gid = gid;
	b->fn = fn;
	b->userdata = userdata;
	b->path = strdup(socket_path);
	if (!b->path) {
		r = -ENOMEM;
		goto fail;
	}
	b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	b->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->wake_fd < 0 || b->done_fd < 0) {
		r = log_errno(neg_errno(), "bridge: eventfd");
		goto fail;
	}
	r = bridge_listen(b);
	if (r < 0)
		goto fail;
	for (; b->n_checkers < CHECKERS; b->n_checkers++) {
		r = -pthread_create(&b->checkers[b->n_checkers], NULL, checker_main, b);
		if (r < 0) {
			log_errno(r, "bridge: checker thread");
			goto fail;
		}
	}
	r = -pthread_create(&b->thread, NULL, bridge_thread, b);
	if (r < 0) {
		log_errno(r, "bridge: thread");
		goto fail;
	}
	*ret = b;
	return 0;
fail:
	bridge_free(b);
	return r;
}

void bridge_stop(struct bridge *b)
{
	uint64_t one = 1;

	if (!b)
		return;
	if (write(b->wake_fd, &one, sizeof(one)) < 0)
		log_warn_errno(neg_errno(), "bridge: wake");
	pthread_join(b->thread, NULL);
	bridge_free(b);
}
