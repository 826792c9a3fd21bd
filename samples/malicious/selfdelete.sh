#!/bin/bash
# Self-deletion: copies itself to a hidden location, starts the copy, then removes its own file.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /var/tmp/.cache
cp "$0" /var/tmp/.cache/.kthread 2>/dev/null
rm -f -- "$0"
echo 'curl -s http://c2.example/ping' > /var/tmp/.cache/.task
[ -e "$0" ] && echo still-here || echo deleted-self
