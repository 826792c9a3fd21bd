/* SPDX-License-Identifier: MIT */
#include "elfsig.h"

#include "macros.h"

#include <elf.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Above the kernel's own limit for program headers (64 KiB of them): not a real file. */
#define ELFSIG_PHNUM_MAX 1024
/* UPX writes its magic in the headers' page and in a trailer; look only there. */
#define ELFSIG_UPX_HEAD 1024
#define ELFSIG_UPX_TAIL 64
/* Compressed or encrypted data sits near 8 bits per byte; code and data rarely pass 6.5. */
#define ELFSIG_ENTROPY_MIN  7.2
#define ELFSIG_ENTROPY_SPAN 1024

struct elfsig_image {
	const uint8_t *buf;
	size_t len;
	Elf64_Ehdr eh;
	const uint8_t *ph; /* e_phnum entries, bounds checked */
	const uint8_t *sh; /* e_shnum entries, bounds checked; NULL without sections */
	const char *shstr; /* section name table, bounds checked; NULL when absent */
	size_t shstr_len;
};

/* true when [off, off + n) lies inside len bytes, without overflow. */
static bool elfsig_in(uint64_t off, uint64_t n, size_t len)
{
	return off <= len && n <= len - off;
}

/* Entries are copied out: the buffer gives no alignment guarantee. */
static Elf64_Phdr elfsig_phdr(const struct elfsig_image *im, size_t i)
{
	Elf64_Phdr p;

	memcpy(&p, im->ph + i * sizeof(p), sizeof(p));
	return p;
}

static Elf64_Shdr elfsig_shdr(const struct elfsig_image *im, size_t i)
{
	Elf64_Shdr s;

	memcpy(&s, im->sh + i * sizeof(s), sizeof(s));
	return s;
}

static int elfsig_read_header(struct elfsig_image *im)
{
	const Elf64_Ehdr *eh = &im->eh;

	if (im->len < sizeof(*eh) || memcmp(im->buf, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	memcpy(&im->eh, im->buf, sizeof(im->eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return -ENOEXEC;

	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELFSIG_PHNUM_MAX ||
	    !elfsig_in(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), im->len))
		return -EBADMSG;
	im->ph = im->buf + eh->e_phoff;
	return 0;
}

/* Section headers are optional; when present they and their name table must be sane. */
static int elfsig_read_sections(struct elfsig_image *im)
{
	const Elf64_Ehdr *eh = &im->eh;
	Elf64_Shdr str;

	if (eh->e_shnum == 0)
		return 0;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !elfsig_in(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), im->len))
		return -EBADMSG;
	im->sh = im->buf + eh->e_shoff;

	/* SHN_UNDEF: no names. SHN_XINDEX and beyond: e_shnum < 0xff00 never needs it. */
	if (eh->e_shstrndx == SHN_UNDEF)
		return 0;
	if (eh->e_shstrndx >= eh->e_shnum)
		return -EBADMSG;
	str = elfsig_shdr(im, eh->e_shstrndx);
	if (str.sh_type != SHT_STRTAB || !elfsig_in(str.sh_offset, str.sh_size, im->len))
		return -EBADMSG;
	im->shstr = (const char *)im->buf + str.sh_offset;
	im->shstr_len = str.sh_size;
	return 0;
}

/* A section's name compared within the bounds of the name table. */
static bool elfsig_section_named(const struct elfsig_image *im, const Elf64_Shdr *s,
                                 const char *name)
{
	size_t n = strlen(name);

	if (!im->shstr || s->sh_name >= im->shstr_len || im->shstr_len - s->sh_name < n + 1)
		return false;
	return memcmp(im->shstr + s->sh_name, name, n + 1) == 0;
}

static bool elfsig_mem_has(const uint8_t *buf, size_t len, const char *needle)
{
	return memmem(buf, len, needle, strlen(needle)) != NULL;
}

static bool elfsig_upx(const struct elfsig_image *im)
{
	size_t tail = MIN(im->len, (size_t)ELFSIG_UPX_TAIL);

	if (elfsig_mem_has(im->buf, MIN(im->len, (size_t)ELFSIG_UPX_HEAD), "UPX!") ||
	    elfsig_mem_has(im->buf + im->len - tail, tail, "UPX!"))
		return true;
	for (size_t i = 0; im->sh && i < im->eh.e_shnum; i++) {
		Elf64_Shdr s = elfsig_shdr(im, i);

		if (elfsig_section_named(im, &s, "UPX0") || elfsig_section_named(im, &s, "UPX1"))
			return true;
	}
	return false;
}

