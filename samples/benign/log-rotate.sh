#!/bin/sh
# Rotates an application's own log files in /tmp: numbered copies, gzip of the old one, a fresh empty log.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=/tmp/myapp/logs; mkdir -p $d
for i in $(seq 1 50); do echo "$(date +%T) request $i ok" >> $d/app.log; done
[ -f $d/app.log.1 ] && mv $d/app.log.1 $d/app.log.2
mv $d/app.log $d/app.log.1
gzip -f $d/app.log.1
: > $d/app.log
ls $d
rm -rf /tmp/myapp
