#!/bin/sh
# openssl: digests of a file, and encrypting then decrypting a temporary file of its own.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d)
seq 1 100 > "$d/data.txt"
openssl dgst -sha256 "$d/data.txt"
openssl enc -aes-256-cbc -pbkdf2 -pass pass:test -in "$d/data.txt" -out "$d/data.enc"
openssl enc -d -aes-256-cbc -pbkdf2 -pass pass:test -in "$d/data.enc" | cmp - "$d/data.txt" && echo round trip ok
openssl rand -hex 8
rm -rf "$d"
