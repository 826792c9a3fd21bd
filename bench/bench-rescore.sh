#!/bin/bash
# Re-scoring 10,000 stored reports: analyses a few real samples for their reports, then
# bench-rescore stores 10,000 copies under distinct sha256 and re-scores them all.
# Usage: bench-rescore.sh SANDTRAP BENCH_RESCORE RULES SAMPLE... (N: BENCH_RESCORE_N)
set -u
sandtrap=$1
bench=$2
rules=$3
shift 3
work=$(mktemp -d /tmp/sandtrap-bench-rescore.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The samples may connect out: their analyses run in a network namespace of our own.
if [ "${SANDTRAP_BENCH_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_BENCH_NETNS=1 unshare --net -- "$0" "$sandtrap" "$bench" "$rules" "$@"
fi
reports=()
i=0
for s in "$@"; do
	i=$((i + 1))
	"$sandtrap" analyze --rules "$rules" --report-dir "$work/$i" "$s" >/dev/null 2>&1
	[ -f "$work/$i/report.json" ] && reports+=("$work/$i/report.json")
	echo "report $i: $(basename "$s"): $(jq -r '.verdict.result' "$work/$i/report.json"), $(jq '.events | length' "$work/$i/report.json") events"
done
exec "$bench" "$rules" "${BENCH_RESCORE_N:-10000}" "${reports[@]}"
