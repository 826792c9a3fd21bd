#!/bin/sh
# Name resolution of a few .example names with getent.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
for n in www.example docs.example mirror.example; do getent hosts "$n"; done
