/* SPDX-License-Identifier: MIT */
/*
 * What an object is, decided from its content (libmagic and the ELF header), never from
 * its name, and whether the guest can run it.
 */
#pragma once

#include <stdbool.h>

enum obj_kind {
	OBJ_UNSUPPORTED = 0,
	OBJ_ELF_STATIC,
	OBJ_ELF_DYNAMIC,
	OBJ_SCRIPT,   /* with a shebang naming sh, bash, dash, python3, perl */
	OBJ_DOCUMENT, /* PDF, Office (OOXML, OLE), OpenDocument, RTF: examined, never run */
};

struct obj_type {
	enum obj_kind kind;
	char description[256]; /* libmagic's words */
	char mime[64];
	char interpreter[128]; /* for scripts, the shebang's program */
};

/* Classify the file open at fd (read from offset 0). -errno on I/O or libmagic failure. */
int objtype_detect(int fd, struct obj_type *ret);

const char *objtype_kind_name(enum obj_kind kind);
