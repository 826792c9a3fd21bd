#!/bin/sh
# Number crunching with seq, paste, sort and awk: sums, mean, min and max.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
seq 1 1000 | paste -sd+ | bc 2>/dev/null || seq 1 1000 | awk '{ s += $1 } END { print s }'
seq 1 100 | shuf --random-source=/usr/share/common-licenses/GPL-3 | sort -n | awk 'NR == 1 { min = $1 } { s += $1; max = $1 } END { print min, max, s / NR }'
