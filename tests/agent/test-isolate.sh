#!/bin/bash
# respond_isolate in network namespaces this test makes: namespace A (isolated) and B
# (two TCP listeners) joined by a veth pair, IPv4 and IPv6. Before isolation both ports
# answer, during it only the allowed one, after the lift both again. The host's own
# network and rule set are never touched: the veth pair is made inside A. TAP.
# Usage: test-isolate.sh RESP_HELPER
set -u
helper=$1

a=sandtrap-iso-a-$$
b=sandtrap-iso-b-$$
work=$(mktemp -d /tmp/sandtrap-isolate.XXXXXX)
listeners=()
cleanup() {
	local p
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

nft list ruleset >"$work/host-after" 2>&1
check "the host's own rule set is unchanged" cmp "$work/host-before" "$work/host-after"

echo "1..$n"
exit $((failed > 0))
