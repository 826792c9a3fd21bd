#!/usr/bin/python3
# Hashes the licence files in /usr/share/common-licenses with hashlib.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import hashlib, os

d = "/usr/share/common-licenses"
for name in sorted(os.listdir(d))[:6]:
    p = os.path.join(d, name)
    if os.path.isfile(p):
        print(hashlib.sha256(open(p, "rb").read()).hexdigest()[:16], name)
