#!/bin/sh
# Identifies file types of a few system files with file(1).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
file /bin/ls /usr/share/common-licenses/GPL-3 /etc/hostname 2>/dev/null
file -b --mime-type /usr/share/doc/*/copyright 2>/dev/null | sort | uniq -c | head -n 3
