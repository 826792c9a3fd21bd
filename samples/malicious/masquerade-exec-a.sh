#!/bin/bash
# Masquerading: starts a shell loop with argv[0] set to a kernel thread name (exec -a) so ps shows [kworker/0:2].
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cp /bin/sleep /tmp/.kw
(exec -a '[kworker/0:2-events]' /tmp/.kw 2) &
(exec -a '/usr/sbin/sshd -D' bash -c 'sleep 2') &
sleep 0.5
ps -eo pid,args | grep -E 'kworker|sshd' | grep -v grep
wait
