#!/usr/bin/python3
# A multiprocessing Pool of two workers computing a small sum for one second at most.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import multiprocessing


def work(n):
    return sum(i * i for i in range(n))


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        print(pool.map(work, [10000, 20000, 30000, 40000]))
