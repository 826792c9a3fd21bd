/* SPDX-License-Identifier: MIT */
/*
 * Why SQLite and a table in memory: puts must be durable and come from the network
 * thread, gets come from the fanotify thread while a process waits. SQLite (WAL,
 * synchronous=FULL, a 512 KiB page cache) is the durable copy, written by puts only; gets
 * never touch it in the common case. They read a compact copy in memory:
 *
 *   entries  one 48-byte record per sha256 (binary digest, scan time, verdict, and two
 *            16-bit indexes into a table of interned strings: threat and rules version,
 *            of which there are few distinct ones), in a growable array;
 *   index    open addressing with linear probing over 32-bit entry numbers, at most half
 *            full, hashed with a per-process random key so chosen digests cannot pile up.
 *
 * 100,000 entries take about 6 MiB. A string that does not fit the intern table (more
 * than STR_MAX distinct ones) is read back from SQLite when a get needs it. An own log
 * format would save the library but would need its own compaction and crash recovery,
 * which SQLite already has and the server already uses.
 *
 * Locks: a rwlock over the memory copy (gets share it), a mutex over the database. A put
 * writes the database first, so a verdict is in memory only once it is durable.
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
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/random.h>

#define VCACHE_MAX      250000 /* default; beyond it the oldest of a random sample goes */
#define EVICT_SAMPLE    8
#define STR_MAX         4096 /* distinct interned threat and rules version strings */
#define STR_NONE        UINT16_MAX
#define BUSY_TIMEOUT_MS 5000
#define CACHE_KIB       128 /* gets never read SQLite: its cache serves puts only */

struct vc_slot {
	uint8_t sha[32];
	uint32_t scanned_at; /* unix seconds (to 2106): 44 bytes a slot instead of 48 */
	uint16_t threat;
	uint16_t rules;
	uint8_t verdict;
};

enum vc_stmt {
	ST_PUT,
	ST_DEL,
	ST_STRINGS,
	ST_MAX,
};

struct vcache {
	pthread_rwlock_t lock; /* the memory copy below */
	struct vc_slot *entries;
	size_t n, cap, max;
	uint32_t *index; /* entry number + 1; 0 is empty */
	size_t index_mask;
	uint64_t key[2];
	uint64_t rng; /* xorshift state for eviction samples */
	char *strs[STR_MAX];
	size_t n_strs;

	pthread_mutex_t db_lock;
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_MAX];
};

static const char schema[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA mmap_size=0;"
                             "PRAGMA cache_size=-512;"
                             "CREATE TABLE IF NOT EXISTS verdicts ("
                             " sha256 BLOB PRIMARY KEY,"
                             " verdict INTEGER NOT NULL,"
                             " threat TEXT NOT NULL,"
                             " rules_version TEXT NOT NULL,"
                             " scanned_at INTEGER NOT NULL) WITHOUT ROWID;";

static const char *const stmt_sql[ST_MAX] = {
        [ST_PUT] = "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?)",
        [ST_DEL] = "DELETE FROM verdicts WHERE sha256 = ?",
        [ST_STRINGS] = "SELECT threat, rules_version FROM verdicts WHERE sha256 = ?",
};

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

/* ---- the memory copy (callers hold c->lock) ---- */

static size_t slot_home(const struct vcache *c, const uint8_t sha[32])
{
	uint64_t x, y, h;

	memcpy(&x, sha, 8);
	memcpy(&y, sha + 8, 8);
	h = (x ^ c->key[0]) * 0x9e3779b97f4a7c15ull ^ (y ^ c->key[1]) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	return h & c->index_mask;
}

/* The index slot holding sha, or the empty slot where it would go. */
static size_t slot_find(const struct vcache *c, const uint8_t sha[32])
{
	size_t i = slot_home(c, sha);

	while (c->index[i] && memcmp(c->entries[c->index[i] - 1].sha, sha, 32) != 0)
		i = (i + 1) & c->index_mask;
	return i;
}

static int index_resize(struct vcache *c, size_t slots)
{
	uint32_t *index = calloc(slots, sizeof(*index));

	if (!index)
		return -ENOMEM;
	free(c->index);
	c->index = index;
	c->index_mask = slots - 1;
	for (size_t e = 0; e < c->n; e++)
		c->index[slot_find(c, c->entries[e].sha)] = e + 1;
	return 0;
}

/* Room for one more entry: the array grows by half, the index stays at most half full. */
static int mem_reserve(struct vcache *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap + c->cap / 2 : 1024;
		struct vc_slot *p = reallocarray(c->entries, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->entries = p;
		c->cap = cap;
	}
	if (2 * (c->n + 1) > c->index_mask + 1)
		return index_resize(c, 2 * (c->index_mask + 1));
	return 0;
}

static void mem_set(struct vcache *c, const struct vc_slot *s)
{
	size_t i = slot_find(c, s->sha);

	if (c->index[i]) {
		c->entries[c->index[i] - 1] = *s;
		return;
	}
	c->entries[c->n] = *s;
	c->index[i] = ++c->n;
}

/* Backward-shift deletion (no tombstones), then the last entry moves into the hole. */
static void mem_remove(struct vcache *c, size_t e)
{
	size_t i = slot_find(c, c->entries[e].sha), j = i;

	c->index[i] = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & c->index_mask;
		if (!c->index[j])
			break;
		k = slot_home(c, c->entries[c->index[j] - 1].sha);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			c->index[i] = c->index[j];
			c->index[j] = 0;
			i = j;
		}
	}
	if (e != c->n - 1) {
		c->entries[e] = c->entries[c->n - 1];
		c->index[slot_find(c, c->entries[e].sha)] = e + 1;
	}
	c->n--;
}

