#!/bin/sh
# Finds files in /usr/share/doc and counts them by extension.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
find /usr/share/doc -maxdepth 2 -type f -name '*.gz' | head -n 5
find /usr/share/doc -maxdepth 2 -type f | sed -n 's/.*\.\([a-z]*\)$/\1/p' | sort | uniq -c | sort -rn | head -n 5
find /usr/share/doc -maxdepth 1 -type d | wc -l
