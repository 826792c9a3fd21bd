#!/bin/sh
# A normal API client: posts a small JSON document to http://api.example/v1/items with curl and prints the status.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
curl -s -m 5 -o /dev/null -w 'status %{http_code}\n' -H 'Content-Type: application/json' \
  -d '{"name":"widget","qty":3}' http://api.example/v1/items
