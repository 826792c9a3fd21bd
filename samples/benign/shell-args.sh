#!/bin/sh
# Prints and counts its arguments, the way a wrapper script checks its usage.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
echo "$# arguments"
i=1
for a in "$@"; do echo "arg $i: $a"; i=$((i + 1)); done
