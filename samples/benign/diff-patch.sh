#!/bin/sh
# Makes a unified diff of two versions of a file and applies it with patch.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d); cd "$d"
printf 'a\nb\nc\n' > old; printf 'a\nB\nc\nd\n' > new
cp old work
diff -u old new > change.patch || true
patch -s work < change.patch
cmp work new && echo patched
cd /; rm -rf "$d"
