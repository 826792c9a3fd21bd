/* SPDX-License-Identifier: MIT */
#include "staticsig.h"

#include "elfsig.h"
#include "fileio.h"
#include "hashlist.h"
#include "macros.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

/* A rule set is text a person wrote; anything past these is a mistake, not a rule set. */
#define STATICSIG_YARA_FILE_MAX  (8u * 1024 * 1024)
#define STATICSIG_DIR_FILES_MAX  4096
#define STATICSIG_EXTRA_DIRS_MAX 64
/* One object's YARA scan; a pathological rule must not hold up the verdict forever. */
#define STATICSIG_YARA_TIMEOUT_S 30

enum staticsig_file_kind { SF_YARA, SF_BAD, SF_GOOD };

/* One loaded file: label is its stable name in the digest (not the host path). */
struct staticsig_file {
	enum staticsig_file_kind kind;
	char *label;
	char *path;
	char *text;
	size_t len;
};

struct staticsig_files {
	struct staticsig_file *v;
	size_t n;
};

struct staticsig_db {
	YR_RULES *rules;
	struct hashlist bad;
	struct hashlist good;
	char digest[65];
};

/* What a rule's metas say, validated once at load and read again for each match. */
struct staticsig_rule_info {
	const char *family;
	const char *technique;
	int severity;
};

static const char *const staticsig_kind_names[] = {
        [SIG_YARA] = "yara",
        [SIG_HASH_BAD] = "hash_bad",
        [SIG_HASH_GOOD] = "hash_good",
        [SIG_ELF] = "elf",
};

static const char *const staticsig_severity_names[] = {
        "info", "low", "medium", "high", "critical",
};

enum { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* The ELF facts in the order they are reported. */
static const struct {
	unsigned fact;
	const char *id;
	const char *technique;
} staticsig_elf_facts[] = {
        {ELFSIG_UPX_PACKED, "elf-upx-packed", "T1027.002"},
        {ELFSIG_RWX_HIGH_ENTROPY, "elf-packed-rwx-entropy", "T1027.002"},
        {ELFSIG_STATIC_STRIPPED, "elf-static-stripped", "T1027"},
        {ELFSIG_NO_SECTION_HEADERS, "elf-no-section-headers", "T1027"},
        {ELFSIG_ENTRY_OUTSIDE_TEXT, "elf-entry-outside-text", "T1027"},
};

const char *staticsig_kind_name(enum staticsig_kind k)
{
	if ((unsigned)k >= ARRAY_SIZE(staticsig_kind_names))
		return "unknown";
	return staticsig_kind_names[k];
}

static void staticsig_err(char *err, size_t errsz, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void staticsig_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static void staticsig_copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src ? src : "");
}

/* "a/b" in a new string, or NULL; unlike asprintf, the result is defined on failure. */
static char *staticsig_join(const char *a, const char *b)
{
	size_t n = strlen(a) + 1 + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

/* ---- collecting files ---- */

static void staticsig_files_clear(struct staticsig_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].label);
		free(fs->v[i].path);
		free(fs->v[i].text);
	}
	free(fs->v);
	*fs = (struct staticsig_files){0};
}

static int staticsig_files_add(struct staticsig_files *fs, enum staticsig_file_kind kind,
                               const char *label, const char *path, size_t max, char *err,
                               size_t errsz)
{
	struct staticsig_file *v = reallocarray(fs->v, fs->n + 1, sizeof(*v));
	struct staticsig_file *f;
	int r;

	if (!v)
		return -ENOMEM;
	fs->v = v;
	f = &v[fs->n];
	*f = (struct staticsig_file){.kind = kind};
	f->label = strdup(label);
	f->path = strdup(path);
	if (!f->label || !f->path) {
		free(f->label);
		free(f->path);
		return -ENOMEM;
	}
	fs->n++;

	r = file_read_all(path, max, &f->text, &f->len);
	if (r < 0)
		staticsig_err(err, errsz, "%s: %s", path, strerror(-r));
	return r;
}

