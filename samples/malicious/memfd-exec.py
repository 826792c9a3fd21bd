#!/usr/bin/python3
# Fileless execution: copies a program into an anonymous memfd and executes it from /proc/self/fd (no file on disk).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import os

fd = os.memfd_create("kworker", 0)
with open("/usr/bin/id", "rb") as src:
    os.write(fd, src.read())
pid = os.fork()
if pid == 0:
    os.execv("/proc/self/fd/%d" % fd, ["[kworker/u8:1]"])
os.waitpid(pid, 0)
script = os.memfd_create("", 0)
os.write(script, b"#!/bin/sh\necho running-from-memfd; uname -a\n")
os.system("/proc/%d/fd/%d" % (os.getpid(), script))
