#!/bin/sh
# Compression round trip with zstd when it is installed.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v zstd >/dev/null || { echo "zstd absent"; exit 0; }
f=$(mktemp)
seq 1 20000 > "$f"
zstd -q -19 "$f" -o "$f.zst"
zstd -q -dc "$f.zst" | cmp - "$f" && echo zstd ok
rm -f "$f" "$f.zst"
