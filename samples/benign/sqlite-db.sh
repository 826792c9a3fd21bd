#!/bin/sh
# Uses sqlite3 (when installed) on a database in /tmp: create, insert, aggregate.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v sqlite3 >/dev/null || { echo "sqlite3 absent"; exit 0; }
db=$(mktemp)
sqlite3 "$db" <<SQL
CREATE TABLE t(name TEXT, n INTEGER);
INSERT INTO t VALUES ('a', 1), ('b', 2), ('a', 5);
SELECT name, SUM(n) FROM t GROUP BY name ORDER BY name;
SQL
rm -f "$db"
