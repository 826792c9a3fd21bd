#!/bin/sh
# As the ordinary user: sets git options in ~/.gitconfig and reads them back.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v git >/dev/null || { echo "git absent"; exit 0; }
git config --global core.editor vim
git config --global alias.st status
git config --global --list
