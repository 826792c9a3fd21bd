#!/usr/bin/python3
# Reads and writes CSV with the csv module and prints simple statistics.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import csv, io, statistics

buf = io.StringIO()
w = csv.writer(buf)
w.writerow(["city", "temp"])
for city, t in [("Oslo", 3), ("Rome", 18), ("Lima", 21), ("Pune", 30)]:
    w.writerow([city, t])
rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
temps = [int(r["temp"]) for r in rows]
print("mean", statistics.mean(temps), "median", statistics.median(temps))