static bool staticsig_is_yar(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 4 && strcmp(de->d_name + n - 4, ".yar") == 0;
}

static int staticsig_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void staticsig_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The .yar names in dir, sorted, so that the load order never depends on readdir. */
static int staticsig_list_yar(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	if (!d)
		return neg_errno();
	while ((de = readdir(d))) {
		char **v;

		if (!staticsig_is_yar(de))
			continue;
		if (n == STATICSIG_DIR_FILES_MAX) {
			r = -E2BIG;
			break;
		}
		v = reallocarray(names, n + 1, sizeof(*v));
		if (!v || !(v[n] = strdup(de->d_name))) {
			names = v ? v : names;
			r = -ENOMEM;
			break;
		}
		names = v;
		n++;
	}
	closedir(d);
	if (r < 0) {
		staticsig_names_free(names, n);
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), staticsig_name_cmp);
	*ret = names;
	*ret_n = n;
	return 0;
}

static int staticsig_collect_dir(struct staticsig_files *fs, const char *dir, const char *prefix,
                                 char *err, size_t errsz)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	r = staticsig_list_yar(dir, &names, &n);
	if (r < 0) {
		staticsig_err(err, errsz, "%s: %s", dir, strerror(-r));
		return r;
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *label = staticsig_join(prefix, names[i]);
		_cleanup_free_ char *path = staticsig_join(dir, names[i]);

		if (!label || !path) {
			r = -ENOMEM;
			break;
		}
		r = staticsig_files_add(fs, SF_YARA, label, path, STATICSIG_YARA_FILE_MAX, err,
		                        errsz);
	}
	staticsig_names_free(names, n);
	return r;
}

/* A missing list is an empty list: a rule set may have no known-good hashes at all. */
static int staticsig_collect_list(struct staticsig_files *fs, const char *rules_dir,
                                  const char *name, enum staticsig_file_kind kind, char *err,
                                  size_t errsz)
{
	_cleanup_free_ char *label = staticsig_join("hashes", name);
	_cleanup_free_ char *path = label ? staticsig_join(rules_dir, label) : NULL;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return staticsig_files_add(fs, kind, label, path, HASHLIST_FILE_MAX, err, errsz);
}

static int staticsig_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct staticsig_file *)a)->label,
	              ((const struct staticsig_file *)b)->label);
}

static int staticsig_collect(const char *rules_dir, const char *const *extra,
                             struct staticsig_files *fs, char *err, size_t errsz)
{
	_cleanup_free_ char *yara_dir = staticsig_join(rules_dir, "yara");
	int r;

	if (!yara_dir)
		return -ENOMEM;
	r = staticsig_collect_dir(fs, yara_dir, "yara", err, errsz);
	for (size_t i = 0; r >= 0 && extra && extra[i]; i++) {
		char prefix[32];

		if (i == STATICSIG_EXTRA_DIRS_MAX) {
			staticsig_err(err, errsz, "%s: too many YARA directories", extra[i]);
			return -E2BIG;
		}
		snprintf(prefix, sizeof(prefix), "extra/%zu", i);
		r = staticsig_collect_dir(fs, extra[i], prefix, err, errsz);
	}
	if (r >= 0)
		r = staticsig_collect_list(fs, rules_dir, "bad.txt", SF_BAD, err, errsz);
	if (r >= 0)
		r = staticsig_collect_list(fs, rules_dir, "good.txt", SF_GOOD, err, errsz);
	if (r < 0)
		return r;

	if (fs->n)
		qsort(fs->v, fs->n, sizeof(*fs->v), staticsig_label_cmp);
	return 0;
}

/* ---- digest ---- */

