/* SPDX-License-Identifier: MIT */
#include "ytree.h"

#include "macros.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define YTREE_DEPTH_MAX 64
#define YTREE_NODES_MAX 200000
#define YTREE_ITEMS_MAX 100000

struct ytree_builder {
	yaml_parser_t parser;
	size_t nodes;
	char *err;
	size_t errsz;
};

static int ytree_fail(struct ytree_builder *b, const yaml_mark_t *m, const char *why)
{
	snprintf(b->err, b->errsz, "%zu:%zu: %s", m->line + 1, m->column + 1, why);
	return -EINVAL;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ytree_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static int ytree_append(struct ynode *parent, struct ynode *child)
{
	struct ynode **p;

	if (parent->n >= YTREE_ITEMS_MAX)
		return -E2BIG;
	/* Doubling keeps appends amortized; sizes are bounded by YTREE_ITEMS_MAX. */
	if ((parent->n & (parent->n - 1)) == 0) {
		p = reallocarray(parent->items, parent->n ? parent->n * 2 : 1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		parent->items = p;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static struct ynode *ytree_node_new(struct ytree_builder *b, enum ynode_kind kind,
                                    const yaml_mark_t *m)
{
	struct ynode *n;

	if (++b->nodes > YTREE_NODES_MAX)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static int ytree_next(struct ytree_builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		snprintf(b->err, b->errsz, "%zu:%zu: %s", b->parser.problem_mark.line + 1,
		         b->parser.problem_mark.column + 1,
		         b->parser.problem ? b->parser.problem : "invalid YAML");
		return -EINVAL;
	}
	return 0;
}

static int ytree_node(struct ytree_builder *b, yaml_event_t *ev, unsigned depth,
                      struct ynode **ret);

/* Items of a sequence or map until its end event. */
static int ytree_children(struct ytree_builder *b, struct ynode *n, yaml_event_type_t end,
                          unsigned depth)
{
	for (;;) {
		yaml_event_t ev;
		struct ynode *child = NULL;
		yaml_mark_t mark;
		int r = ytree_next(b, &ev);

		if (r < 0)
			return r;
		mark = ev.start_mark;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		r = ytree_node(b, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
		r = ytree_append(n, child);
		if (r < 0) {
			ytree_free(child);
			return ytree_fail(b, &mark, "too many items");
		}
	}
	if (n->kind == YNODE_MAP && n->n % 2 != 0)
		return ytree_fail(b, &b->parser.mark, "odd map");
	return 0;
}

static int ytree_node(struct ytree_builder *b, yaml_event_t *ev, unsigned depth,
                      struct ynode **ret)
{
	enum ynode_kind kind;
	struct ynode *n;
	int r = 0;

	if (depth > YTREE_DEPTH_MAX)
		return ytree_fail(b, &ev->start_mark, "nested too deeply");

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		kind = YNODE_SCALAR;
		break;
	case YAML_SEQUENCE_START_EVENT:
		kind = YNODE_SEQ;
		break;
	case YAML_MAPPING_START_EVENT:
		kind = YNODE_MAP;
		break;
	case YAML_ALIAS_EVENT:
		return ytree_fail(b, &ev->start_mark, "aliases are not supported; use a macro");
	default:
		return ytree_fail(b, &ev->start_mark, "unexpected YAML event");
	}

	n = ytree_node_new(b, kind, &ev->start_mark);
	if (!n)
		return ytree_fail(b, &ev->start_mark, "too many nodes or out of memory");

	if (kind == YNODE_SCALAR) {
		n->len = ev->data.scalar.length;
		n->value = strndup((const char *)ev->data.scalar.value, n->len);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (!n->value)
			r = -ENOMEM;
	} else {
		r = ytree_children(b, n, kind == YNODE_SEQ ? YAML_SEQUENCE_END_EVENT
		                                           : YAML_MAPPING_END_EVENT,
		                   depth);
	}
	if (r < 0) {
		ytree_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

/* Skips stream and document starts; an empty document is an empty map. */
static int ytree_document(struct ytree_builder *b, struct ynode **ret)
{
	static const yaml_mark_t start = {0};

	for (;;) {
		yaml_event_t ev;
		int r = ytree_next(b, &ev);

		if (r < 0)
			return r;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			yaml_event_delete(&ev);
			continue;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			*ret = ytree_node_new(b, YNODE_MAP, &start);
			return *ret ? 0 : -ENOMEM;
		default:
			r = ytree_node(b, &ev, 0, ret);
			yaml_event_delete(&ev);
			return r;
		}
	}
}

int ytree_parse(const char *buf, size_t len, struct ynode **ret, char *err, size_t errsz)
{
	struct ytree_builder b = {.err = err, .errsz = errsz};
	struct ynode *root = NULL;
	yaml_event_t ev;
	int r;

	*ret = NULL;
	if (len > YTREE_INPUT_MAX) {
		snprintf(err, errsz, "1:1: file larger than %d bytes", YTREE_INPUT_MAX);
		return -EFBIG;
	}
	if (!yaml_parser_initialize(&b.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);

	r = ytree_document(&b, &root);
	if (r < 0)
		goto out;

	/* One document per file: a second would be silently ignored otherwise. */
	r = ytree_next(&b, &ev);
	if (r < 0)
		goto out;
	if (ev.type == YAML_DOCUMENT_END_EVENT) {
		yaml_event_delete(&ev);
		r = ytree_next(&b, &ev);
		if (r < 0)
			goto out;
	}
	if (ev.type != YAML_STREAM_END_EVENT && ev.type != YAML_NO_EVENT)
		r = ytree_fail(&b, &ev.start_mark, "more than one YAML document");
	yaml_event_delete(&ev);
out:
	yaml_parser_delete(&b.parser);
	if (r < 0) {
		ytree_free(root);
		return r;
	}
	*ret = root;
	return 0;
}

const struct ynode *ytree_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (ytree_is(map->items[i], key))
			return map->items[i + 1];
	return NULL;
}

bool ytree_is(const struct ynode *n, const char *s)
{
	return n && n->kind == YNODE_SCALAR && strcmp(n->value, s) == 0;
}
