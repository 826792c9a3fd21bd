#!/bin/sh
# JSON processing with jq: selects, maps and groups records.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v jq >/dev/null || { echo "jq absent"; exit 0; }
data='[{"name":"a","size":3,"tag":"x"},{"name":"b","size":7,"tag":"y"},{"name":"c","size":5,"tag":"x"}]'
echo "$data" | jq -c '.[] | select(.size > 4)'
echo "$data" | jq 'map(.size) | add'
echo "$data" | jq -c 'group_by(.tag) | map({tag: .[0].tag, n: length})'
