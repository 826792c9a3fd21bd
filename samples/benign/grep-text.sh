#!/bin/sh
# Searches licence texts under /usr/share with grep: counts, context and fixed strings.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
grep -c 'License' /usr/share/common-licenses/GPL-3
grep -n -m 3 -i 'warranty' /usr/share/common-licenses/GPL-2
grep -rl 'Apache' /usr/share/common-licenses | head -n 3
grep -F -o 'free software' /usr/share/common-licenses/GPL-3 | wc -l
