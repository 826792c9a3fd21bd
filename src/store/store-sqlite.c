/* SPDX-License-Identifier: MIT */
/*
 * The embedded backend: SQLite in WAL mode with synchronous=FULL, so a committed
 * transaction survives a power cut. One connection, serialised by the store's mutex.
 */
#include "store.h"
#include "store-files.h"

#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

/* Statements of the hot paths (lookups, token checks), prepared once and reused. */
enum stmt_id {
	STMT_VERDICT_GET,
	STMT_TOKEN_ROLE,
	STMT_BLOCK_GET, /* every lookup of an unknown hash */
	STMT_MAX,
};

struct store {
	sqlite3 *db;
	int dirfd;
	pthread_mutex_t lock;
	sqlite3_stmt *cached[STMT_MAX];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS submissions ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" sha256 TEXT NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('queued','running','done','failed')),"
	" priority INTEGER NOT NULL DEFAULT 0,"
	" timeout INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" started INTEGER NOT NULL DEFAULT 0,"
	" finished INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" agent_hold INTEGER NOT NULL DEFAULT 0,"
	" cached INTEGER NOT NULL DEFAULT 0,"
	" owner TEXT NOT NULL DEFAULT '',"
	" error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS submissions_queue ON submissions (status, priority, id);"
	"CREATE TABLE IF NOT EXISTS verdicts ("
	" sha256 TEXT PRIMARY KEY,"
	" verdict TEXT NOT NULL,"
	" threat TEXT NOT NULL,"
	" score INTEGER NOT NULL,"
	" techniques TEXT NOT NULL,"
	" scanned_at INTEGER NOT NULL,"
	" rules_version TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS reports ("
	" submission_id INTEGER PRIMARY KEY REFERENCES submissions (id),"
	" sha256 TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS reports_sha256 ON reports (sha256, created);"
	"CREATE TABLE IF NOT EXISTS tokens ("
	" token_sha256 TEXT PRIMARY KEY,"
	" role TEXT NOT NULL CHECK (role IN ('agent','analyst','admin')),"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS detections ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" sha256 TEXT NOT NULL,"
	" old_verdict TEXT NOT NULL,"
	" new_verdict TEXT NOT NULL,"
	" old_threat TEXT NOT NULL,"
	" new_threat TEXT NOT NULL,"
	" old_rules_version TEXT NOT NULL,"
	" new_rules_version TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS artefacts ("
	" submission_id INTEGER NOT NULL REFERENCES submissions (id),"
	" idx INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" path TEXT NOT NULL,"
	" saved INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" PRIMARY KEY (submission_id, idx));";

/* Endpoint agents: their rows, policies (every version), events, blocklist, actions. */
static const char schema_agents[] =
	"CREATE TABLE IF NOT EXISTS agents ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" hostname TEXT NOT NULL,"
	" owner TEXT NOT NULL,"
	" version TEXT NOT NULL,"
	" os TEXT NOT NULL,"
	" enrolled INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" policy TEXT NOT NULL DEFAULT 'default',"
	" policy_version INTEGER NOT NULL DEFAULT 0,"
	" isolated INTEGER NOT NULL DEFAULT 0,"
	" cache_entries INTEGER NOT NULL DEFAULT 0,"
	" pending INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (owner, hostname));"
	"CREATE TABLE IF NOT EXISTS policies ("
	" name TEXT NOT NULL,"
	" version INTEGER NOT NULL,"
	" body TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" PRIMARY KEY (name, version));"
	"CREATE TABLE IF NOT EXISTS events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" agent_id INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_created ON events (created);"
	"CREATE TABLE IF NOT EXISTS blocklist ("
	" sha256 TEXT PRIMARY KEY,"
	" reason TEXT NOT NULL,"
	" owner TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS actions ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" agent_id INTEGER NOT NULL,"
	" time INTEGER NOT NULL,"
	" received INTEGER NOT NULL,"
	" host TEXT NOT NULL,"
	" username TEXT NOT NULL,"
	" uid INTEGER NOT NULL,"
	" pid INTEGER NOT NULL,"
	" path TEXT NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" verdict TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" result TEXT NOT NULL,"
	" detail TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS actions_agent ON actions (agent_id, id);";

static const char *const status_names[] = {
	[STORE_QUEUED] = "queued",
	[STORE_RUNNING] = "running",
	[STORE_DONE] = "done",
	[STORE_FAILED] = "failed",
};

static const char *const role_names[] = {
	[STORE_ROLE_NONE] = "none",
	[STORE_ROLE_AGENT] = "agent",
	[STORE_ROLE_ANALYST] = "analyst",
	[STORE_ROLE_ADMIN] = "admin",
};

const char *store_status_name(enum store_status st)
{
	return (size_t)st < ARRAY_SIZE(status_names) ? status_names[st] : "unknown";
}

const char *store_role_name(enum store_role role)
{
	return (size_t)role < ARRAY_SIZE(role_names) ? role_names[role] : "none";
}

