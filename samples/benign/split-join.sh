#!/bin/sh
# Splits a file into pieces, joins them back and compares.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d)
seq 1 5000 > "$d/big"
split -l 1000 "$d/big" "$d/piece."
ls "$d" | wc -l
cat "$d"/piece.* > "$d/joined"
cmp "$d/big" "$d/joined" && echo joined
rm -rf "$d"
