#!/usr/bin/python3
# Resolves a few .example names with socket.getaddrinfo, as any network client would.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import socket

for name in ("www.example", "api.example", "cdn.example"):
    infos = socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)
    print(name, sorted({i[4][0] for i in infos}))
