#!/bin/sh
# Loading a kernel module (rootkit style): writes a module file and tries insmod and modprobe on it (the guest refuses the load).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /lib/modules/.rk
cp /bin/true /lib/modules/.rk/diamorphine.ko
insmod /lib/modules/.rk/diamorphine.ko 2>&1
modprobe -d / diamorphine 2>&1
echo 'diamorphine' >> /etc/modules
echo attempted
