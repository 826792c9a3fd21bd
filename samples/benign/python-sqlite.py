#!/usr/bin/python3
# The sqlite3 module with an in-memory database: schema, inserts, a join.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import sqlite3

db = sqlite3.connect(":memory:")
db.executescript("""
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE book(title TEXT, author INTEGER);
INSERT INTO author VALUES (1, 'Austen'), (2, 'Tolstoy');
INSERT INTO book VALUES ('Emma', 1), ('Persuasion', 1), ('War and Peace', 2);
""")
for row in db.execute("SELECT name, COUNT(*) FROM book JOIN author ON author.id = book.author GROUP BY name"):
    print(row)
