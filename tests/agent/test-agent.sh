#!/bin/bash
# sandtrap-agent end to end: a real sandtrapd on 127.0.0.1, the agent watching tmpfs
# mounts made in a private mount namespace (never a system mount), samples that carry the
# sandtrap test marker (harmless if they ran: they sleep or exit). TAP.
# Usage: test-agent.sh SANDTRAPD SANDTRAP SANDTRAP_AGENT
set -u
if [ -z "${SANDTRAP_AGENT_NS:-}" ]; then
	exec env SANDTRAP_AGENT_NS=1 unshare --mount --propagation private "$0" "$@"
fi
sandtrapd=$1
sandtrap=$2
agent=$3

. "$(dirname "$0")/../tap.sh"

work=$(mktemp -d /tmp/sandtrap-agent.XXXXXX)
chmod 0755 "$work"
watch=$work/watch # executions
docs=$work/docs   # documents
orig=$work/orig   # originals, never executable, outside the watched mounts
state=$work/state
sock=$work/agent.sock
mkdir -p "$watch" "$docs" "$orig" "$work/dpkg/info"
mount -t tmpfs -o size=256m,mode=0755 sandtrap-test-watch "$watch"
mount -t tmpfs -o size=16m,mode=0755 sandtrap-test-docs "$docs"
server_pid=
agent_pid=
sleeper_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid"
	[ -n "$sleeper_pid" ] && kill -KILL "$sleeper_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid"
	umount "$watch" "$docs" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

marker=SANDTRAP-TEST-FILE-6d1c4f2a-NOT-MALWARE
port=$(free_port)
base="http://127.0.0.1:$port"

start_server() {
	"$sandtrapd" --listen "127.0.0.1:$port" --data "$work/data" --foreground --slots 2 \
		--timeout 3 >>"$work/server.log" 2>&1 &
	server_pid=$!
	sandtrapd_wait
}
stop_server() {
	kill -TERM "$server_pid" && wait "$server_pid"
	server_pid=
}

# start_agent MODE [options...]
start_agent() {
	local mode=$1
	shift
	"$agent" --server "$base" --token "$token" --watch "$watch" --documents "$docs" \
		--mode "$mode" --state "$state" --socket "$sock" --dpkg-admindir "$work/dpkg" \
		--config /dev/null --log-level debug --foreground "$@" >>"$work/agent.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && grep -q 'policy .* in force' "$work/agent.log" && return 0
		sleep 0.1
	done
	return 1
}
stop_agent() {
	kill -TERM "$agent_pid" && wait "$agent_pid"
	agent_pid=
	rm -f "$sock"
}
stat_of() {
	kill -USR1 "$agent_pid"
	sleep 0.2
	jq -r ".$1" "$state/stats.json"
}
admin_get() { curl -s -H "Authorization: Bearer $admin" "$base$1"; }
# a script with the marker: malicious to sandtrap, harmless if it ran
make_marked() { printf '#!/bin/sh\n# %s %s\n%s\n' "$marker" "$RANDOM$RANDOM" "$2" >"$1"; }
# a clean program no server has seen: /usr/bin/true with a unique tail
make_unknown_elf() { cp /usr/bin/true "$1" && head -c 64 /dev/urandom >>"$1" && chmod 0755 "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# bridge REQUEST-JSON [as-user]: one answer line
bridge() {
	python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())
PY
}

start_server || { echo "Bail out! sandtrapd did not start"; exit 1; }
admin=$("$sandtrap" token create --data "$work/data" --role admin)
token=$("$sandtrap" token create --data "$work/data" --role agent)

# --- block mode ---
start_agent block --deadline 10000 --fail open
check "the agent enrols and shows in the server's agent list" \
	bash -c "for i in \$(seq 50); do curl -s -H 'Authorization: Bearer $admin' $base/api/v1/agents | jq -e 'length == 1' && exit 0; sleep 0.1; done; exit 1"

make_marked "$orig/evil.sh" 'exit 0'
cp "$orig/evil.sh" "$watch/evil.sh" && chmod 0755 "$watch/evil.sh"
"$watch/evil.sh" 2>"$work/evil.err"
status=$?
check "block: executing a malicious sample fails" test "$status" -ne 0
check "block: with EPERM (Operation not permitted)" grep -q 'Operation not permitted' "$work/evil.err"
start=$(date +%s%N)
"$watch/evil.sh" 2>/dev/null
status=$?
took=$((($(date +%s%N) - start) / 1000000))
check "block: a second execution is denied from the cache" test "$status" -ne 0
check "block: at once (${took} ms)" test "$took" -lt 500
check "block: the denial is reported to the server" \
	bash -c "curl -s -H 'Authorization: Bearer $admin' '$base/api/v1/actions' | jq -e --arg s $(sha "$watch/evil.sh") '[.[] | select(.sha256 == \$s and .action == \"deny\")] | length >= 1'"