static int staticsig_digest_files(const struct staticsig_files *fs, char ret[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[32];
	unsigned outlen = 0;
	int ok;

	if (!md)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < fs->n; i++) {
		char len[32];

		/* Name and length frame each file, so no two different sets hash alike. */
		snprintf(len, sizeof(len), "%zu", fs->v[i].len);
		ok = EVP_DigestUpdate(md, fs->v[i].label, strlen(fs->v[i].label) + 1) &&
		     EVP_DigestUpdate(md, len, strlen(len) + 1) &&
		     EVP_DigestUpdate(md, fs->v[i].text, fs->v[i].len);
	}
	ok = ok && EVP_DigestFinal_ex(md, out, &outlen) && outlen == sizeof(out);
	EVP_MD_CTX_free(md);
	if (!ok)
		return -EIO;
	for (size_t i = 0; i < sizeof(out); i++)
		snprintf(ret + 2 * i, 3, "%02x", out[i]);
	return 0;
}

/* ---- hash lists ---- */

static int staticsig_load_lists(struct staticsig_db *db, const struct staticsig_files *fs,
                                char *err, size_t errsz)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct staticsig_file *f = &fs->v[i];
		struct hashlist *l = f->kind == SF_BAD ? &db->bad : &db->good;
		size_t line;
		int r;

		if (f->kind == SF_YARA)
			continue;
		r = hashlist_parse(f->text, f->len, l, &line);
		if (r == -EBADMSG)
			staticsig_err(err, errsz,
			              "%s:%zu: expected a sha256 (64 hex digits), optionally "
			              "followed by a printable name of at most 63 characters",
			              f->path, line);
		else if (r < 0)
			staticsig_err(err, errsz, "%s: %s", f->path, strerror(-r));
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- YARA ---- */

static pthread_once_t staticsig_yara_once = PTHREAD_ONCE_INIT;
static int staticsig_yara_init_result;

static void staticsig_yara_init(void)
{
	staticsig_yara_init_result = yr_initialize();
}

struct staticsig_compile {
	const char *path; /* the file being compiled, for messages */
	char *err;
	size_t errsz;
	unsigned errors;
};

static void staticsig_compile_message(int level, const char *file_name, int line,
                                      const YR_RULE *rule, const char *message, void *user)
{
	struct staticsig_compile *c = user;

	/* Warnings (slow rules and the like) do not reject a set; the first error names it. */
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	if (c->errors++ == 0)
		staticsig_err(c->err, c->errsz, "%s:%d: %s", c->path, line, message);
}

/* Includes would pull in files the digest does not cover: every rule file is listed. */
static const char *staticsig_compile_include(const char *name, const char *from, const char *ns,
                                             void *user)
{
	return NULL;
}

static int staticsig_severity_parse(const YR_META *m, int *ret)
{
	if (m->type == META_TYPE_INTEGER) {
		if (m->integer < SEV_INFO || m->integer > SEV_CRITICAL)
			return -EINVAL;
		*ret = (int)m->integer;
		return 0;
	}
	if (m->type != META_TYPE_STRING)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(staticsig_severity_names); i++)
		if (strcmp(m->string, staticsig_severity_names[i]) == 0) {
			*ret = (int)i;
			return 0;
		}
	return -EINVAL;
}

/* An Enterprise technique or sub-technique id: T1234 or T1234.567. */
static bool staticsig_technique_valid(const char *s)
{
	size_t n = strlen(s);

	if ((n != 5 && n != 9) || s[0] != 'T' || strspn(s + 1, "0123456789") != 4)
		return false;
	return n == 5 || (s[5] == '.' && strspn(s + 6, "0123456789") == 3);
}

static int staticsig_rule_info_get(const YR_RULE *rule, struct staticsig_rule_info *ret,
                                   const char **ret_why)
{
	bool have_severity = false;
	const YR_META *m;

	*ret = (struct staticsig_rule_info){.family = "", .technique = ""};
	yr_rule_metas_foreach(rule, m)
	{
		bool str = m->type == META_TYPE_STRING;

		if (strcmp(m->identifier, "family") == 0) {
			*ret_why = "meta family must be a string of at most 63 characters";
			if (!str ||
			    strlen(m->string) >= sizeof(((struct staticsig_hit *)0)->family))
				return -EINVAL;
			ret->family = m->string;
		} else if (strcmp(m->identifier, "attack") == 0) {
			*ret_why =
			        "meta attack must be one ATT&CK technique id (T1234 or T1234.567)";
			if (!str || !staticsig_technique_valid(m->string))
				return -EINVAL;
			ret->technique = m->string;
		} else if (strcmp(m->identifier, "severity") == 0) {
			*ret_why =
			        "meta severity must be info, low, medium, high, critical or 0..4";
			if (staticsig_severity_parse(m, &ret->severity) < 0)
				return -EINVAL;
			have_severity = true;
		}
	}
	/* A family match names malware, so by default it counts as high; anything else medium. */
	if (!have_severity)
		ret->severity = ret->family[0] ? SEV_HIGH : SEV_MEDIUM;
	return 0;
}

