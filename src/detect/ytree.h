/* SPDX-License-Identifier: MIT */
/*
 * A YAML document as a small tree that remembers where each node was written, so that a
 * rule error can name file:line:column. Built from libyaml's event API with limits on size,
 * depth and node count; anchors and aliases are refused (rules have macros for reuse).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode {
	enum ynode_kind kind;
	unsigned line, col; /* 1-based */
	bool quoted;        /* a quoted scalar is always a string */
	char *value;        /* scalars only */
	size_t len;
	struct ynode **items; /* sequence items; for a map key, value, key, value... */
	size_t n;
};

#define YTREE_INPUT_MAX (1024 * 1024)

/* On failure err holds "line:column: reason". */
int ytree_parse(const char *buf, size_t len, struct ynode **ret, char *err, size_t errsz);
void ytree_free(struct ynode *n);

/* The value of key in a map, or NULL. */
const struct ynode *ytree_get(const struct ynode *map, const char *key);
bool ytree_is(const struct ynode *n, const char *s);
