#!/bin/bash
# Covering tracks as the ordinary user: wipes ~/.bash_history, links it to /dev/null and removes ~/.viminfo and ~/.python_history.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat /dev/null > ~/.bash_history
rm -f ~/.bash_history ~/.python_history ~/.viminfo ~/.lesshst
ln -s /dev/null ~/.bash_history
id -un; ls -l ~/.bash_history