/* The host path of the file a rule came from: its namespace is the file's label. */
static const char *staticsig_rule_path(const YR_RULE *rule, const struct staticsig_files *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].label, rule->ns->name) == 0)
			return fs->v[i].path;
	return rule->ns->name;
}

static int staticsig_id_cmp(const void *a, const void *b)
{
	return strcmp((*(YR_RULE *const *)a)->identifier, (*(YR_RULE *const *)b)->identifier);
}

/* Hits are named by rule identifier alone, so identifiers must be unique across files. */
static int staticsig_check_unique(YR_RULES *rules, const struct staticsig_files *fs, char *err,
                                  size_t errsz)
{
	_cleanup_free_ YR_RULE **v = NULL;
	YR_RULE *rule;
	size_t n = 0;

	yr_rules_foreach(rules, rule) n++;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	yr_rules_foreach(rules, rule) v[n++] = rule;
	qsort(v, n, sizeof(*v), staticsig_id_cmp);

	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->identifier, v[i]->identifier) != 0)
			continue;
		staticsig_err(err, errsz, "%s: rule '%s' is also defined in %s",
		              staticsig_rule_path(v[i], fs), v[i]->identifier,
		              staticsig_rule_path(v[i - 1], fs));
		return -EINVAL;
	}
	return 0;
}

static int staticsig_check_rules(YR_RULES *rules, const struct staticsig_files *fs, char *err,
                                 size_t errsz)
{
	YR_RULE *rule;

	yr_rules_foreach(rules, rule)
	{
		struct staticsig_rule_info info;
		const char *why = "";

		if (strlen(rule->identifier) >= sizeof(((struct staticsig_hit *)0)->id)) {
			staticsig_err(err, errsz, "%s: rule '%s': name longer than 63 characters",
			              staticsig_rule_path(rule, fs), rule->identifier);
			return -EINVAL;
		}
		if (staticsig_rule_info_get(rule, &info, &why) < 0) {
			staticsig_err(err, errsz, "%s: rule '%s': %s",
			              staticsig_rule_path(rule, fs), rule->identifier, why);
			return -EINVAL;
		}
	}
	return staticsig_check_unique(rules, fs, err, errsz);
}

static int staticsig_compile_files(YR_COMPILER *yc, const struct staticsig_files *fs,
                                   struct staticsig_compile *c)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct staticsig_file *f = &fs->v[i];

		if (f->kind != SF_YARA)
			continue;
		c->path = f->path;
		/* After an error the compiler is unusable; the set is rejected anyway. */
		if (yr_compiler_add_string(yc, f->text, f->label) != 0 || c->errors)
			return -EINVAL;
	}
	return 0;
}

static size_t staticsig_stream_write(const void *p, size_t size, size_t n, void *f)
{
	return fwrite(p, size, n, f);
}

static size_t staticsig_stream_read(void *p, size_t size, size_t n, void *f)
{
	return fread(p, size, n, f);
}

/*
 * The compiler's arena grows in megabyte steps that the rules it hands out keep. Saved and
 * loaded again, they fill buffers of their own size: several MiB less for every process
 * that holds rules. On any failure the rules stay as compiled.
 */
