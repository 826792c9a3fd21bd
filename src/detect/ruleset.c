/* SPDX-License-Identifier: MIT */
#include "ruleset.h"

#include "hash.h"
#include "macros.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ruleset_make_version(struct ruleset *rs)
{
	char both[256];
	struct file_hashes h;
	int n;

	n = snprintf(both, sizeof(both), "%s\n%s\n", detect_engine_version(rs->engine),
		     staticsig_digest(rs->sigs));
	if (n < 0 || hash_buf(both, MIN((size_t)n, sizeof(both) - 1), &h) < 0) {
		snprintf(rs->version, sizeof(rs->version), "%s", detect_engine_version(rs->engine));
		return;
	}
	snprintf(rs->version, sizeof(rs->version), "rules-%.12s", h.sha256);
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
	ruleset_make_version(rs);
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
