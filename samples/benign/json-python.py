#!/usr/bin/python3
# JSON processing with python3: builds a document, filters and aggregates it, writes and re-reads it in /tmp.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import json, os, tempfile

orders = [{"id": i, "customer": "c%d" % (i % 3), "total": i * 1.5} for i in range(1, 11)]
by_customer = {}
for o in orders:
    by_customer[o["customer"]] = by_customer.get(o["customer"], 0) + o["total"]
fd, path = tempfile.mkstemp(suffix=".json")
with os.fdopen(fd, "w") as f:
    json.dump({"orders": orders, "totals": by_customer}, f, indent=2)
print(json.load(open(path))["totals"])
os.unlink(path)
