#!/bin/bash
# Two analyses at once on this machine's cores: both must complete with complete reports.
# Prints the time of one analysis alone and of two side by side.
# Usage: bench-parallel.sh SANDTRAP SAMPLE
set -u
sandtrap=$1
sample=$2
work=$(mktemp -d /tmp/sandtrap-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The sample connects out: run everything in a network namespace of our own.
if [ "${SANDTRAP_BENCH_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_BENCH_NETNS=1 unshare --net -- "$0" "$@"
fi

ms() { echo $(($(date +%s%N) / 1000000)); }
complete() { # a report with the sample's processes, its HTTP request and its dropped files
	jq -e '(.processes | length) >= 10 and (.network.http | length) >= 1 and
		(.dropped | length) >= 3 and .analysis.outcome == "exited"' "$1" >/dev/null
}

t0=$(ms)
"$sandtrap" analyze --report-dir "$work/alone" "$sample" >/dev/null 2>&1
alone=$(($(ms) - t0))

t0=$(ms)
"$sandtrap" analyze --report-dir "$work/a" "$sample" >/dev/null 2>&1 &
pa=$!
"$sandtrap" analyze --report-dir "$work/b" "$sample" >/dev/null 2>&1 &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
both=$(($(ms) - t0))

ok=0
for r in alone a b; do
	if complete "$work/$r/report.json"; then echo "report $r: complete"; else echo "report $r: INCOMPLETE"; ok=1; fi
done
echo "exit statuses of the pair: $sa $sb (3 = analysed, no verdict engine yet)"
echo "one analysis alone: ${alone} ms; two at once: ${both} ms (ratio $(awk "BEGIN { printf \"%.2f\", $both / $alone }")x)"
exit $ok
