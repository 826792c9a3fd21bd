#!/usr/bin/python3
# Runs a few ordinary commands through subprocess and prints their output (a build script printing its toolchain).
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
import subprocess

for cmd in (["cc", "--version"], ["python3", "--version"], ["uname", "-m"]):
    out = subprocess.run(cmd, capture_output=True, text=True)
    print(cmd[0], "->", (out.stdout or out.stderr).splitlines()[0])
