#!/bin/bash
# Bash string handling: parameter expansion, arrays, case conversion, printf formatting.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
path=/usr/share/doc/bash/README.gz
echo "dir=${path%/*} file=${path##*/} base=${path##*/}"; f=${path##*/}; echo "stem=${f%%.*}"
words=(alpha beta gamma)
for w in "${words[@]}"; do printf '%-6s %s\n' "$w" "${w^^}"; done
s="a,b,c"; IFS=, read -r x y z <<< "$s"; echo "$z$y$x"