/* Index of s in the intern table, added if new; STR_NONE when the table is full. */
static uint16_t str_intern(struct vcache *c, const char *s)
{
	for (size_t i = 0; i < c->n_strs; i++)
		if (strcmp(c->strs[i], s) == 0)
			return i;
	if (c->n_strs == STR_MAX || !(c->strs[c->n_strs] = strdup(s)))
		return STR_NONE;
	return c->n_strs++;
}

/* ---- the database (callers hold c->db_lock) ---- */

/* -EBADMSG for a file that is not a database or a damaged one: vcache_open starts over. */
static int db_error(struct vcache *c, const char *what)
{
	int code = sqlite3_errcode(c->db) & 0xff;

	log_error("vcache: %s: %s", what, sqlite3_errmsg(c->db));
	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? -EBADMSG : -EIO;
}

static int db_exec(struct vcache *c, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		int code = sqlite3_errcode(c->db) & 0xff;

		log_error("vcache: %s", err ? err : "?");
		sqlite3_free(err);
		return code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? -EBADMSG : -EIO;
	}
	return 0;
}

static int db_step_done(struct vcache *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_error(c, what);
}

static int db_put(struct vcache *c, const uint8_t sha[32], const struct vc_entry *e)
{
	sqlite3_stmt *st = c->stmt[ST_PUT];

	sqlite3_bind_blob(st, 1, sha, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, e->verdict);
	sqlite3_bind_text(st, 3, e->threat, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->rules_version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, e->scanned_at);
	return db_step_done(c, st, "put");
}

static int db_delete(struct vcache *c, const uint8_t sha[32])
{
	sqlite3_bind_blob(c->stmt[ST_DEL], 1, sha, 32, SQLITE_STATIC);
	return db_step_done(c, c->stmt[ST_DEL], "evict");
}

