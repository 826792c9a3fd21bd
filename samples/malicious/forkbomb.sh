#!/bin/bash
# Fork bomb (bounded): keeps forking sleeping children until fork fails at the guest pids limit, then stops.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
n=0
while [ $n -lt 2000 ]; do
  sleep 3 & 2>/dev/null || break
  n=$((n + 1))
done 2>/dev/null
echo "forked $n children"
kill $(jobs -p) 2>/dev/null
