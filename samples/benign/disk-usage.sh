#!/bin/sh
# Disk usage report: du of /usr/share/doc, df of /, stat of a file.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
du -sh /usr/share/doc 2>/dev/null
df -h / | tail -n 1
stat -c '%n %s bytes' /etc/hostname
