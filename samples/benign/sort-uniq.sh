#!/bin/sh
# Word frequency of a licence text with tr | sort | uniq -c | sort -rn.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
tr -cs 'A-Za-z' '\n' < /usr/share/common-licenses/GPL-3 | tr 'A-Z' 'a-z' | sort | uniq -c | sort -rn | head -n 10
