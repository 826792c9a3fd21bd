/* SPDX-License-Identifier: MIT */
#include "hash.h"

#include "macros.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

struct hash_ctx {
	EVP_MD_CTX *md[3];
};

static const EVP_MD *hash_md(int i)
{
	switch (i) {
	case 0:
		return EVP_sha256();
	case 1:
		return EVP_sha1();
	default:
		return EVP_md5();
	}
}

static void hash_ctx_done(struct hash_ctx *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->md); i++)
		EVP_MD_CTX_free(c->md[i]);
}

static int hash_ctx_init(struct hash_ctx *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(c->md); i++) {
		c->md[i] = EVP_MD_CTX_new();
		if (!c->md[i] || EVP_DigestInit_ex(c->md[i], hash_md(i), NULL) != 1)
			return -ENOMEM;
	}
	return 0;
}

static void hash_ctx_update(struct hash_ctx *c, const void *buf, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->md); i++)
		EVP_DigestUpdate(c->md[i], buf, len);
}

static void hex(const unsigned char *in, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void hash_ctx_final(struct hash_ctx *c, struct file_hashes *ret)
{
	char *outs[3] = { ret->sha256, ret->sha1, ret->md5 };

	for (size_t i = 0; i < ARRAY_SIZE(c->md); i++) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned n = 0;

		EVP_DigestFinal_ex(c->md[i], d, &n);
		hex(d, n, outs[i]);
	}
}

int hash_fd(int fd, uint64_t max, struct file_hashes *ret)
{
	struct hash_ctx c;
	char buf[65536];
	uint64_t total = 0;
	int r;

	r = hash_ctx_init(&c);
	if (r < 0)
		goto out;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = neg_errno();
			goto out;
		}
		if (n == 0)
			break;
		total += n;
		if (total > max) {
			r = -EFBIG;
			goto out;
		}
		hash_ctx_update(&c, buf, n);
	}

	hash_ctx_final(&c, ret);
	ret->size = total;
out:
	hash_ctx_done(&c);
	return r;
}

int hash_buf(const void *buf, size_t len, struct file_hashes *ret)
{
	struct hash_ctx c;
	int r;

	r = hash_ctx_init(&c);
	if (r == 0) {
		hash_ctx_update(&c, buf, len);
		hash_ctx_final(&c, ret);
		ret->size = len;
	}
	hash_ctx_done(&c);
	return r;
}

int hash_fd_sha256(int fd, uint64_t max, char ret[65], uint64_t *ret_size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	char buf[65536];
	uint64_t total = 0;
	unsigned n = 0;
	int r = 0;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)total);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = neg_errno();
			goto out;
		}
		if (got == 0)
			break;
		total += (uint64_t)got;
		if (total > max) {
			r = -EFBIG;
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)got);
	}
	EVP_DigestFinal_ex(md, d, &n);
	hex(d, n, ret);
	if (ret_size)
		*ret_size = total;
out:
	EVP_MD_CTX_free(md);
	return r;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hash_sha256_parse(const char *hex, uint8_t ret[32])
{
	for (size_t i = 0; i < 32; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		ret[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[64] == '\0' ? 0 : -EINVAL;
}
