#!/bin/sh
# Creates a project skeleton in /tmp with mkdir -p, touch and install, lists it and removes it.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
d=/tmp/project-skel
mkdir -p $d/src $d/tests $d/docs
touch $d/README.md $d/src/main.py $d/tests/test_main.py
install -m 0644 /etc/hostname $d/docs/host.txt
find $d | sort
rm -rf $d
