#!/bin/sh
# Builds a two-file C project with make in /tmp, runs the result and cleans up.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=$(mktemp -d); cd "$d"
printf 'int add(int a, int b) { return a + b; }\n' > add.c
printf '#include <stdio.h>\nint add(int, int);\nint main(void) { printf("%%d\\n", add(2, 40)); return 0; }\n' > main.c
printf 'calc: main.o add.o\n\t$(CC) -o $@ main.o add.o\nclean:\n\trm -f calc *.o\n' > Makefile
make -s
./calc
make -s clean
cd /; rm -rf "$d"
