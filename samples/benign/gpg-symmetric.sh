#!/bin/sh
# gpg with a throwaway GNUPGHOME: symmetric encryption and decryption of a temporary file.
# Benign, harmless test sample for sandtrap: ordinary work only, labelled clean. Stored
# without the exec bit; analysed only through `sandtrap analyze`, never run on a host.
command -v gpg >/dev/null || { echo "gpg absent"; exit 0; }
set -e
export GNUPGHOME=$(mktemp -d)
echo "meeting notes" > "$GNUPGHOME/msg"
gpg -q --batch --pinentry-mode loopback --passphrase pw -c "$GNUPGHOME/msg"
gpg -q --batch --pinentry-mode loopback --passphrase pw -d "$GNUPGHOME/msg.gpg"
gpgconf --kill all 2>/dev/null || true
rm -rf "$GNUPGHOME"
