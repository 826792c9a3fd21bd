/* SPDX-License-Identifier: MIT */
/*
 * Static signals: YARA rules, sha256 hash lists and ELF facts over one file, before or
 * without detonation. A database is loaded (compiled) once and then scanned many times;
 * staticsig_scan() only reads the database, so one database may serve several threads.
 *
 * libyara is initialised once per process, on the first staticsig_load(), and never
 * finalised: yr_finalize() would pull the library out from under any database still in
 * use. Code elsewhere in the process that calls yr_initialize()/yr_finalize() itself keeps
 * working, since libyara counts those calls.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct staticsig_db;

/*
 * rules_dir holds yara/ *.yar and hashes/{bad,good}.txt (sha256 per line, '#' comments,
 * optional "  name" after the hash); extra_yara_dirs: NULL-terminated list of more
 * directories of .yar files the user adds (NULL for none). Either everything loads or
 * nothing does: on failure err holds "file:line: message" (or "file: message").
 */
int staticsig_load(const char *rules_dir, const char *const *extra_yara_dirs,
                   struct staticsig_db **ret, char *err, size_t errsz);
void staticsig_free(struct staticsig_db *db);

/*
 * sha256 hex over all loaded rule and list files (names and contents, sorted): part of
 * the rules database version.
 */
const char *staticsig_digest(const struct staticsig_db *db);

enum staticsig_kind { SIG_YARA, SIG_HASH_BAD, SIG_HASH_GOOD, SIG_ELF };

struct staticsig_hit {
	enum staticsig_kind kind;
	char id[64];        /* YARA rule name, "hash-bad", "elf-upx-packed", ... */
	char family[64];    /* YARA meta "family" or the hash list entry's name; "" if none */
	char technique[16]; /* ATT&CK id from YARA meta "attack" or the ELF fact; "" if none */
	int severity;       /* 0 info .. 4 critical */
	bool weak;          /* ELF facts: weak signals that alone never make a verdict malicious */
};

/*
 * Scan the file open at fd (read from offset 0, at most max_bytes), whose sha256 is given
 * (lower- or upper-case hex; NULL skips the hash lists). Hits come in a fixed order:
 * hash lists, YARA rules in load order, ELF facts. Returns 0, or -ENOBUFS when there were
 * more than max_hits (the first max_hits are filled in), -ETIME when YARA ran out of
 * time, another -errno on a read error. *ret_n is the number of hits filled in.
 */
int staticsig_scan(const struct staticsig_db *db, int fd, const char *sha256, uint64_t max_bytes,
                   struct staticsig_hit *hits, size_t max_hits, size_t *ret_n);

const char *staticsig_kind_name(enum staticsig_kind k); /* "yara" "hash_bad" "hash_good" "elf" */

/* How many YARA rules and listed hashes (bad and good) db holds. */
void staticsig_counts(const struct staticsig_db *db, size_t *ret_yara, size_t *ret_hashes);
