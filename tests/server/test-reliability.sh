#!/bin/bash
# sandtrapd under stress: 1,000 concurrent lookup clients, kill -9 with 50 jobs queued or
# running, and a full disk (a small tmpfs in a private mount namespace). TAP.
# Usage: test-reliability.sh SANDTRAPD SANDTRAP
set -u
sandtrapd=$1
sandtrap=$2

# The tmpfs of the disk-full test is mounted in a mount namespace of our own: nobody
# else sees it and it goes away with the last process of this test.
if [ "${SANDTRAP_TEST_MNTNS:-}" != 1 ]; then
	exec env SANDTRAP_TEST_MNTNS=1 unshare --mount --propagation private -- "$0" "$@"
fi

# 1,000 client sockets here (wrk); the server starts with a soft limit of 512 descriptors
# and must raise its own limit for as many.
ulimit -n 4096 || exit 1

work=$(mktemp -d /tmp/sandtrap-reliability.XXXXXX)
chmod 0755 "$work" # the server's unprivileged user walks through to its data directory
data="$work/data"
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid"
	fi
	umount "$work/small" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/../tap.sh"
# start DATA [options]: a server on $port
start() {
	local dir=$1
	shift
	prlimit --nofile=512:4096 -- \
		"$sandtrapd" --listen "127.0.0.1:$port" --data "$dir" --foreground --slots 2 \
		--timeout 10 --max-connections 1100 "$@" >>"$work/server.log" 2>&1 &
	pid=$!
	sandtrapd_wait
}
stop() {
	kill -TERM "$pid" && wait "$pid"
	pid=
}
# submit FILE: HTTP status in $code, body in $work/body
submit() {
	code=$(curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
		--data-binary "@$1" "$base/api/v1/submissions?timeout=10")
}
status_of() {
	curl -s -H "Authorization: Bearer $token" "$base/api/v1/submissions/$1" | jq -r .status
}
wait_done() { # ID [tries of 0.1 s]
	local s
	for _ in $(seq "${2:-300}"); do
		s=$(status_of "$1")
		[ "$s" = done ] || [ "$s" = failed ] && return 0
		sleep 0.1
	done
	return 1
}
sql() { sqlite3 -cmd ".timeout 5000" "$1" "$2"; }

port=$(free_port)
base="http://127.0.0.1:$port"
token=$("$sandtrap" token create --data "$data" --role admin)
check "sandtrapd starts" start "$data"

# --- 1,000 concurrent lookup clients ---
printf '#!/bin/sh\nexit 0\n# lookups\n' >"$work/lookup.sh"
submit "$work/lookup.sh"
lookup_id=$(jq -r .id "$work/body")
check "a sample to look up is analysed" wait_done "$lookup_id"
sha=$(sha256sum "$work/lookup.sh" | cut -d' ' -f1)
wrk -t2 -c1000 -d3s --timeout 2s -H "Authorization: Bearer $token" \
	"$base/api/v1/verdicts/$sha" >"$work/wrk.txt" 2>&1
sed 's/^/# /' "$work/wrk.txt" | grep -E 'Requests/sec|errors|Non-2xx'
check "1,000 keep-alive clients for 3 s: lookups answered" \
	awk '/requests in/ { exit !($1 > 1000) }' "$work/wrk.txt"
check "no socket errors (connect, read, write, timeout)" bash -c "! grep -q 'Socket errors' '$work/wrk.txt'"
check "no answer but 2xx" bash -c "! grep -q 'Non-2xx' '$work/wrk.txt'"
check "the server took every connection (no open-file limit hit)" \
	bash -c "! grep -q 'Too many open files\|resource limit' '$work/server.log'"
check "the server still answers afterwards" \
	curl -fs -H "Authorization: Bearer $token" "$base/api/v1/verdicts/$sha"

# --- kill -9 with 50 jobs queued or running: all complete once after a restart ---
ids=()
for i in $(seq 50); do
	printf '#!/bin/sh\nexit 0\n# job %s %s\n' "$i" "$work" >"$work/job.sh"
	submit "$work/job.sh"
	ids+=("$(jq -r .id "$work/body")")
done
check "50 jobs accepted" test "${#ids[@]}" = 50 -a "${ids[49]}" != null
sleep 0.5
kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null
pid=
port_free() {
	for _ in $(seq 10); do
		ss -ltnH "sport = :$port" | grep -q . || return 0
		sleep 0.1
	done
	return 1
}
check "the port is free within 1 s of the kill -9 (the HTTP process died with it)" port_free
first=${ids[0]}
last=${ids[49]}
between="id between $first and $last"
left=$(sql "$data/sandtrap.db" "select count(*) from submissions where $between and status in ('queued','running')")
echo "# after kill -9: $left of 50 jobs queued or running"
check "kill -9 left jobs queued or running" test "$left" -gt 0
check "the server starts again on the same data" start "$data"
all_done() {
	for _ in $(seq 600); do
		[ "$(sql "$data/sandtrap.db" "select count(*) from submissions where $between and status = 'done'")" = 50 ] && return 0
		sleep 0.1
	done
	return 1
}
check "all 50 jobs complete" all_done
check "none is duplicated: 50 submissions, one report each" \
	test "$(sql "$data/sandtrap.db" "select count(*) || ' ' || count(distinct submission_id) from reports where submission_id between $first and $last")" = "50 50"
