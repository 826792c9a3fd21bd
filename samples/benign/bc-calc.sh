#!/bin/sh
# Arbitrary-precision arithmetic with bc (when installed).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v bc >/dev/null || { echo "bc absent"; exit 0; }
echo 'scale=20; 4*a(1)' | bc -l
echo '2^100' | bc
