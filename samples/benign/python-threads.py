#!/usr/bin/python3
# Threads with a queue: workers compute squares and the main thread collects them.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import queue, threading

q, out = queue.Queue(), []
lock = threading.Lock()

def worker():
    while True:
        n = q.get()
        if n is None:
            return
        with lock:
            out.append(n * n)

ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts:
    t.start()
for n in range(100):
    q.put(n)
for _ in ts:
    q.put(None)
for t in ts:
    t.join()
print(len(out), sum(out))
