#!/bin/sh
# Compression round trip with gzip: compress a copy of a licence, decompress, compare.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
f=$(mktemp)
cp /usr/share/common-licenses/GPL-3 "$f"
gzip -9 -k "$f"
ls -l "$f" "$f.gz" | awk '{print $5}'
gunzip -c "$f.gz" | cmp - "$f" && echo gzip ok
rm -f "$f" "$f.gz"
