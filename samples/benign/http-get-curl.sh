#!/bin/sh
# A normal network client: curl GET http://www.example/ and print the HTTP status.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' http://www.example/)
echo "status $code"