# Over 2 MiB: hashed by a hashing thread while held, then held for its verdict.
{ printf '#!/bin/sh\n# %s %s\nexit 0\n' "$marker" "$RANDOM$RANDOM"; head -c 3M /dev/zero | tr '\0' '#'; echo; } >"$watch/large-evil.sh"
chmod 0755 "$watch/large-evil.sh"
"$watch/large-evil.sh" 2>"$work/large-evil.err"
status=$?
check "block: a large malicious script (3 MiB, hashed off the loop) fails with EPERM" \
	bash -c "test $status -ne 0 && grep -q 'Operation not permitted' '$work/large-evil.err'"

make_unknown_elf "$watch/clean"
check "block: a clean unknown program runs once its verdict is in" "$watch/clean"
events=$(stat_of events)
"$watch/clean"
"$watch/clean"
check "block: its next executions generate no event" test "$(stat_of events)" = "$events"

cp /usr/bin/id "$watch/pkgtool"
printf 'Package: sandtrap-test\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n' \
	>"$work/dpkg/status"
printf '%s  %s\n' "$(md5sum "$watch/pkgtool" | cut -d' ' -f1)" "${watch#/}/pkgtool" \
	>"$work/dpkg/info/sandtrap-test.md5sums"
subs=$(curl -s "$base/metrics" | awk '$1 == "sandtrap_submissions_total" { print $2 }')
check "a package-owned program runs" "$watch/pkgtool"
check "it is trusted, not scanned" test "$(stat_of trusted)" -ge 1
check "and nothing was submitted" \
	test "$(curl -s "$base/metrics" | awk '$1 == "sandtrap_submissions_total" { print $2 }')" = "$subs"
cp "$watch/pkgtool" "$orig/pkgtool.mod" && printf 'x' >>"$orig/pkgtool.mod"
cat "$orig/pkgtool.mod" >"$watch/pkgtool"
"$watch/pkgtool" >/dev/null
check "a modified package file is scanned" \
	bash -c "curl -s -H 'Authorization: Bearer $admin' $base/api/v1/verdicts/$(sha "$watch/pkgtool") | jq -e .verdict"

printf '%%PDF-1.4\n%% %s\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%%%EOF\n' "$marker" >"$docs/evil.pdf"
cat "$docs/evil.pdf" >/dev/null 2>"$work/pdf.err"
status=$?
check "block: opening a malicious document is refused" test "$status" -ne 0
check "block: with EPERM" grep -q 'Operation not permitted' "$work/pdf.err"
printf 'just text\n' >"$docs/notes.txt"
check "block: other files on the document path open" cat "$docs/notes.txt"

# --- the bridge ---
answer=$(bridge "{\"op\":\"check\",\"sha256\":\"$(sha "$orig/evil.sh")\"}")
check "bridge: check by sha256 answers malicious" \
	bash -c "jq -e '.verdict == \"malicious\"' <<<'$answer'"
answer=$(bridge "{\"op\":\"check\",\"path\":\"$watch/clean\"}")
check "bridge: check by path answers clean" bash -c "jq -e '.verdict == \"clean\"' <<<'$answer'"
answer=$(bridge "{\"op\":\"check\",\"sha256\":\"$(printf '%064d' 7)\"}")
check "bridge: an unknown hash is unknown" bash -c "jq -e '.verdict == \"unknown\"' <<<'$answer'"
# Past the socket's mode too: the peer's credentials are checked on every connection.
chmod 0666 "$sock"
check "bridge: a user outside root and the group is refused" \
	bash -c "! setpriv --reuid 65534 --regid 65534 --clear-groups python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(\"$sock\")