check "and no other submission appeared" \
	test "$(sql "$data/sandtrap.db" "select count(*) from submissions where id > $last")" = 0
stop

# --- a full disk: 507 with a JSON error, nothing corrupted, fine again once space is free ---
mkdir "$work/small"
mount -t tmpfs -o size=4m,mode=0755 sandtrap-test "$work/small"
small="$work/small/data"
token=$("$sandtrap" token create --data "$small" --role admin)
check "a server on a 4 MiB tmpfs starts" start "$small"
printf '#!/bin/sh\nexit 0\n# before the disk fills\n' >"$work/before.sh"
submit "$work/before.sh"
before_id=$(jq -r .id "$work/body")
check "a sample is analysed while there is space" wait_done "$before_id"
dd if=/dev/zero of="$work/small/filler" bs=64k >/dev/null 2>&1 # until the disk is full
{ printf '#!/bin/sh\nexit 0\n# '; head -c 300000 /dev/urandom | base64 -w0; echo; } >"$work/big.sh"
submit "$work/big.sh"
check "a submission on a full disk gets 507" test "$code" = 507
check "with a JSON error that says the disk is full" jq -e '.error | test("disk is full")' "$work/body"
check "the server still answers lookups" \
	curl -fs -H "Authorization: Bearer $token" \
	"$base/api/v1/verdicts/$(sha256sum "$work/before.sh" | cut -d' ' -f1)"
check "the database is intact" test "$(sql "$small/sandtrap.db" "pragma integrity_check")" = ok
rm -f "$work/small/filler"
submit "$work/big.sh"
check "once space is free the same submission is accepted (202)" test "$code" = 202
big_id=$(jq -r .id "$work/body")
check "and analysed" bash -c "$(declare -f wait_done status_of); token=$token base=$base; wait_done $big_id && test \"\$(status_of $big_id)\" = done"
stop

# --- slow heads: a client dribbling its request head is cut off, others are not ---
heads="$work/heads"
token=$("$sandtrap" token create --data "$heads" --role admin)
check "a server with header-timeout 2 starts" start "$heads" --header-timeout 2
# dribble SECONDS: a request head sent a header line every half second; prints how long
# the server kept the connection ("cut N.N") or "whole" if the head got through.
dribble() {
	python3 - "$port" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
try:
    s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
    while time.monotonic() - t0 < float(sys.argv[2]):
        time.sleep(0.5)
        s.sendall(b"X-Slow: 1\r\n")
    print("whole")
except OSError:
    print("cut %.1f" % (time.monotonic() - t0))
PY
}
out=$(dribble 8)
check "a head dribbled for 8 s is cut off after about 2 s ($out)" \
	bash -c "[[ '$out' =~ ^cut\ [2-4]\. ]]"
check "the cut is logged" grep -q "cut off: no request head within 2 s" "$work/server.log"
check "a long poll of 4 s is not cut (its head came at once)" bash -c "
	id=\$(curl -fs -H 'Authorization: Bearer $token' -d '{\"hostname\":\"slowhead\",\"version\":\"0.1\",\"os\":\"test\"}' $base/api/v1/agents | jq -r .agent_id)
	last=\$(curl -fs -H 'Authorization: Bearer $token' '$base/api/v1/agents/'\$id'/events?since=0' | jq -r .next)
	t0=\$(date +%s)
	curl -fs -m 10 -H 'Authorization: Bearer $token' '$base/api/v1/agents/'\$id'/events?since='\$last'&wait=4' >/dev/null &&
	test \$((\$(date +%s) - t0)) -ge 3"
check "keep-alive requests 1.5 s apart for 6 s are not cut (each answer restarts the clock)" \
	python3 - "$port" "$token" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
for _ in range(5):
    c.request("GET", "/api/v1/status", headers={"Authorization": "Bearer " + sys.argv[2]})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
    time.sleep(1.5)
PY
stop

check "the servers logged no sanitizer report (under ASan/UBSan)" \
	bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$work/server.log'"
echo "1..$n"
[ "$failed" = 0 ] || { echo "# server log:"; tail -50 "$work/server.log" | sed 's/^/# /'; }
exit $((failed > 0))
