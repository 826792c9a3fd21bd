#!/bin/bash
# Determinism: each of the given labelled samples is analysed N times in the guest and must
# get the same verdict, score, threat name and techniques every time. TAP output.
#
# Usage: run-repeat.sh SANDTRAP BUILD_DIR SAMPLES_DIR N PATH...
# Runs in a network namespace of its own, like run-samples.sh.
set -u

if [ $# -lt 5 ]; then
	echo "usage: $0 SANDTRAP BUILD_DIR SAMPLES_DIR N PATH..." >&2
	exit 2
fi
if [ "${SANDTRAP_SAMPLES_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_SAMPLES_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/samples.py" repeat "$@"
