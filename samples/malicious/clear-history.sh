#!/bin/bash
# Covering tracks: clears and disables shell history for root and every user (rm, truncate, symlink to /dev/null, HISTFILE).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
unset HISTFILE; export HISTSIZE=0
history -c
rm -f /root/.bash_history
for h in /home/*; do : > "$h/.bash_history"; done
ln -sf /dev/null /root/.bash_history
echo 'unset HISTFILE' >> /root/.bashrc
ls -l /root/.bash_history
