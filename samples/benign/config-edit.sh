#!/bin/sh
# Edits an application config file in /tmp: copies a template, changes keys with sed, appends a section and validates.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
c=/tmp/app.conf
cat > $c <<CFG
[server]
port = 8080
workers = 2
log_level = info
CFG
sed -i 's/^port = .*/port = 9090/; s/^log_level = .*/log_level = debug/' $c
printf '\n[cache]\nsize = 64\n' >> $c
grep -q 'port = 9090' $c && echo config ok
cat $c
rm -f $c
