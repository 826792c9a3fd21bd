/* SPDX-License-Identifier: MIT */
/*
 * Loading a rule set: every behaviour/NAME.yml is parsed into a tree that remembers positions,
 * lists and macros are collected from all files first (any file may use them), then each
 * rule is checked field by field and compiled into the flat arrays of struct detect_engine.
 * The first error stops the load and names file:line:column; the caller gets either a
 * complete engine or nothing.
 */
#include "rules.h"

#include "fileio.h"
#include "macros.h"
#include "ytree.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define RULE_FILES_MAX    256
#define RULE_NAME_MAX     64
#define RULE_TEXT_MAX     1024
#define COND_NODES_MAX    (1u << 20)
#define LIST_ITEMS_MAX    4096
#define FIXTURE_EVENTS_MAX 64
#define FIXTURE_REPEAT_MAX 1024
#define NAMED_MAX         1024
#define ALL_EVENT_TYPES   (((1ull << EV_TYPE_MAX) - 1) & ~1ull)

struct rule_file {
	char name[RULE_NAME_MAX + 16]; /* "behaviour/x.yml" */
	struct ynode *root;
};

struct named {
	const char *name;
	const struct ynode *node;
	const char *file;
	int64_t compiled[2]; /* macros: per context (event, process), -1 until compiled */
	bool busy[2];
	uint32_t first, n; /* lists: strings */
};

struct load_ctx {
	struct detect_engine *e;
	const char *file;
	char *err;
	size_t errsz;
	struct named lists[NAMED_MAX], macros[NAMED_MAX];
	size_t n_lists, n_macros;
	bool on_proc;
	unsigned depth;
};

__attribute__((format(printf, 3, 4))) static int load_fail(struct load_ctx *c,
                                                           const struct ynode *n,
                                                           const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errsz, "%s:%u:%u: %s", c->file, n ? n->line : 1, n ? n->col : 1, why);
	return -EINVAL;
}

/* ---- growable arrays with a hard limit -------------------------------------------------- */

static int vec_reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= COND_NODES_MAX)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 64;
	p = reallocarray(*v, ncap, elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static int64_t cond_add(struct load_ctx *c, const struct ynode *at, const struct cond *cond)
{
	struct detect_engine *e = c->e;

	if (vec_reserve((void **)&e->conds, &e->cap_conds, e->n_conds, sizeof(*e->conds)) < 0)
		return load_fail(c, at, "too many conditions");
	e->conds[e->n_conds] = *cond;
	return (int64_t)e->n_conds++;
}

static int64_t str_add(struct load_ctx *c, const struct ynode *at, const char *s, size_t len)
{
	struct detect_engine *e = c->e;
	char *copy;

	if (vec_reserve((void **)&e->strs, &e->cap_strs, e->n_strs, sizeof(*e->strs)) < 0)
		return load_fail(c, at, "too many strings");
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	e->strs[e->n_strs] = (struct rstr){.s = copy, .len = len};
	return (int64_t)e->n_strs++;
}

static char *text_dup(struct load_ctx *c, const struct ynode *n, const char *what, int *ret)
{
	char *s;

	*ret = 0;
	if (!n || n->kind != YNODE_SCALAR || n->len == 0) {
		*ret = load_fail(c, n, "%s must be a non-empty string", what);
		return NULL;
	}
	if (n->len > RULE_TEXT_MAX) {
		*ret = load_fail(c, n, "%s longer than %d bytes", what, RULE_TEXT_MAX);
		return NULL;
	}
	s = strdup(n->value);
	if (!s)
		*ret = -ENOMEM;
	return s;
}

/* ---- scalars ---------------------------------------------------------------------------- */

static int parse_number(struct load_ctx *c, const struct ynode *n, uint64_t *ret)
{
	char *end;

	if (!n || n->kind != YNODE_SCALAR || n->len == 0)
		return load_fail(c, n, "expected a number");
	if (field_const(n->value, ret) == 0)
		return 0;
	errno = 0;
	if (n->value[0] == '-')
		*ret = (uint64_t)strtoll(n->value, &end, 0);
	else
		*ret = strtoull(n->value, &end, 0);
	if (errno != 0 || *end != '\0')
		return load_fail(c, n, "'%s' is not a number or a known constant", n->value);
	return 0;
}

static int parse_mask(struct load_ctx *c, const struct ynode *n, uint64_t *ret)
{
	*ret = 0;
	if (n && n->kind == YNODE_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			uint64_t v;
			int r = parse_number(c, n->items[i], &v);

			if (r < 0)
				return r;
			*ret |= v;
		}
		return 0;
	}
	return parse_number(c, n, ret);
}

/* "5s", "500ms", "2m"; a bare number is seconds. */
static int parse_duration(struct load_ctx *c, const struct ynode *n, uint64_t *ret_ns)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {{"ms", 1000000ull}, {"s", 1000000000ull}, {"m", 60000000000ull}, {"", 1000000000ull}};
	unsigned long long v;
	char *end;

	if (!n || n->kind != YNODE_SCALAR)
		return load_fail(c, n, "expected a duration such as 5s or 500ms");
	errno = 0;
	v = strtoull(n->value, &end, 10);
	for (size_t i = 0; errno == 0 && end != n->value && i < ARRAY_SIZE(units); i++)
		if (strcmp(end, units[i].suffix) == 0 && v > 0 && v <= 3600000) {
			*ret_ns = v * units[i].ns;
			return 0;
		}
	return load_fail(c, n, "'%s' is not a duration (1ms to 1h, such as 5s or 500ms)", n->value);
}

static int parse_severity(struct load_ctx *c, const struct ynode *n, int *ret)
{
	for (int s = DETECT_SEV_INFO; s <= DETECT_SEV_CRITICAL; s++)
		if (ytree_is(n, detect_severity_name(s))) {
			*ret = s;
			return 0;
		}
	return load_fail(c, n, "severity must be info, low, medium, high or critical");
}

