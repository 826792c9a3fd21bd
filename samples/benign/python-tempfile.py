#!/usr/bin/python3
# Copies a directory tree with shutil inside a TemporaryDirectory and compares it.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import filecmp, os, shutil, tempfile

with tempfile.TemporaryDirectory() as d:
    src = os.path.join(d, "src")
    os.makedirs(os.path.join(src, "a", "b"))
    for i in range(5):
        with open(os.path.join(src, "a", "f%d.txt" % i), "w") as f:
            f.write("data %d\n" % i)
    shutil.copytree(src, os.path.join(d, "copy"))
    cmp = filecmp.dircmp(src, os.path.join(d, "copy"))
    print("differences:", cmp.diff_files, "left only:", cmp.left_only)
