#!/bin/sh
# Disabling the firewall: flushes iptables/nftables, disables ufw and firewalld (the tools may be absent; the attempts and config edits still show).
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
for t in /usr/sbin/iptables /sbin/iptables /usr/sbin/ip6tables /usr/sbin/nft /usr/sbin/ufw; do
  [ -x "$t" ] && "$t" --version >/dev/null 2>&1
done
iptables -F 2>/dev/null; iptables -X 2>/dev/null; iptables -P INPUT ACCEPT 2>/dev/null
nft flush ruleset 2>/dev/null; ufw disable 2>/dev/null
systemctl stop ufw firewalld nftables 2>/dev/null; systemctl disable ufw firewalld nftables 2>/dev/null
mkdir -p /etc/ufw /etc/iptables
printf 'ENABLED=no\n' > /etc/ufw/ufw.conf
printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' > /etc/iptables/rules.v4
echo firewall-off