/* T1234 or T1234.567 */
static bool technique_valid(const char *s)
{
	size_t len = strlen(s);

	if ((len != 5 && len != 9) || s[0] != 'T')
		return false;
	for (size_t i = 1; i < len; i++)
		if (i == 5 ? s[i] != '.' : (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

static bool id_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > RULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static bool name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > RULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* ---- lists and macros ------------------------------------------------------------------- */

static struct named *named_find(struct named *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static int named_add(struct load_ctx *c, struct named *v, size_t *n, const struct ynode *key,
                     const struct ynode *val, const char *what)
{
	struct named *prev;

	if (key->kind != YNODE_SCALAR || !name_valid(key->value))
		return load_fail(c, key, "%s name must be letters, digits, '_' or '-'", what);
	prev = named_find(v, *n, key->value);
	if (prev)
		return load_fail(c, key, "duplicate %s '%s' (first in %s)", what, key->value,
		                 prev->file);
	if (*n >= NAMED_MAX)
		return load_fail(c, key, "more than %d %ss", NAMED_MAX, what);
	v[(*n)++] = (struct named){.name = key->value, .node = val, .file = c->file,
	                           .compiled = {-1, -1}};
	return 0;
}

static int list_compile(struct load_ctx *c, struct named *l)
{
	const struct ynode *n = l->node;

	if (n->kind != YNODE_SEQ || n->n == 0 || n->n > LIST_ITEMS_MAX)
		return load_fail(c, n, "list '%s' must be a sequence of 1 to %d strings", l->name,
		                 LIST_ITEMS_MAX);
	l->first = (uint32_t)c->e->n_strs;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		int64_t r;

		if (it->kind != YNODE_SCALAR)
			return load_fail(c, it, "list items must be strings");
		r = str_add(c, it, it->value, it->len);
		if (r < 0)
			return (int)r;
	}
	l->n = (uint32_t)n->n;
	return 0;
}

static int file_collect_named(struct load_ctx *c, const struct ynode *root)
{
	static const char *const top_keys[] = {"lists", "macros", "rules"};
	const struct ynode *lists = ytree_get(root, "lists");
	const struct ynode *macros = ytree_get(root, "macros");
	int r;

	if (root->kind != YNODE_MAP)
		return load_fail(c, root, "a rule file is a map of lists, macros and rules");
	for (size_t i = 0; i < root->n; i += 2) {
		bool known = false;

		for (size_t k = 0; k < ARRAY_SIZE(top_keys); k++)
			known |= ytree_is(root->items[i], top_keys[k]);
		if (!known)
			return load_fail(c, root->items[i], "unknown field '%s'",
			                 root->items[i]->kind == YNODE_SCALAR ? root->items[i]->value
			                                                      : "?");
	}
	if (lists && lists->kind != YNODE_MAP)
		return load_fail(c, lists, "lists must be a map of name: [strings]");
	if (macros && macros->kind != YNODE_MAP)
		return load_fail(c, macros, "macros must be a map of name: condition");

	for (size_t i = 0; lists && i < lists->n; i += 2) {
		r = named_add(c, c->lists, &c->n_lists, lists->items[i], lists->items[i + 1], "list");
		if (r < 0)
			return r;
		r = list_compile(c, &c->lists[c->n_lists - 1]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; macros && i < macros->n; i += 2) {
		r = named_add(c, c->macros, &c->n_macros, macros->items[i], macros->items[i + 1],
		              "macro");
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- conditions ------------------------------------------------------------------------- */

static int64_t cond_compile(struct load_ctx *c, const struct ynode *n);

static int cond_cost(const struct detect_engine *e, int64_t i)
{
	const struct cond *cd = &e->conds[i];

	switch (cd->kind) {
	case COND_TYPE: return 0;
	case COND_NUM: return cd->on_proc ? 2 : 1;
	case COND_STR: return cd->op == OP_REGEX || cd->op == OP_GLOB ? 4 : 2;
	case COND_AND:
	case COND_OR:
	case COND_NOT: return 3;
	default: return 5;
	}
}

/* A node whose kids are appended as one contiguous run of the kids array. */
static int64_t cond_group(struct load_ctx *c, const struct ynode *at, enum cond_kind kind,
                          int64_t *kids, size_t n)
{
	struct detect_engine *e = c->e;
	struct cond g = {.kind = kind, .n = (uint32_t)n};

	if (n == 1 && kind != COND_NOT && kind != COND_PARENT && kind != COND_ANCESTOR)
		return kids[0];
	g.first = (uint32_t)e->n_kids;
	/* Cheap tests first: and/or stop early, and the result does not depend on order. */
	for (size_t i = 1; kind != COND_NOT && i < n; i++)
		for (size_t k = i; k > 0 && cond_cost(e, kids[k]) < cond_cost(e, kids[k - 1]); k--) {
			int64_t t = kids[k];

			kids[k] = kids[k - 1];
			kids[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (vec_reserve((void **)&e->kids, &e->cap_kids, e->n_kids, sizeof(*e->kids)) < 0)
			return load_fail(c, at, "too many conditions");
		e->kids[e->n_kids++] = (uint32_t)kids[i];
	}
	return cond_add(c, at, &g);
}

static int64_t cond_macro(struct load_ctx *c, const struct ynode *n)
{
	struct named *m = named_find(c->macros, c->n_macros, n->value + 1);
	const char *saved_file = c->file;
	int ctx = c->on_proc ? 1 : 0;
	int64_t r;

	if (!m)
		return load_fail(c, n, "unknown macro '%s'", n->value + 1);
	if (m->compiled[ctx] >= 0)
		return m->compiled[ctx];
	if (m->busy[ctx])
		return load_fail(c, n, "macro '%s' refers to itself", m->name);

	m->busy[ctx] = true;
	c->file = m->file;
	r = cond_compile(c, m->node);
	c->file = saved_file;
	m->busy[ctx] = false;
	if (r >= 0)
		m->compiled[ctx] = r;
	return r;
}

static int64_t cond_type(struct load_ctx *c, const struct ynode *n)
{
	struct cond t = {.kind = COND_TYPE};
	const struct ynode *const *items = &n;
	size_t count = 1;

	if (c->on_proc)
		return load_fail(c, n, "'type' cannot be tested on a parent or ancestor");
	if (n->kind == YNODE_SEQ)
		items = (const struct ynode *const *)n->items, count = n->n;
	for (size_t i = 0; i < count; i++) {
		int ty = items[i]->kind == YNODE_SCALAR ? event_type_from_name(items[i]->value)
		                                        : -EINVAL;

		if (ty <= 0)
			return load_fail(c, items[i], "unknown event type '%s'",
			                 items[i]->kind == YNODE_SCALAR ? items[i]->value : "?");
		t.types |= 1ull << ty;
	}
	if (!t.types)
		return load_fail(c, n, "an empty list of event types");
	return cond_add(c, n, &t);
}

/* The strings of a string matcher: a scalar, a sequence, or $list. */
static int str_values(struct load_ctx *c, const struct ynode *n, struct cond *leaf)
{
	struct detect_engine *e = c->e;

	if (n->kind == YNODE_SCALAR && !n->quoted && n->value[0] == '$') {
		struct named *l = named_find(c->lists, c->n_lists, n->value + 1);

		if (!l)
			return load_fail(c, n, "unknown list '%s'", n->value + 1);
		leaf->first = l->first;
		leaf->n = l->n;
		return 0;
	}
	leaf->first = (uint32_t)e->n_strs;
	if (n->kind == YNODE_SCALAR) {
		leaf->n = 1;
		return str_add(c, n, n->value, n->len) < 0 ? -EINVAL : 0;
	}
	if (n->kind != YNODE_SEQ || n->n == 0)
		return load_fail(c, n, "expected a string, a list of strings or $list");
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->kind != YNODE_SCALAR)
			return load_fail(c, n->items[i], "expected a string");
		if (str_add(c, n->items[i], n->items[i]->value, n->items[i]->len) < 0)
			return -EINVAL;
	}
	leaf->n = (uint32_t)n->n;
	return 0;
}

static int regex_values(struct load_ctx *c, const struct ynode *n, struct cond *leaf)
{
	struct detect_engine *e = c->e;
	int r = str_values(c, n, leaf);
	uint32_t first = leaf->first;

	if (r < 0)
		return r;
	leaf->first = (uint32_t)e->n_regexes;
	for (uint32_t i = 0; i < leaf->n; i++) {
		char why[128];
		int rc;

		if (vec_reserve((void **)&e->regexes, &e->cap_regexes, e->n_regexes,
		                sizeof(*e->regexes)) < 0)
			return load_fail(c, n, "too many regular expressions");
		rc = regcomp(&e->regexes[e->n_regexes], e->strs[first + i].s,
		             REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &e->regexes[e->n_regexes], why, sizeof(why));
			return load_fail(c, n, "bad regex '%s': %s", e->strs[first + i].s, why);
		}
		e->n_regexes++;
	}
	return 0;
}

static int num_values(struct load_ctx *c, const struct ynode *n, struct cond *leaf)
{
	struct detect_engine *e = c->e;
	const struct ynode *const *items = &n;
	size_t count = 1;

	if (n->kind == YNODE_SEQ)
		items = (const struct ynode *const *)n->items, count = n->n;
	leaf->first = (uint32_t)e->n_nums;
	leaf->n = (uint32_t)count;
	for (size_t i = 0; i < count; i++) {
		uint64_t v;
		int r = parse_number(c, items[i], &v);

		if (r < 0)
			return r;
		if (vec_reserve((void **)&e->nums, &e->cap_nums, e->n_nums, sizeof(*e->nums)) < 0)
			return load_fail(c, n, "too many numbers");
		e->nums[e->n_nums++] = v;
	}
	return 0;
}

static const struct {
	const char *name;
	enum cond_op op;
	enum field_kind kind;
} cond_ops[] = {
        {"exact", OP_EXACT, FIELD_STR},  {"prefix", OP_PREFIX, FIELD_STR},
        {"suffix", OP_SUFFIX, FIELD_STR}, {"contains", OP_CONTAINS, FIELD_STR},
        {"glob", OP_GLOB, FIELD_STR},     {"regex", OP_REGEX, FIELD_STR},
        {"in", OP_EXACT, FIELD_STR},      {"in", OP_IN, FIELD_NUM},
        {"eq", OP_EQ, FIELD_NUM},         {"ne", OP_NE, FIELD_NUM},
        {"lt", OP_LT, FIELD_NUM},         {"le", OP_LE, FIELD_NUM},
        {"gt", OP_GT, FIELD_NUM},         {"ge", OP_GE, FIELD_NUM},
        {"has_any", OP_HAS_ANY, FIELD_NUM}, {"has_all", OP_HAS_ALL, FIELD_NUM},
};

static int64_t leaf_op(struct load_ctx *c, const struct ynode *key, const struct ynode *val,
                       struct cond leaf, enum field_kind kind)
{
	int r = -ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(cond_ops); i++) {
		if (!ytree_is(key, cond_ops[i].name) || cond_ops[i].kind != kind)
			continue;
		leaf.op = (uint8_t)cond_ops[i].op;
		if (leaf.op == OP_REGEX)
			r = regex_values(c, val, &leaf);
		else if (kind == FIELD_STR)
			r = str_values(c, val, &leaf);
		else if (leaf.op == OP_IN)
			r = num_values(c, val, &leaf);
		else if (leaf.op == OP_HAS_ANY || leaf.op == OP_HAS_ALL)
			r = parse_mask(c, val, &leaf.num);
		else
			r = parse_number(c, val, &leaf.num);
		break;
	}
	if (r == -ENOENT)
		return load_fail(c, key, "unknown %s matcher '%s'",
		                 kind == FIELD_STR ? "string" : "numeric",
		                 key->kind == YNODE_SCALAR ? key->value : "?");
	if (r < 0)
		return r;
	return cond_add(c, key, &leaf);
}

/* Inside parent:/ancestor: only what the process table knows. */
static const struct {
	const char *name;
	enum field_src src;
	enum field_kind kind;
} proc_fields[] = {
        {"exe", SRC_EXE, FIELD_STR},     {"comm", SRC_COMM, FIELD_STR},
        {"argv", SRC_CMDLINE, FIELD_STR}, {"cmdline", SRC_CMDLINE, FIELD_STR},
        {"pid", SRC_PID, FIELD_NUM},     {"ppid", SRC_PPID, FIELD_NUM},
};

static int64_t cond_field(struct load_ctx *c, const struct ynode *key, const struct ynode *val)
{
	struct cond leaf = {.kind = 0};
	enum field_kind kind;
	int64_t kids[16];
	size_t n = 0;

	if (c->on_proc) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(proc_fields); i++)
			if (ytree_is(key, proc_fields[i].name))
				break;
		if (i == ARRAY_SIZE(proc_fields))
			return load_fail(c, key, "unknown process field '%s' (exe, comm, argv, "
			                         "cmdline, pid, ppid)", key->value);
		leaf.on_proc = 1;
		leaf.src = (uint8_t)proc_fields[i].src;
		kind = proc_fields[i].kind;
	} else {
		int f = field_lookup(key->value);

		if (f < 0)
			return load_fail(c, key, "unknown field '%s'", key->value);
		leaf.src = (uint8_t)f;
		kind = detect_fields[f].kind;
	}
	leaf.kind = kind == FIELD_STR ? COND_STR : COND_NUM;

	/* Shorthands: a scalar is exact (or eq), a sequence is membership. */
	if (val->kind != YNODE_MAP) {
		struct ynode k = {.kind = YNODE_SCALAR, .line = key->line, .col = key->col,
		                  .value = (char *)(kind == FIELD_STR ? "exact" : "in")};

		if (kind == FIELD_NUM && val->kind == YNODE_SCALAR)
			k.value = (char *)"eq";
		return leaf_op(c, &k, val, leaf, kind);
	}
	if (val->n == 0 || val->n / 2 > ARRAY_SIZE(kids))
		return load_fail(c, val, "a field needs 1 to %zu matchers", ARRAY_SIZE(kids));
	for (size_t i = 0; i < val->n; i += 2) {
		int64_t r = leaf_op(c, val->items[i], val->items[i + 1], leaf, kind);

		if (r < 0)
			return r;
		kids[n++] = r;
	}
	return cond_group(c, val, COND_AND, kids, n);
}

static int64_t cond_list(struct load_ctx *c, const struct ynode *n, enum cond_kind kind)
{
	_cleanup_free_ int64_t *kids = NULL;

	if (n->kind != YNODE_SEQ || n->n == 0 || n->n > 256)
		return load_fail(c, n, "'%s' takes a list of 1 to 256 conditions",
		                 kind == COND_AND ? "all" : "any");
	kids = calloc(n->n, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		kids[i] = cond_compile(c, n->items[i]);
		if (kids[i] < 0)
			return kids[i];
	}
	return cond_group(c, n, kind, kids, n->n);
}

static int64_t cond_lineage(struct load_ctx *c, const struct ynode *n, enum cond_kind kind)
{
	bool saved = c->on_proc;
	int64_t kid;

	c->on_proc = true;
	kid = cond_compile(c, n);
	c->on_proc = saved;
	if (kid < 0)
		return kid;
	return cond_group(c, n, kind, &kid, 1);
}

static int64_t cond_sample(struct load_ctx *c, const struct ynode *n)
{
	struct cond s = {.kind = COND_SAMPLE};
	int64_t kid;

	if (!ytree_is(n, "true") && !ytree_is(n, "false"))
		return load_fail(c, n, "descendant_of_sample is true or false");
	kid = cond_add(c, n, &s);
	if (kid < 0 || ytree_is(n, "true"))
		return kid;
	return cond_group(c, n, COND_NOT, &kid, 1);
}

static int64_t cond_key(struct load_ctx *c, const struct ynode *key, const struct ynode *val)
{
	if (key->kind != YNODE_SCALAR)
		return load_fail(c, key, "condition keys are names");
	if (ytree_is(key, "type"))
		return cond_type(c, val);
	if (ytree_is(key, "all"))
		return cond_list(c, val, COND_AND);
	if (ytree_is(key, "any"))
		return cond_list(c, val, COND_OR);
	if (ytree_is(key, "not")) {
		int64_t kid = cond_compile(c, val);

		return kid < 0 ? kid : cond_group(c, val, COND_NOT, &kid, 1);
	}
	if (ytree_is(key, "parent") || ytree_is(key, "ancestor")) {
		if (c->on_proc)
			return load_fail(c, key, "lineage cannot nest");
		return cond_lineage(c, val, ytree_is(key, "parent") ? COND_PARENT : COND_ANCESTOR);
	}
	if (ytree_is(key, "descendant_of_sample"))
		return cond_sample(c, val);
	return cond_field(c, key, val);
}

static int64_t cond_compile(struct load_ctx *c, const struct ynode *n)
{
	int64_t kids[64];
	size_t nk = 0;
	int64_t r;

	if (!n)
		return load_fail(c, n, "missing condition");
	if (++c->depth > 32) {
		c->depth--;
		return load_fail(c, n, "condition nested too deeply");
	}

	if (n->kind == YNODE_SCALAR && n->value[0] == '$')
		r = cond_macro(c, n);
	else if (n->kind != YNODE_MAP || n->n == 0 || n->n / 2 > ARRAY_SIZE(kids))
		r = load_fail(c, n, "a condition is a map of tests or a $macro");
	else {
		r = 0;
		for (size_t i = 0; r >= 0 && i < n->n; i += 2) {
			r = cond_key(c, n->items[i], n->items[i + 1]);
			if (r >= 0)
				kids[nk++] = r;
		}
		if (r >= 0)
			r = cond_group(c, n, COND_AND, kids, nk);
	}
	c->depth--;
	return r;
}

/* The event types a condition can possibly match: what lets the engine index rules. */
static uint64_t cond_types(const struct detect_engine *e, uint32_t i)
{
	const struct cond *cd = &e->conds[i];
	uint64_t m;

	switch (cd->kind) {
	case COND_TYPE:
		return cd->types;
	case COND_AND:
		m = ALL_EVENT_TYPES;
		for (uint32_t k = 0; k < cd->n; k++)
			m &= cond_types(e, e->kids[cd->first + k]);
		return m;
	case COND_OR:
		m = 0;
		for (uint32_t k = 0; k < cd->n; k++)
			m |= cond_types(e, e->kids[cd->first + k]);
		return m;
	case COND_STR:
	case COND_NUM:
		return cd->on_proc ? ALL_EVENT_TYPES : field_types(&detect_fields[cd->src]);
	default:
		return ALL_EVENT_TYPES;
	}
}

static int64_t cond_compile_typed(struct load_ctx *c, const struct ynode *n, uint64_t *ret_types)
{
	int64_t r = cond_compile(c, n);

	if (r < 0)
		return r;
	*ret_types = cond_types(c->e, (uint32_t)r);
	if (*ret_types == 0)
		return load_fail(c, n, "condition can never match: no event type has all its fields");
	if (*ret_types == ALL_EVENT_TYPES)
		return load_fail(c, n, "condition does not restrict the event type");
	return r;
}

/* ---- fixtures --------------------------------------------------------------------------- */

struct fixture_addr {
	const struct ynode *address;
	uint64_t port, family;
	bool has_port, has_family;
	const char *method, *path;
};

static int fixture_str(struct load_ctx *c, const struct ynode *v, char *dst, size_t cap)
{
	if (v->kind != YNODE_SCALAR)
		return load_fail(c, v, "expected a string");
	if (v->len >= cap)
		return load_fail(c, v, "longer than %zu bytes", cap - 1);
	memcpy(dst, v->value, v->len + 1);
	return 0;
}

/* argv and env: a list of strings (or one string split on spaces) into NUL-separated data. */
static int fixture_strv(struct load_ctx *c, const struct ynode *v, char *dst, __u32 *len)
{
	size_t o = 0;

	if (v->kind == YNODE_SCALAR) {
		if (v->len >= EV_DATA_MAX)
			return load_fail(c, v, "longer than %d bytes", EV_DATA_MAX - 1);
		memcpy(dst, v->value, v->len + 1);
		for (size_t i = 0; i < v->len; i++)
			if (dst[i] == ' ')
				dst[i] = '\0';
		*len = (__u32)v->len + 1;
		return 0;
	}
	if (v->kind != YNODE_SEQ)
		return load_fail(c, v, "expected a list of strings");
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];

		if (it->kind != YNODE_SCALAR || o + it->len + 1 > EV_DATA_MAX)
			return load_fail(c, it, "expected strings, %d bytes in all", EV_DATA_MAX);
		memcpy(dst + o, it->value, it->len + 1);
		o += it->len + 1;
	}
	*len = (__u32)o;
	return 0;
}

