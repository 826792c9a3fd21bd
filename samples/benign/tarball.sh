#!/bin/sh
# Makes a tarball of a temporary directory, lists it, extracts it elsewhere and compares.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d)
mkdir -p "$d/src/sub" "$d/out"
for i in 1 2 3; do echo "file $i" > "$d/src/f$i.txt"; done
date > "$d/src/sub/stamp"
tar czf "$d/src.tgz" -C "$d" src
tar tzf "$d/src.tgz"
tar xzf "$d/src.tgz" -C "$d/out"
diff -r "$d/src" "$d/out/src" && echo identical
rm -rf "$d"
