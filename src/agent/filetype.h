/* SPDX-License-Identifier: MIT */
/*
 * What kind of object a file is, from its first bytes (and a zip's central directory),
 * never from its name: the agent's first test of whether an access needs a scan. No
 * libmagic here: this runs while a process waits for the kernel's answer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum ftype {
	FT_OTHER = 0,
	FT_ELF,
	FT_SCRIPT, /* starts with "#!" */
	FT_PDF,
	FT_OOXML, /* a zip with [Content_Types].xml: docx, xlsx, pptx, docm, ... */
	FT_OLE,   /* Compound File Binary: doc, xls, ppt, msg */
	FT_ODF,   /* a zip whose "mimetype" entry is application/vnd.oasis.opendocument.* */
	FT_RTF,
};

/*
 * Classify the file open at fd with pread (the offset is unchanged); bounded reads only: the
 * first 64 KiB, and for a zip the last 64 KiB, into buffers on the stack (128 KiB of it).
 */
int ftype_detect(int fd, enum ftype *ret);
/* The same on bytes in memory (the fuzz harness; tests). */
int ftype_detect_mem(const void *buf, size_t len, enum ftype *ret);
const char *ftype_name(enum ftype t);
/* PDF, OOXML, OLE, ODF, RTF: the types an open (not only an execution) is checked for. */
bool ftype_is_document(enum ftype t);