int store_role_parse(const char *name, enum store_role *ret)
{
	for (size_t i = STORE_ROLE_AGENT; i < ARRAY_SIZE(role_names); i++)
		if (strcmp(name, role_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

static enum store_status status_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
		if (s && strcmp(s, status_names[i]) == 0)
			return i;
	return STORE_FAILED;
}

static int64_t now_sec(void)
{
	return (int64_t)time(NULL);
}

static int db_error(struct store *s, const char *what)
{
	int code = sqlite3_errcode(s->db);

	log_error("store: %s: %s", what, sqlite3_errmsg(s->db));
	/* A full disk is the one failure a caller can tell the client about. */
	return code == SQLITE_FULL ? -ENOSPC : -EIO;
}

static int db_exec(struct store *s, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("store: %s", err ? err : "sqlite error");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

static void stmt_finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}
#define _cleanup_stmt_ __attribute__((cleanup(stmt_finalizep)))

static void unlockp(pthread_mutex_t **m)
{
	if (*m)
		pthread_mutex_unlock(*m);
}
#define _cleanup_unlock_ __attribute__((cleanup(unlockp)))

static pthread_mutex_t *store_lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	return &s->lock;
}

static int db_prepare(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, ret, NULL) != SQLITE_OK)
		return db_error(s, "cannot prepare a statement");
	return 0;
}

/* A cached statement, reset and unbound when its cleanup runs (see _cleanup_reset_). */
static int db_prepare_cached(struct store *s, enum stmt_id id, const char *sql,
			     sqlite3_stmt **ret)
{
	if (!s->cached[id] && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						 &s->cached[id], NULL) != SQLITE_OK)
		return db_error(s, "cannot prepare a statement");
	*ret = s->cached[id];
	return 0;
}

static void stmt_resetp(sqlite3_stmt **st)
{
	if (!*st)
		return;
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
}
#define _cleanup_reset_ __attribute__((cleanup(stmt_resetp)))

static void copy_text(char *dst, size_t dstsz, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, dstsz, "%s", t ? (const char *)t : "");
}

/* Room for one more element of size in *a; cap doubles. */
static int array_grow(void *a, size_t *cap, size_t n, size_t size)
{
	void **p = a, *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The agents' tables, and submissions.agent_id in a database made before it existed. */
static int store_db_open_agents(struct store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_exec(s, schema_agents) < 0)
		return -EIO;
	if (sqlite3_prepare_v2(s->db, "SELECT agent_id FROM submissions LIMIT 0", -1, &st,
			       NULL) == SQLITE_OK)
		return 0;
	return db_exec(s, "ALTER TABLE submissions ADD COLUMN agent_id INTEGER NOT NULL DEFAULT 0");
}

static int store_db_open(struct store *s, const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/sandtrap.db", dir);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK)
		return db_error(s, "cannot open the database");
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (db_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		       "PRAGMA foreign_keys=ON;") < 0)
		return -EIO;
	if (db_exec(s, schema) < 0)
		return -EIO;
	return store_db_open_agents(s);
}