static int fixture_num(struct load_ctx *c, const struct ynode *v, enum field_src src,
                       struct event *ev, struct fixture_addr *a)
{
	uint64_t x;
	int r = parse_number(c, v, &x);

	if (r < 0)
		return r;
	switch (src) {
	case SRC_ARG0: ev->arg0 = x; break;
	case SRC_ARG1: ev->arg1 = x; break;
	case SRC_ARG2: ev->arg2 = x; break;
	case SRC_PID: ev->pid = (__s32)x; break;
	case SRC_PPID: ev->ppid = (__s32)x; break;
	case SRC_UID: ev->uid = (__u32)x; break;
	case SRC_RET: ev->ret = (__s64)x; break;
	case SRC_EXIT_CODE: ev->arg0 = (x & 0xff) << 8; break;
	case SRC_PORT: a->port = x, a->has_port = true; break;
	case SRC_FAMILY: a->family = x, a->has_family = true; break;
	default: return load_fail(c, v, "cannot be set in a fixture");
	}
	return 0;
}

static int fixture_field(struct load_ctx *c, const struct ynode *k, const struct ynode *v,
                         struct event *ev, struct fixture_addr *a)
{
	int f = k->kind == YNODE_SCALAR ? field_lookup(k->value) : -ENOENT;
	const struct field_def *fd;
	enum field_src src;

