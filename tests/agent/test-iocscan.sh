#!/bin/bash
# respond_ioc_scan over a temporary tree: copies and hard links are found, a symlink, a
# file past the depth limit, a look-alike of the same size, a FIFO and a file on another
# mount (a tmpfs in a mount namespace of the test's own) are not. TAP.
# Usage: test-iocscan.sh RESP_HELPER
set -u
helper=$1

work=$(mktemp -d /tmp/sandtrap-iocscan.XXXXXX)
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/../tap.sh"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

t=$work/tree
mkdir -p "$t/a/b/c/d" "$t/mnt" "$t/other"
head -c 50000 /dev/urandom >"$t/threat"
sha=$(sha256sum "$t/threat" | cut -d' ' -f1)
cp "$t/threat" "$t/a/b/c/d/copy"
ln "$t/threat" "$t/other/hardlink"
ln -s "$t/threat" "$t/a/symlink"
head -c 50000 /dev/urandom >"$t/a/lookalike"
mkfifo "$t/a/fifo"
deep=$t/deep
for _ in $(seq 70); do deep=$deep/d; done
mkdir -p "$deep"
cp "$t/threat" "$deep/too-deep"
truncate -s 200M "$t/a/sparse-big"

expected=$(printf '%s\n' "$t/a/b/c/d/copy" "$t/other/hardlink" "$t/threat" | sort)

timeout 60 "$helper" scan "$sha" "$t" >"$work/out"
status=$?
check "the scan ends (a FIFO does not block it)" test "$status" = 0
check "it counts three" grep -qx "found 3" "$work/out"
check "it names the copy, the hard link and the original, nothing else" \
	test "$(grep -v '^found ' "$work/out" | sort)" = "$expected"

upper=$(echo "$sha" | tr a-f A-F)
check "an upper-case sha256 is the same sha256" \
	bash -c "'$helper' scan '$upper' '$t/a' | grep -qx 'found 1'"
check "several roots" bash -c "'$helper' scan '$sha' '$t/a' '$t/other' | grep -qx 'found 2'"
check "a bad sha256 is refused" bash -c "! '$helper' scan 1234 '$t'"
check "a missing root is no match" bash -c "'$helper' scan '$sha' '$work/none' | grep -qx 'found 0'"

# a copy on another file system below the root: not crossed
unshare -m --propagation private bash -c "
	mount -t tmpfs -o size=1m none '$t/mnt' && cp '$t/threat' '$t/mnt/copy' &&
	'$helper' scan '$sha' '$t' >'$work/mnt-out' && test -f '$t/mnt/copy'"
check "the scan with a mount below the root ran" test -s "$work/mnt-out"
check "a copy on another mount is not searched" grep -qx "found 3" "$work/mnt-out"

echo "1..$n"
exit $((failed > 0))
