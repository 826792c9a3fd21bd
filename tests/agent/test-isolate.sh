#!/bin/bash
# respond_isolate in network namespaces this test makes: namespace A (isolated) and B
# (two TCP listeners) joined by a veth pair, IPv4 and IPv6. Before isolation both ports
# answer, during it only the allowed one, after the lift both again. The host's own
# network and rule set are never touched: the veth pair is made inside A. TAP.
# Then the agent and the CLI in namespace A: an agent that starts with the host isolated in
# its state isolates it again; `sandtrap isolation lift` restores the network with no
# server, the agent learns it, and its next start leaves the network alone.
# Usage: test-isolate.sh RESP_HELPER SANDTRAP SANDTRAP_AGENT
set -u
helper=$1
cli=$2
agent=$3

a=sandtrap-iso-a-$$
b=sandtrap-iso-b-$$
work=$(mktemp -d /tmp/sandtrap-isolate.XXXXXX)
listeners=()
agent_pid=
cleanup() {
	local p
	[ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid"
	for p in "${listeners[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${listeners[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/../tap.sh"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

in_a() { ip netns exec "$a" "$@"; }
in_b() { ip netns exec "$b" "$@"; }
reach() { in_a "$helper" connect "$1" "$2"; }
unreachable() { ! in_a "$helper" connect "$1" "$2"; }
refused() { ! in_a "$helper" isolate "$1"; }
peer_cut() { ! in_b "$helper" connect 10.231.0.1 8003; }
isolated_is() { test "$(in_a "$helper" isolated)" = "$1"; }

nft list ruleset >"$work/host-before" 2>&1

ip netns add "$a" || { echo "not ok 1 - create the network namespace $a"; echo 1..1; exit 1; }
ip netns add "$b"
ip -n "$a" link add st0a type veth peer name st0b netns "$b"
ip -n "$a" addr add 10.231.0.1/24 dev st0a
ip -n "$b" addr add 10.231.0.2/24 dev st0b
ip -n "$a" addr add fd00:231::1/64 dev st0a nodad
ip -n "$b" addr add fd00:231::2/64 dev st0b nodad
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set st0a up
ip -n "$b" link set st0b up

# not through in_a/in_b: $! must be the listener itself (ip netns exec execs it)
ip netns exec "$b" "$helper" listen 8001 8002 &
listeners+=($!)
ip netns exec "$a" "$helper" listen 8003 &
listeners+=($!)
for _ in $(seq 50); do reach 10.231.0.2 8001 && break; sleep 0.1; done

check "before: the allowed port answers (IPv4)" reach 10.231.0.2 8001
check "before: the other port answers (IPv4)" reach 10.231.0.2 8002
check "before: the other port answers (IPv6)" reach fd00:231::2 8002
check "before: not isolated" isolated_is 0

check "isolate with 10.231.0.2:8001 and [fd00:231::2]:8001" \
	in_a "$helper" isolate 10.231.0.2:8001 "[fd00:231::2]:8001"
check "isolated reports 1" isolated_is 1
check "the allowed port answers (IPv4)" reach 10.231.0.2 8001
check "the allowed port answers (IPv6, neighbour discovery kept)" reach fd00:231::2 8001
check "the other port is cut (IPv4)" unreachable 10.231.0.2 8002
check "the other port is cut (IPv6)" unreachable fd00:231::2 8002
check "loopback still works" reach 127.0.0.1 8003
check "nothing comes in from the peer" peer_cut
check "the peer namespace has no rules" test -z "$(in_b nft list ruleset)"

check "isolating again is fine (a whole address now)" in_a "$helper" isolate 10.231.0.2
check "one isolation table, not two" \
	test "$(in_a nft list tables | grep -c sandtrap_isolate)" = 1
check "a whole address opens every port of it" reach 10.231.0.2 8002
check "other addresses stay cut (IPv6 now not allowed)" unreachable fd00:231::2 8001
check "back to the port only" in_a "$helper" isolate 10.231.0.2:8001
check "the other port is cut again" unreachable 10.231.0.2 8002

for bad in "10.231.0.2; flush ruleset" "10.231.0.2:0" "10.231.0.2:65536" "[fd00::1" \
	"fd00::1]:80" "example.com" "10.231.0.2:80:80" ""; do
	check "'$bad' is refused" refused "$bad"
done
check "a refused address leaves the isolation as it was" unreachable 10.231.0.2 8002
check "and the allowed port still answers" reach 10.231.0.2 8001

check "lift" in_a "$helper" lift
check "after the lift: not isolated" isolated_is 0
check "after the lift: the other port answers (IPv4)" reach 10.231.0.2 8002
check "after the lift: the other port answers (IPv6)" reach fd00:231::2 8002
check "lifting twice is fine" in_a "$helper" lift

# --- the agent and the CLI, with no sandtrapd: its address is the peer's port 8001 ---
mkdir -p "$work/state" "$work/watch"
start_agent() {
	ip netns exec "$a" unshare --mount --propagation private sh -c \
		'mount -t tmpfs sandtrap-iso "$1" && shift && exec "$@"' sh "$work/watch" \
		"$agent" --server http://10.231.0.2:8001 --token none --watch "$work/watch" \
		--mode audit --state "$work/state" --socket "$work/agent.sock" --config /dev/null \
		--foreground --log-level info >>"$work/agent.log" 2>&1 &
	agent_pid=$!
}
stop_agent() { kill -TERM "$agent_pid" && wait "$agent_pid"; agent_pid=; }
# wait_for SECONDS COMMAND ARG...: until the command succeeds, for at most SECONDS
wait_for() {
	local tenths=$(($1 * 10)) i
	shift
	for i in $(seq "$tenths"); do "$@" && return 0; sleep 0.1; done
	return 1
}
lifted_logged() { grep -q "network isolation lifted" "$work/agent.log"; }

echo '{"isolated": true, "until": 0}' >"$work/state/isolation.json"
start_agent
check "agent: the host isolated before its start is isolated again" \
	wait_for 10 unreachable 10.231.0.2 8002
check "agent: its server stays reachable" reach 10.231.0.2 8001
in_a nft delete table inet sandtrap_isolate
check "agent: a table flushed by someone else is put back (checked every 10 s)" \
	wait_for 20 unreachable 10.231.0.2 8002
check "cli: status says isolated" \
	bash -c "ip netns exec $a $cli isolation status --state $work/state | grep -q 'isolated until lifted'"
check "cli: lift, with no server" in_a "$cli" isolation lift --state "$work/state"
check "cli: the network is back at once" reach 10.231.0.2 8002
check "cli: the state says not isolated" \
	jq -e '.isolated == false' "$work/state/isolation.json"
check "agent: learns of the lift" wait_for 10 lifted_logged
stop_agent
start_agent
sleep 1
check "agent: the next start leaves the network alone" reach 10.231.0.2 8002
stop_agent
echo '{"isolated": true, "until": 1}' >"$work/state/isolation.json"
in_a "$helper" isolate 10.231.0.2:8001
start_agent
check "agent: an isolation whose time passed while stopped is lifted at start" \
	wait_for 10 reach 10.231.0.2 8002
stop_agent
check "cli: a user other than root is refused" \
	bash -c "! setpriv --reuid 65534 --regid 65534 --clear-groups $cli isolation status --state $work/state"

nft list ruleset >"$work/host-after" 2>&1
check "the host's own rule set is unchanged" cmp "$work/host-before" "$work/host-after"

echo "1..$n"
exit $((failed > 0))
