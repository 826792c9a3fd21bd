#!/bin/sh
# Perl one-liners for text processing: field sums, substitutions, line numbering.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
seq 1 10 | perl -ne '$s += $_; END { print "sum $s\n" }'
echo 'hello world' | perl -pe 's/(\w+)/\u$1/g'
perl -lne 'print "$.: $_" if $. <= 3' /usr/share/common-licenses/MIT 2>/dev/null || perl -e 'print "no MIT text\n"'
perl -e 'printf "%.4f\n", atan2(1, 1) * 4'
