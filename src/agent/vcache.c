/* SPDX-License-Identifier: MIT */
/*
 * The cache is an SQLite file and nothing else: no copy of it lives in the agent's memory.
 * Puts must be durable and come from the network thread; gets come from the fanotify
 * thread while a process waits. So there are two connections to one file in WAL mode: a
 * writer (synchronous=FULL, under db_lock) and a reader (under rd_lock). A WAL reader
 * never waits for a writer, so a get does not sit behind a put's fsync. A get is one
 * primary-key lookup, tens of microseconds: the pages it needs stay in the kernel's page
 * cache, which is shared and reclaimable, instead of a table in this process that would
 * grow with every entry (an earlier copy in memory took 4 MiB per 100,000 entries).
 *
 * The count is kept beside the file and moved by puts and evictions, in the same
 * transaction as the rows. Past the maximum, the oldest scans go (an index on scanned_at).
 */
#include "vcache.h"

#include "hash.h"
#include "log.h"
#include "macros.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VCACHE_MAX      250000 /* default; beyond it the oldest scans go */
#define BUSY_TIMEOUT_MS 5000

enum vc_stmt {
	ST_PUT,
	ST_HAS,
	ST_EVICT,
	ST_MAX,
};

struct vcache {
	pthread_mutex_t db_lock; /* the writer, count and max */
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_MAX];
	size_t n, max;

	pthread_mutex_t rd_lock; /* the reader */
	sqlite3 *rd;
	sqlite3_stmt *get;
};

static const char schema[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA mmap_size=0;"
                             "PRAGMA cache_size=-256;"
                             "CREATE TABLE IF NOT EXISTS verdicts ("
                             " sha256 BLOB PRIMARY KEY,"
                             " verdict INTEGER NOT NULL,"
                             " threat TEXT NOT NULL,"
                             " rules_version TEXT NOT NULL,"
                             " scanned_at INTEGER NOT NULL) WITHOUT ROWID;"
                             "CREATE INDEX IF NOT EXISTS verdicts_age ON verdicts (scanned_at);";

static const char reader_setup[] = "PRAGMA mmap_size=0; PRAGMA cache_size=-256; "
                                   "PRAGMA query_only=1;";

static const char *const stmt_sql[ST_MAX] = {
        [ST_PUT] = "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?)",
        [ST_HAS] = "SELECT 1 FROM verdicts WHERE sha256 = ?",
        [ST_EVICT] = "DELETE FROM verdicts WHERE sha256 IN "
                     "(SELECT sha256 FROM verdicts ORDER BY scanned_at LIMIT ?)",
};

static const char get_sql[] =
        "SELECT verdict, threat, rules_version, scanned_at FROM verdicts WHERE sha256 = ?";

static const char *const verdict_names[] = {
        [VC_UNKNOWN] = "unknown",
        [VC_CLEAN] = "clean",
        [VC_SUSPICIOUS] = "suspicious",
        [VC_MALICIOUS] = "malicious",
};

const char *vc_verdict_name(enum vc_verdict v)
{
	return (size_t)v < ARRAY_SIZE(verdict_names) ? verdict_names[v] : "unknown";
}

int vc_verdict_parse(const char *s, enum vc_verdict *ret)
{
	for (size_t i = VC_CLEAN; i < ARRAY_SIZE(verdict_names); i++)
		if (strcmp(s, verdict_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

bool vcache_fresh(const struct vc_entry *e, int64_t now, int64_t clean_ttl,
                  const char *rules_version)
{
	switch (e->verdict) {
	case VC_CLEAN:
		return now >= e->scanned_at && now - e->scanned_at < clean_ttl;
	case VC_SUSPICIOUS:
	case VC_MALICIOUS:
		return rules_version && strcmp(e->rules_version, rules_version) == 0;
	default:
		return false;
	}
}

static void sha_format(const uint8_t sha[32], char ret[65])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		ret[2 * i] = digits[sha[i] >> 4];
		ret[2 * i + 1] = digits[sha[i] & 15];
	}
	ret[64] = '\0';
}

/* ---- the database ---- */

/* -EBADMSG for a file that is not a database or a damaged one: vcache_open starts over. */
static int db_error(sqlite3 *db, const char *what)
{
	int code = sqlite3_errcode(db) & 0xff;

	log_error("vcache: %s: %s", what, sqlite3_errmsg(db));
	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? -EBADMSG : -EIO;
}

static int db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		int code = sqlite3_errcode(db) & 0xff;

		log_error("vcache: %s", err ? err : "?");
		sqlite3_free(err);
		return code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? -EBADMSG : -EIO;
	}
	return 0;
}

