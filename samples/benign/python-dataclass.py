#!/usr/bin/python3
# Plain application logic: dataclasses, sorting and f-string formatting of an inventory.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
from dataclasses import dataclass


@dataclass
class Item:
    name: str
    qty: int
    price: float


items = [Item("bolt", 100, 0.05), Item("nut", 250, 0.03), Item("gear", 4, 12.5)]
for it in sorted(items, key=lambda i: i.qty * i.price, reverse=True):
    print(f"{it.name:6} {it.qty:4} {it.qty * it.price:8.2f}")
