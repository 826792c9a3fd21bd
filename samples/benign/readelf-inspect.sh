#!/bin/sh
# Inspects an ELF binary with readelf and nm (a developer looking at a library).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
readelf -h /bin/ls | grep -E 'Class|Type|Machine'
readelf -d /bin/ls | grep NEEDED | head -n 3
nm -D --defined-only /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | grep -c ' T '
