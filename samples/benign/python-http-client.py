#!/usr/bin/python3
# http.client GET of an API path on api.example with ordinary headers; prints the status.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import http.client

c = http.client.HTTPConnection("api.example", 80, timeout=5)
c.request("GET", "/v1/status", headers={"Accept": "application/json", "User-Agent": "inventory-client/1.2"})
r = c.getresponse()
print(r.status, r.reason)
c.close()
