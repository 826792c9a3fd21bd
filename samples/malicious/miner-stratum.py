#!/usr/bin/python3
# Cryptocurrency mining: stratum JSON-RPC (mining.subscribe, mining.authorize, mining.submit) to port 3333 and a hashing busy loop.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import hashlib, json, socket, time

s = socket.create_connection(("203.0.113.50", 3333), timeout=3)
def rpc(i, method, params):
    s.sendall((json.dumps({"id": i, "method": method, "params": params}) + "\n").encode())
rpc(1, "mining.subscribe", ["cpuminer/2.5.1"])
rpc(2, "mining.authorize", ["45rGHZ9sandtrapWallet.worker1", "x"])
end = time.time() + 3
nonce = 0
while time.time() < end:
    hashlib.sha256(b"block-header" + nonce.to_bytes(8, "little")).digest()
    nonce += 1
rpc(3, "mining.submit", ["worker1", "job1", "00000000", "5f5e1000", "%08x" % nonce])
print("hashes", nonce)