static void staticsig_compact(YR_RULES **rules)
{
	char *buf = NULL;
	size_t len = 0;
	YR_RULES *copy = NULL;
	FILE *f = open_memstream(&buf, &len);
	YR_STREAM st = {.write = staticsig_stream_write, .read = staticsig_stream_read};
	int r;

	if (!f)
		return;
	st.user_data = f;
	r = yr_rules_save_stream(*rules, &st);
	if (fclose(f) != 0 || r != ERROR_SUCCESS) {
		free(buf);
		return;
	}
	f = fmemopen(buf, len, "r");
	if (f) {
		st.user_data = f;
		if (yr_rules_load_stream(&st, &copy) == ERROR_SUCCESS) {
			yr_rules_destroy(*rules);
			*rules = copy;
		}
		fclose(f);
	}
	free(buf);
}

static int staticsig_load_yara(struct staticsig_db *db, const struct staticsig_files *fs, char *err,
                               size_t errsz)
{
	struct staticsig_compile c = {.err = err, .errsz = errsz};
	YR_COMPILER *yc = NULL;
	int r;

	pthread_once(&staticsig_yara_once, staticsig_yara_init);
	if (staticsig_yara_init_result != ERROR_SUCCESS) {
		staticsig_err(err, errsz, "libyara: initialisation failed (%d)",
		              staticsig_yara_init_result);
		return -EIO;
	}
	if (yr_compiler_create(&yc) != ERROR_SUCCESS)
		return -ENOMEM;
	yr_compiler_set_callback(yc, staticsig_compile_message, &c);
	yr_compiler_set_include_callback(yc, staticsig_compile_include, NULL, NULL);

	r = staticsig_compile_files(yc, fs, &c);
	if (r >= 0 && yr_compiler_get_rules(yc, &db->rules) != ERROR_SUCCESS)
		r = -ENOMEM;
	yr_compiler_destroy(yc);
	if (r < 0)
		return r;
	staticsig_compact(&db->rules);
	return staticsig_check_rules(db->rules, fs, err, errsz);
}

/* ---- load ---- */

int staticsig_load(const char *rules_dir, const char *const *extra_yara_dirs,
                   struct staticsig_db **ret, char *err, size_t errsz)
{
	struct staticsig_files fs = {0};
	struct staticsig_db *db;
	int r;

	staticsig_err(err, errsz, "%s", "");
	*ret = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;

	r = staticsig_collect(rules_dir, extra_yara_dirs, &fs, err, errsz);
	if (r >= 0)
		r = staticsig_digest_files(&fs, db->digest);
	if (r >= 0)
		r = staticsig_load_lists(db, &fs, err, errsz);
	if (r >= 0)
		r = staticsig_load_yara(db, &fs, err, errsz);
	staticsig_files_clear(&fs);
	if (r < 0) {
		if (err && errsz && !err[0])
			staticsig_err(err, errsz, "%s: %s", rules_dir, strerror(-r));
		staticsig_free(db);
		return r;
	}
	*ret = db;
	return 0;
}

void staticsig_free(struct staticsig_db *db)
{
	if (!db)
		return;
	if (db->rules)
		yr_rules_destroy(db->rules);
	hashlist_clear(&db->bad);
	hashlist_clear(&db->good);
	free(db);
}

const char *staticsig_digest(const struct staticsig_db *db)
{
	return db->digest;
}

/* ---- scan ---- */

struct staticsig_out {
	struct staticsig_hit *hits;
	size_t max;
	size_t n;
	bool overflow;
};

static struct staticsig_hit *staticsig_out_next(struct staticsig_out *o)
{
	if (o->n == o->max) {
		o->overflow = true;
		return NULL;
	}
	memset(&o->hits[o->n], 0, sizeof(o->hits[o->n]));
	return &o->hits[o->n++];
}

static void staticsig_out_add(struct staticsig_out *o, enum staticsig_kind kind, const char *id,
                              const char *family, const char *technique, int severity, bool weak)
{
	struct staticsig_hit *h = staticsig_out_next(o);

	if (!h)
		return;
	h->kind = kind;
	staticsig_copy(h->id, sizeof(h->id), id);
	staticsig_copy(h->family, sizeof(h->family), family);
	staticsig_copy(h->technique, sizeof(h->technique), technique);
	h->severity = severity;
	h->weak = weak;
}

