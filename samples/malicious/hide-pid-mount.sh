#!/bin/sh
# Hiding a process: bind-mounts an empty directory over /proc/PID of a background miner (the guest may refuse the mount).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cp /bin/sleep /tmp/.kthreadd
/tmp/.kthreadd 3 &
pid=$!
mkdir -p /tmp/.empty
mount -o bind /tmp/.empty /proc/$pid 2>&1
mount --bind /tmp/.empty /proc/$pid 2>&1
ls /proc/$pid | head -n 3
kill $pid