int store_open(const char *dir, struct store **ret)
{
	struct store *s;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_errno(neg_errno(), "store: cannot create '%s'", dir);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		r = log_errno(neg_errno(), "store: cannot open '%s'", dir);
		goto fail;
	}
	r = store_files_init(s->dirfd);
	if (r < 0)
		goto fail;
	umask(0077);
	r = store_db_open(s, dir);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	store_close(s);
	return r;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < STMT_MAX; i++)
		sqlite3_finalize(s->cached[i]);
	sqlite3_close(s->db);
	if (s->dirfd >= 0)
		close(s->dirfd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int store_object_put(struct store *s, const char *sha256, const void *buf, size_t len)
{
	return store_files_object_put(s->dirfd, sha256, buf, len);
}

int store_object_put_fd(struct store *s, const char *sha256, int fd)
{
	return store_files_object_put_fd(s->dirfd, sha256, fd);
}

int store_tmpfile(struct store *s, int *ret_fd)
{
	return store_files_tmpfile(s->dirfd, ret_fd);
}

int store_object_open(struct store *s, const char *sha256, uint64_t max, int *ret_fd)
{
	return store_files_object_open(s->dirfd, sha256, max, ret_fd);
}

#define SUBMISSION_COLUMNS                                                                         \
	"id, sha256, status, priority, timeout, created, started, finished, attempts, cached, "    \
	"error, owner, agent_id"

static void submission_from_row(sqlite3_stmt *st, struct store_submission *sub)
{
	*sub = (struct store_submission){
		.id = sqlite3_column_int64(st, 0),
		.status = status_parse((const char *)sqlite3_column_text(st, 2)),
		.priority = sqlite3_column_int(st, 3),
		.timeout_sec = sqlite3_column_int(st, 4),
		.created = sqlite3_column_int64(st, 5),
		.started = sqlite3_column_int64(st, 6),
		.finished = sqlite3_column_int64(st, 7),
		.attempts = sqlite3_column_int(st, 8),
		.cached = sqlite3_column_int(st, 9) != 0,
	};
	copy_text(sub->sha256, sizeof(sub->sha256), st, 1);
	copy_text(sub->error, sizeof(sub->error), st, 10);
	copy_text(sub->owner, sizeof(sub->owner), st, 11);
	sub->agent_id = sqlite3_column_int64(st, 12);
}

int store_submission_add(struct store *s, struct store_submission *sub)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s,
		       "INSERT INTO submissions (sha256, status, priority, timeout, created,"
		       " finished, agent_hold, cached, owner, agent_id)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       &st) < 0)
		return -EIO;
	sub->created = now_sec();
	sub->finished = sub->status == STORE_DONE ? sub->created : 0;
	sqlite3_bind_text(st, 1, sub->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, store_status_name(sub->status), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, sub->priority);
	sqlite3_bind_int(st, 4, sub->timeout_sec);
	sqlite3_bind_int64(st, 5, sub->created);
	sqlite3_bind_int64(st, 6, sub->finished);
	sqlite3_bind_int(st, 7, sub->priority > 0);
	sqlite3_bind_int(st, 8, sub->cached);
	sqlite3_bind_text(st, 9, sub->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, sub->agent_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot queue a submission");
	sub->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_submission_get(struct store *s, int64_t id, struct store_submission *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(s, "SELECT " SUBMISSION_COLUMNS " FROM submissions WHERE id = ?", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read a submission");
	submission_from_row(st, ret);
	return 0;
}

int store_submission_claim(struct store *s, struct store_submission *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(s,
		       "UPDATE submissions SET status = 'running', started = ?,"
		       " attempts = attempts + 1 WHERE id = (SELECT id FROM submissions"
		       " WHERE status = 'queued' ORDER BY priority DESC, id LIMIT 1)"
		       " RETURNING " SUBMISSION_COLUMNS,
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_sec());
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot claim a submission");
	submission_from_row(st, ret);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot claim a submission");
	return 0;
}

static int store_update(struct store *s, const char *sql, int64_t id, const char *text,
			unsigned *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, sql, &st) < 0)
		return -EIO;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	if (text) {
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_sec());
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot update submissions");
	if (ret_n)
		*ret_n = sqlite3_changes(s->db);
	return 0;
}

int store_submission_requeue(struct store *s, unsigned *ret_n)
{
	return store_update(s, "UPDATE submissions SET status = 'queued' WHERE status = 'running'",
			    0, NULL, ret_n);
}

int store_submission_release(struct store *s, int64_t id)
{
	return store_update(s,
			    "UPDATE submissions SET status = 'queued'"
			    " WHERE id = ? AND status = 'running'",
			    id, NULL, NULL);
}

int store_submission_fail(struct store *s, int64_t id, const char *error)
{
	return store_update(s,
			    "UPDATE submissions SET status = 'failed', error = ?2,"
			    " finished = ?3 WHERE id = ?1 AND status = 'running'",
			    id, error, NULL);
}

static int result_record(struct store *s, int64_t id, const struct store_verdict *v,
			 const char *path)
{
	_cleanup_stmt_ sqlite3_stmt *up = NULL, *rep = NULL, *ver = NULL;
	int64_t now = now_sec();

	if (db_prepare(s,
		       "UPDATE submissions SET status = 'done', finished = ?2"
		       " WHERE id = ?1 AND status = 'running'",
		       &up) < 0 ||
	    db_prepare(s,
		       "INSERT INTO reports (submission_id, sha256, path, created)"
		       " VALUES (?, ?, ?, ?)",
		       &rep) < 0 ||
	    db_prepare(s,
		       "INSERT OR REPLACE INTO verdicts (sha256, verdict, threat, score,"
		       " techniques, scanned_at, rules_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
		       &ver) < 0)
		return -EIO;
	sqlite3_bind_int64(up, 1, id);
	sqlite3_bind_int64(up, 2, now);
	if (sqlite3_step(up) != SQLITE_DONE)
		return db_error(s, "cannot record a result");
	if (sqlite3_changes(s->db) != 1)
		return -EALREADY;
	sqlite3_bind_int64(rep, 1, id);
	sqlite3_bind_text(rep, 2, v->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(rep, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(rep, 4, now);
	if (sqlite3_step(rep) != SQLITE_DONE)
		return db_error(s, "cannot record a report");
	sqlite3_bind_text(ver, 1, v->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(ver, 2, v->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(ver, 3, v->threat, -1, SQLITE_STATIC);
	sqlite3_bind_int(ver, 4, v->score);
	sqlite3_bind_text(ver, 5, v->techniques, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ver, 6, v->scanned_at ? v->scanned_at : now);
	sqlite3_bind_text(ver, 7, v->rules_version, -1, SQLITE_STATIC);
	if (sqlite3_step(ver) != SQLITE_DONE)
		return db_error(s, "cannot record a verdict");
	return 0;
}

static int submission_running(struct store *s, int64_t id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "SELECT status FROM submissions WHERE id = ?", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -ENOENT;
	return strcmp((const char *)sqlite3_column_text(st, 0), "running") == 0 ? 0 : -EALREADY;
}

/*
 * Under the lock throughout: the check that the submission still runs, the report file,
 * then the transaction. A second result for the same submission changes nothing.
 */
static int event_insert(struct store *s, int64_t agent_id, const char *body)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (strlen(body) >= STORE_EVENT_MAX)
		return -E2BIG;
	if (db_prepare(s, "INSERT INTO events (agent_id, created, body) VALUES (?, ?, ?)", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, agent_id);
	sqlite3_bind_int64(st, 2, now_sec());
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot record an event");
	return 0;
}

int store_result_put(struct store *s, int64_t id, const struct store_verdict *v, const char *report,
		     size_t len)
{
	return store_result_put_event(s, id, v, report, len, 0, NULL);
}

int store_result_put_event(struct store *s, int64_t id, const struct store_verdict *v,
			   const char *report, size_t len, int64_t event_agent,
			   const char *event_body)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	char path[64];
	int r;

	r = submission_running(s, id);
	if (r < 0)
		return r;
	r = store_files_report_put(s->dirfd, id, report, len, path, sizeof(path));
	if (r < 0)
		return r;
	if (db_exec(s, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	r = result_record(s, id, v, path);
	if (r >= 0 && event_body)
		r = event_insert(s, event_agent, event_body);
	if (r < 0) {
		db_exec(s, "ROLLBACK");
		return r;
	}
	return db_exec(s, "COMMIT");
}

static int report_path(struct store *s, int64_t id, char *ret, size_t retsz)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s,
		       "SELECT path FROM reports WHERE submission_id = ?1 UNION ALL"
		       " SELECT * FROM (SELECT r.path FROM reports r JOIN submissions s"
		       " ON s.sha256 = r.sha256 WHERE s.id = ?1 AND s.cached = 1"
		       " ORDER BY r.created DESC, r.submission_id DESC LIMIT 1)",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -ENOENT;
	copy_text(ret, retsz, st, 0);
	return 0;
}

/* The report's path, looked up under the lock; the file itself is read without it. */
static int report_path_locked(struct store *s, int64_t id, char *path, size_t sz)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);

	return report_path(s, id, path, sz);
}

int store_report_open(struct store *s, int64_t id, int *ret_fd, uint64_t *ret_size)
{
	char path[128];
	int r = report_path_locked(s, id, path, sizeof(path));

	return r < 0 ? r : store_files_open(s->dirfd, path, ret_fd, ret_size);
}

int store_report_read(struct store *s, int64_t id, size_t max, char **ret, size_t *ret_len)
{
	char path[128];
	int r = report_path_locked(s, id, path, sizeof(path));

	return r < 0 ? r : store_files_read(s->dirfd, path, max, ret, ret_len);
}

int store_verdict_get(struct store *s, const char *sha256, struct store_verdict *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_reset_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare_cached(s, STMT_VERDICT_GET,
			      "SELECT sha256, verdict, threat, score, techniques, scanned_at,"
			      " rules_version FROM verdicts WHERE sha256 = ?",
			      &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read a verdict");
	copy_text(ret->sha256, sizeof(ret->sha256), st, 0);
	copy_text(ret->verdict, sizeof(ret->verdict), st, 1);
	copy_text(ret->threat, sizeof(ret->threat), st, 2);
	ret->score = sqlite3_column_int(st, 3);
	copy_text(ret->techniques, sizeof(ret->techniques), st, 4);
	ret->scanned_at = sqlite3_column_int64(st, 5);
	copy_text(ret->rules_version, sizeof(ret->rules_version), st, 6);
	return 0;
}

int store_token_add(struct store *s, const char *token_sha256, enum store_role role)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (!store_sha256_valid(token_sha256) || role == STORE_ROLE_NONE)
		return -EINVAL;
	if (db_prepare(s, "INSERT INTO tokens (token_sha256, role, created) VALUES (?, ?, ?)",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, token_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, store_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_sec());
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot add a token");
	return 0;
}

int store_token_role(struct store *s, const char *token_sha256, enum store_role *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_reset_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare_cached(s, STMT_TOKEN_ROLE, "SELECT role FROM tokens WHERE token_sha256 = ?",
			      &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, token_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read a token");
	return store_role_parse((const char *)sqlite3_column_text(st, 0), ret);
}

int store_token_list(struct store *s, struct store_token **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_token *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	if (db_prepare(s, "SELECT token_sha256, role, created FROM tokens ORDER BY created, rowid",
		       &st) < 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0) {
			free(a);
			return -ENOMEM;
		}
		memset(&a[n], 0, sizeof(a[n]));
		copy_text(a[n].sha256, sizeof(a[n].sha256), st, 0);
		if (store_role_parse((const char *)sqlite3_column_text(st, 1), &a[n].role) < 0)
			a[n].role = STORE_ROLE_NONE;
		a[n].created = sqlite3_column_int64(st, 2);
		n++;
	}
	if (rc != SQLITE_DONE) {
		free(a);
		return db_error(s, "cannot list the tokens");
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

int store_token_revoke(struct store *s, const char *prefix)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	size_t len = strlen(prefix);
	char sha[65] = "";
	int rc, found = 0;

	if (len < 8 || len > 64 || strspn(prefix, "0123456789abcdef") != len)
		return -EINVAL;
	if (db_prepare(s, "SELECT token_sha256 FROM tokens WHERE substr(token_sha256, 1, ?) = ?",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)len);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && found < 2)
		if (found++ == 0)
			copy_text(sha, sizeof(sha), st, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, "cannot read the tokens");
	if (found != 1)
		return found ? -EEXIST : -ENOENT;
	sqlite3_finalize(TAKE_PTR(st));
	if (db_prepare(s, "DELETE FROM tokens WHERE token_sha256 = ?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, "cannot revoke a token");
}

int store_counts_get(struct store *s, struct store_counts *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	*ret = (struct store_counts){0};
	if (db_prepare(s, "SELECT status, count(*) FROM submissions GROUP BY status", &st) < 0)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t n = sqlite3_column_int64(st, 1);

		switch (status_parse((const char *)sqlite3_column_text(st, 0))) {
		case STORE_QUEUED:
			ret->queued = n;
			break;
		case STORE_RUNNING:
			ret->running = n;
			break;
		case STORE_DONE:
			ret->done = n;
			break;
		default:
			ret->failed = n;
			break;
		}
	}
	return 0;
}

static void verdict_from_row(sqlite3_stmt *st, int col, struct store_verdict *v)
{
	copy_text(v->sha256, sizeof(v->sha256), st, col);
	copy_text(v->verdict, sizeof(v->verdict), st, col + 1);
	copy_text(v->threat, sizeof(v->threat), st, col + 2);
	v->score = sqlite3_column_int(st, col + 3);
	copy_text(v->techniques, sizeof(v->techniques), st, col + 4);
	v->scanned_at = sqlite3_column_int64(st, col + 5);
	copy_text(v->rules_version, sizeof(v->rules_version), st, col + 6);
}

int store_verdict_reports(struct store *s, struct store_verdict_report **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_verdict_report *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* The newest report of each object that has a verdict. */
	if (db_prepare(s,
		       "SELECT v.sha256, v.verdict, v.threat, v.score, v.techniques, v.scanned_at,"
		       " v.rules_version, (SELECT r.submission_id FROM reports r"
		       " WHERE r.sha256 = v.sha256 ORDER BY r.created DESC, r.submission_id DESC"
		       " LIMIT 1) AS rid FROM verdicts v WHERE rid IS NOT NULL",
		       &st) < 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0) {
			free(a);
			return -ENOMEM;
		}
		verdict_from_row(st, 0, &a[n].verdict);
		a[n++].report_id = sqlite3_column_int64(st, 7);
	}
	if (rc != SQLITE_DONE) {
		free(a);
		return db_error(s, "cannot list the verdicts");
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

static int rescore_record(struct store *s, const struct store_verdict *old,
			  const struct store_verdict *new)
{
	_cleanup_stmt_ sqlite3_stmt *up = NULL, *det = NULL;

	if (db_prepare(s,
		       "UPDATE verdicts SET verdict = ?2, threat = ?3, score = ?4, techniques = ?5,"
		       " rules_version = ?6 WHERE sha256 = ?1",
		       &up) < 0)
		return -EIO;
	sqlite3_bind_text(up, 1, new->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, new->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, new->threat, -1, SQLITE_STATIC);
	sqlite3_bind_int(up, 4, new->score);
	sqlite3_bind_text(up, 5, new->techniques, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 6, new->rules_version, -1, SQLITE_STATIC);
	if (sqlite3_step(up) != SQLITE_DONE)
		return db_error(s, "cannot update a verdict");
	if (strcmp(old->verdict, new->verdict) == 0)
		return 0;
	if (db_prepare(s,
		       "INSERT INTO detections (sha256, old_verdict, new_verdict, old_threat,"
		       " new_threat, old_rules_version, new_rules_version, created)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		       &det) < 0)
		return -EIO;
	sqlite3_bind_text(det, 1, new->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(det, 2, old->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(det, 3, new->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(det, 4, old->threat, -1, SQLITE_STATIC);
	sqlite3_bind_text(det, 5, new->threat, -1, SQLITE_STATIC);
	sqlite3_bind_text(det, 6, old->rules_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(det, 7, new->rules_version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(det, 8, now_sec());
	if (sqlite3_step(det) != SQLITE_DONE)
		return db_error(s, "cannot record a detection");
	return 1;
}

static int meta_put(struct store *s, const char *key, const char *value)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, "cannot write the meta table");
}

int store_rescore_put(struct store *s, const struct store_verdict *old,
		      const struct store_verdict *new, size_t n, const char *rules_version,
		      unsigned *ret_changed)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	unsigned changed = 0;
	int r = 0;

	if (db_exec(s, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = rescore_record(s, &old[i], &new[i]);
		changed += r > 0;
	}
	if (r >= 0)
		r = meta_put(s, "rules_version", rules_version);
	if (r < 0) {
		db_exec(s, "ROLLBACK");
		return r;
	}
	if (ret_changed)
		*ret_changed = changed;
	return db_exec(s, "COMMIT");
}

int store_rules_version_get(struct store *s, char *ret, size_t retsz)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "SELECT value FROM meta WHERE key = 'rules_version'", &st) < 0)
		return -EIO;
	if (sqlite3_step(st) != SQLITE_ROW)
		return -ENOENT;
	copy_text(ret, retsz, st, 0);
	return 0;
}

int store_meta_int_get(struct store *s, const char *key, int64_t *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?", &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -ENOENT;
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int store_meta_int_set(struct store *s, const char *key, int64_t value)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, value);
	return meta_put(s, key, text);
}

int store_detections_list(struct store *s, int64_t since, size_t max,
			  struct store_detection **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_detection *a;
	size_t n = 0;
	int rc;

	a = calloc(max ? max : 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	if (db_prepare(s,
		       "SELECT id, sha256, old_verdict, new_verdict, old_threat, new_threat,"
		       " old_rules_version, new_rules_version, created FROM detections"
		       " WHERE id > ? ORDER BY id LIMIT ?",
		       &st) < 0) {
		free(a);
		return -EIO;
	}
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_detection *d = &a[n++];

		d->id = sqlite3_column_int64(st, 0);
		copy_text(d->sha256, sizeof(d->sha256), st, 1);
		copy_text(d->old_verdict, sizeof(d->old_verdict), st, 2);
		copy_text(d->new_verdict, sizeof(d->new_verdict), st, 3);
		copy_text(d->old_threat, sizeof(d->old_threat), st, 4);
		copy_text(d->new_threat, sizeof(d->new_threat), st, 5);
		copy_text(d->old_rules_version, sizeof(d->old_rules_version), st, 6);
		copy_text(d->new_rules_version, sizeof(d->new_rules_version), st, 7);
		d->created = sqlite3_column_int64(st, 8);
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

/* --- endpoint agents --- */

#define AGENT_COLUMNS                                                                              \
	"id, hostname, owner, version, os, enrolled, last_seen, policy, policy_version, "          \
	"isolated, cache_entries, pending"

static void agent_from_row(sqlite3_stmt *st, struct store_agent *a)
{
	*a = (struct store_agent){
		.id = sqlite3_column_int64(st, 0),
		.enrolled = sqlite3_column_int64(st, 5),
		.last_seen = sqlite3_column_int64(st, 6),
		.policy_version = sqlite3_column_int64(st, 8),
		.isolated = sqlite3_column_int(st, 9) != 0,
		.cache_entries = sqlite3_column_int64(st, 10),
		.pending = sqlite3_column_int64(st, 11),
	};
	copy_text(a->hostname, sizeof(a->hostname), st, 1);
	copy_text(a->owner, sizeof(a->owner), st, 2);
	copy_text(a->version, sizeof(a->version), st, 3);
	copy_text(a->os, sizeof(a->os), st, 4);
	copy_text(a->policy, sizeof(a->policy), st, 7);
}

static int agent_find(struct store *s, const char *owner, const char *hostname,
		      struct store_agent *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(s, "SELECT " AGENT_COLUMNS " FROM agents WHERE owner = ? AND hostname = ?",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hostname, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read an agent");
	agent_from_row(st, ret);
	return 0;
}

static int agent_write(struct store *s, const struct store_agent *a, bool exists)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t now = now_sec();

	if (db_prepare(s,
		       exists ? "UPDATE agents SET version = ?3, os = ?4, last_seen = ?5"
				" WHERE owner = ?1 AND hostname = ?2"
			      : "INSERT INTO agents (owner, hostname, version, os, enrolled,"
				" last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, a->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->os, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot enrol an agent");
	return 0;
}

int store_agent_enroll(struct store *s, struct store_agent *a)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	struct store_agent old;
	bool exists;
	int r;

	if (!store_sha256_valid(a->owner) || !a->hostname[0])
		return -EINVAL;
	r = agent_find(s, a->owner, a->hostname, &old);
	if (r < 0 && r != -ENOENT)
		return r;
	exists = r == 0;
	r = agent_write(s, a, exists);
	if (r < 0)
		return r;
	r = agent_find(s, a->owner, a->hostname, a);
	if (r < 0)
		return r;
	return exists ? 1 : 0;
}

int store_agent_get(struct store *s, int64_t id, struct store_agent *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(s, "SELECT " AGENT_COLUMNS " FROM agents WHERE id = ?", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read an agent");
	agent_from_row(st, ret);
	return 0;
}

/* An UPDATE of one agent; -ENOENT when there is no such agent. */
static int agent_update(struct store *s, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot update an agent");
	return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_agent_heartbeat(struct store *s, const struct store_agent *a)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s,
		       "UPDATE agents SET policy_version = ?2, isolated = ?3, cache_entries = ?4,"
		       " pending = ?5, last_seen = ?6 WHERE id = ?1",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, a->policy_version);
	sqlite3_bind_int(st, 3, a->isolated);
	sqlite3_bind_int64(st, 4, a->cache_entries);
	sqlite3_bind_int64(st, 5, a->pending);
	sqlite3_bind_int64(st, 6, now_sec());
	return agent_update(s, st);
}

int store_agent_policy_set(struct store *s, int64_t id, const char *policy)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "UPDATE agents SET policy = ?2 WHERE id = ?1", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, policy, -1, SQLITE_STATIC);
	return agent_update(s, st);
}

int store_agents_list(struct store *s, struct store_agent **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct store_agent *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db_prepare(s, "SELECT " AGENT_COLUMNS " FROM agents ORDER BY id", &st) < 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0)
			return -ENOMEM;
		agent_from_row(st, &a[n++]);
	}
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot list the agents");
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}

int store_agents_count(struct store *s, int64_t seen_since, uint64_t *ret_total,
		       uint64_t *ret_online)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s,
		       "SELECT count(*), coalesce(sum(CASE WHEN last_seen >= ? THEN 1 ELSE 0 END),"
		       " 0) FROM agents",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, seen_since);
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_error(s, "cannot count the agents");
	*ret_total = sqlite3_column_int64(st, 0);
	*ret_online = sqlite3_column_int64(st, 1);
	return 0;
}

/* --- policies --- */

static int policy_newest(struct store *s, const char *name, int64_t *ret_version, char **ret_body)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc;

	if (db_prepare(s,
		       "SELECT version, body FROM policies WHERE name = ?"
		       " ORDER BY version DESC LIMIT 1",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read a policy");
	*ret_version = sqlite3_column_int64(st, 0);
	if (!ret_body)
		return 0;
	t = sqlite3_column_text(st, 1);
	*ret_body = strdup(t ? (const char *)t : "{}");
	return *ret_body ? 0 : -ENOMEM;
}

static int policy_insert(struct store *s, const char *name, const char *body, int64_t *ret_version)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t v = 0;
	int r;

	r = policy_newest(s, name, &v, NULL);
	if (r < 0 && r != -ENOENT)
		return r;
	if (db_prepare(s, "INSERT INTO policies (name, version, body, created) VALUES (?, ?, ?, ?)",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v + 1);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_sec());
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot store a policy");
	*ret_version = v + 1;
	return 0;
}

int store_policy_put(struct store *s, const char *name, const char *body, int64_t *ret_version)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	int r;

	if (!name[0] || strlen(name) >= 65)
		return -EINVAL;
	if (strlen(body) > STORE_POLICY_BODY_MAX)
		return -E2BIG;
	if (db_exec(s, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	r = policy_insert(s, name, body, ret_version);
	if (r < 0) {
		db_exec(s, "ROLLBACK");
		return r;
	}
	return db_exec(s, "COMMIT");
}

int store_policy_get(struct store *s, const char *name, int64_t *ret_version, char **ret_body)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);

	return policy_newest(s, name, ret_version, ret_body);
}

int store_policies_list(struct store *s, struct store_policy_info **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct store_policy_info *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db_prepare(s,
		       "SELECT p.name, p.version, p.created FROM policies p WHERE p.version ="
		       " (SELECT max(q.version) FROM policies q WHERE q.name = p.name)"
		       " ORDER BY p.name",
		       &st) < 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0)
			return -ENOMEM;
		copy_text(a[n].name, sizeof(a[n].name), st, 0);
		a[n].version = sqlite3_column_int64(st, 1);
		a[n++].created = sqlite3_column_int64(st, 2);
	}
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot list the policies");
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}

