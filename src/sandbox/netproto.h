/* SPDX-License-Identifier: MIT */
/*
 * Parsers for what guests send to the simulated internet: DNS queries, the head of an
 * HTTP request, and a TLS ClientHello. Each parser takes untrusted bytes with their
 * length, never reads past it, and returns -EBADMSG on anything malformed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct dns_question {
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	size_t question_end; /* offset just past the question, for building the answer */
	char name[256];      /* dotted, lower-case as sent, escaped if not printable */
};

int dns_parse_query(const uint8_t *buf, size_t len, struct dns_question *ret);

/* Build a response answering A queries with addr (network order); others get no data. */
int dns_build_answer(const uint8_t *query, size_t qlen, const struct dns_question *q,
		     uint32_t addr, uint8_t *out, size_t outsz, size_t *ret_len);

struct http_request {
	char method[16];
	char path[512];
	char host[256];
	char user_agent[256];
};

/* -EAGAIN when buf holds no complete request line and headers yet. */
int http_parse_request(const char *buf, size_t len, struct http_request *ret);

/*
 * Server name from the SNI extension of a ClientHello; -ENOENT if it has none, -EAGAIN when
 * buf ends inside the first TLS record (more bytes may follow).
 */
int tls_parse_sni(const uint8_t *buf, size_t len, char *ret_name, size_t namesz);
