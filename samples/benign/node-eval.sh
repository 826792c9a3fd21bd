#!/bin/sh
# Runs a small JavaScript computation with node when it is installed.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v node >/dev/null || { echo "node absent"; exit 0; }
node -e 'const a = [5, 3, 8, 1]; console.log(a.sort((x, y) => x - y).join(","), a.reduce((s, x) => s + x, 0))'