/* --- events for agents --- */

int store_event_add(struct store *s, int64_t agent_id, const char *body, int64_t *ret_id)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	int r = event_insert(s, agent_id, body);

	if (r >= 0 && ret_id)
		*ret_id = sqlite3_last_insert_rowid(s->db);
	return r;
}

int store_events_list(struct store *s, int64_t agent_id, int64_t since, size_t max,
		      struct store_event **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct store_event *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db_prepare(s,
		       "SELECT id, agent_id, created, body FROM events WHERE id > ?"
		       " AND (agent_id = 0 OR agent_id = ?) ORDER BY id LIMIT ?",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, agent_id);
	sqlite3_bind_int64(st, 3, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0)
			return -ENOMEM;
		a[n].id = sqlite3_column_int64(st, 0);
		a[n].agent_id = sqlite3_column_int64(st, 1);
		a[n].created = sqlite3_column_int64(st, 2);
		copy_text(a[n].body, sizeof(a[n].body), st, 3);
		n++;
	}
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot list the events");
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}

int store_events_last(struct store *s, int64_t *ret_id)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "SELECT coalesce(max(id), 0) FROM events", &st) < 0)
		return -EIO;
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_error(s, "cannot read the last event");
	*ret_id = sqlite3_column_int64(st, 0);
	return 0;
}

