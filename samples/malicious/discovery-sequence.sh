#!/bin/sh
# Discovery sequence: system, user, process, network-connection and interface discovery one after another (uname, id, os-release, ps, ss/netstat, ip a).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
uname -a
id
whoami
cat /etc/os-release
hostname
ps aux
ss -tunap 2>/dev/null || netstat -tunap
ip a
ip route
cat /etc/resolv.conf
