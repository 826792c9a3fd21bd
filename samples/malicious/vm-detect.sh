#!/bin/sh
# Sandbox and virtualisation checks: DMI product name, cpuinfo hypervisor flag, systemd-detect-virt, container markers, uptime; exits early if it smells a sandbox.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat /sys/class/dmi/id/product_name /sys/class/dmi/id/sys_vendor 2>/dev/null
grep -c hypervisor /proc/cpuinfo
systemd-detect-virt 2>/dev/null
[ -f /.dockerenv ] && echo docker
grep -qa container= /proc/1/environ 2>/dev/null && echo container
cat /proc/uptime; cat /proc/1/cgroup
ls /sys/bus/pci/devices 2>/dev/null | wc -l
dmesg 2>/dev/null | grep -iE 'vmware|virtualbox|qemu|kvm' | head -n 3
nproc