int store_events_prune(struct store *s, int64_t before, unsigned *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	/* The newest stays: the next id must stay above every id an agent has seen. */
	if (db_prepare(s,
		       "DELETE FROM events WHERE created < ?"
		       " AND id < (SELECT max(id) FROM events)",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, before);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot prune the events");
	if (ret_n)
		*ret_n = sqlite3_changes(s->db);
	return 0;
}

/* --- the blocklist --- */

int store_block_add(struct store *s, struct store_block *b)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (!store_sha256_valid(b->sha256))
		return -EINVAL;
	if (db_prepare(s,
		       "INSERT OR REPLACE INTO blocklist (sha256, reason, owner, created)"
		       " VALUES (?, ?, ?, ?)",
		       &st) < 0)
		return -EIO;
	b->created = now_sec();
	sqlite3_bind_text(st, 1, b->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, b->created);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot block a hash");
	return 0;
}

static void block_from_row(sqlite3_stmt *st, struct store_block *b)
{
	copy_text(b->sha256, sizeof(b->sha256), st, 0);
	copy_text(b->reason, sizeof(b->reason), st, 1);
	copy_text(b->owner, sizeof(b->owner), st, 2);
	b->created = sqlite3_column_int64(st, 3);
}

int store_block_get(struct store *s, const char *sha256, struct store_block *ret)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_reset_ sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare_cached(s, STMT_BLOCK_GET,
			      "SELECT sha256, reason, owner, created FROM blocklist"
			      " WHERE sha256 = ?",
			      &st) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot read the blocklist");
	block_from_row(st, ret);
	return 0;
}

