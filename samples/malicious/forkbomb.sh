#!/bin/sh
# Fork bomb (bounded): forks 400 sleeping children in a loop; past the guest pids limit the forks fail and the loop ends.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
n=0
while [ $n -lt 400 ]; do
  sleep 3 &
  n=$((n + 1))
done 2>/dev/null
echo "tried $n forks; the guest pids limit stopped the rest"
wait
