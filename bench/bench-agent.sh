#!/bin/bash
# sandtrap-agent against issue 5's targets, side by side in one run:
#  - 10,000 fork+exec of a cached clean program, with the agent and without (ratio);
#  - the decision time for the first execution of unknown 1 MiB programs, allow-and-scan;
#  - the agent's RSS with 100,000 entries in its verdict cache;
#  - for comparison, the same fork+exec workload under ClamAV's on-access scanner
#    (clamonacc and clamd from Debian, a private config, a local one-line signature
#    file, prevention on), when clamonacc is installed (scripts/install-clamav).
# Everything happens on a tmpfs mounted in a private mount namespace. The server is a
# loopback port where nothing listens: the agent has its connections set up as in
# production, and objects wait in the spool, which does not change the decision path.
# Usage: bench-agent.sh SANDTRAP_AGENT FORKEXEC CACHE_FILL
set -u
if [ -z "${SANDTRAP_BENCH_NS:-}" ]; then
	exec env SANDTRAP_BENCH_NS=1 unshare --mount --propagation private "$0" "$@"
fi
agent=$1
forkexec=$2
fill=$3
runs=${BENCH_AGENT_EXECS:-10000}
unknown=${BENCH_AGENT_UNKNOWN:-200}

work=$(mktemp -d /tmp/sandtrap-bench-agent.XXXXXX)
mount -t tmpfs -o size=512m sandtrap-bench "$work"
mkdir -p "$work/watch" "$work/state"
agent_pid=
clamd_pid=
onacc_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid"
	[ -n "$onacc_pid" ] && kill -TERM "$onacc_pid" 2>/dev/null && wait "$onacc_pid"
	[ -n "$clamd_pid" ] && kill -TERM "$clamd_pid" 2>/dev/null && wait "$clamd_pid"
	umount "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

cp /usr/bin/true "$work/watch/true"
sha=$(sha256sum "$work/watch/true" | cut -d' ' -f1)
"$fill" "$work/state/verdicts.db" 100000 "$sha" >/dev/null || { echo "cache fill failed"; exit 1; }

start_agent() {
	"$agent" --server http://127.0.0.1:9 --token bench --watch "$work/watch" --mode "$1" --state "$work/state" --socket "$work/agent.sock" \
		--config /dev/null --foreground --log-level warning \
		>>"$work/agent.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 100); do [ -S "$work/agent.sock" ] && return 0; sleep 0.05; done
	echo "the agent did not start"; cat "$work/agent.log"; exit 1
}
stop_agent() { kill -TERM "$agent_pid" && wait "$agent_pid"; agent_pid=; rm -f "$work/agent.sock"; }

# ClamAV: clamd as the clamav user (clamonacc must exclude its scanner's user), fed the
# file descriptors of the events (--fdpass), watching the same directory.
clam=$work/clam
have_clam=
if command -v clamonacc >/dev/null 2>&1 && command -v clamd >/dev/null 2>&1 &&
	id clamav >/dev/null 2>&1; then
	have_clam=1
	mkdir -p "$clam/db" "$clam/tmp"
	printf 'Sandtrap.Test.File:0:*:%s\n' \
		"$(printf 'SANDTRAP-TEST-FILE-6d1c4f2a-NOT-MALWARE' | od -An -tx1 | tr -d ' \n')" \
		>"$clam/db/local.ndb"
	cat >"$clam/clamd.conf" <<-EOF
		LocalSocket $clam/clamd.sock
		Foreground yes
		User clamav
		DatabaseDirectory $clam/db
		TemporaryDirectory $clam/tmp
		LogFile $clam/clamd.log
		OnAccessIncludePath $work/watch
		OnAccessPrevention yes
		OnAccessExcludeUname clamav
	EOF
	chown -R clamav "$clam"
