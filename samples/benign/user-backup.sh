#!/bin/sh
# As the ordinary user: a local backup of the notes into ~/Backups with tar, kept on the machine (like the user's own crontab job).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
set -e
tar czf "$HOME/Backups/notes-$(date +%Y%m%d).tgz" -C "$HOME/Documents" notes.md
ls "$HOME/Backups"
tar tzf "$HOME/Backups/notes-$(date +%Y%m%d).tgz"
