#!/usr/bin/python3
# Execution from /dev/shm: writes an ELF copy to /dev/shm with a hidden name, marks it executable and runs it.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import os, shutil, subprocess

path = "/dev/shm/.systemd-private"
shutil.copyfile("/usr/bin/uname", path)
os.chmod(path, 0o755)
print(subprocess.run([path, "-a"], capture_output=True, text=True).stdout.strip())
