/* SPDX-License-Identifier: MIT */
#include "hashlist.h"

#include "macros.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int hashlist_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 64 hex digits at s (len available) into out; false otherwise. */
static bool hashlist_unhex(const char *s, size_t len, uint8_t out[32])
{
	if (len < 64)
		return false;
	for (size_t i = 0; i < 32; i++) {
		int hi = hashlist_nibble(s[2 * i]);
		int lo = hashlist_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool hashlist_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parse one line without its newline; 0 and *ret_used = false for blank or comment lines. */
static int hashlist_parse_line(const char *s, size_t len, struct hashlist_entry *e, bool *ret_used)
{
	const char *hash = memchr(s, '#', len);
	size_t n;

	*ret_used = false;
	if (hash)
		len = (size_t)(hash - s);
	while (len > 0 && hashlist_blank(*s))
		s++, len--;
	while (len > 0 && hashlist_blank(s[len - 1]))
		len--;
	if (len == 0)
		return 0;

	if (!hashlist_unhex(s, len, e->sha256))
		return -EBADMSG;
	s += 64, len -= 64;
	if (len > 0 && !hashlist_blank(*s))
		return -EBADMSG;
	while (len > 0 && hashlist_blank(*s))
		s++, len--;

	/* Names end up in reports and logs: printable ASCII only, and short. */
	if (len >= sizeof(e->name))
		return -EBADMSG;
	for (n = 0; n < len; n++)
		if (s[n] < 0x20 || s[n] > 0x7e)
			return -EBADMSG;
	memcpy(e->name, s, len);
	e->name[len] = '\0';
	*ret_used = true;
	return 0;
}

static int hashlist_cmp(const void *a, const void *b)
{
	return memcmp(((const struct hashlist_entry *)a)->sha256,
	              ((const struct hashlist_entry *)b)->sha256, 32);
}

/*
 * Sort and drop later duplicates. qsort is not stable, so the index of the first line
 * rides along in the comparison to keep "the first entry wins" deterministic.
 */
struct hashlist_slot {
	struct hashlist_entry e;
	size_t line;
};

static int hashlist_slot_cmp(const void *a, const void *b)
{
	const struct hashlist_slot *x = a, *y = b;
	int r = hashlist_cmp(&x->e, &y->e);

	if (r)
		return r;
	return (x->line > y->line) - (x->line < y->line);
}

static size_t hashlist_count_lines(const char *text, size_t len)
{
	size_t n = 1;

	for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))); p++)
		n++;
	return n;
}

static int hashlist_finish(struct hashlist_slot *slots, size_t n, struct hashlist *ret)
{
	struct hashlist_entry *out;
	size_t m = 0;

	qsort(slots, n, sizeof(*slots), hashlist_slot_cmp);
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || hashlist_cmp(&out[m - 1], &slots[i].e) != 0)
			out[m++] = slots[i].e;
	ret->entries = out;
	ret->n = m;
	return 0;
}

int hashlist_parse(const char *text, size_t len, struct hashlist *ret, size_t *ret_line)
{
	_cleanup_free_ struct hashlist_slot *slots = NULL;
	size_t n = 0, line = 0, off = 0;

	*ret = (struct hashlist){0};
	*ret_line = 0;
	if (len > HASHLIST_FILE_MAX)
		return -EFBIG;

	/* One slot per line is an upper bound that the file's own size limits. */
	slots = calloc(hashlist_count_lines(text, len), sizeof(*slots));
	if (!slots)
		return -ENOMEM;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		bool used;

		line++;
		if (hashlist_parse_line(text + off, l, &slots[n].e, &used) < 0) {
			*ret_line = line;
			return -EBADMSG;
		}
		slots[n].line = line;
		n += used;
		off += l + 1;
	}
	return hashlist_finish(slots, n, ret);
}

void hashlist_clear(struct hashlist *l)
{
	free(l->entries);
	*l = (struct hashlist){0};
}

const struct hashlist_entry *hashlist_find(const struct hashlist *l, const char *sha256)
{
	struct hashlist_entry key;

	if (!sha256 || strnlen(sha256, 65) != 64 || !hashlist_unhex(sha256, 64, key.sha256))
		return NULL;
	if (l->n == 0)
		return NULL;
	return bsearch(&key, l->entries, l->n, sizeof(key), hashlist_cmp);
}
