#!/bin/sh
# Data destruction: shred -u over the user documents, pictures and backups.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
shred -u -z -n 1 /home/dmitchell/Documents/* /home/dmitchell/Pictures/* 2>&1
find /home/dmitchell/Backups -type f -exec shred -u {} \; 2>/dev/null
ls -la /home/dmitchell/Documents
