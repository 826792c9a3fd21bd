#!/bin/bash
# The labelled sample corpus: every sample in samples/manifest.yml is analysed in the guest
# and its report checked against its label. TAP output.
#
# Usage: run-samples.sh SANDTRAP BUILD_DIR SAMPLES_DIR [SUBSTRING]
#   BUILD_DIR    holds the compiled C samples as samples/CLASS-NAME (samples/meson.build)
#   SUBSTRING    optional: only the samples whose path contains it
# Environment: SANDTRAP_SAMPLES_JOBS analyses at once (default 2),
#              SANDTRAP_SAMPLES_KEEP=DIR keeps every report under DIR.
#
# For each sample: "ran in the guest" (a report exists and its outcome is exited or
# timeout); then, only when the report's verdict.computed is true, the verdict equals the
# label and the labelled ATT&CK techniques are a subset of verdict.techniques. While no
# detection engine rules, those two are reported as "# SKIP no detection engine yet".
#
# Samples are never run on the host: each is copied with mode 0644 into a temporary
# directory and handed to `sandtrap analyze`. The whole run happens in a network namespace
# of its own (re-executed under `unshare --net`), so nothing can leave this machine.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 SANDTRAP BUILD_DIR SAMPLES_DIR [SUBSTRING]" >&2
	exit 2
fi
if [ "${SANDTRAP_SAMPLES_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_SAMPLES_NETNS=1 unshare --net -- "$0" "$@"
fi
ip link set lo up

here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/samples.py" run "$@"
