#!/bin/sh
# Formats tabular text with column, cut, paste and nl.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
printf 'name size\nalpha 10\nbeta 200\ngamma 3\n' | column -t
printf 'a\nb\nc\n' | nl
printf '1\n2\n3\n' | paste - - -
echo 'x:y:z' | cut -d: -f2
