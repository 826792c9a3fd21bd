/* SPDX-License-Identifier: MIT */
/*
 * File types from magic bytes. Zips are told apart by their entry names: the local
 * headers in the first 64 KiB (where office programs put "[Content_Types].xml" and
 * "mimetype") and the central directory when it lies in the last 64 KiB. Every offset and
 * length read from the file is checked against the buffer it points into.
 */
#include "filetype.h"

#include "macros.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_MAX    (64 * 1024)
#define TAIL_MAX    (64 * 1024)
#define PDF_WINDOW  1024
#define ZIP_LOCAL   30 /* fixed part of a local file header */
#define ZIP_CENTRAL 46 /* fixed part of a central directory header */
#define ZIP_EOCD    22 /* end of central directory record without its comment */

static const char ct_name[] = "[Content_Types].xml";
static const char odf_mime[] = "application/vnd.oasis.opendocument.";

/* Where the bytes come from: an fd (pread) or memory (the fuzz harness). */
struct ft_src {
	int fd;
	const uint8_t *mem;
	uint64_t size;
};

static int src_read(const struct ft_src *s, uint64_t off, uint8_t *buf, size_t len, size_t *ret_len)
{
	size_t got = 0;

	if (off >= s->size) {
		*ret_len = 0;
		return 0;
	}
	len = MIN(len, s->size - off);
	if (s->mem) {
		memcpy(buf, s->mem + off, len);
		*ret_len = len;
		return 0;
	}
	while (got < len) {
		ssize_t n = pread(s->fd, buf + got, len - got, off + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		got += n;
	}
	*ret_len = got;
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool has_prefix(const uint8_t *buf, size_t len, const void *magic, size_t n)
{
	return len >= n && memcmp(buf, magic, n) == 0;
}

static bool name_is_content_types(const uint8_t *name, size_t n)
{
	return n == sizeof(ct_name) - 1 && strncasecmp((const char *)name, ct_name, n) == 0;
}

/* The first entry: "mimetype", stored, whose content names an OpenDocument type. */
static bool zip_is_odf(const uint8_t *buf, size_t len)
{
	uint16_t method, name_len, extra_len;
	uint64_t data, csize;

	if (len < ZIP_LOCAL)
		return false;
	method = le16(buf + 8);
	csize = le32(buf + 18);
	name_len = le16(buf + 26);
	extra_len = le16(buf + 28);
	if (method != 0 || name_len != 8 || ZIP_LOCAL + 8 > len)
		return false;
	if (memcmp(buf + ZIP_LOCAL, "mimetype", 8) != 0)
		return false;
	data = (uint64_t)ZIP_LOCAL + name_len + extra_len;
	if (csize < sizeof(odf_mime) - 1 || data + sizeof(odf_mime) - 1 > len)
		return false;
	return memcmp(buf + data, odf_mime, sizeof(odf_mime) - 1) == 0;
}

/* Walk the local headers in the head; stops at the first one whose size it cannot know. */
static bool zip_local_has_content_types(const uint8_t *buf, size_t len)
{
	uint64_t off = 0;

	while (off + ZIP_LOCAL <= len && le32(buf + off) == 0x04034b50) {
		const uint8_t *h = buf + off;
		uint16_t flags = le16(h + 6), name_len = le16(h + 26), extra_len = le16(h + 28);
		uint32_t csize = le32(h + 18);

		if (off + ZIP_LOCAL + name_len > len)
			return false;
		if (name_is_content_types(h + ZIP_LOCAL, name_len))
			return true;
		/* Sizes in a data descriptor after the data, or zip64: the walk ends. */
		if ((flags & 0x08) || csize == UINT32_MAX)
			return false;
		off += (uint64_t)ZIP_LOCAL + name_len + extra_len + csize;
	}
	return false;
}

/* The central directory, when all of it lies in the tail buffer (tail_off: its offset). */
static bool zip_central_has_content_types(const uint8_t *tail, size_t len, uint64_t tail_off)
{
	uint64_t cd_off, cd_size, off;
	size_t eocd;
	bool found = false;

	if (len < ZIP_EOCD)
		return false;
	for (eocd = len - ZIP_EOCD;; eocd--) {
		if (le32(tail + eocd) == 0x06054b50) {
			found = true;
			break;
		}
		if (eocd == 0)
			break;
	}
	if (!found)
		return false;
	cd_size = le32(tail + eocd + 12);
	cd_off = le32(tail + eocd + 16);
	if (cd_off < tail_off || cd_off - tail_off + cd_size > eocd)
		return false;

	off = cd_off - tail_off;
	while (off + ZIP_CENTRAL <= eocd && le32(tail + off) == 0x02014b50) {
		const uint8_t *h = tail + off;
		uint16_t name_len = le16(h + 28), extra_len = le16(h + 30);
		uint16_t comment_len = le16(h + 32);

		if (off + ZIP_CENTRAL + name_len > eocd)
			return false;
		if (name_is_content_types(h + ZIP_CENTRAL, name_len))
			return true;
		off += (uint64_t)ZIP_CENTRAL + name_len + extra_len + comment_len;
	}
	return false;
}

static int zip_classify(const struct ft_src *s, const uint8_t *head, size_t head_len,
                        enum ftype *ret)
{
	uint8_t tail[TAIL_MAX];
	uint64_t tail_off;
	size_t tail_len;
	int r;

	if (zip_is_odf(head, head_len)) {
		*ret = FT_ODF;
		return 0;
	}
	if (zip_local_has_content_types(head, head_len)) {
		*ret = FT_OOXML;
		return 0;
	}

	tail_off = s->size > TAIL_MAX ? s->size - TAIL_MAX : 0;
	r = src_read(s, tail_off, tail, sizeof(tail), &tail_len);
	if (r < 0)
		return r;
	*ret = zip_central_has_content_types(tail, tail_len, tail_off) ? FT_OOXML : FT_OTHER;
	return 0;
}

static int ftype_detect_src(const struct ft_src *s, enum ftype *ret)
{
	static const uint8_t ole[] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
	uint8_t head[HEAD_MAX];
	size_t len;
	int r;

	r = src_read(s, 0, head, sizeof(head), &len);
	if (r < 0)
		return r;

	*ret = FT_OTHER;
	if (has_prefix(head, len,
	               "\x7f"
	               "ELF",
	               4))
		*ret = FT_ELF;
	else if (has_prefix(head, len, "#!", 2))
		*ret = FT_SCRIPT;
	else if (has_prefix(head, len, ole, sizeof(ole)))
		*ret = FT_OLE;
	else if (has_prefix(head, len, "{\\rtf", 5))
		*ret = FT_RTF;
	else if (has_prefix(head, len, "PK\x03\x04", 4)) {
		r = zip_classify(s, head, len, ret);
		if (r < 0)
			return r;
	}

	/* Readers accept "%PDF-" anywhere in the first KiB, so a zip can be a PDF too. */
	if (*ret == FT_OTHER && memmem(head, MIN(len, PDF_WINDOW), "%PDF-", 5))
		*ret = FT_PDF;
	return 0;
}

int ftype_detect(int fd, enum ftype *ret)
{
	struct ft_src s = {.fd = fd};
	struct stat st;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode)) {
		*ret = FT_OTHER;
		return 0;
	}
	s.size = st.st_size;
	return ftype_detect_src(&s, ret);
}

int ftype_detect_mem(const void *buf, size_t len, enum ftype *ret)
{
	struct ft_src s = {.fd = -1, .mem = buf, .size = len};

	return ftype_detect_src(&s, ret);
}

static const char *const ftype_names[] = {
        [FT_OTHER] = "other", [FT_ELF] = "elf", [FT_SCRIPT] = "script", [FT_PDF] = "pdf",
        [FT_OOXML] = "ooxml", [FT_OLE] = "ole", [FT_ODF] = "odf",       [FT_RTF] = "rtf",
};

const char *ftype_name(enum ftype t)
{
	return (size_t)t < ARRAY_SIZE(ftype_names) ? ftype_names[t] : "other";
}

bool ftype_is_document(enum ftype t)
{
	return t == FT_PDF || t == FT_OOXML || t == FT_OLE || t == FT_ODF || t == FT_RTF;
}