/* Shannon entropy in bits per byte. */
static double elfsig_entropy(const uint8_t *p, size_t n)
{
	uint64_t count[256] = {0};
	double e = 0;

	for (size_t i = 0; i < n; i++)
		count[p[i]]++;
	for (size_t i = 0; i < ARRAY_SIZE(count); i++) {
		double f = (double)count[i] / (double)n;

		if (count[i])
			e -= f * log2(f);
	}
	return e;
}

static bool elfsig_rwx_high_entropy(const struct elfsig_image *im)
{
	const uint32_t rwx = PF_R | PF_W | PF_X;

	for (size_t i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr p = elfsig_phdr(im, i);

		if (p.p_type != PT_LOAD || (p.p_flags & rwx) != rwx ||
		    p.p_filesz < ELFSIG_ENTROPY_SPAN || !elfsig_in(p.p_offset, p.p_filesz, im->len))
			continue;
		if (elfsig_entropy(im->buf + p.p_offset, p.p_filesz) >= ELFSIG_ENTROPY_MIN)
			return true;
	}
	return false;
}

/* 1 when the dynamic table names a needed library, 0 when not, -EBADMSG when unreadable. */
static int elfsig_dynamic_needs(const struct elfsig_image *im, const Elf64_Phdr *p)
{
	size_t n = p->p_filesz / sizeof(Elf64_Dyn);

	if (!elfsig_in(p->p_offset, p->p_filesz, im->len))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		Elf64_Dyn d;

		memcpy(&d, im->buf + p->p_offset + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_NEEDED)
			return 1;
	}
	return 0;
}

/* Static: nothing for a dynamic loader to do (no PT_INTERP, no needed libraries). */
static int elfsig_static(const struct elfsig_image *im, bool *ret)
{
	*ret = true;
	for (size_t i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr p = elfsig_phdr(im, i);
		int r;

		if (p.p_type == PT_INTERP) {
			*ret = false;
			continue;
		}
		if (p.p_type != PT_DYNAMIC)
			continue;
		r = elfsig_dynamic_needs(im, &p);
		if (r < 0)
			return r;
		if (r > 0)
			*ret = false;
	}
	return 0;
}

static bool elfsig_has_symtab(const struct elfsig_image *im)
{
	for (size_t i = 0; im->sh && i < im->eh.e_shnum; i++)
		if (elfsig_shdr(im, i).sh_type == SHT_SYMTAB)
			return true;
	return false;
}

/* Libraries (entry 0) and files without sections have no .text to compare with. */
static bool elfsig_entry_outside_text(const struct elfsig_image *im)
{
	uint64_t entry = im->eh.e_entry;

	if (!im->sh || !im->shstr || entry == 0)
		return false;
	for (size_t i = 0; i < im->eh.e_shnum; i++) {
		Elf64_Shdr s = elfsig_shdr(im, i);

		if (!elfsig_section_named(im, &s, ".text"))
			continue;
		return entry < s.sh_addr || entry - s.sh_addr >= s.sh_size;
	}
	return true;
}

int elfsig_inspect(const uint8_t *buf, size_t len, unsigned *ret_facts)
{
	struct elfsig_image im = {.buf = buf, .len = len};
	unsigned facts = 0;
	bool is_static;
	int r;

	*ret_facts = 0;
	r = elfsig_read_header(&im);
	if (r < 0)
		return r;
	r = elfsig_read_sections(&im);
	if (r < 0)
		return r;
	r = elfsig_static(&im, &is_static);
	if (r < 0)
		return r;

	if (elfsig_upx(&im))
		facts |= ELFSIG_UPX_PACKED;
	else if (elfsig_rwx_high_entropy(&im))
		facts |= ELFSIG_RWX_HIGH_ENTROPY;
	if (is_static && !elfsig_has_symtab(&im))
		facts |= ELFSIG_STATIC_STRIPPED;
	if (im.eh.e_shnum == 0)
		facts |= ELFSIG_NO_SECTION_HEADERS;
	if (elfsig_entry_outside_text(&im))
		facts |= ELFSIG_ENTRY_OUTSIDE_TEXT;

	*ret_facts = facts;
	return 0;
}