	if (f < 0)
		return load_fail(c, k, "unknown event field '%s'",
		                 k->kind == YNODE_SCALAR ? k->value : "?");
	fd = &detect_fields[f];
	src = fd->all_types ? fd->src_all : fd->src[ev->type];
	if (src == SRC_NONE)
		return load_fail(c, k, "%s events have no field '%s'", event_type_name(ev->type),
		                 fd->name);
	switch (src) {
	case SRC_PATH: return fixture_str(c, v, ev->path, sizeof(ev->path));
	case SRC_PATH2: return fixture_str(c, v, ev->path2, sizeof(ev->path2));
	case SRC_COMM: return fixture_str(c, v, ev->comm, sizeof(ev->comm));
	case SRC_DATA:
		ev->data_len = (__u32)v->len;
		return fixture_str(c, v, ev->data, sizeof(ev->data));
	case SRC_ARGV: return fixture_strv(c, v, ev->data, &ev->data_len);
	case SRC_ENV: return fixture_strv(c, v, ev->data2, &ev->data2_len);
	case SRC_HTTP_METHOD: a->method = v->value; return 0;
	case SRC_HTTP_PATH: a->path = v->value; return 0;
	case SRC_ADDRESS: a->address = v; return 0;
	case SRC_EXE:
	case SRC_CMDLINE:
		return load_fail(c, k, "'%s' comes from proc_exec events; write one", fd->name);
	default: return fixture_num(c, v, src, ev, a);
	}
}

