/* SPDX-License-Identifier: MIT */
#include "objtype.h"

#include "macros.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <magic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libmagic and the shebang only need the start of a file; the ELF checks read on demand. */
#define OBJTYPE_PREFIX_MAX (1024 * 1024)
/* Linux itself reads at most this much of a "#!" line. */
#define OBJTYPE_SHEBANG_MAX 256
/* PN_XNUM and beyond mean the count lives elsewhere; no sample we can run needs that. */
#define OBJTYPE_PHNUM_MAX 4096

/*
 * One handle per output kind, loaded on first use and kept for the life of the process:
 * loading the compiled database costs milliseconds and megabytes, typing happens once per
 * analysis. Not thread-safe; the supervisor types objects from its main thread only.
 */
static magic_t objtype_magic_desc;
static magic_t objtype_magic_mime;

static const char *const objtype_kind_names[] = {
        [OBJ_UNSUPPORTED] = "unsupported",
        [OBJ_ELF_STATIC] = "elf-static",
        [OBJ_ELF_DYNAMIC] = "elf-dynamic",
        [OBJ_SCRIPT] = "script",
        [OBJ_DOCUMENT] = "document",
};

/* Interpreters the guest image provides; python3.N is matched separately. */
static const char *const objtype_interpreters[] = {
        "sh", "bash", "dash", "python3", "perl",
};

const char *objtype_kind_name(enum obj_kind kind)
{
	if ((unsigned)kind >= ARRAY_SIZE(objtype_kind_names))
		return "unsupported";
	return objtype_kind_names[kind];
}

static int objtype_magic_open(magic_t *m, int flags)
{
	if (*m)
		return 0;

	*m = magic_open(flags);
	if (!*m)
		return neg_errno();
	if (magic_load(*m, NULL) < 0) {
		magic_close(*m);
		*m = NULL;
		return -ENOENT;
	}
	return 0;
}

static void objtype_copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src ? src : "");
}

static int objtype_magic_describe(const void *buf, size_t len, struct obj_type *ret)
{
	const char *desc, *mime;
	int r;

	r = objtype_magic_open(&objtype_magic_desc, MAGIC_NONE);
	if (r < 0)
		return r;
	r = objtype_magic_open(&objtype_magic_mime, MAGIC_MIME_TYPE);
	if (r < 0)
		return r;

	/* magic_buffer(NULL, 0) is an error; libmagic's own word for it is "empty". */
	desc = len ? magic_buffer(objtype_magic_desc, buf, len) : "empty";
	mime = len ? magic_buffer(objtype_magic_mime, buf, len) : "inode/x-empty";
	if (!desc || !mime)
		return -EIO;

	objtype_copy(ret->description, sizeof(ret->description), desc);
	objtype_copy(ret->mime, sizeof(ret->mime), mime);
	return 0;
}

static int objtype_pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (int)MIN(done, (size_t)INT32_MAX);
}

/* true when [off, off + len) lies inside a file of the given size, without overflow. */
static bool objtype_in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static bool objtype_elf_header_ok(const Elf64_Ehdr *eh)
{
	return eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_ident[EI_DATA] == ELFDATA2LSB &&
	       eh->e_ident[EI_VERSION] == EV_CURRENT && eh->e_machine == EM_X86_64 &&
	       (eh->e_type == ET_EXEC || eh->e_type == ET_DYN) && eh->e_entry != 0;
}

/* 1 with a PT_INTERP (dynamic), 0 without (static), -errno when the table is not sane. */
static int objtype_elf_has_interp(int fd, const Elf64_Ehdr *eh, uint64_t size)
{
	_cleanup_free_ Elf64_Phdr *ph = NULL;
	uint64_t tsize = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	int r;

	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > OBJTYPE_PHNUM_MAX || !objtype_in_file(eh->e_phoff, tsize, size))
		return -EBADMSG;

	ph = malloc(tsize);
	if (!ph)
		return -ENOMEM;
	r = objtype_pread_full(fd, ph, tsize, (off_t)eh->e_phoff);
	if (r < 0)
		return r;
	if ((uint64_t)r != tsize)
		return -EBADMSG;

	for (size_t i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (ph[i].p_filesz < 2 || !objtype_in_file(ph[i].p_offset, ph[i].p_filesz, size))
			return -EBADMSG;
		return 1;
	}
	return 0;
}

