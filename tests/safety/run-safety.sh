#!/bin/bash
# The guest's safety suite: hostile programs run in the guest, and each is checked from
# the host. TAP output. Usage: run-safety.sh SANDTRAP HOSTILE
#
# The whole suite runs in a network namespace of its own (re-executed under
# `unshare --net`), so even a broken guest could not send a packet off this machine: the
# "host" the guest attacks is this namespace, with only a loopback interface.
set -u

sandtrap=$1
hostile=$2

if [ "${SANDTRAP_SAFETY_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_SAFETY_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d /tmp/sandtrap-safety.XXXXXX)
sleeper_pid=
listener_pid=
cleanup() {
	[ -n "$sleeper_pid" ] && kill "$sleeper_pid" 2>/dev/null
	[ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The hostile binary is stored without the exec bit; only the guest makes it runnable.
install -m 0644 "$hostile" "$work/hostile"

. "$(dirname "$0")/../tap.sh" # no_orphan_cgroups; check is this suite's own, below
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$what"
}

# analyze NAME TIMEOUT [ARG]: run one attack; the report is $work/NAME/report.json
analyze() {
	local name=$1 timeout=$2 arg=${3:-} start end status
	local args=(--arg "$name")
	[ -n "$arg" ] && args+=(--arg "$arg")
	start=$(date +%s%N)
	"$sandtrap" analyze --timeout "$timeout" --report-dir "$work/$name" "${args[@]}" \
		"$work/hostile" >"$work/$name.summary" 2>"$work/$name.stderr"
	status=$?
	end=$(date +%s%N)
	elapsed_ms=$(((end - start) / 1000000))
	ok "$([ "$status" -le 3 ] && [ "$status" != 2 ] && echo 0 || echo 1)" \
		"$name: the analysis completes (exit status $status)"
	ok "$([ "$elapsed_ms" -le $((timeout * 1000 + 2000)) ] && echo 0 || echo 1)" \
		"$name: ends within its timeout plus 2 s (${elapsed_ms} ms)"
	report="$work/$name/report.json"
}

jqr() { jq -e "$@" "$report"; }
output_has() { jq -e --arg s "$1" '.output.text | contains($s)' "$report"; }
no_success() { jq -e '.output.text | contains(": succeeded") | not' "$report"; }
has_event() { jq -e --arg t "$1" '[.events[] | select(.type == $t)] | length > 0' "$report"; }
denied() { has_event syscall_denied; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
no_leftovers() { ! pgrep -f "$work/hostile" && ! pgrep -x hostile; }

# --- files ---
echo "host canary" >"$work/canary"
before_passwd=$(sha /etc/passwd)
before_true=$(sha /usr/bin/true)
before_canary=$(sha "$work/canary")
analyze write-host-files 10 "$work/canary"
check "write-host-files: the host's /etc/passwd is unchanged" test "$(sha /etc/passwd)" = "$before_passwd"
check "write-host-files: the host's /usr/bin/true is unchanged" test "$(sha /usr/bin/true)" = "$before_true"
check "write-host-files: a host file named by path is unchanged" test "$(sha "$work/canary")" = "$before_canary"
check "write-host-files: the writes are recorded" jqr '[.events[] | select(.type == "file_open" and .path == "/etc/passwd")] | length > 0'

analyze delete-host-files 10 "$work/canary"
check "delete-host-files: the host's /usr/bin/true still exists" test -x /usr/bin/true
check "delete-host-files: the host's /usr/share/doc still exists" test -d /usr/share/doc
check "delete-host-files: the host canary still exists" test -f "$work/canary"
check "delete-host-files: the deletions are recorded as dropped changes" jqr '[.dropped[] | select(.kind == "deleted" and .path == "/usr/bin/true")] | length == 1'

analyze read-shadow 10
host_root_hash=$(awk -F: '$1 == "root" { print $2 }' /etc/shadow)
check "read-shadow: the guest reads a decoy shadow file" output_has 'root:$y$j9T$Qm3k'
check "read-shadow: the host's root hash is not in the report" \
	bash -c "[ -z '$host_root_hash' ] || [ ${#host_root_hash} -lt 4 ] || ! grep -rqF -- '$host_root_hash' '$work/read-shadow'"
check "read-shadow: the read is recorded" jqr '[.events[] | select(.type == "file_open" and .path == "/etc/shadow")] | length > 0'

# --- processes ---
sleep 1000 &
sleeper_pid=$!
analyze signal-host 10 "$sleeper_pid"
check "signal-host: a host process survives kill() from the guest" kill -0 "$sleeper_pid"
check "signal-host: the kill attempts are recorded" has_event signal

analyze ptrace-host 10 "$sleeper_pid"
check "ptrace-host: the host process is not traced" bash -c "grep -q '^TracerPid:[[:space:]]*0$' /proc/$sleeper_pid/status"
check "ptrace-host: the ptrace attempts are recorded" has_event ptrace

analyze see-host-processes 10 "$sleeper_pid"
check "see-host-processes: the host's processes are not visible" output_has 'open host pid'"'"'s status: No such file'

# --- network: everything ends in the simulated internet ---
python3 - "$work/listener-count" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 47001)); s.listen(16)
n = 0
open(sys.argv[1], "w").write("0")
while True:
    c, _ = s.accept(); n += 1; c.close()
    open(sys.argv[1], "w").write(str(n))
PY
listener_pid=$!
sleep 0.3
analyze connect-host-listener 10 47001
check "connect-host-listener: the host's listener saw zero connections" test "$(cat "$work/listener-count")" = 0
check "connect-host-listener: the guest's own loopback refused it" output_has "connect 127.0.0.1: Connection refused"
check "connect-host-listener: the attempt is recorded" jqr '[.network.connections[] | select(.port == 47001 and .address == "127.0.0.1")] | length > 0'

analyze reach-outside 10
check "reach-outside: TCP to 192.0.2.10:80 ends in the simulated internet" jqr '[.network.connections[] | select(.address == "192.0.2.10" and .source == "netsim")] | length > 0'
check "reach-outside: TCP to 198.51.100.20:4444 ends in the simulated internet" jqr '[.network.connections[] | select(.address == "198.51.100.20" and .port == 4444 and .source == "netsim")] | length > 0'
check "reach-outside: UDP to 203.0.113.53:53 is answered by the simulated DNS or recorded" jqr '(.network.udp | length > 0) or (.network.dns | length >= 0)'
check "reach-outside: the connects are recorded" has_event net_connect

# --- the kernel's surface ---
for attack in load-module mount bpf new-userns kexec perf keyctl reboot-swapon by-handle io-uring; do
	analyze "$attack" 10
	check "$attack: every attempt is refused" no_success
	check "$attack: the refusal is recorded" denied
done

analyze proc-sys-writes 10
before_core=$(cat /proc/sys/kernel/core_pattern)
check "proc-sys-writes: nothing is written to /proc/sys or /sys" no_success
check "proc-sys-writes: the host's core_pattern is unchanged" test "$(cat /proc/sys/kernel/core_pattern)" = "$before_core"

analyze raw-device 10
check "raw-device: device nodes, /dev/mem and port I/O are refused" no_success

analyze chroot-escape 10 /old_root
check "chroot-escape: the host's /work stays out of reach" output_has "see host's /work: No such file"
check "chroot-escape: the host's root directory stays out of reach" output_has "see host's /root/.bashrc: No such file"

analyze exec-memory 10
check "exec-memory: executable anonymous memory is recorded" has_event mem_exec
check "exec-memory: memfd_create is recorded" has_event memfd_create

# --- resources ---
analyze fork-bomb 3
check "fork-bomb: the process limit stopped it (and is reported)" jqr '.analysis.limit_hit | contains("pids")'
check "fork-bomb: no guest process is left on the host" no_leftovers

analyze memory-bomb 5
check "memory-bomb: the memory limit stops it" jqr '(.analysis.limit_hit // "" | contains("memory")) or .analysis.main_signal == 9'
check "memory-bomb: no guest process is left on the host" no_leftovers

free_before=$(df --output=avail -k / | tail -1)
analyze fill-disk 10
free_after=$(df --output=avail -k / | tail -1)
check "fill-disk: the guest runs out of its own space" output_has "No space left on device"
check "fill-disk: the disk limit is reported" jqr '.analysis.limit_hit | contains("disk")'
check "fill-disk: the host's disk did not fill (less than 64 MiB used)" test $((free_before - free_after)) -lt 65536

analyze spin 2
check "spin: the run ends by its timeout" jqr '.analysis.outcome == "timeout" and (.analysis.limit_hit | contains("wall_time"))'

analyze ignore-sigterm 2
check "ignore-sigterm: the run ends by its timeout" jqr '.analysis.outcome == "timeout"'
check "ignore-sigterm: the double-forked daemon is gone" no_leftovers

analyze output-flood 2
check "output-flood: the captured output is cut at its limit" jqr '.output.truncated == true and (.analysis.limit_hit | contains("output"))'
check "output-flood: the report stays small" test "$(stat -c %s "$report")" -lt 8000000

analyze dropped-symlink 10 "$work/canary"
check "dropped-symlink: the symlinks are recorded with their target text" jqr '[.dropped[] | select(.kind == "symlink" and .link_target == "/etc/shadow")] | length == 1'
check "dropped-symlink: no link target was copied" jqr '[.dropped[] | select(.kind == "symlink" and has("saved_as"))] | length == 0'
check "dropped-symlink: the report directory holds no host file" bash -c "! grep -rqF 'host canary' '$work/dropped-symlink'"

check "no guest cgroup is left behind" no_orphan_cgroups

echo "1..$n"
[ "$failed" = 0 ]
