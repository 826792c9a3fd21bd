#!/bin/sh
# Character set conversion with iconv and a round trip through UTF-16.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
printf 'caf\303\251 na\303\257ve r\303\251sum\303\251\n' > /tmp/u8.txt
iconv -f UTF-8 -t ISO-8859-1 /tmp/u8.txt | od -c | head -n 2
iconv -f UTF-8 -t UTF-16 /tmp/u8.txt | iconv -f UTF-16 -t UTF-8 | cmp - /tmp/u8.txt && echo round trip
rm -f /tmp/u8.txt
