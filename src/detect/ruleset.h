/* SPDX-License-Identifier: MIT */
/*
 * The rules database as one thing: the behaviour rules (rules/behaviour), the static
 * signals (rules/yara, rules/hashes and any YARA directories the user adds) and one
 * version string over all of them, recorded in every verdict so cached verdicts expire
 * when any rule changes.
 */
#pragma once

#include "detect.h"
#include "staticsig.h"

struct ruleset {
	struct detect_engine *engine;
	struct staticsig_db *sigs;
	char version[48]; /* "rules-YYYYMMDD-" (or "rules-undated-") and 12 hex digits */
};

/* extra_yara: NULL-terminated, may be NULL. On failure err says which file and why. */
int ruleset_load(const char *dir, const char *const *extra_yara, struct ruleset **ret,
		 char *err, size_t errsz);
void ruleset_free(struct ruleset *rs);

/*
 * Where the rules are when the user names none: $SANDTRAP_RULES, else the installed
 * copy, else the source tree the binary was built from.
 */
const char *ruleset_default_dir(void);
