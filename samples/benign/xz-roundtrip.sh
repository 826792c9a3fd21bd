#!/bin/sh
# Compression round trip with xz and bzip2.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
f=$(mktemp)
cat /usr/share/common-licenses/GPL-2 /usr/share/common-licenses/LGPL-2.1 > "$f"
xz -k "$f"; bzip2 -k "$f"
xz -dc "$f.xz" | cmp - "$f" && echo xz ok
bzip2 -dc "$f.bz2" | cmp - "$f" && echo bzip2 ok
rm -f "$f" "$f.xz" "$f.bz2"
