#!/bin/bash
# Detection against detonation: for a few labelled samples, the time the guest ran
# (analysis.duration_ms) beside the time spent ruling on it (verdict.detection_us: behaviour
# rules over every event, YARA and hash lists over the object and its dropped files, the
# verdict). Prints each and the ratio; the issue asks detection to take well under the
# detonation's time.
# Usage: bench-judge.sh SANDTRAP SAMPLES_DIR
set -u
sandtrap=$1
samples=$2

# Samples connect out: run everything in a network namespace of our own.
if [ "${SANDTRAP_BENCH_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_BENCH_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d /tmp/sandtrap-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

total_run=0 total_det=0
for s in demo/dropper.sh malicious/ssh-keys-steal.sh malicious/ransom-python.py \
	malicious/download-pipe-sh.sh benign/make-build.sh benign/python-unittest.py; do
	name=${s##*/}
	# Never run on the host: a copy without the exec bit, analysed in the guest.
	install -m 0644 "$samples/$s" "$work/$name"
	"$sandtrap" analyze --json "$work/$name" >"$work/$name.json" 2>/dev/null
	read -r run det events verdict < <(jq -r '[.analysis.duration_ms, .verdict.detection_us,
		(.events | length), .verdict.result] | @tsv' "$work/$name.json")
	printf 'judge: %-24s %-10s %5d events  detonation %6d ms  detection %7.2f ms  (%.2f %%)\n' \
		"$name" "$verdict" "$events" "$run" "$(echo "$det / 1000" | bc -l)" \
		"$(echo "100 * $det / 1000 / $run" | bc -l)"
	total_run=$((total_run + run))
	total_det=$((total_det + det))
done
printf 'judge: all: detonation %d ms, detection %.1f ms: detection is %.2f %% of the detonation time\n' \
	"$total_run" "$(echo "$total_det / 1000" | bc -l)" "$(echo "100 * $total_det / 1000 / $total_run" | bc -l)"
