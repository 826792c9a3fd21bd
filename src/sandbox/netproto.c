/* SPDX-License-Identifier: MIT */
/*
 * Parsers for guest traffic. Every read goes through a cursor that knows how many bytes
 * remain, so a length field sent by the guest can never move a read past the buffer.
 */
#include "netproto.h"

#include "escape.h"
#include "macros.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static bool cursor_has(const struct cursor *c, size_t n)
{
	return c->len - c->off >= n;
}

static int cursor_u8(struct cursor *c, uint8_t *ret)
{
	if (!cursor_has(c, 1))
		return -EBADMSG;
	*ret = c->p[c->off++];
	return 0;
}

static int cursor_u16(struct cursor *c, uint16_t *ret)
{
	if (!cursor_has(c, 2))
		return -EBADMSG;
	*ret = (uint16_t)(c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return 0;
}

static int cursor_u24(struct cursor *c, uint32_t *ret)
{
	if (!cursor_has(c, 3))
		return -EBADMSG;
	*ret = (uint32_t)c->p[c->off] << 16 | (uint32_t)c->p[c->off + 1] << 8 | c->p[c->off + 2];
	c->off += 3;
	return 0;
}

static int cursor_skip(struct cursor *c, size_t n)
{
	if (!cursor_has(c, n))
		return -EBADMSG;
	c->off += n;
	return 0;
}

/* Split off the next n bytes as their own cursor: a nested length can only shrink. */
static int cursor_sub(struct cursor *c, size_t n, struct cursor *ret)
{
	if (!cursor_has(c, n))
		return -EBADMSG;
	*ret = (struct cursor){ .p = c->p + c->off, .len = n };
	c->off += n;
	return 0;
}

static int cursor_sub_u16(struct cursor *c, struct cursor *ret)
{
	uint16_t n;

	if (cursor_u16(c, &n) < 0)
		return -EBADMSG;
	return cursor_sub(c, n, ret);
}

/* ---- DNS ---- */

#define DNS_HEADER_LEN   12
#define DNS_NAME_WIRE    255 /* RFC 1035 limit on a name on the wire */
#define DNS_MAX_POINTERS 16
#define DNS_FLAG_QR      0x8000
#define DNS_OPCODE_MASK  0x7800
#define DNS_FLAG_RD      0x0100
#define DNS_TYPE_A       1
#define DNS_CLASS_IN     1

struct name_writer {
	char *out;
	size_t size;
	size_t len;
};

/* Escapes what is not printable; a '.' inside a label is escaped so it cannot fake one. */
static void name_writer_put(struct name_writer *w, uint8_t c)
{
	char tmp[5];
	size_t n;

	if (c == '.')
		n = (size_t)snprintf(tmp, sizeof(tmp), "\\x2e");
	else
		n = escape_printable(&c, 1, tmp, sizeof(tmp));
	if (n == 1)
		tmp[0] = (char)tolower((unsigned char)tmp[0]);

	/* Truncate at a whole character so an escape is never cut in half. */
	if (w->len + n >= w->size)
		return;
	memcpy(w->out + w->len, tmp, n + 1);
	w->len += n;
}

static int dns_read_label(struct cursor *c, uint8_t lablen, size_t *wire, struct name_writer *w)
{
	if (!cursor_has(c, lablen))
		return -EBADMSG;

	if (*wire + 1u + lablen > DNS_NAME_WIRE)
		return -EBADMSG;

	if (*wire > 1 && w->len + 1 < w->size) {
		w->out[w->len++] = '.';
		w->out[w->len] = '\0';
	}
	*wire += 1u + lablen;
	for (size_t i = 0; i < lablen; i++)
		name_writer_put(w, c->p[c->off + i]);
	c->off += lablen;
	return 0;
}

/*
 * Follows compression pointers with a hop limit, so a pointer loop ends in -EBADMSG.
 * *ret_end is the offset just past the name where it appears in the message.
 */
static int dns_read_name(const uint8_t *buf, size_t len, size_t start, size_t *ret_end,
			 char *out, size_t outsz)
{
	struct cursor c = { .p = buf, .len = len, .off = start };
	struct name_writer w = { .out = out, .size = outsz };
	size_t wire = 1, end = 0;
	unsigned hops = 0;
	uint8_t b, lo;

	out[0] = '\0';
	for (;;) {
		if (cursor_u8(&c, &b) < 0)
			return -EBADMSG;
		if (b == 0)
			break;
		if ((b & 0xc0) == 0xc0) {
			if (cursor_u8(&c, &lo) < 0 || ++hops > DNS_MAX_POINTERS)
				return -EBADMSG;
			if (end == 0)
				end = c.off;
			c.off = (size_t)(b & 0x3f) << 8 | lo;
			if (c.off >= len)
				return -EBADMSG;
			continue;
		}
		if (b & 0xc0)
			return -EBADMSG; /* extended label types are not valid in a query */
		if (dns_read_label(&c, b, &wire, &w) < 0)
			return -EBADMSG;
	}

	if (w.len == 0)
		snprintf(out, outsz, ".");
	*ret_end = end ? end : c.off;
	return 0;
}

int dns_parse_query(const uint8_t *buf, size_t len, struct dns_question *ret)
{
	struct cursor c = { .p = buf, .len = len };
	uint16_t flags, qdcount;
	size_t name_end;

	if (cursor_u16(&c, &ret->id) < 0 || cursor_u16(&c, &flags) < 0 ||
	    cursor_u16(&c, &qdcount) < 0 || cursor_skip(&c, 6) < 0)
		return -EBADMSG;
	if ((flags & (DNS_FLAG_QR | DNS_OPCODE_MASK)) != 0 || qdcount == 0)
		return -EBADMSG;

	if (dns_read_name(buf, len, DNS_HEADER_LEN, &name_end, ret->name, sizeof(ret->name)) < 0)
		return -EBADMSG;

	c.off = name_end;
	if (cursor_u16(&c, &ret->qtype) < 0 || cursor_u16(&c, &ret->qclass) < 0)
		return -EBADMSG;
	ret->question_end = c.off;
	return 0;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dns_build_answer(const uint8_t *query, size_t qlen, const struct dns_question *q,
		     uint32_t addr, uint8_t *out, size_t outsz, size_t *ret_len)
{
	static const uint8_t rr_head[] = {
		0xc0, DNS_HEADER_LEN,   /* name: pointer to the question */
		0, DNS_TYPE_A, 0, DNS_CLASS_IN,
		0, 0, 0, 60,            /* TTL: short, so a re-run resolves again */
		0, 4,                   /* RDLENGTH */
	};
	bool answer = q->qtype == DNS_TYPE_A && q->qclass == DNS_CLASS_IN;
	size_t need = q->question_end + (answer ? sizeof(rr_head) + 4 : 0);
	uint16_t flags;

	if (q->question_end < DNS_HEADER_LEN || q->question_end > qlen)
		return -EINVAL;
	if (need > outsz)
		return -ENOBUFS;

	memcpy(out, query, q->question_end);
	/* QR, AA and RA set, RD echoed, opcode 0, rcode NOERROR. */
	flags = DNS_FLAG_QR | 0x0400 | 0x0080 | ((query[2] << 8 | query[3]) & DNS_FLAG_RD);
	put_u16(out + 2, flags);
	put_u16(out + 4, 1);              /* only the first question is answered */
	put_u16(out + 6, answer ? 1 : 0);
	put_u16(out + 8, 0);
	put_u16(out + 10, 0);             /* EDNS OPT records of the query are not echoed */

	if (answer) {
		memcpy(out + q->question_end, rr_head, sizeof(rr_head));
		memcpy(out + q->question_end + sizeof(rr_head), &addr, 4);
	}
	*ret_len = need;
	return 0;
}

/* ---- HTTP ---- */

#define HTTP_METHOD_MAX 15

struct http_header_field {
	const char *name;
	size_t offset;
	size_t size;
};

static const struct http_header_field http_fields[] = {
	{ "host", offsetof(struct http_request, host), sizeof(((struct http_request *)0)->host) },
	{ "user-agent", offsetof(struct http_request, user_agent),
	  sizeof(((struct http_request *)0)->user_agent) },
};

/* -EBADMSG as soon as the first bytes cannot start a request line, -EAGAIN if they might. */
static int http_scan_method(const char *buf, size_t len, size_t *ret_len)
{
	for (size_t i = 0; i < len && i <= HTTP_METHOD_MAX; i++) {
		if (buf[i] == ' ') {
			if (i == 0)
				return -EBADMSG;
			*ret_len = i;
			return 0;
		}
		if (buf[i] < 'A' || buf[i] > 'Z')
			return -EBADMSG;
	}
	return len > HTTP_METHOD_MAX ? -EBADMSG : -EAGAIN;
}

static size_t http_trim(const char **s, size_t n)
{
	while (n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t' || (*s)[n - 1] == '\r'))
		n--;
	return n;
}

static void http_parse_header(const char *line, size_t n, struct http_request *ret)
{
	const char *colon = memchr(line, ':', n);
	const char *value;
	size_t namelen;

	if (!colon)
		return;
	namelen = (size_t)(colon - line);
	value = colon + 1;

	for (size_t i = 0; i < ARRAY_SIZE(http_fields); i++) {
		const struct http_header_field *f = &http_fields[i];

		if (strlen(f->name) != namelen || strncasecmp(f->name, line, namelen) != 0)
			continue;
		n = http_trim(&value, n - namelen - 1);
		escape_printable(value, n, (char *)ret + f->offset, f->size);
		return;
	}
}

static int http_parse_request_line(const char *line, size_t n, size_t mlen,
				   struct http_request *ret)
{
	const char *target = line + mlen + 1;
	const char *sp = memchr(target, ' ', n - mlen - 1);
	const char *version;

	if (!sp || sp == target)
		return -EBADMSG;
	version = sp + 1;
	if ((size_t)(line + n - version) < 8 || memcmp(version, "HTTP/", 5) != 0)
		return -EBADMSG;

	memcpy(ret->method, line, mlen);
	ret->method[mlen] = '\0';
	escape_printable(target, (size_t)(sp - target), ret->path, sizeof(ret->path));
	return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *ret)
{
	const char *p = buf, *end = buf + len;
	size_t mlen;
	int r;

	r = http_scan_method(buf, len, &mlen);
	if (r < 0)
		return r;
	if (!memmem(buf, len, "\r\n\r\n", 4) && !memmem(buf, len, "\n\n", 2))
		return -EAGAIN;

	*ret = (struct http_request){ 0 };
	for (bool first = true; p < end; first = false) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the empty line ending the headers */
		if (first && http_parse_request_line(p, n, mlen, ret) < 0)
			return -EBADMSG;
		if (!first)
			http_parse_header(p, n, ret);
		p = nl + 1;
	}
	return 0;
}

/* ---- TLS ---- */

#define TLS_CONTENT_HANDSHAKE 22
#define TLS_CLIENT_HELLO      1
#define TLS_EXT_SERVER_NAME   0
#define TLS_SNI_HOST_NAME     0
#define TLS_RECORD_MAX        (16384 + 2048)

static int tls_find_sni(struct cursor *names, char *ret_name, size_t namesz)
{
	struct cursor list, name;
	uint8_t type;

	if (cursor_sub_u16(names, &list) < 0)
		return -EBADMSG;
	while (list.off < list.len) {
		if (cursor_u8(&list, &type) < 0 || cursor_sub_u16(&list, &name) < 0)
			return -EBADMSG;
		if (type != TLS_SNI_HOST_NAME || name.len == 0)
			continue;
		escape_printable(name.p, name.len, ret_name, namesz);
		return 0;
	}
	return -ENOENT;
}

static int tls_parse_extensions(struct cursor *hello, char *ret_name, size_t namesz)
{
	struct cursor exts, data;
	uint16_t type;

	if (hello->off == hello->len)
		return -ENOENT; /* a ClientHello may end before the extensions */
	if (cursor_sub_u16(hello, &exts) < 0)
		return -EBADMSG;

	while (exts.off < exts.len) {
		if (cursor_u16(&exts, &type) < 0 || cursor_sub_u16(&exts, &data) < 0)
			return -EBADMSG;
		if (type == TLS_EXT_SERVER_NAME)
			return tls_find_sni(&data, ret_name, namesz);
	}
	return -ENOENT;
}

static int tls_parse_hello(struct cursor *hs, char *ret_name, size_t namesz)
{
	struct cursor hello, skip;
	uint32_t hlen;
	uint8_t type, n;

	if (cursor_u8(hs, &type) < 0 || type != TLS_CLIENT_HELLO || cursor_u24(hs, &hlen) < 0)
		return -EBADMSG;
	/* A hello longer than this record continues in the next one; parse what is here. */
	if (cursor_sub(hs, MIN((size_t)hlen, hs->len - hs->off), &hello) < 0)
		return -EBADMSG;

	if (cursor_skip(&hello, 2 + 32) < 0 ||                         /* version, random */
	    cursor_u8(&hello, &n) < 0 || cursor_skip(&hello, n) < 0 || /* session id */
	    cursor_sub_u16(&hello, &skip) < 0 ||                       /* cipher suites */
	    cursor_u8(&hello, &n) < 0 || cursor_skip(&hello, n) < 0)   /* compression */
		return -EBADMSG;
	return tls_parse_extensions(&hello, ret_name, namesz);
}

int tls_parse_sni(const uint8_t *buf, size_t len, char *ret_name, size_t namesz)
{
	struct cursor c = { .p = buf, .len = len }, record;
	uint8_t type, major, minor;
	uint16_t rlen;

	if (namesz == 0)
		return -EINVAL;
	ret_name[0] = '\0';

	if (cursor_u8(&c, &type) < 0)
		return -EAGAIN;
	if (type != TLS_CONTENT_HANDSHAKE)
		return -EBADMSG;
	if (cursor_u8(&c, &major) < 0)
		return -EAGAIN;
	if (major != 3)
		return -EBADMSG;
	if (cursor_u8(&c, &minor) < 0 || cursor_u16(&c, &rlen) < 0)
		return -EAGAIN;
	if (rlen > TLS_RECORD_MAX)
		return -EBADMSG;
	if (cursor_sub(&c, rlen, &record) < 0)
		return -EAGAIN;
	return tls_parse_hello(&record, ret_name, namesz);
}