static int fixture_sockaddr(struct load_ctx *c, struct event *ev, const struct fixture_addr *a)
{
	const char *addr = a->address ? a->address->value : "0.0.0.0";
	uint64_t family = a->has_family ? a->family : AF_INET;
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(a->port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(a->port)};
	struct sockaddr_un su = {.sun_family = AF_UNIX};

	if (!a->has_family && strchr(addr, ':'))
		family = AF_INET6;
	if (!a->has_family && (addr[0] == '/' || addr[0] == '@'))
		family = AF_UNIX;
	ev->arg0 = family;
	if (ev->type == EV_NET_SOCKET)
		return 0;

	if (family == AF_INET && inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		memcpy(ev->data, &s4, sizeof(s4));
		ev->data_len = sizeof(s4);
	} else if (family == AF_INET6 && inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1) {
		memcpy(ev->data, &s6, sizeof(s6));
		ev->data_len = sizeof(s6);
	} else if (family == AF_UNIX && strlen(addr) < sizeof(su.sun_path)) {
		memcpy(su.sun_path, addr, strlen(addr));
		if (addr[0] == '@')
			su.sun_path[0] = '\0';
		memcpy(ev->data, &su, sizeof(su));
		ev->data_len = (__u32)(offsetof(struct sockaddr_un, sun_path) + strlen(addr));
	} else {
		return load_fail(c, a->address, "'%s' is not an address of family %llu", addr,
		                 (unsigned long long)family);
	}
	return 0;
}

static int fixture_event(struct load_ctx *c, const struct ynode *n, size_t idx, struct event *ev)
{
	const struct ynode *type = ytree_get(n, "type");
	struct fixture_addr a = {0};
	int t, r;

	if (n->kind != YNODE_MAP)
		return load_fail(c, n, "a fixture event is a map with a type");
	t = type && type->kind == YNODE_SCALAR ? event_type_from_name(type->value) : -EINVAL;
	if (t <= 0)
		return load_fail(c, type ? type : n, "fixture event needs a known type");

	*ev = (struct event){.type = (__u32)t, .pid = 100, .ppid = 1,
	                     .time_ns = 1000000000ull + idx * 1000000ull};
	snprintf(ev->comm, sizeof(ev->comm), "sample");
	for (size_t i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->items[i], *v = n->items[i + 1];

		if (ytree_is(k, "type") || ytree_is(k, "repeat"))
			continue;
		if (ytree_is(k, "t_ms")) {
			uint64_t ms;

			r = parse_number(c, v, &ms);
			ev->time_ns = 1000000000ull + ms * 1000000ull;
		} else {
			r = fixture_field(c, k, v, ev, &a);
		}
		if (r < 0)
			return r;
	}
	if (field_types(&detect_fields[field_lookup("family")]) & (1ull << t)) {
		r = fixture_sockaddr(c, ev, &a);
		if (r < 0)
			return r;
	}
	if (t == EV_HTTP_REQUEST)
		snprintf(ev->path2, sizeof(ev->path2), "%s %s", a.method ? a.method : "GET",
		         a.path ? a.path : "/");
	return 0;
}

