#!/usr/bin/python3
# A normal network client: python urllib GET http://www.example/ and print the status and content type.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import urllib.request

with urllib.request.urlopen("http://www.example/", timeout=5) as r:
    print(r.status, r.headers.get("Content-Type"))
