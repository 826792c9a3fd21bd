/* SPDX-License-Identifier: MIT */
/*
 * Installing a rule set, as `sandtrap rules install` and sandtrapd's POST /api/v1/rules
 * both do: validate it (it loads, YARA and hash lists included, and every rule's own
 * fixtures pass), copy it into ROOT/<version> owned by root and writable by root only,
 * and point ROOT/current at it in one rename. Root only.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

struct ruleset;

struct rules_counts {
	size_t behaviour; /* behaviour rules */
	size_t yara;      /* YARA rules */
	size_t hashes;    /* listed sha256s, bad and good */
};

/*
 * The rule set in dir, loaded and its fixtures passed: *ret (ruleset_free()). On failure
 * err says why (file:line: message, or how many fixtures fail and the first); each
 * failing fixture is also printed to log (may be NULL).
 */
int rules_install_validate(const char *dir, FILE *log, struct ruleset **ret, char *err,
			   size_t errsz);
void rules_install_counts(const struct ruleset *rs, struct rules_counts *ret);

/*
 * dir (validated) into root/<version> (kept when root's already), then root/current ->
 * <version> in one rename. root is made a root-owned directory (0755) if missing, and
 * refused when it is anything else.
 */
int rules_install_put(const char *dir, const char *root, const char *version, char *err,
		      size_t errsz);