static void objtype_detect_elf(int fd, const void *buf, size_t len, struct obj_type *ret)
{
	Elf64_Ehdr eh;
	struct stat st;
	int r;

	if (len < sizeof(eh) || fstat(fd, &st) < 0)
		return;
	memcpy(&eh, buf, sizeof(eh));
	if (!objtype_elf_header_ok(&eh))
		return;

	r = objtype_elf_has_interp(fd, &eh, (uint64_t)st.st_size);
	if (r < 0)
		return;
	ret->kind = r ? OBJ_ELF_DYNAMIC : OBJ_ELF_STATIC;
}

static bool objtype_interpreter_supported(const char *prog)
{
	const char *base = strrchr(prog, '/');
	const char *p;

	base = base ? base + 1 : prog;
	for (size_t i = 0; i < ARRAY_SIZE(objtype_interpreters); i++)
		if (strcmp(base, objtype_interpreters[i]) == 0)
			return true;

	if (strncmp(base, "python3.", 8) != 0 || !base[8])
		return false;
	for (p = base + 8; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* Split the next blank-separated word off *s, in place. */
static char *objtype_next_word(char **s)
{
	char *w = *s + strspn(*s, " \t");
	char *end;

	if (!*w)
		return NULL;
	end = w + strcspn(w, " \t");
	*s = *end ? end + 1 : end;
	*end = '\0';
	return w;
}

/* The program a shebang runs; for "/usr/bin/env [-S] prog" that is prog. */
static const char *objtype_shebang_program(char *line)
{
	char *prog = objtype_next_word(&line);
	const char *base;

	if (!prog)
		return NULL;
	base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	if (strcmp(base, "env") != 0)
		return prog;

	while ((prog = objtype_next_word(&line)) && prog[0] == '-')
		;
	return prog;
}

static void objtype_detect_script(const char *buf, size_t len, struct obj_type *ret)
{
	char line[OBJTYPE_SHEBANG_MAX];
	const char *prog;
	size_t n;

	if (len < 3 || buf[0] != '#' || buf[1] != '!')
		return;

	n = MIN(len - 2, sizeof(line) - 1);
	memcpy(line, buf + 2, n);
	line[n] = '\0';
	/* A NUL or CR ends the line as well: the kernel would not run what follows either. */
	line[strcspn(line, "\r\n")] = '\0';

	prog = objtype_shebang_program(line);
	if (!prog || !objtype_interpreter_supported(prog))
		return;

	objtype_copy(ret->interpreter, sizeof(ret->interpreter), prog);
	ret->kind = OBJ_SCRIPT;
}

/* Documents by libmagic's MIME type: the guest has no viewer, so they are judged statically. */
static void objtype_detect_document(struct obj_type *ret)
{
	static const char *const prefixes[] = {
		"application/pdf",
		"application/rtf",
		"text/rtf",
		"application/msword",
		"application/vnd.ms-",
		"application/vnd.openxmlformats-officedocument.",
		"application/vnd.oasis.opendocument.",
		"application/x-ole-storage",
		"application/CDFV2",
	};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(ret->mime, prefixes[i], strlen(prefixes[i])) == 0) {
			ret->kind = OBJ_DOCUMENT;
			return;
		}
}

int objtype_detect(int fd, struct obj_type *ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->kind = OBJ_UNSUPPORTED;

	buf = malloc(OBJTYPE_PREFIX_MAX);
	if (!buf)
		return -ENOMEM;
	r = objtype_pread_full(fd, buf, OBJTYPE_PREFIX_MAX, 0);
	if (r < 0)
		return r;
	len = (size_t)r;

	r = objtype_magic_describe(buf, len, ret);
	if (r < 0)
		return r;

	if (len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0)
		objtype_detect_elf(fd, buf, len, ret);
	else
		objtype_detect_script(buf, len, ret);
	if (ret->kind == OBJ_UNSUPPORTED)
		objtype_detect_document(ret);
	return 0;
}
