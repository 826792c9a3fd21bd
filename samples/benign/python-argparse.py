#!/usr/bin/python3
# A command-line tool with argparse: takes --count and --name from its arguments and prints a greeting table.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import argparse

p = argparse.ArgumentParser()
p.add_argument("--count", type=int, default=1)
p.add_argument("--name", default="world")
a = p.parse_args()
for i in range(a.count):
    print("%d: hello, %s" % (i + 1, a.name))
