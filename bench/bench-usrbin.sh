#!/bin/bash
# False-positive benchmark: every program in /usr/bin runs in the guest with --help and with
# --version; prints how many reports were malicious / suspicious / clean / without a verdict.
# Target once the detection engine rules: <= 0.5 % malicious, <= 2 % suspicious.
#
# Usage: bench-usrbin.sh SANDTRAP [N]     (N: only the first N programs, in name order)
# Environment: BENCH_USRBIN_JOBS analyses at once (default 2), BENCH_USRBIN_DIR=DIR to
# keep the reports and the list of flagged programs.
#
# Each program is copied to a temporary file with mode 0644 (the guest makes it runnable);
# files that are neither ELF nor a script with a shebang are skipped, and objects the
# analyser refuses (exit status 2, "unsupported object type") are counted apart. The run
# happens in a network namespace of its own (re-executed under `unshare --net`).
set -u

if [ "${1:-}" = --one ]; then
	# --one WORK INDEX PROGRAM ARG: one analysis, its result line appended to WORK/results
	work=$2 idx=$3 prog=$4 arg=$5
	d="$work/$idx$arg"
	mkdir -p "$d/obj"
	obj="$d/obj/$(basename "$prog")"
	cp "$prog" "$obj" 2>/dev/null || { echo "copyfail $prog $arg" >>"$work/results"; exit 0; }
	chmod 0644 "$obj"
	"$SANDTRAP" analyze --json --timeout 5 --report-dir "$d/report" --arg "$arg" "$obj" \
		>"$d/report.json" 2>"$d/stderr"
	status=$?
	if [ "$status" = 2 ]; then
		result=unsupported
	else
		result=$(jq -r 'if .verdict.computed then .verdict.result else "none" end' \
			"$d/report.json" 2>/dev/null) || result=error
		[ -n "$result" ] || result=error
	fi
	echo "$result $prog $arg" >>"$work/results"
	[ -n "${BENCH_USRBIN_DIR:-}" ] || rm -rf "$d"
	exit 0
fi

if [ $# -lt 1 ]; then
	echo "usage: $0 SANDTRAP [N]" >&2
	exit 2
fi
if [ "${BENCH_USRBIN_NETNS:-}" != 1 ]; then
	exec env BENCH_USRBIN_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

SANDTRAP=$(realpath "$1")
export SANDTRAP
limit=${2:-0}
jobs=${BENCH_USRBIN_JOBS:-2}
if [ -n "${BENCH_USRBIN_DIR:-}" ]; then
	work=$BENCH_USRBIN_DIR
	mkdir -p "$work"
	: >"$work/results"
else
	work=$(mktemp -d /tmp/sandtrap-usrbin.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi

# The programs: regular files (after symlinks) in /usr/bin that are ELF or have a shebang.
progs=()
skipped=0
for p in /usr/bin/*; do
	[ -f "$p" ] || continue
	magic=$(head -c 4 "$p" 2>/dev/null | od -An -c | tr -d ' \n')
	case $magic in
	177ELF* | '#!'*) progs+=("$p") ;;
	*) skipped=$((skipped + 1)) ;;
	esac
	[ "$limit" -gt 0 ] && [ "${#progs[@]}" -ge "$limit" ] && break
done

start=$(date +%s%N)
for i in "${!progs[@]}"; do
	printf '%s\0%s\0%s\0' "$i" "${progs[$i]}" --help
	printf '%s\0%s\0%s\0' "$i" "${progs[$i]}" --version
done | xargs -0 -n 3 -P "$jobs" "$0" --one "$work"
end=$(date +%s%N)

total=$(wc -l <"$work/results")
count() { awk -v r="$1" '$1 == r' "$work/results" | wc -l; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? 100 * a / b : 0 }'; }
mal=$(count malicious) sus=$(count suspicious) cln=$(count clean) none=$(count none)
unsup=$(count unsupported) err=$(($(count error) + $(count copyfail)))
analysed=$((mal + sus + cln + none))
ms=$(((end - start) / 1000000))

echo "usrbin: ${#progs[@]} programs (${skipped} other files skipped), $total analyses in $((ms / 1000)).$((ms % 1000 / 100)) s, $jobs at a time"
echo "usrbin: $(awk -v m="$ms" -v n="${#progs[@]}" 'BEGIN { printf "%.0f", n ? m / n : 0 }') ms per program (two analyses), $(awk -v m="$ms" -v n="$total" 'BEGIN { printf "%.0f", n ? m / n : 0 }') ms per analysis"
printf 'usrbin: %-11s %6d  %6s %%\n' malicious "$mal" "$(pct "$mal" "$analysed")" \
	suspicious "$sus" "$(pct "$sus" "$analysed")" clean "$cln" "$(pct "$cln" "$analysed")" \
	"no verdict" "$none" "$(pct "$none" "$analysed")"
echo "usrbin: $unsup refused as unsupported, $err without a report"
flagged=$(awk '$1 == "malicious" || $1 == "suspicious"' "$work/results" | sort)
if [ -n "$flagged" ]; then
	echo "usrbin: not clean:"
	echo "$flagged" | sed 's/^/  /'
fi
[ -n "${BENCH_USRBIN_DIR:-}" ] && echo "usrbin: reports kept in $work"
exit 0
