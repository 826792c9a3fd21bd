/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "macros.h"
#include "netproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* A query for www.Example.COM, type A, as dig sends it (with an EDNS OPT record). */
static const uint8_t query_a[] = {
	0xab, 0xcd, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'C', 'O', 'M', 0,
	0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void dns_query_gives_name_type_and_end(void **state)
{
	struct dns_question q;

	assert_int_equal(dns_parse_query(query_a, sizeof(query_a), &q), 0);
	assert_int_equal(q.id, 0xabcd);
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.qclass, 1);
	assert_int_equal(q.question_end, 33);
	assert_string_equal(q.name, "www.example.com");
}

static void dns_every_truncation_is_rejected(void **state)
{
	struct dns_question q;

	/* Cut anywhere before the end of the question: never a read past len, always an error. */
	for (size_t len = 0; len < 33; len++)
		assert_int_equal(dns_parse_query(query_a, len, &q), -EBADMSG);
}

static void dns_responses_and_empty_questions_are_rejected(void **state)
{
	uint8_t msg[sizeof(query_a)];
	struct dns_question q;

	memcpy(msg, query_a, sizeof(msg));
	msg[2] |= 0x80; /* QR: a response */
	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), -EBADMSG);

	memcpy(msg, query_a, sizeof(msg));
	msg[5] = 0; /* QDCOUNT 0 */
	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), -EBADMSG);
}

static void dns_compression_loop_ends(void **state)
{
	/* The name is a pointer to itself; a second message has two pointing at each other. */
	static const uint8_t self[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	static const uint8_t pair[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					0xc0, 14, 0xc0, 12, 0, 1, 0, 1 };
	static const uint8_t outside[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					   0xc0, 200, 0, 1, 0, 1 };
	struct dns_question q;

	assert_int_equal(dns_parse_query(self, sizeof(self), &q), -EBADMSG);
	assert_int_equal(dns_parse_query(pair, sizeof(pair), &q), -EBADMSG);
	assert_int_equal(dns_parse_query(outside, sizeof(outside), &q), -EBADMSG);
}

static void dns_forward_pointer_is_followed(void **state)
{
	/* Question name "a" then a pointer to "b\0" stored after the question. */
	static const uint8_t msg[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
				       1, 'a', 0xc0, 20, 0, 1, 0, 1, 1, 'b', 0 };
	struct dns_question q;

	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), 0);
	assert_string_equal(q.name, "a.b");
	assert_int_equal(q.question_end, 20);
}

static void dns_overlong_name_and_bad_labels_are_rejected(void **state)
{
	uint8_t msg[12 + 5 * 64 + 5] = { 0, 1, 0, 0, 0, 1 };
	struct dns_question q;
	size_t p = 12;

	/* Five 63-byte labels make 321 bytes on the wire: more than the 255 allowed. */
	for (int i = 0; i < 5; i++) {
		msg[p++] = 63;
		memset(msg + p, 'a', 63);
		p += 63;
	}
	msg[p++] = 0;
	memcpy(msg + p, "\0\1\0\1", 4);
	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), -EBADMSG);

	msg[12] = 0x40; /* extended label type */
	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), -EBADMSG);
}

static void dns_unprintable_label_is_escaped(void **state)
{
	static const uint8_t msg[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
				       3, 'a', '.', 0x1b, 2, 'c', 'd', 0, 0, 1, 0, 1 };
	struct dns_question q;

	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), 0);
	assert_string_equal(q.name, "a\\x2e\\x1b.cd");
}

static void dns_answer_carries_the_address(void **state)
{
	uint8_t out[512];
	struct dns_question q;
	size_t len;
	uint32_t addr = htonl(0xc6120005);

	assert_int_equal(dns_parse_query(query_a, sizeof(query_a), &q), 0);
	assert_int_equal(dns_build_answer(query_a, sizeof(query_a), &q, addr, out, sizeof(out),
					  &len), 0);
	assert_int_equal(len, 33 + 16);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[2] & 0x80, 0x80);  /* a response */
	assert_int_equal(out[3] & 0x0f, 0);     /* NOERROR */
	assert_int_equal(out[7], 1);            /* one answer */
	assert_int_equal(out[11], 0);           /* OPT not echoed */
	assert_memory_equal(out + len - 4, "\xc6\x12\x00\x05", 4);

	assert_int_equal(dns_build_answer(query_a, sizeof(query_a), &q, addr, out, 40, &len),
			 -ENOBUFS);
}

static void dns_aaaa_gets_no_answer(void **state)
{
	uint8_t msg[sizeof(query_a)], out[512];
	struct dns_question q;
	size_t len;

	memcpy(msg, query_a, sizeof(msg));
	msg[30] = 28; /* AAAA */
	assert_int_equal(dns_parse_query(msg, sizeof(msg), &q), 0);
	assert_int_equal(dns_build_answer(msg, sizeof(msg), &q, 0, out, sizeof(out), &len), 0);
	assert_int_equal(len, 33);
	assert_int_equal(out[7], 0);
	assert_int_equal(out[3] & 0x0f, 0);
}

static void http_request_with_host_and_agent(void **state)
{
	static const char req[] = "POST /gate.php?x=1 HTTP/1.1\r\nHOST:  c2.example:8080 \r\n"
				  "user-agent: Mozilla/5.0\x1b\r\nContent-Length: 3\r\n\r\nabc";
	struct http_request r;

	assert_int_equal(http_parse_request(req, sizeof(req) - 1, &r), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.path, "/gate.php?x=1");
	assert_string_equal(r.host, "c2.example:8080");
	assert_string_equal(r.user_agent, "Mozilla/5.0\\x1b");
}

