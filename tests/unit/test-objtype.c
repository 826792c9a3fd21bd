/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "macros.h"
#include "objtype.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tmpfile {
	char dir[64];
	char path[128];
};

/* Writes content under a misleading name in a fresh directory; returns an O_RDONLY fd. */
static int tmp_write(struct tmpfile *t, const char *name, const void *buf, size_t len)
{
	int fd;

	snprintf(t->dir, sizeof(t->dir), "/tmp/test-objtype-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);

	fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);

	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void tmp_remove(struct tmpfile *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

static void detect_bytes(const char *name, const void *buf, size_t len, struct obj_type *ret)
{
	struct tmpfile t;
	int fd = tmp_write(&t, name, buf, len);

	assert_int_equal(objtype_detect(fd, ret), 0);
	close(fd);
	tmp_remove(&t);
}

/* A minimal ELF: header, program headers right after it, optionally a PT_INTERP. */
struct mini_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	char interp[32];
};

static void mini_elf_build(struct mini_elf *e, uint8_t cls, uint16_t machine, bool interp)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = cls;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_ident[EI_VERSION] = EV_CURRENT;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = machine;
	e->eh.e_version = EV_CURRENT;
	e->eh.e_entry = 0x401000;
	e->eh.e_phoff = sizeof(Elf64_Ehdr);
	e->eh.e_ehsize = sizeof(Elf64_Ehdr);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = interp ? 2 : 1;
	e->ph[0].p_type = PT_LOAD;
	e->ph[0].p_filesz = sizeof(*e);
	if (interp) {
		e->ph[1].p_type = PT_INTERP;
		e->ph[1].p_offset = offsetof(struct mini_elf, interp);
		e->ph[1].p_filesz = 28;
		snprintf(e->interp, sizeof(e->interp), "%s", "/lib64/ld-linux-x86-64.so.2");
	}
}

static void bin_true_is_a_dynamic_elf(void **state)
{
	struct obj_type t;
	int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(objtype_detect(fd, &t), 0);
	close(fd);
	assert_int_equal(t.kind, OBJ_ELF_DYNAMIC);
	assert_string_equal(objtype_kind_name(t.kind), "elf-dynamic");
	assert_non_null(strstr(t.description, "ELF 64-bit"));
}

static void crafted_elf_without_interp_is_static(void **state)
{
	struct mini_elf e;
	struct obj_type t;

	mini_elf_build(&e, ELFCLASS64, EM_X86_64, false);
	detect_bytes("picture.jpg", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_ELF_STATIC);

	mini_elf_build(&e, ELFCLASS64, EM_X86_64, true);
	detect_bytes("picture.jpg", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_ELF_DYNAMIC);
}

