#!/bin/bash
# Execution from /dev/shm: drops a script into tmpfs shared memory, makes it executable and runs it.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
d=/dev/shm/.ICE-unix
mkdir -p "$d"
printf '#!/bin/sh\nid; uname -n; echo stage2-running\n' > "$d/.x"
chmod 755 "$d/.x"
"$d/.x"
cp /usr/bin/id /dev/shm/kdevtmpfsi && chmod +x /dev/shm/kdevtmpfsi && /dev/shm/kdevtmpfsi