/* "repeat: N" stands for N copies of the event, 1 ms apart: thresholds need many. */
static int fixture_repeat(struct load_ctx *c, const struct ynode *n, struct fixture *fx)
{
	const struct ynode *rep = ytree_get(n, "repeat");
	uint64_t count = 1;
	int r;

	if (rep) {
		r = parse_number(c, rep, &count);
		if (r < 0)
			return r;
	}
	if (count == 0 || count > FIXTURE_REPEAT_MAX - fx->n)
		return load_fail(c, rep ? rep : n, "a fixture holds at most %d events",
		                 FIXTURE_REPEAT_MAX);
	/* Sized to the events written: a daemon keeps every rule's fixtures while it runs. */
	if (fx->n + count > fx->cap) {
		size_t cap = MAX(fx->cap * 2, fx->n + (size_t)count);
		struct event *v = reallocarray(fx->events, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + fx->cap, 0, (cap - fx->cap) * sizeof(*v));
		fx->events = v;
		fx->cap = cap;
	}
	for (uint64_t i = 0; i < count; i++) {
		r = fixture_event(c, n, fx->n, &fx->events[fx->n]);
		if (r < 0)
			return r;
		fx->n++;
	}
	return 0;
}

static int fixtures_compile(struct load_ctx *c, const struct ynode *n, const char *what,
                            struct fixture **ret, size_t *ret_n)
{
	struct fixture *fx;

	if (!n || n->kind != YNODE_SEQ || n->n == 0 || n->n > 32)
		return load_fail(c, n, "tests need '%s': a list of 1 to 32 fixtures", what);
	fx = calloc(n->n, sizeof(*fx));
	if (!fx)
		return -ENOMEM;
	*ret = fx;
	*ret_n = n->n;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *f = n->items[i];

