#!/bin/sh
# File and directory discovery for privilege escalation: finds setuid/setgid binaries, writable dirs, keys and config files.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
find / -xdev -perm -4000 -type f 2>/dev/null | head -n 20
find / -xdev -perm -2000 -type f 2>/dev/null | head -n 5
find / -xdev -writable -type d 2>/dev/null | grep -vE '^/(proc|sys)' | head -n 10
find /home /root -name 'id_*' -o -name '*.pem' -o -name '*.kdbx' 2>/dev/null
cat /etc/crontab 2>/dev/null; ls -la /etc/cron.d