static void stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Callers hold db_lock. *ret_new: the digest was not there before. */
static int db_put(struct vcache *c, const uint8_t sha[32], const struct vc_entry *e,
                  bool *ret_new)
{
	sqlite3_stmt *has = c->stmt[ST_HAS], *st = c->stmt[ST_PUT];
	int rc;

	sqlite3_bind_blob(has, 1, sha, 32, SQLITE_STATIC);
	rc = sqlite3_step(has);
	stmt_done(has);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(c->db, "put");
	*ret_new = rc == SQLITE_DONE;
	sqlite3_bind_blob(st, 1, sha, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, e->verdict);
	sqlite3_bind_text(st, 3, e->threat, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->rules_version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, e->scanned_at);
	rc = sqlite3_step(st);
	stmt_done(st);
	return rc == SQLITE_DONE ? 0 : db_error(c->db, "put");
}

static int db_evict(struct vcache *c, size_t n)
{
	sqlite3_stmt *st = c->stmt[ST_EVICT];
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	rc = sqlite3_step(st);
	stmt_done(st);
	return rc == SQLITE_DONE ? 0 : db_error(c->db, "evict");
}

static bool entry_valid(const struct vc_entry *e, uint8_t ret_sha[32])
{
	return hash_sha256_parse(e->sha256, ret_sha) == 0 && (unsigned)e->verdict <= VC_MALICIOUS &&
	       strnlen(e->threat, sizeof(e->threat)) < sizeof(e->threat) &&
	       strnlen(e->rules_version, sizeof(e->rules_version)) < sizeof(e->rules_version);
}

/* Counting reads every page of the table: a file damaged anywhere shows here, at start. */
static int db_count(struct vcache *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM verdicts", -1, &st, NULL) != SQLITE_OK)
		return db_error(c->db, "count");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		c->n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_error(c->db, "count");
}

static void vcache_db_close(struct vcache *c)
{
	for (size_t i = 0; i < ST_MAX; i++) {
		sqlite3_finalize(c->stmt[i]);
		c->stmt[i] = NULL;
	}
	sqlite3_finalize(c->get);
	c->get = NULL;
	sqlite3_close(c->rd);
	sqlite3_close(c->db);
	c->rd = c->db = NULL;
}

