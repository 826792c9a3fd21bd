#!/bin/sh
# Impairing defences: stops auditd/apparmor/rsyslog, disables SELinux in its config, deletes audit rules and turns off ASLR.
# Harmless test sample for sandtrap: it only acts on the disposable guest (decoy files,
# simulated internet, reserved addresses). Stored without the exec bit; never run it on a
# host, only through `sandtrap analyze`.
systemctl stop auditd apparmor rsyslog 2>/dev/null
systemctl disable auditd apparmor 2>/dev/null
systemctl mask auditd 2>/dev/null
mkdir -p /etc/selinux /etc/audit/rules.d
printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' > /etc/selinux/config
rm -f /etc/audit/rules.d/*.rules /etc/audit/audit.rules
echo 0 > /proc/sys/kernel/randomize_va_space 2>/dev/null
echo 0 > /proc/sys/kernel/yama/ptrace_scope 2>/dev/null
rm -f /etc/apparmor.d/usr.sbin.* 2>/dev/null
echo security-tools-disabled
