#!/usr/bin/python3
# Parses an access-log style text with regular expressions and counts status codes.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import collections, re

log = """10.0.0.1 - - [03/Dec/2026:10:00:01] "GET /index.html HTTP/1.1" 200 512
10.0.0.2 - - [03/Dec/2026:10:00:02] "GET /missing HTTP/1.1" 404 0
10.0.0.1 - - [03/Dec/2026:10:00:03] "POST /form HTTP/1.1" 200 20"""
pat = re.compile(r'"(\w+) (\S+) [^"]+" (\d{3})')
counts = collections.Counter(m.group(3) for m in pat.finditer(log))
print(dict(counts))