/* A cache can be rebuilt: a damaged file goes with its WAL, and an empty one replaces it. */
static void vcache_db_remove(const char *path)
{
	char side[PATH_MAX];

	log_warn("vcache: '%s' is damaged; starting empty", path);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static int db_connect(const char *path, sqlite3 **ret)
{
	if (sqlite3_open_v2(path, ret,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
	                            SQLITE_OPEN_EXRESCODE,
	                    NULL) != SQLITE_OK)
		return log_errno(-EIO, "vcache: '%s': %s", path,
		                 *ret ? sqlite3_errmsg(*ret) : "out of memory");
	sqlite3_busy_timeout(*ret, BUSY_TIMEOUT_MS);
	return 0;
}

static int vcache_db_open(struct vcache *c, const char *path)
{
	_cleanup_close_ int fd = -1;
	int r;

	/* Which files are known bad or clean is nobody else's business: 0600 from the start. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_errno(neg_errno(), "vcache: '%s'", path);
	r = db_connect(path, &c->db);
	if (r < 0)
		return r;
	r = db_exec(c->db, schema);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ST_MAX; i++)
		if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &c->stmt[i], NULL) != SQLITE_OK)
			return db_error(c->db, stmt_sql[i]);
	r = db_count(c);
	if (r < 0)
		return r;
	r = db_connect(path, &c->rd);
	if (r < 0)
		return r;
	r = db_exec(c->rd, reader_setup);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v3(c->rd, get_sql, -1, SQLITE_PREPARE_PERSISTENT, &c->get, NULL) !=
	    SQLITE_OK)
		return db_error(c->rd, get_sql);
	return 0;
}

int vcache_open(const char *path, struct vcache **ret)
{
	struct vcache *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->db_lock, NULL);
	pthread_mutex_init(&c->rd_lock, NULL);
	c->max = VCACHE_MAX;
	r = vcache_db_open(c, path);
	if (r == -EBADMSG) {
		vcache_db_close(c);
		vcache_db_remove(path);
		c->n = 0;
		r = vcache_db_open(c, path);
	}
	if (r < 0) {
		vcache_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

void vcache_close(struct vcache *c)
{
	if (!c)
		return;
	vcache_db_close(c);
	pthread_mutex_destroy(&c->rd_lock);
	pthread_mutex_destroy(&c->db_lock);
	free(c);
}

int vcache_get(struct vcache *c, const char *sha256, struct vc_entry *ret)
{
	sqlite3_stmt *st = c->get;
	uint8_t sha[32];
	int rc, r;

	if (hash_sha256_parse(sha256, sha) < 0)
		return -EINVAL;
	pthread_mutex_lock(&c->rd_lock);
	sqlite3_bind_blob(st, 1, sha, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *threat = (const char *)sqlite3_column_text(st, 1);
		const char *rules = (const char *)sqlite3_column_text(st, 2);
		int v = sqlite3_column_int(st, 0);

		sha_format(sha, ret->sha256);
		ret->verdict = v >= VC_CLEAN && v <= VC_MALICIOUS ? (enum vc_verdict)v : VC_UNKNOWN;
		ret->scanned_at = sqlite3_column_int64(st, 3);
		snprintf(ret->threat, sizeof(ret->threat), "%s", threat ? threat : "");
		snprintf(ret->rules_version, sizeof(ret->rules_version), "%s", rules ? rules : "");
		r = 0;
	} else
		r = rc == SQLITE_DONE ? -ENOENT : db_error(c->rd, "get");
	stmt_done(st);
	pthread_mutex_unlock(&c->rd_lock);
	return r;
}

int vcache_put_many(struct vcache *c, const struct vc_entry *e, size_t n)
{
	_cleanup_free_ uint8_t(*sha)[32] = NULL;
	size_t added = 0;
	int r;

	if (n == 0)
		return 0;
	sha = calloc(n, sizeof(*sha));
	if (!sha)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!entry_valid(&e[i], sha[i]))
			return -EINVAL;

	pthread_mutex_lock(&c->db_lock);
	r = db_exec(c->db, "BEGIN IMMEDIATE");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		bool fresh = false;

		r = db_put(c, sha[i], &e[i], &fresh);
		added += fresh;
	}
	if (r >= 0 && c->n + added > c->max)
		r = db_evict(c, c->n + added - c->max);
	if (r >= 0)
		r = db_exec(c->db, "COMMIT");
	if (r >= 0)
		c->n = MIN(c->n + added, c->max);
	else if (!sqlite3_get_autocommit(c->db))
		db_exec(c->db, "ROLLBACK");
	pthread_mutex_unlock(&c->db_lock);
	return r;
}

int vcache_put(struct vcache *c, const struct vc_entry *e)
{
	return vcache_put_many(c, e, 1);
}

void vcache_set_max(struct vcache *c, size_t max)
{
	pthread_mutex_lock(&c->db_lock);
	c->max = MAX(max, 1);
	pthread_mutex_unlock(&c->db_lock);
}

size_t vcache_count(struct vcache *c)
{
	size_t n;

	pthread_mutex_lock(&c->db_lock);
	n = c->n;
	pthread_mutex_unlock(&c->db_lock);
	return n;
}
