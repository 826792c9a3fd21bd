/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filetype.h"
#include "macros.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A zip written by hand: stored entries, local headers, central directory, end record. */
struct zip {
	uint8_t buf[1 << 18];
	size_t len;
	uint8_t cd[4096];
	size_t cd_len;
	unsigned n;
};

struct zip_entry {
	const char *name;
	const char *data;
	uint16_t method;
	uint16_t flags;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void zip_pad(struct zip *z, size_t n)
{
	memset(z->buf + z->len, 'x', n);
	z->len += n;
}

static void zip_add(struct zip *z, const struct zip_entry *e)
{
	size_t name_len = strlen(e->name), data_len = strlen(e->data);
	uint8_t *h = z->buf + z->len, *c = z->cd + z->cd_len;

	memset(h, 0, 30);
	put32(h, 0x04034b50);
	put16(h + 6, e->flags);
	put16(h + 8, e->method);
	put32(h + 18, e->flags & 8 ? 0 : data_len);
	put32(h + 22, data_len);
	put16(h + 26, name_len);
	memcpy(h + 30, e->name, name_len);
	memcpy(h + 30 + name_len, e->data, data_len);

	memset(c, 0, 46);
	put32(c, 0x02014b50);
	put16(c + 10, e->method);
	put32(c + 20, data_len);
	put32(c + 24, data_len);
	put16(c + 28, name_len);
	put32(c + 42, z->len);
	memcpy(c + 46, e->name, name_len);

	z->len += 30 + name_len + data_len;
	z->cd_len += 46 + name_len;
	z->n++;
}

static void zip_finish(struct zip *z)
{
	uint8_t *e;

	memcpy(z->buf + z->len, z->cd, z->cd_len);
	e = z->buf + z->len + z->cd_len;
	memset(e, 0, 22);
	put32(e, 0x06054b50);
	put16(e + 8, z->n);
	put16(e + 10, z->n);
	put32(e + 12, z->cd_len);
	put32(e + 16, z->len);
	z->len += z->cd_len + 22;
}

static enum ftype detect_mem(const void *buf, size_t len)
{
	enum ftype t = -1;

	assert_int_equal(ftype_detect_mem(buf, len, &t), 0);
	return t;
}

/* Through a real fd, and the fd's offset must not move. */
static enum ftype detect_fd(const void *buf, size_t len)
{
	_cleanup_close_ int fd = memfd_create("ft", MFD_CLOEXEC);
	enum ftype t = -1;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
	assert_int_equal(ftype_detect(fd, &t), 0);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 3);
	assert_int_equal(detect_mem(buf, len), t);
	return t;
}

static void magic_bytes_name_the_type(void **state)
{
	static const uint8_t ole[] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0};
	char pdf[2048];

	assert_int_equal(detect_fd("\x7f"
	                           "ELF\x02\x01\x01",
	                           7),
	                 FT_ELF);
	assert_int_equal(detect_fd("#!/bin/sh\necho hi\n", 18), FT_SCRIPT);
	assert_int_equal(detect_fd(ole, sizeof(ole)), FT_OLE);
	assert_int_equal(detect_fd("{\\rtf1\\ansi hello}", 18), FT_RTF);
	assert_int_equal(detect_fd("%PDF-1.7\n", 9), FT_PDF);
	assert_int_equal(detect_fd("hello world\n", 12), FT_OTHER);
	assert_int_equal(detect_fd("", 0), FT_OTHER);
	assert_int_equal(detect_fd("\x7f"
	                           "EL",
	                           3),
	                 FT_OTHER);

	/* %PDF- after junk counts within the first KiB, not after it. */
	memset(pdf, ' ', sizeof(pdf));
	memcpy(pdf + 1000, "%PDF-1.4", 8);
	assert_int_equal(detect_fd(pdf, sizeof(pdf)), FT_PDF);
	memset(pdf, ' ', sizeof(pdf));
	memcpy(pdf + 1020, "%PDF-1.4", 8);
	assert_int_equal(detect_fd(pdf, sizeof(pdf)), FT_OTHER);
}

