#!/bin/sh
# Creates, writes, renames and deletes files in a temporary directory.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d)
for i in $(seq 1 5); do echo "line $i" > "$d/file$i.txt"; done
mv "$d/file1.txt" "$d/renamed.txt"
cat "$d"/*.txt | wc -l
rm "$d"/file*.txt
ls "$d"
rm -rf "$d"
