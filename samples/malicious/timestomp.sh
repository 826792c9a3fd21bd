#!/bin/sh
# Timestomping: drops a backdoor binary then copies the timestamps of a system file onto it (touch -r, touch -d).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cp /usr/bin/id /usr/bin/.id-helper
touch -r /usr/bin/ls /usr/bin/.id-helper
touch -d '2021-03-14 09:26:53' /etc/passwd /usr/bin/.id-helper
touch -t 202001010000 /etc/shadow
ls -l --time-style=long-iso /usr/bin/.id-helper /etc/passwd