static void docx_is_ooxml(void **state)
{
	static struct zip z;

	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"[Content_Types].xml", "<Types/>"});
	zip_add(&z, &(struct zip_entry){"word/document.xml", "<w:document/>"});
	zip_finish(&z);
	assert_int_equal(detect_fd(z.buf, z.len), FT_OOXML);
	assert_true(ftype_is_document(FT_OOXML));
}

static void odt_is_odf_only_with_a_stored_mimetype_first(void **state)
{
	static struct zip z;

	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"mimetype", "application/vnd.oasis.opendocument.text"});
	zip_add(&z, &(struct zip_entry){"content.xml", "<office:document-content/>"});
	zip_finish(&z);
	assert_int_equal(detect_fd(z.buf, z.len), FT_ODF);

	/* Deflated ("method 8") mimetype: not what an ODF writer makes. */
	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"mimetype", "application/vnd.oasis.opendocument.text", 8});
	zip_finish(&z);
	assert_int_equal(detect_fd(z.buf, z.len), FT_OTHER);

	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"mimetype", "application/epub+zip"});
	zip_finish(&z);
	assert_int_equal(detect_fd(z.buf, z.len), FT_OTHER);
}

static void other_zip_is_other(void **state)
{
	static struct zip z;

	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"README.txt", "hello"});
	zip_add(&z, &(struct zip_entry){"Content_Types].xml", "<Types/>"});
	zip_finish(&z);
	assert_int_equal(detect_fd(z.buf, z.len), FT_OTHER);
	assert_false(ftype_is_document(FT_OTHER));
	assert_false(ftype_is_document(FT_ELF));
}

/* The local walk stops at a data descriptor; the central directory at the end still tells. */
static void content_types_found_in_the_central_directory(void **state)
{
	static struct zip z;

	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"docProps/app.xml", "<Properties/>", 8, 8});
	zip_pad(&z, 100 * 1024);
	zip_add(&z, &(struct zip_entry){"[content_types].xml", "<Types/>"});
	zip_finish(&z);
	assert_true(z.len > 100 * 1024);
	assert_int_equal(detect_fd(z.buf, z.len), FT_OOXML);
}

/* Offsets and lengths pointing outside the file or the windows are refused, not followed. */
static void lying_zip_headers_are_bounded(void **state)
{
	static struct zip z;

	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"a", "b"});
	zip_finish(&z);
	put32(z.buf + z.len - 22 + 12, 0xfffffff0); /* central directory size */
	assert_int_equal(detect_fd(z.buf, z.len), FT_OTHER);
	put32(z.buf + z.len - 22 + 12, 10);
	put32(z.buf + z.len - 22 + 16, 0xfffffff0); /* its offset */
	assert_int_equal(detect_fd(z.buf, z.len), FT_OTHER);
	put16(z.buf + 26, 0xffff); /* a local name longer than the file */
	assert_int_equal(detect_fd(z.buf, z.len), FT_OTHER);

	/* Every truncation of a docx: no read beyond the end, whatever the answer. */
	memset(&z, 0, sizeof(z));
	zip_add(&z, &(struct zip_entry){"word/document.xml", "<w:document/>"});
	zip_add(&z, &(struct zip_entry){"[Content_Types].xml", "<Types/>"});
	zip_finish(&z);
	for (size_t n = 0; n <= z.len; n++) {
		enum ftype t = detect_mem(z.buf, n);

		assert_true(t == FT_OTHER || t == FT_OOXML);
	}
	assert_int_equal(detect_mem(z.buf, z.len), FT_OOXML);
}

static void names(void **state)
{
	assert_string_equal(ftype_name(FT_ELF), "elf");
	assert_string_equal(ftype_name(FT_OOXML), "ooxml");
	assert_string_equal(ftype_name((enum ftype)99), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(magic_bytes_name_the_type),
	        cmocka_unit_test(docx_is_ooxml),
	        cmocka_unit_test(odt_is_odf_only_with_a_stored_mimetype_first),
	        cmocka_unit_test(other_zip_is_other),
	        cmocka_unit_test(content_types_found_in_the_central_directory),
	        cmocka_unit_test(lying_zip_headers_are_bounded),
	        cmocka_unit_test(names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
