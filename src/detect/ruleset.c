/* SPDX-License-Identifier: MIT */
#include "ruleset.h"

#include "hash.h"
#include "macros.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The rules' release date from DIR/DATE (one line, YYYY-MM-DD), as YYYYMMDD; "undated" when
 * the file is missing or malformed, so a hand-made rule directory still loads.
 */
static void ruleset_date(const char *dir, char *out, size_t sz)
{
	char path[4096], line[32] = "";
	FILE *f;

	snprintf(out, sz, "undated");
	if (snprintf(path, sizeof(path), "%s/DATE", dir) >= (int)sizeof(path))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && strlen(line) >= 10 &&
	    strspn(line, "0123456789") == 4 && line[4] == '-' &&
	    strspn(line + 5, "0123456789") == 2 && line[7] == '-' &&
	    strspn(line + 8, "0123456789") == 2 && (line[10] == '\n' || line[10] == '\0'))
		snprintf(out, sz, "%.4s%.2s%.2s", line, line + 5, line + 8);
	fclose(f);
}

/* "rules-DATE-HASH": HASH covers the behaviour rules, the YARA rules, the hash lists and DATE. */
static void ruleset_make_version(struct ruleset *rs, const char *dir)
{
	char both[256], date[16];
	struct file_hashes h;
	int n;

	ruleset_date(dir, date, sizeof(date));
	n = snprintf(both, sizeof(both), "%s\n%s\n%s\n", detect_engine_version(rs->engine),
		     staticsig_digest(rs->sigs), date);
	if (n < 0 || hash_buf(both, MIN((size_t)n, sizeof(both) - 1), &h) < 0) {
		snprintf(rs->version, sizeof(rs->version), "%s", detect_engine_version(rs->engine));
		return;
	}
	snprintf(rs->version, sizeof(rs->version), "rules-%s-%.12s", date, h.sha256);
}

int ruleset_load(const char *dir, const char *const *extra_yara, struct ruleset **ret,
		 char *err, size_t errsz)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	int r;

	if (!rs)
		return -ENOMEM;
	r = detect_engine_load(dir, &rs->engine, err, errsz);
	if (r == 0)
		r = staticsig_load(dir, extra_yara, &rs->sigs, err, errsz);
	if (r < 0) {
		ruleset_free(rs);
		return r;
	}
	ruleset_make_version(rs, dir);
	*ret = rs;
	return 0;
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	detect_engine_free(rs->engine);
	staticsig_free(rs->sigs);
	free(rs);
}

const char *ruleset_default_dir(void)
{
	const char *env = getenv("SANDTRAP_RULES");

	if (env && *env)
		return env;
	if (access(SANDTRAP_RULES_INSTALLED "/behaviour", R_OK | X_OK) == 0)
		return SANDTRAP_RULES_INSTALLED;
	return SANDTRAP_RULES_SOURCE;
}
