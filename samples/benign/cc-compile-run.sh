#!/bin/sh
# Compiles a small C program with cc in a temporary directory and runs it.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d)
cat > "$d/hello.c" <<C
#include <stdio.h>
int main(void) { long s = 0; for (int i = 1; i <= 100; i++) s += i; printf("sum=%ld\n", s); return 0; }
C
cc -O2 -Wall -o "$d/hello" "$d/hello.c"
"$d/hello"
rm -rf "$d"