int store_blocklist(struct store *s, struct store_block **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct store_block *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db_prepare(s, "SELECT sha256, reason, owner, created FROM blocklist ORDER BY created,"
			  " sha256", &st) < 0)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0)
			return -ENOMEM;
		block_from_row(st, &a[n++]);
	}
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot list the blocklist");
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}

/* --- action reports --- */

int store_action_add(struct store *s, struct store_action *a)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s,
		       "INSERT INTO actions (agent_id, time, received, host, username, uid, pid,"
		       " path, sha256, verdict, action, result, detail)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       &st) < 0)
		return -EIO;
	a->received = now_sec();
	sqlite3_bind_int64(st, 1, a->agent_id);
	sqlite3_bind_int64(st, 2, a->time);
	sqlite3_bind_int64(st, 3, a->received);
	sqlite3_bind_text(st, 4, a->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, a->uid);
	sqlite3_bind_int64(st, 7, a->pid);
	sqlite3_bind_text(st, 8, a->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, a->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, a->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, a->result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, a->detail, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot record an action");
	a->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static void action_from_row(sqlite3_stmt *st, struct store_action *a)
{
	*a = (struct store_action){
		.id = sqlite3_column_int64(st, 0),
		.agent_id = sqlite3_column_int64(st, 1),
		.time = sqlite3_column_int64(st, 2),
		.received = sqlite3_column_int64(st, 3),
		.uid = sqlite3_column_int64(st, 6),
		.pid = sqlite3_column_int64(st, 7),
	};
	copy_text(a->host, sizeof(a->host), st, 4);
	copy_text(a->user, sizeof(a->user), st, 5);
	copy_text(a->path, sizeof(a->path), st, 8);
	copy_text(a->sha256, sizeof(a->sha256), st, 9);
	copy_text(a->verdict, sizeof(a->verdict), st, 10);
	copy_text(a->action, sizeof(a->action), st, 11);
	copy_text(a->result, sizeof(a->result), st, 12);
	copy_text(a->detail, sizeof(a->detail), st, 13);
}

int store_actions_list(struct store *s, int64_t since, int64_t agent_id, size_t max,
		       struct store_action **ret, size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct store_action *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db_prepare(s,
		       "SELECT id, agent_id, time, received, host, username, uid, pid, path,"
		       " sha256, verdict, action, result, detail FROM actions WHERE id > ?1"
		       " AND (?2 = 0 OR agent_id = ?2) ORDER BY id LIMIT ?3",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, agent_id);
	sqlite3_bind_int64(st, 3, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0)
			return -ENOMEM;
		action_from_row(st, &a[n++]);
	}
	if (rc != SQLITE_DONE)
		return db_error(s, "cannot list the actions");
	*ret = TAKE_PTR(a);
	*ret_n = n;
	return 0;
}

