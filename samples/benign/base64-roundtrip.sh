#!/bin/sh
# Encodes a data file with base64 and base32 and decodes it back.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
f=$(mktemp)
head -c 3000 /usr/share/common-licenses/GPL-3 > "$f"
base64 "$f" | base64 -d | cmp - "$f" && echo base64 ok
base32 "$f" | base32 -d | cmp - "$f" && echo base32 ok
rm -f "$f"
