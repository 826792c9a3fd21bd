#!/bin/sh
# As the ordinary user: appends a line to the user's own notes and writes a todo file on the desktop.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
echo "- $(date +%F): call the plumber" >> "$HOME/Documents/notes.md"
printf 'buy milk\nrenew passport\n' > "$HOME/Desktop/todo.txt"
tail -n 1 "$HOME/Documents/notes.md"
wc -l "$HOME/Desktop/todo.txt"
