#!/bin/sh
# Text processing: builds a CSV, totals columns with awk and rewrites fields with sed.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
f=$(mktemp)
printf 'item,qty,price\napple,3,0.5\npear,2,0.75\nplum,10,0.2\n' > "$f"
awk -F, 'NR > 1 { total += $2 * $3 } END { printf "total %.2f\n", total }' "$f"
sed -e 's/,/ | /g' -e '1s/.*/\U&/' "$f"
sed -n '/pear/p' "$f"
rm -f "$f"
