#!/bin/sh
# Prints the date in a few formats, the locale settings and some environment variables.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
date
date -u +%Y-%m-%dT%H:%M:%SZ
date -d '2024-02-29 + 1 year' +%F
locale 2>/dev/null | head -n 3
env | grep -E '^(PATH|HOME|LANG|SHELL)=' | sort