int store_detections_last(struct store *s, int64_t *ret_id)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	if (db_prepare(s, "SELECT coalesce(max(id), 0) FROM detections", &st) < 0)
		return -EIO;
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_error(s, "cannot read the last detection");
	*ret_id = sqlite3_column_int64(st, 0);
	return 0;
}

int store_object_exists(struct store *s, const char *sha256)
{
	return store_files_object_exists(s->dirfd, sha256);
}

static int artefact_insert(struct store *s, sqlite3_stmt *st, int64_t id, size_t idx,
			   const struct store_artefact *a)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)idx);
	sqlite3_bind_text(st, 3, a->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)a->size);
	sqlite3_bind_text(st, 5, a->path, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, a->saved);
	sqlite3_bind_text(st, 7, a->saved ? "" : a->reason, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, "cannot record an artefact");
	return 0;
}

int store_artefacts_put(struct store *s, int64_t id, const struct store_artefact *a, size_t n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = 0;

	if (n == 0)
		return 0;
	if (db_prepare(s,
		       "INSERT OR REPLACE INTO artefacts (submission_id, idx, sha256, size, path,"
		       " saved, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
		       &st) < 0 ||
	    db_exec(s, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	for (size_t i = 0; i < n && r >= 0; i++)
		r = artefact_insert(s, st, id, i, &a[i]);
	if (r < 0) {
		db_exec(s, "ROLLBACK");
		return r;
	}
	return db_exec(s, "COMMIT");
}

int store_artefacts_list(struct store *s, int64_t id, struct store_artefact **ret,
			 size_t *ret_n)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_artefact *a = NULL;
	size_t n = 0, cap = 0;
	int rc;

	/* A cached submission shows those of the analysis whose report it shows. */
	if (db_prepare(s,
		       "SELECT sha256, size, path, saved, reason FROM artefacts"
		       " WHERE submission_id = coalesce("
		       " (SELECT r.submission_id FROM reports r JOIN submissions s"
		       " ON s.sha256 = r.sha256 WHERE s.id = ?1 AND s.cached = 1"
		       " ORDER BY r.created DESC, r.submission_id DESC LIMIT 1), ?1)"
		       " ORDER BY idx",
		       &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&a, &cap, n, sizeof(*a)) < 0) {
			free(a);
			return -ENOMEM;
		}
		memset(&a[n], 0, sizeof(a[n]));
		copy_text(a[n].sha256, sizeof(a[n].sha256), st, 0);
		a[n].size = (uint64_t)sqlite3_column_int64(st, 1);
		copy_text(a[n].path, sizeof(a[n].path), st, 2);
		a[n].saved = sqlite3_column_int(st, 3) != 0;
		copy_text(a[n].reason, sizeof(a[n].reason), st, 4);
		n++;
	}
	if (rc != SQLITE_DONE) {
		free(a);
		return db_error(s, "cannot list the artefacts");
	}
	*ret = a;
	*ret_n = n;
	return 0;
}
