#!/bin/sh
# Account and group discovery: lists login users, sudo members, who is logged in and the last logins.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
cut -d: -f1,3,7 /etc/passwd | grep -v nologin
getent group sudo adm wheel docker
grep -E ':(0|10[0-9][0-9]):' /etc/passwd
who; w 2>/dev/null; last -n 5 2>/dev/null
ls /home
id dmitchell
