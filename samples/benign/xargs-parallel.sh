#!/bin/sh
# xargs -P2 running a small shell computation for each number.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
seq 1 8 | xargs -P 2 -I{} sh -c 'echo "{} squared is $(({} * {}))"' | sort -n
