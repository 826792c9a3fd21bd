#!/bin/sh
# Downloads a web page with wget into /tmp (not executed) and reads its title.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
wget -q -T 2 -t 1 -O /tmp/page.html http://www.example/index.html
grep -o '<title>[^<]*' /tmp/page.html | sed 's/<title>//'
rm -f /tmp/page.html
