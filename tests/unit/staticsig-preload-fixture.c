/* SPDX-License-Identifier: MIT */
/*
 * Test fixture, never preloaded anywhere: a shared object shaped like an LD_PRELOAD
 * rootkit (it defines readdir and fopen and names the preload file) so that the rule
 * Linux_Rootkit_LdPreload_Object has a binary to match. Both wrappers only pass through.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>

const char *staticsig_fixture_config = "/etc/ld.so.preload";

struct dirent *readdir(DIR *d);
FILE *fopen(const char *path, const char *mode);

struct dirent *readdir(DIR *d)
{
	struct dirent *(*next)(DIR *) = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");

	return next(d);
}

FILE *fopen(const char *path, const char *mode)
{
	FILE *(*next)(const char *, const char *) =
	        (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");

	return next(path, mode);
}
