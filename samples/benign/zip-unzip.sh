#!/bin/sh
# zip and unzip a temporary directory (when zip is installed).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v zip >/dev/null || { echo "zip absent"; exit 0; }
set -e
d=$(mktemp -d); cd "$d"
mkdir docs; for i in 1 2 3; do echo "page $i" > docs/p$i.txt; done
zip -qr docs.zip docs
unzip -l docs.zip | tail -n 1
mkdir x; cd x; unzip -q ../docs.zip; diff -r docs ../docs && echo unzip ok
cd /; rm -rf "$d"