		fx[i].line = f->line;
		fx[i].col = f->col;
		snprintf(fx[i].file, sizeof(fx[i].file), "%s", c->file);
		if (f->kind != YNODE_SEQ || f->n == 0 || f->n > FIXTURE_EVENTS_MAX)
			return load_fail(c, f, "a fixture is a list of 1 to %d events",
			                 FIXTURE_EVENTS_MAX);
		for (size_t k = 0; k < f->n; k++) {
			int r = fixture_repeat(c, f->items[k], &fx[i]);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int tests_compile(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	int r;

	if (!n || n->kind != YNODE_MAP)
		return load_fail(c, n, "rule '%s' needs tests: with match and nomatch fixtures",
		                 rl->id);
	for (size_t i = 0; i < n->n; i += 2)
		if (!ytree_is(n->items[i], "match") && !ytree_is(n->items[i], "nomatch"))
			return load_fail(c, n->items[i], "unknown field '%s' in tests",
			                 n->items[i]->kind == YNODE_SCALAR ? n->items[i]->value : "?");
	r = fixtures_compile(c, ytree_get(n, "match"), "match", &rl->match, &rl->n_match);
	if (r < 0)
		return r;
	return fixtures_compile(c, ytree_get(n, "nomatch"), "nomatch", &rl->nomatch,
	                        &rl->n_nomatch);
}

/* ---- rules ------------------------------------------------------------------------------ */

static int rule_group_parse(struct load_ctx *c, const struct ynode *n, enum rule_group *ret,
                            bool all_ok)
{
	*ret = GROUP_PID;
	if (!n || ytree_is(n, "pid"))
		return 0;
	if (ytree_is(n, "tree"))
		*ret = GROUP_TREE;
	else if (all_ok && ytree_is(n, "all"))
		*ret = GROUP_ALL;
	else
		return load_fail(c, n, "by is pid or tree%s", all_ok ? " or all" : "");
	return 0;
}

static int keys_check(struct load_ctx *c, const struct ynode *n, const char *const *keys,
                      size_t nkeys, const char *what)
{
	if (!n || n->kind != YNODE_MAP)
		return load_fail(c, n, "%s must be a map", what);
	for (size_t i = 0; i < n->n; i += 2) {
		bool known = false;

		for (size_t k = 0; k < nkeys; k++)
			known |= ytree_is(n->items[i], keys[k]);
		if (!known)
			return load_fail(c, n->items[i], "unknown field '%s' in %s",
			                 n->items[i]->kind == YNODE_SCALAR ? n->items[i]->value : "?",
			                 what);
	}
	return 0;
}

static int rule_sequence(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	static const char *const keys[] = {"by", "within", "steps"};
	const struct ynode *steps = ytree_get(n, "steps");
	int r = keys_check(c, n, keys, ARRAY_SIZE(keys), "sequence");

	if (r < 0)
		return r;
	rl->kind = RULE_SEQUENCE;
	r = rule_group_parse(c, ytree_get(n, "by"), &rl->group, true);
	if (r < 0)
		return r;
	r = parse_duration(c, ytree_get(n, "within") ? ytree_get(n, "within") : n, &rl->within_ns);
	if (r < 0)
		return r;
	if (!steps || steps->kind != YNODE_SEQ || steps->n < 2 || steps->n > RULE_STEPS_MAX)
		return load_fail(c, steps ? steps : n, "steps: a list of 2 to %d conditions",
		                 RULE_STEPS_MAX);
	for (size_t i = 0; i < steps->n; i++) {
		int64_t s = cond_compile_typed(c, steps->items[i], &rl->step_types[i]);

		if (s < 0)
			return (int)s;
		rl->steps[i] = (uint32_t)s;
		rl->types |= rl->step_types[i];
	}
	rl->n_steps = steps->n;
	return 0;
}

static int rule_threshold(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	static const char *const keys[] = {"by", "within", "count", "when"};
	uint64_t count;
	int64_t cond;
	int r = keys_check(c, n, keys, ARRAY_SIZE(keys), "threshold");

	if (r < 0)
		return r;
	rl->kind = RULE_THRESHOLD;
	r = rule_group_parse(c, ytree_get(n, "by"), &rl->group, true);
	if (r < 0)
		return r;
	r = parse_duration(c, ytree_get(n, "within") ? ytree_get(n, "within") : n, &rl->within_ns);
	if (r < 0)
		return r;
	r = parse_number(c, ytree_get(n, "count") ? ytree_get(n, "count") : n, &count);
	if (r < 0)
		return r;
	if (count < 2 || count > RULE_COUNT_MAX)
		return load_fail(c, ytree_get(n, "count"), "count must be 2 to %d", RULE_COUNT_MAX);
	rl->count = (uint32_t)count;
	cond = cond_compile_typed(c, ytree_get(n, "when") ? ytree_get(n, "when") : n, &rl->types);
	if (cond < 0)
		return (int)cond;
	rl->cond = (uint32_t)cond;
	return 0;
}

static int rule_logic(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	const struct ynode *when = ytree_get(n, "when"), *seq = ytree_get(n, "sequence");
	const struct ynode *thr = ytree_get(n, "threshold");
	int64_t cond;

	if (!!when + !!seq + !!thr != 1)
		return load_fail(c, n, "rule '%s' needs exactly one of when, sequence, threshold",
		                 rl->id);
	if (seq)
		return rule_sequence(c, seq, rl);
	if (thr)
		return rule_threshold(c, thr, rl);
	rl->kind = RULE_WHEN;
	cond = cond_compile_typed(c, when, &rl->types);
	if (cond < 0)
		return (int)cond;
	rl->cond = (uint32_t)cond;
	return 0;
}

static int rule_attack(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	if (!n || n->kind != YNODE_SEQ || n->n == 0 || n->n > 16)
		return load_fail(c, n, "attack: a list of 1 to 16 ATT&CK technique IDs");
	rl->techniques = calloc(n->n, sizeof(char *));
	if (!rl->techniques)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		int r;

		if (n->items[i]->kind != YNODE_SCALAR || !technique_valid(n->items[i]->value))
			return load_fail(c, n->items[i], "not an ATT&CK technique ID (T1234 or "
			                                 "T1234.001)");
		rl->techniques[i] = text_dup(c, n->items[i], "technique", &r);
		if (r < 0)
			return r;
		rl->n_techniques++;
	}
	return 0;
}

static const char *const rule_keys[] = {"id",       "title",    "description", "attack",
                                        "severity", "threat",   "category",    "when",
                                        "sequence", "threshold", "tests"};
static const char *const rule_categories[] = {"Trojan", "Backdoor", "Ransom",  "Miner",
                                              "Stealer", "Rootkit", "Dropper", "Generic"};

static int rule_texts(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	const struct ynode *threat = ytree_get(n, "threat"), *cat = ytree_get(n, "category");
	int r;

	rl->title = text_dup(c, ytree_get(n, "title") ? ytree_get(n, "title") : n, "title", &r);
	if (r < 0)
		return r;
	rl->description = text_dup(c, ytree_get(n, "description") ? ytree_get(n, "description") : n,
	                           "description", &r);
	if (r < 0)
		return r;
	if (threat) {
		rl->threat = text_dup(c, threat, "threat", &r);
		if (r < 0)
			return r;
		for (const char *p = rl->threat; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9')))
				return load_fail(c, threat, "threat is letters and digits only");
	}
	if (cat) {
		bool known = false;

		for (size_t i = 0; i < ARRAY_SIZE(rule_categories); i++)
			known |= ytree_is(cat, rule_categories[i]);
		if (!known)
			return load_fail(c, cat, "unknown category (Trojan, Backdoor, Ransom, Miner, "
			                         "Stealer, Rootkit, Dropper, Generic)");
		rl->category = strdup(cat->value);
		if (!rl->category)
			return -ENOMEM;
	}
	return parse_severity(c, ytree_get(n, "severity") ? ytree_get(n, "severity") : n,
	                      &rl->severity);
}

static int rule_compile(struct load_ctx *c, const struct ynode *n, struct rule *rl)
{
	const struct ynode *id = ytree_get(n, "id");
	int r = keys_check(c, n, rule_keys, ARRAY_SIZE(rule_keys), "rule");

	if (r < 0)
		return r;
	if (!id)
		return load_fail(c, n, "rule without an id");
	if (id->kind != YNODE_SCALAR || !id_valid(id->value))
		return load_fail(c, id, "id is upper-case letters, digits and '-' (ST-PERSIST-CRON)");
	for (size_t i = 0; i + 1 < c->e->n_rules; i++)
		if (strcmp(c->e->rules[i].id, id->value) == 0)
			return load_fail(c, id, "duplicate rule id '%s' (first in %s)", id->value,
			                 c->e->rules[i].file);
	rl->id = strdup(id->value);
	rl->file = strdup(c->file);
	if (!rl->id || !rl->file)
		return -ENOMEM;
	r = rule_texts(c, n, rl);
	if (r < 0)
		return r;
	r = rule_attack(c, ytree_get(n, "attack"), rl);
	if (r < 0)
		return r;
	r = rule_logic(c, n, rl);
	if (r < 0)
		return r;
	return tests_compile(c, ytree_get(n, "tests"), rl);
}

static int file_compile_rules(struct load_ctx *c, const struct ynode *root)
{
	const struct ynode *rules = ytree_get(root, "rules");
	struct detect_engine *e = c->e;

	if (!rules)
		return 0;
	if (rules->kind != YNODE_SEQ)
		return load_fail(c, rules, "rules must be a list");
	for (size_t i = 0; i < rules->n; i++) {
		struct rule *v;

		if (e->n_rules >= RULES_MAX)
			return load_fail(c, rules->items[i], "more than %d rules", RULES_MAX);
		v = reallocarray(e->rules, e->n_rules + 1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->rules = v;
		memset(&e->rules[e->n_rules], 0, sizeof(*v));
		/* Counted before compiling so that a failure frees what was half built. */
		e->n_rules++;
		int r = rule_compile(c, rules->items[i], &e->rules[e->n_rules - 1]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- files, index, version -------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rule_file *)a)->name, ((const struct rule_file *)b)->name);
}

static bool name_is_rule_file(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 4 && len <= RULE_NAME_MAX && strcmp(n + len - 4, ".yml") == 0;
}

static int files_list(int dirfd, struct rule_file *files, size_t *ret_n, char *err, size_t errsz)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	size_t n = 0;

	if (!d) {
		close(dirfd);
		return neg_errno();
	}
	while ((de = readdir(d))) {
		if (!name_is_rule_file(de->d_name))
			continue;
		if (n >= RULE_FILES_MAX) {
			closedir(d);
			snprintf(err, errsz, "behaviour: more than %d rule files", RULE_FILES_MAX);
			return -E2BIG;
		}
		/* The precision tells the compiler what name_is_rule_file() already checked. */
		snprintf(files[n++].name, sizeof(files[0].name), "behaviour/%.*s", RULE_NAME_MAX,
		         de->d_name);
	}
	closedir(d);
	qsort(files, n, sizeof(*files), name_cmp);
	*ret_n = n;
	return 0;
}

static void version_update(EVP_MD_CTX *md, const char *name, const char *buf, size_t len)
{
	EVP_DigestUpdate(md, name, strlen(name) + 1);
	EVP_DigestUpdate(md, buf, len);
	EVP_DigestUpdate(md, "", 1);
}

static int file_read_at(int dirfd, const char *name, char **ret_buf, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return neg_errno();
	return fd_read_all(fd, YTREE_INPUT_MAX, ret_buf, ret_len);
}

static int files_parse(const char *rules_dir, struct rule_file *files, size_t *ret_n,
                       char *version, char *err, size_t errsz)
{
	_cleanup_close_ int root = open(rules_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[32];
	int dirfd, r;

	if (!md)
		return -ENOMEM;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	dirfd = root < 0 ? -1 : openat(root, "behaviour", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r = neg_errno();
		snprintf(err, errsz, "%s/behaviour: %s", rules_dir, strerror(-r));
		goto out;
	}
	r = files_list(dirfd, files, ret_n, err, errsz);
	for (size_t i = 0; r >= 0 && i < *ret_n; i++) {
		_cleanup_free_ char *buf = NULL;
		char why[256];
		size_t len;

		r = file_read_at(root, files[i].name, &buf, &len);
		if (r < 0) {
			snprintf(err, errsz, "%s: %s", files[i].name, strerror(-r));
			break;
		}
		version_update(md, files[i].name, buf, len);
		r = ytree_parse(buf, len, &files[i].root, why, sizeof(why));
		if (r < 0)
			snprintf(err, errsz, "%s:%s", files[i].name, why);
	}
	if (r >= 0) {
		EVP_DigestFinal_ex(md, digest, NULL);
		snprintf(version, 32, "rules-");
		for (size_t i = 0; i < 6; i++)
			snprintf(version + 6 + 2 * i, 3, "%02x", digest[i]);
	}
out:
	EVP_MD_CTX_free(md);
	return r;
}

static int engine_index(struct detect_engine *e)
{
	for (unsigned t = 1; t < EV_TYPE_MAX; t++) {
		size_t n = 0;

		for (size_t i = 0; i < e->n_rules; i++)
			n += !!(e->rules[i].types & (1ull << t));
		if (!n)
			continue;
		e->by_type[t] = calloc(n, sizeof(uint32_t));
		if (!e->by_type[t])
			return -ENOMEM;
		for (size_t i = 0; i < e->n_rules; i++)
			if (e->rules[i].types & (1ull << t))
				e->by_type[t][e->n_by_type[t]++] = (uint32_t)i;
	}
	return 0;
}

void detect_engine_free(struct detect_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_rules; i++) {
		struct rule *rl = &e->rules[i];

		free(rl->id), free(rl->title), free(rl->description), free(rl->threat);
		free(rl->category), free(rl->file);
		for (size_t k = 0; k < rl->n_techniques; k++)
			free(rl->techniques[k]);
		free(rl->techniques);
		for (size_t k = 0; rl->match && k < rl->n_match; k++)
			free(rl->match[k].events);
		for (size_t k = 0; rl->nomatch && k < rl->n_nomatch; k++)
			free(rl->nomatch[k].events);
		free(rl->match), free(rl->nomatch);
	}
	free(e->rules);
	for (size_t i = 0; i < e->n_strs; i++)
		free(e->strs[i].s);
	free(e->strs);
	for (size_t i = 0; i < e->n_regexes; i++)
		regfree(&e->regexes[i]);
	free(e->regexes);
	free(e->conds), free(e->kids), free(e->nums);
	for (unsigned t = 0; t < EV_TYPE_MAX; t++)
		free(e->by_type[t]);
	free(e);
}

static int engine_compile(struct load_ctx *c, struct rule_file *files, size_t n)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		c->file = files[i].name;
		r = file_collect_named(c, files[i].root);
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		c->file = files[i].name;
		r = file_compile_rules(c, files[i].root);
	}
	/* A macro no rule uses is still checked, so that it cannot rot unnoticed. */
	for (size_t i = 0; r >= 0 && i < c->n_macros; i++) {
		struct ynode ref = {.kind = YNODE_SCALAR, .line = c->macros[i].node->line,
		                    .col = c->macros[i].node->col};
		char name[RULE_NAME_MAX + 2];

		snprintf(name, sizeof(name), "$%s", c->macros[i].name);
		ref.value = name;
		c->file = c->macros[i].file;
		r = (int)MIN(cond_macro(c, &ref), 0);
	}
	c->e->n_lists = c->n_lists;
	return r;
}

int detect_engine_load(const char *rules_dir, struct detect_engine **ret, char *err, size_t errsz)
{
	_cleanup_free_ struct rule_file *files = calloc(RULE_FILES_MAX, sizeof(*files));
	_cleanup_free_ struct load_ctx *c = calloc(1, sizeof(*c));
	struct detect_engine *e = calloc(1, sizeof(*e));
	size_t n = 0;
	int r;

	*ret = NULL;
	snprintf(err, errsz, "out of memory");
	if (!files || !c || !e) {
		free(e);
		return -ENOMEM;
	}
	c->e = e;
	c->err = err;
	c->errsz = errsz;

	r = files_parse(rules_dir, files, &n, e->version, err, errsz);
	if (r >= 0)
		r = engine_compile(c, files, n);
	if (r >= 0)
		r = engine_index(e);
	for (size_t i = 0; i < n; i++)
		ytree_free(files[i].root);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errsz, "out of memory");
		detect_engine_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

const char *detect_engine_version(const struct detect_engine *e)
{
	return e->version;
}

size_t detect_engine_rule_count(const struct detect_engine *e)
{
	return e->n_rules;
}

size_t detect_engine_list_count(const struct detect_engine *e)
{
	return e->n_lists;
}
