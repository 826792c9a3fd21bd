#!/bin/sh
# Checksums: sha256sum of files in a temp dir, then verification with sha256sum -c.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d); cd "$d"
for i in 1 2 3; do head -c 1000 /usr/share/common-licenses/GPL-3 > "part$i"; echo $i >> "part$i"; done
sha256sum part* > SHA256SUMS
cat SHA256SUMS
sha256sum -c SHA256SUMS
cd /; rm -rf "$d"