static void staticsig_scan_hashes(const struct staticsig_db *db, const char *sha256,
                                  struct staticsig_out *o)
{
	const struct hashlist_entry *e;

	e = hashlist_find(&db->bad, sha256);
	if (e)
		staticsig_out_add(o, SIG_HASH_BAD, "hash-bad", e->name, "", SEV_CRITICAL, false);
	e = hashlist_find(&db->good, sha256);
	if (e)
		staticsig_out_add(o, SIG_HASH_GOOD, "hash-good", e->name, "", SEV_INFO, false);
}

static int staticsig_yara_match(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	const YR_RULE *rule = data;
	struct staticsig_rule_info info;
	const char *why;

	if (message != CALLBACK_MSG_RULE_MATCHING || RULE_IS_PRIVATE(rule))
		return CALLBACK_CONTINUE;
	/* Validated at load; a failure here would mean memory corruption, so skip quietly. */
	if (staticsig_rule_info_get(rule, &info, &why) < 0)
		return CALLBACK_CONTINUE;
	staticsig_out_add(user, SIG_YARA, rule->identifier, info.family, info.technique,
	                  info.severity, false);
	return CALLBACK_CONTINUE;
}

static int staticsig_scan_yara(const struct staticsig_db *db, const uint8_t *buf, size_t len,
                               struct staticsig_out *o)
{
	int r = yr_rules_scan_mem(db->rules, buf, len, 0, staticsig_yara_match, o,
	                          STATICSIG_YARA_TIMEOUT_S);

	switch (r) {
	case ERROR_SUCCESS:
		return 0;
	case ERROR_SCAN_TIMEOUT:
		return -ETIME;
	case ERROR_INSUFFICIENT_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static void staticsig_scan_elf(const uint8_t *buf, size_t len, struct staticsig_out *o)
{
	unsigned facts;

	if (elfsig_inspect(buf, len, &facts) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(staticsig_elf_facts); i++)
		if (facts & staticsig_elf_facts[i].fact)
			staticsig_out_add(o, SIG_ELF, staticsig_elf_facts[i].id, "",
			                  staticsig_elf_facts[i].technique, SEV_LOW, true);
}

static int staticsig_pread_full(int fd, uint8_t *buf, size_t len, size_t *ret_len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*ret_len = done;
	return 0;
}

/* The first max_bytes of the file (or all of it), in one buffer sized by fstat. */
static int staticsig_read(int fd, uint64_t max_bytes, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	uint64_t want;
	int r;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	want = MIN((uint64_t)st.st_size, max_bytes);
	if (want > SIZE_MAX - 1)
		return -EFBIG;

	/* One spare byte: malloc(0) may return NULL, and YARA wants a valid pointer. */
	buf = malloc((size_t)want + 1);
	if (!buf)
		return -ENOMEM;
	r = staticsig_pread_full(fd, buf, (size_t)want, ret_len);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	return 0;
}

int staticsig_scan(const struct staticsig_db *db, int fd, const char *sha256, uint64_t max_bytes,
                   struct staticsig_hit *hits, size_t max_hits, size_t *ret_n)
{
	struct staticsig_out o = {.hits = hits, .max = max_hits};
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	*ret_n = 0;
	r = staticsig_read(fd, max_bytes, &buf, &len);
	if (r < 0)
		return r;

	staticsig_scan_hashes(db, sha256, &o);
	r = staticsig_scan_yara(db, buf, len, &o);
	if (r < 0)
		return r;
	staticsig_scan_elf(buf, len, &o);

	*ret_n = o.n;
	return o.overflow ? -ENOBUFS : 0;
}

void staticsig_counts(const struct staticsig_db *db, size_t *ret_yara, size_t *ret_hashes)
{
	*ret_yara = db && db->rules ? db->rules->num_rules : 0;
	*ret_hashes = db ? db->bad.n + db->good.n : 0;
}
