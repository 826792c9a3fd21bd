#!/bin/sh
# Uses git in /tmp: init, two commits, a branch, log and diff.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
command -v git >/dev/null || { echo "git absent"; exit 0; }
d=$(mktemp -d); cd "$d"
git init -q .
git config user.email dev@example.org; git config user.name Dev
echo one > a.txt; git add a.txt; git commit -qm first
git checkout -qb feature
echo two >> a.txt; git commit -qam second
git log --oneline
git diff HEAD~1 --stat
cd /; rm -rf "$d"