fi
start_clam() {
	clamd --config-file="$clam/clamd.conf" >/dev/null 2>&1 &
	clamd_pid=$!
	for _ in $(seq 200); do [ -S "$clam/clamd.sock" ] && break; sleep 0.05; done
	: >"$clam/onacc.log"
	clamonacc --config-file="$clam/clamd.conf" --foreground --fdpass \
		--log="$clam/onacc.log" >/dev/null 2>&1 &
	onacc_pid=$!
	for _ in $(seq 200); do grep -q "watching" "$clam/onacc.log" && return 0; sleep 0.05; done
	echo "clamonacc did not start"; cat "$clam/onacc.log" "$clam/clamd.log"; exit 1
}
stop_clam() {
	kill -TERM "$onacc_pid" && wait "$onacc_pid"
	kill -TERM "$clamd_pid" && wait "$clamd_pid"
	onacc_pid= clamd_pid=
	rm -f "$clam/clamd.sock"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== fork+exec of a cached clean program: $runs runs, 5 rounds, agent stopped / running${have_clam:+ / ClamAV on-access instead} =="
with=() without=() clamav=()
for round in 1 2 3 4 5; do
	without+=("$("$forkexec" "$runs" "$work/watch/true")")
	if [ -n "$have_clam" ]; then
		start_clam
		"$work/watch/true" # the first execution: clamd's cache of clean files
		clamav+=("$("$forkexec" "$runs" "$work/watch/true")")
		clam_rss=$(($(awk '/VmRSS/ { print $2 }' "/proc/$clamd_pid/status") +
			$(awk '/VmRSS/ { print $2 }' "/proc/$onacc_pid/status")))
		stop_clam
	fi
	start_agent allow-and-scan
	"$work/watch/true" # the first execution: a cache hit, then the kernel's ignore mark
	with+=("$("$forkexec" "$runs" "$work/watch/true")")
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$agent_pid/status")
	anon=$(awk '$1 == "Anonymous:" { print $2 }' "/proc/$agent_pid/smaps_rollup")
	# the largest mappings, for the breakdown printed below
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 == "" ? "[anon]" : $6 }
		$1 == "Rss:" { kib[name] += $2 }
		END { for (n in kib) print kib[n], n }' "/proc/$agent_pid/smaps" |
		sort -rn | head -8 >"$work/rss-top"
	kill -USR1 "$agent_pid"; sleep 0.3
	events=$(jq .events "$work/state/stats.json")
	entries=$(jq .cache_entries "$work/state/stats.json")
	stop_agent
done
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
printf 'without agent: %s s   with agent: %s s   ratio %.3f (target <= 1.02), medians of 5\n' \
	"$wo" "$w" "$(echo "$w / $wo" | bc -l)"
echo "agent events in the last round: $events (the first execution only)"
if [ -n "$have_clam" ]; then
	c=$(printf '%s\n' "${clamav[@]}" | median)
	printf 'ClamAV on-access (clamonacc --fdpass, prevention on): %s s   ratio %.3f to without, %.3f to the agent\n' \
		"$c" "$(echo "$c / $wo" | bc -l)" "$(echo "$c / $w" | bc -l)"
	# Was it intercepting? The test file must be refused while it runs.
	start_clam
	printf 'SANDTRAP-TEST-FILE-6d1c4f2a-NOT-MALWARE\n' >"$work/watch/test-file.txt"
	if cat "$work/watch/test-file.txt" >/dev/null 2>&1; then
		echo "ClamAV on-access did NOT refuse the test file: its figure is not a comparison"
	else
		echo "ClamAV on-access refused the test file meanwhile (it was intercepting)"
	fi
	echo "ClamAV RSS (clamd with one signature, and clamonacc): $((clam_rss / 1024)) MiB"
	stop_clam
	rm -f "$work/watch/test-file.txt"
else
	echo "ClamAV on-access: not installed (scripts/install-clamav); no comparison"
fi
echo "agent RSS with $entries cache entries, after the runs: $((rss / 1024)).$(( (rss % 1024) * 10 / 1024 )) MiB (target <= 20 MiB)"
echo "  of which anonymous $((anon / 1024)).$(( (anon % 1024) * 10 / 1024 )) MiB; largest (KiB):" \
	"$(awk '{ sub(".*/", "", $2); printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }' "$work/rss-top")"

echo "== first execution of $unknown unknown 1 MiB programs, allow-and-scan =="
for i in $(seq "$unknown"); do
	cp /usr/bin/true "$work/watch/u$i"
	head -c $((1048576 - $(stat -c %s /usr/bin/true))) /dev/urandom >>"$work/watch/u$i"
	chmod 0755 "$work/watch/u$i"
done
start_agent allow-and-scan
t0=$(date +%s%N)
for i in $(seq "$unknown"); do "$work/watch/u$i"; done
t1=$(date +%s%N)
kill -USR1 "$agent_pid"; sleep 0.3
jq -r '"decision, agent side: median \(.decide_us_p50) us, p90 \(.decide_us_p90) us, p99 \(.decide_us_p99) us over \(.decide_samples) decisions (target median <= 3000 us)"' \
	"$work/state/stats.json"
echo "exec wall time per unknown program, end to end: $(( (t1 - t0) / unknown / 1000 )) us"
stop_agent