/* The strings of an entry whose threat or rules version is not interned. */
static int db_strings(struct vcache *c, const uint8_t sha[32], struct vc_entry *ret)
{
	sqlite3_stmt *st = c->stmt[ST_STRINGS];
	int r = -ENOENT;

	sqlite3_bind_blob(st, 1, sha, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *threat = (const char *)sqlite3_column_text(st, 0);
		const char *rules = (const char *)sqlite3_column_text(st, 1);

		snprintf(ret->threat, sizeof(ret->threat), "%s", threat ? threat : "");
		snprintf(ret->rules_version, sizeof(ret->rules_version), "%s", rules ? rules : "");
		r = 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static bool entry_valid(const struct vc_entry *e, uint8_t ret_sha[32])
{
	return hash_sha256_parse(e->sha256, ret_sha) == 0 && (unsigned)e->verdict <= VC_MALICIOUS &&
	       strnlen(e->threat, sizeof(e->threat)) < sizeof(e->threat) &&
	       strnlen(e->rules_version, sizeof(e->rules_version)) < sizeof(e->rules_version);
}

static void slot_from_entry(struct vcache *c, const uint8_t sha[32], const struct vc_entry *e,
                            struct vc_slot *ret)
{
	memcpy(ret->sha, sha, 32);
	ret->scanned_at = e->scanned_at < 0 ? 0 : e->scanned_at > UINT32_MAX ? UINT32_MAX
									     : (uint32_t)e->scanned_at;
	ret->verdict = e->verdict;
	ret->threat = str_intern(c, e->threat);
	ret->rules = str_intern(c, e->rules_version);
}

static int vcache_load(struct vcache *c)
{
	sqlite3_stmt *st = NULL;
	unsigned skipped = 0;
	int rc, r = 0;

	if (sqlite3_prepare_v2(c->db, "SELECT * FROM verdicts", -1, &st, NULL) != SQLITE_OK)
		return db_error(c, "load");
	while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct vc_entry e = {.verdict = sqlite3_column_int(st, 1),
		                     .scanned_at = (uint32_t)sqlite3_column_int64(st, 4)};
		const char *threat = (const char *)sqlite3_column_text(st, 2);
		const char *rules = (const char *)sqlite3_column_text(st, 3);
		struct vc_slot s;

		if (sqlite3_column_bytes(st, 0) != 32 || (unsigned)e.verdict > VC_MALICIOUS ||
		    c->n >= c->max) {
			skipped++;
			continue;
		}
		snprintf(e.threat, sizeof(e.threat), "%s", threat ? threat : "");
		snprintf(e.rules_version, sizeof(e.rules_version), "%s", rules ? rules : "");
		r = mem_reserve(c);
		if (r < 0)
			break;
		slot_from_entry(c, sqlite3_column_blob(st, 0), &e, &s);
		mem_set(c, &s);
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = db_error(c, "load");
	sqlite3_finalize(st);
	if (skipped)
		log_warn("vcache: %u unusable rows ignored", skipped);
	return r;
}

static void vcache_db_close(struct vcache *c)
{
	for (size_t i = 0; i < ST_MAX; i++) {
		sqlite3_finalize(c->stmt[i]);
		c->stmt[i] = NULL;
	}
	sqlite3_close(c->db);
	c->db = NULL;
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

static int vcache_db_open(struct vcache *c, const char *path)
{
	_cleanup_close_ int fd = -1;
	int r;

	/* Which files are known bad or clean is nobody else's business: 0600 from the start. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return log_errno(neg_errno(), "vcache: '%s'", path);
	if (sqlite3_open_v2(path, &c->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
	                            SQLITE_OPEN_EXRESCODE,
	                    NULL) != SQLITE_OK)
		return log_errno(-EIO, "vcache: '%s': %s", path, sqlite3_errmsg(c->db));
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	r = db_exec(c, schema);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ST_MAX; i++)
		if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &c->stmt[i], NULL) != SQLITE_OK)
			return db_error(c, stmt_sql[i]);
	return 0;
}

int vcache_open(const char *path, struct vcache **ret)
{
	struct vcache *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	pthread_rwlock_init(&c->lock, NULL);
	pthread_mutex_init(&c->db_lock, NULL);
	if (getrandom(c->key, sizeof(c->key), 0) != sizeof(c->key)) {
		r = log_errno(neg_errno(), "vcache: getrandom");
		goto fail;
	}
	c->rng = c->key[0] | 1;
	c->max = VCACHE_MAX;
	r = index_resize(c, 2048);
	if (r < 0)
		goto fail;
	r = vcache_db_open(c, path);
	if (r >= 0)
		r = vcache_load(c);
	if (r == -EBADMSG) {
		vcache_db_close(c);
		vcache_db_remove(path);
		c->n = 0;
		memset(c->index, 0, (c->index_mask + 1) * sizeof(*c->index));
		r = vcache_db_open(c, path);
	}
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	vcache_close(c);
	return r;
}

void vcache_close(struct vcache *c)
{
	if (!c)
		return;
	vcache_db_close(c);
	for (size_t i = 0; i < c->n_strs; i++)
		free(c->strs[i]);
	free(c->entries);
	free(c->index);
	pthread_mutex_destroy(&c->db_lock);
	pthread_rwlock_destroy(&c->lock);
	free(c);
}

int vcache_get(struct vcache *c, const char *sha256, struct vc_entry *ret)
{
	uint8_t sha[32];
	struct vc_slot s;
	size_t i;
	int r;

	if (hash_sha256_parse(sha256, sha) < 0)
		return -EINVAL;

	pthread_rwlock_rdlock(&c->lock);
	i = slot_find(c, sha);
	if (!c->index[i]) {
		pthread_rwlock_unlock(&c->lock);
		return -ENOENT;
	}
	s = c->entries[c->index[i] - 1];
	sha_format(sha, ret->sha256);
	ret->verdict = s.verdict;
	ret->scanned_at = s.scanned_at;
	snprintf(ret->threat, sizeof(ret->threat), "%s",
	         s.threat == STR_NONE ? "" : c->strs[s.threat]);
	snprintf(ret->rules_version, sizeof(ret->rules_version), "%s",
	         s.rules == STR_NONE ? "" : c->strs[s.rules]);
	pthread_rwlock_unlock(&c->lock);

	if (s.threat != STR_NONE && s.rules != STR_NONE)
		return 0;
	pthread_mutex_lock(&c->db_lock);
	r = db_strings(c, sha, ret);
	pthread_mutex_unlock(&c->db_lock);
	return r;
}

/* The oldest scan of a few random entries: near-LRU without keeping an order. */
static size_t evict_pick(struct vcache *c)
{
	size_t victim = 0;

	for (size_t k = 0; k < EVICT_SAMPLE; k++) {
		size_t e;

		c->rng ^= c->rng << 13;
		c->rng ^= c->rng >> 7;
		c->rng ^= c->rng << 17;
		e = c->rng % c->n;
		if (k == 0 || c->entries[e].scanned_at < c->entries[victim].scanned_at)
			victim = e;
	}
	return victim;
}

/* Into memory after the commit; *ret_n_victims digests evicted to make room go to victims. */
static int mem_put_many(struct vcache *c, const struct vc_entry *e, const uint8_t (*sha)[32],
                        size_t n, uint8_t (*victims)[32], size_t *ret_n_victims)
{
	int r = 0;

	pthread_rwlock_wrlock(&c->lock);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct vc_slot s;

		if (c->n >= c->max && !c->index[slot_find(c, sha[i])]) {
			size_t v = evict_pick(c);

			memcpy(victims[(*ret_n_victims)++], c->entries[v].sha, 32);
			mem_remove(c, v);
		}
		r = mem_reserve(c);
		if (r >= 0) {
			slot_from_entry(c, sha[i], &e[i], &s);
			mem_set(c, &s);
		}
	}
	pthread_rwlock_unlock(&c->lock);
	return r;
}

/* Evicted entries leave the database too, unless a later put of the batch brought one back. */
static void db_evict(struct vcache *c, const uint8_t (*victims)[32], size_t n)
{
	if (n == 0 || db_exec(c, "BEGIN IMMEDIATE") < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		bool back;

		pthread_rwlock_rdlock(&c->lock);
		back = c->index[slot_find(c, victims[i])] != 0;
		pthread_rwlock_unlock(&c->lock);
		if (!back)
			db_delete(c, victims[i]);
	}
	db_exec(c, "COMMIT");
}

static int db_put_many(struct vcache *c, const struct vc_entry *e, const uint8_t (*sha)[32],
                       size_t n)
{
	int r;

	r = db_exec(c, "BEGIN IMMEDIATE");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = db_put(c, sha[i], &e[i]);
	if (r >= 0)
		r = db_exec(c, "COMMIT");
	if (r < 0 && !sqlite3_get_autocommit(c->db))
		db_exec(c, "ROLLBACK");
	return r;
}

int vcache_put_many(struct vcache *c, const struct vc_entry *e, size_t n)
{
	_cleanup_free_ uint8_t(*sha)[32] = NULL;
	_cleanup_free_ uint8_t(*victims)[32] = NULL;
	size_t n_victims = 0;
	int r;

	if (n == 0)
		return 0;
	sha = calloc(n, sizeof(*sha));
	victims = calloc(n, sizeof(*victims));
	if (!sha || !victims)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!entry_valid(&e[i], sha[i]))
			return -EINVAL;

	pthread_mutex_lock(&c->db_lock);
	r = db_put_many(c, e, (const uint8_t(*)[32])sha, n);
	if (r >= 0)
		r = mem_put_many(c, e, (const uint8_t(*)[32])sha, n, victims, &n_victims);
	db_evict(c, (const uint8_t(*)[32])victims, n_victims);
	pthread_mutex_unlock(&c->db_lock);
	return r;
}

int vcache_put(struct vcache *c, const struct vc_entry *e)
{
	return vcache_put_many(c, e, 1);
}

void vcache_set_max(struct vcache *c, size_t max)
{
	pthread_rwlock_wrlock(&c->lock);
	c->max = MAX(max, 1);
	pthread_rwlock_unlock(&c->lock);
}

size_t vcache_count(struct vcache *c)
{
	size_t n;

	pthread_rwlock_rdlock(&c->lock);
	n = c->n;
	pthread_rwlock_unlock(&c->lock);
	return n;
}
