/* SPDX-License-Identifier: MIT */
/*
 * ELF facts: weak static signals read from the headers of a 64-bit little-endian ELF
 * executable. Internal to src/detect; staticsig_scan() turns them into SIG_ELF hits.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum elfsig_fact {
	ELFSIG_UPX_PACKED = 1u << 0,         /* UPX magic or UPX0/UPX1 sections */
	ELFSIG_RWX_HIGH_ENTROPY = 1u << 1,   /* a writable+executable segment of random bytes */
	ELFSIG_STATIC_STRIPPED = 1u << 2,    /* no interpreter, no DT_NEEDED, no .symtab */
	ELFSIG_NO_SECTION_HEADERS = 1u << 3, /* e_shnum == 0 */
	ELFSIG_ENTRY_OUTSIDE_TEXT = 1u << 4, /* entry point not inside .text */
};

/*
 * Inspect the image in buf (len bytes: the file, or as much of it as was read). Every
 * header and table must lie inside buf; otherwise the result is -EBADMSG and no facts,
 * since a loader would refuse or fault on such a file too. -ENOEXEC when buf is not an
 * ELF64 LSB executable or shared object.
 */
int elfsig_inspect(const uint8_t *buf, size_t len, unsigned *ret_facts);