static void http_request_without_host(void **state)
{
	static const char req[] = "GET / HTTP/1.0\n\n";
	struct http_request r;

	assert_int_equal(http_parse_request(req, sizeof(req) - 1, &r), 0);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/");
	assert_string_equal(r.host, "");
	assert_string_equal(r.user_agent, "");
}

static void http_incomplete_and_foreign_bytes(void **state)
{
	static const char head[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n";
	struct http_request r;

	assert_int_equal(http_parse_request("GE", 2, &r), -EAGAIN);
	assert_int_equal(http_parse_request(head, sizeof(head) - 1, &r), -EAGAIN);
	assert_int_equal(http_parse_request("\x16\x03\x01", 3, &r), -EBADMSG);
	assert_int_equal(http_parse_request("SSH-2.0-x\r\n\r\n", 13, &r), -EBADMSG);
	assert_int_equal(http_parse_request("GET /\r\n\r\n", 9, &r), -EBADMSG);
	assert_int_equal(http_parse_request(" / HTTP/1.1\r\n\r\n", 16, &r), -EBADMSG);
}

/* A ClientHello built field by field; sni NULL leaves only a supported_versions extension. */
static size_t client_hello(uint8_t *out, const char *sni)
{
	size_t p = 0, hs_len, ext_len, n = sni ? strlen(sni) : 0;

	out[p++] = 0x16, out[p++] = 0x03, out[p++] = 0x01, p += 2;     /* record */
	out[p++] = 0x01, p += 3;                                       /* ClientHello */
	hs_len = p - 3;
	out[p++] = 0x03, out[p++] = 0x03;                              /* TLS 1.2 */
	memset(out + p, 0x5a, 32), p += 32;                            /* random */
	out[p++] = 0;                                                  /* session id */
	out[p++] = 0, out[p++] = 4;                                    /* cipher suites */
	out[p++] = 0x13, out[p++] = 0x01, out[p++] = 0xc0, out[p++] = 0x2f;
	out[p++] = 1, out[p++] = 0;                                    /* compression */
	ext_len = p, p += 2;
	out[p++] = 0x00, out[p++] = 0x2b, out[p++] = 0, out[p++] = 3;  /* supported_versions */
	out[p++] = 2, out[p++] = 0x03, out[p++] = 0x04;
	if (sni) {
		out[p++] = 0, out[p++] = 0;                            /* server_name */
		out[p++] = 0, out[p++] = (uint8_t)(n + 5);
		out[p++] = 0, out[p++] = (uint8_t)(n + 3);             /* list */
		out[p++] = 0, out[p++] = 0, out[p++] = (uint8_t)n;     /* host_name */
		memcpy(out + p, sni, n), p += n;
	}
	out[ext_len] = 0, out[ext_len + 1] = (uint8_t)(p - ext_len - 2);
	out[hs_len] = 0, out[hs_len + 1] = 0, out[hs_len + 2] = (uint8_t)(p - hs_len - 3);
	out[3] = 0, out[4] = (uint8_t)(p - 5);
	return p;
}

static void tls_hello_with_sni(void **state)
{
	uint8_t hello[256];
	size_t len = client_hello(hello, "c2.example");
	char name[64];

	assert_int_equal(tls_parse_sni(hello, len, name, sizeof(name)), 0);
	assert_string_equal(name, "c2.example");

	/* A shorter buffer than the record says: more may come. */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(tls_parse_sni(hello, cut, name, sizeof(name)), -EAGAIN);
}

static void tls_hello_without_sni(void **state)
{
	uint8_t hello[256];
	size_t len = client_hello(hello, NULL);
	char name[64];

	assert_int_equal(tls_parse_sni(hello, len, name, sizeof(name)), -ENOENT);
	assert_string_equal(name, "");
}

static void tls_lying_lengths_are_rejected(void **state)
{
	uint8_t hello[256];
	size_t len = client_hello(hello, "c2.example");
	char name[64];

	hello[len - 12] = 0xff; /* a host name longer than its list */
	assert_int_equal(tls_parse_sni(hello, len, name, sizeof(name)), -EBADMSG);
	assert_int_equal(tls_parse_sni((const uint8_t *)"GET / HTTP/1.1", 14, name, 64), -EBADMSG);
	hello[0] = 0x16, hello[5] = 2; /* ServerHello */
	assert_int_equal(tls_parse_sni(hello, len, name, sizeof(name)), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dns_query_gives_name_type_and_end),
		cmocka_unit_test(dns_every_truncation_is_rejected),
		cmocka_unit_test(dns_responses_and_empty_questions_are_rejected),
		cmocka_unit_test(dns_compression_loop_ends),
		cmocka_unit_test(dns_forward_pointer_is_followed),
		cmocka_unit_test(dns_overlong_name_and_bad_labels_are_rejected),
		cmocka_unit_test(dns_unprintable_label_is_escaped),
		cmocka_unit_test(dns_answer_carries_the_address),
		cmocka_unit_test(dns_aaaa_gets_no_answer),
		cmocka_unit_test(http_request_with_host_and_agent),
		cmocka_unit_test(http_request_without_host),
		cmocka_unit_test(http_incomplete_and_foreign_bytes),
		cmocka_unit_test(tls_hello_with_sni),
		cmocka_unit_test(tls_hello_without_sni),
		cmocka_unit_test(tls_lying_lengths_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