static void compiled_static_elf_is_static(void **state)
{
	char dir[] = "/tmp/test-objtype-XXXXXX", cmd[256], path[64];
	struct obj_type t;
	int fd, rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/static", dir);
	snprintf(cmd, sizeof(cmd),
	         "printf 'int main(void){return 0;}' | cc -static -x c - -o %s 2>/dev/null", path);
	/* Only when a static libc is installed; the crafted test above always runs. */
	rc = system(cmd);
	if (rc != 0) {
		rmdir(dir);
		skip();
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(objtype_detect(fd, &t), 0);
	close(fd);
	unlink(path);
	rmdir(dir);
	assert_int_equal(t.kind, OBJ_ELF_STATIC);
}

static void foreign_and_broken_elves_are_unsupported(void **state)
{
	struct mini_elf e;
	struct obj_type t;

	mini_elf_build(&e, ELFCLASS64, EM_AARCH64, false);
	detect_bytes("a.out", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);
	assert_non_null(strstr(t.description, "ELF"));

	mini_elf_build(&e, ELFCLASS32, EM_386, false);
	detect_bytes("a.out", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);

	/* Program headers pointing past the end of the file. */
	mini_elf_build(&e, ELFCLASS64, EM_X86_64, false);
	e.eh.e_phoff = 1u << 30;
	detect_bytes("a.out", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);

	/* PT_INTERP whose bytes lie outside the file. */
	mini_elf_build(&e, ELFCLASS64, EM_X86_64, true);
	e.ph[1].p_offset = UINT64_MAX - 4;
	detect_bytes("a.out", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);

	/* A shared object without an entry point is a library, not a program. */
	mini_elf_build(&e, ELFCLASS64, EM_X86_64, false);
	e.eh.e_type = ET_DYN;
	e.eh.e_entry = 0;
	detect_bytes("libx.so", &e, sizeof(e), &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);

	/* A header cut short. */
	mini_elf_build(&e, ELFCLASS64, EM_X86_64, false);
	detect_bytes("a.out", &e, 20, &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);
}

static void script_kind(const char *name, const char *text, const char *interp)
{
	struct obj_type t;

	detect_bytes(name, text, strlen(text), &t);
	if (!interp) {
		assert_int_equal(t.kind, OBJ_UNSUPPORTED);
		return;
	}
	assert_int_equal(t.kind, OBJ_SCRIPT);
	assert_string_equal(t.interpreter, interp);
}

static void scripts_are_typed_by_shebang_not_name(void **state)
{
	script_kind("invoice.pdf", "#!/bin/sh\necho hi\n", "/bin/sh");
	script_kind("x.txt", "#! /bin/bash -e\r\nls\r\n", "/bin/bash");
	script_kind("x", "#!/usr/bin/dash\n", "/usr/bin/dash");
	script_kind("photo.png", "#!/usr/bin/env python3\nprint(1)\n", "python3");
	script_kind("a", "#!/usr/bin/env -S python3.11 -u\n", "python3.11");
	script_kind("b.doc", "#!/usr/bin/perl -w\nprint 1;\n", "/usr/bin/perl");
	script_kind("run.sh", "#!/usr/bin/ruby\nputs 1\n", NULL);
	script_kind("run.sh", "#!/usr/bin/python\n", NULL);
	script_kind("run.sh", "#!/usr/bin/python3x\n", NULL);
	script_kind("run.sh", "#!/usr/bin/env\n", NULL);
	script_kind("run.sh", "echo no shebang\n", NULL);
}

static void png_named_run_sh_is_unsupported(void **state)
{
	static const unsigned char png[] = {
	        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I',  'H',  'D',  'R',  0,
	        0,    0,   1,   0,   0,    0,    1,    8,    2, 0, 0, 0,  0x90, 0x77, 0x53, 0xde,
	};
	struct obj_type t;

	detect_bytes("run.sh", png, sizeof(png), &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);
	assert_string_equal(t.mime, "image/png");
	assert_non_null(strstr(t.description, "PNG"));
}

static void empty_file_is_unsupported(void **state)
{
	struct obj_type t;

	detect_bytes("empty.sh", "", 0, &t);
	assert_int_equal(t.kind, OBJ_UNSUPPORTED);
	assert_string_equal(t.description, "empty");
}

static void kind_names_are_stable(void **state)
{
	assert_string_equal(objtype_kind_name(OBJ_SCRIPT), "script");
	assert_string_equal(objtype_kind_name(OBJ_ELF_STATIC), "elf-static");
	assert_string_equal(objtype_kind_name((enum obj_kind)99), "unsupported");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(bin_true_is_a_dynamic_elf),
	        cmocka_unit_test(crafted_elf_without_interp_is_static),
	        cmocka_unit_test(compiled_static_elf_is_static),
	        cmocka_unit_test(foreign_and_broken_elves_are_unsupported),
	        cmocka_unit_test(scripts_are_typed_by_shebang_not_name),
	        cmocka_unit_test(png_named_run_sh_is_unsupported),
	        cmocka_unit_test(empty_file_is_unsupported),
	        cmocka_unit_test(kind_names_are_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