s.sendall(b\"{\\\"op\\\":\\\"ping\\\"}\\n\")
sys.exit(0 if b\"ok\" in s.recv(4096) else 1)'"
stop_agent

# --- the server down: the deadline holds, both ways ---
stop_server
start_agent block --deadline 2000 --fail open
make_unknown_elf "$watch/offline1"
start=$(date +%s%N)
"$watch/offline1"
status=$?
took=$((($(date +%s%N) - start) / 1000000))
check "server down, fail-open: the program runs" test "$status" -eq 0
check "server down, fail-open: decided within the deadline (${took} ms)" \
	test "$took" -ge 1900 -a "$took" -lt 3500
stop_agent
start_agent block --deadline 2000 --fail closed
make_unknown_elf "$watch/offline2"
start=$(date +%s%N)
"$watch/offline2" 2>"$work/off2.err"
status=$?
took=$((($(date +%s%N) - start) / 1000000))
check "server down, fail-closed: the program is refused" test "$status" -ne 0
check "server down, fail-closed: decided within the deadline (${took} ms)" \
	test "$took" -ge 1900 -a "$took" -lt 3500
check "the objects wait on disk for the server" test "$(ls "$state/spool" | grep -c '\.obj$')" -ge 2
stop_agent
start_server
start_agent allow-and-scan
check "after restarts, the spooled objects reach the server and get verdicts" \
	bash -c "for i in \$(seq 150); do [ \$(ls $state/spool | grep -c obj) = 0 ] && exit 0; sleep 0.1; done; exit 1"
# Submitted is not yet judged: the detonation takes its time after the spool empties.
check "and their verdicts are known" \
	bash -c "for i in \$(seq 300); do curl -s -H 'Authorization: Bearer $admin' $base/api/v1/verdicts/$(sha "$watch/offline2") | jq -e '.verdict == \"clean\"' >/dev/null && exit 0; sleep 0.1; done; exit 1"

# --- allow-and-scan: it runs, then is killed and quarantined ---
make_marked "$orig/sleeper.sh" 'exec sleep 60'
cp "$orig/sleeper.sh" "$watch/sleeper.sh" && chmod 0755 "$watch/sleeper.sh"
"$watch/sleeper.sh" &
sleeper_pid=$!
sleep 0.3
check "allow-and-scan: an unknown sample runs at once" kill -0 "$sleeper_pid"
for _ in $(seq 200); do kill -0 "$sleeper_pid" 2>/dev/null || break; sleep 0.1; done
check "allow-and-scan: it is killed when the malicious verdict arrives" \
	bash -c "! kill -0 $sleeper_pid"
wait "$sleeper_pid" 2>/dev/null
sleeper_pid=
for _ in $(seq 50); do [ -e "$watch/sleeper.sh" ] || break; sleep 0.1; done
check "allow-and-scan: the file is gone from where it was" test ! -e "$watch/sleeper.sh"
"$sandtrap" quarantine list --state "$state" --json >"$work/q.json"
check "allow-and-scan: it is in the quarantine with its original path" \
	jq -e --arg p "$watch/sleeper.sh" '[.[] | select(.path == $p)] | length == 1' "$work/q.json"
qid=$(jq -r --arg p "$watch/sleeper.sh" '.[] | select(.path == $p) | .id' "$work/q.json")
check "the quarantined copy is not the sample's bytes" \
	bash -c "! grep -rqa '$marker' '$state/quarantine'"
check "restore gives back the file" "$sandtrap" quarantine restore "$qid" --state "$state" \
	--to "$orig/restored.sh"
check "restore is byte-identical" cmp "$orig/sleeper.sh" "$orig/restored.sh"
check "the kill and the quarantine are reported to the server" \
	bash -c "curl -s -H 'Authorization: Bearer $admin' '$base/api/v1/actions' | jq -e '[.[] | .action] | (index(\"kill\") != null) and (index(\"quarantine\") != null)'"
check "a copy elsewhere is now denied on access, in any mode" \
	bash -c "cp $orig/sleeper.sh $watch/copy.sh && chmod +x $watch/copy.sh && ! $watch/copy.sh"

# --- large files are hashed off the decision loop: others do not wait for them ---
# Three 60 MiB programs (under max_size) take the loop 100 ms or more to hash one after
# the other; a small program started just after them must not wait for that.
for i in 1 2 3; do make_unknown_elf "$watch/large$i" && head -c 60M /dev/zero >>"$watch/large$i"; done
make_unknown_elf "$watch/small"
ms() { echo $(($(date +%s%N) / 1000000)); }
large_pids=()
for i in 1 2 3; do "$watch/large$i" & large_pids+=($!); done
sleep 0.01
small_start=$(ms)
"$watch/small"
small_took=$(($(ms) - small_start))
large_ok=0
for p in "${large_pids[@]}"; do wait "$p" && large_ok=$((large_ok + 1)); done
check "large unknown programs run (allow-and-scan)" test "$large_ok" = 3
check "a small program started after them is decided at once (${small_took} ms)" \
	test "$small_took" -lt 40
stop_agent
check "no sanitizer reported anything (agent, server)" \
	bash -c "! grep -l 'Sanitizer\|runtime error' $work/agent.log $work/server.log"

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# agent log (end):"; tail -60 "$work/agent.log" | sed 's/^/# /'
	echo "# server log (end):"; tail -60 "$work/server.log" | sed 's/^/# /'
fi
[ "$failed" -eq 0 ]
