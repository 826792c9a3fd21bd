#!/bin/bash
# sandtrap analyze as a user runs it: object types, exit statuses, the report, the guest's
# look from inside, and that nothing is left behind. TAP. Usage: test-analyze.sh SANDTRAP
set -u
sandtrap=$1

if [ "${SANDTRAP_TEST_NETNS:-}" != 1 ]; then
	exec env SANDTRAP_TEST_NETNS=1 unshare --net -- "$0" "$@"
fi

work=$(mktemp -d /tmp/sandtrap-analyze.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/../tap.sh"
# run NAME [OPTIONS...] FILE: analyse, keep exit status in $status and report in $report
run() {
	local name=$1
	shift
	"$sandtrap" analyze --timeout 10 --report-dir "$work/r-$name" "$@" >"$work/$name.out" 2>"$work/$name.err"
	status=$?
	report="$work/r-$name/report.json"
}
jqr() { jq -e "$@" "$report"; }
out_has() { jq -e --arg s "$1" '.output.text | contains($s)' "$report"; }

# --- object types, decided by content ---
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$work/run.sh"
run png "$work/run.sh"
check "a PNG named run.sh is refused with exit status 2" test "$status" = 2
check "the refusal says 'unsupported object type'" grep -q "unsupported object type: PNG" "$work/png.err"
check "an unsupported object gets no report" test ! -e "$report"

printf 'just some text\n' >"$work/notes.txt"
run text "$work/notes.txt"
check "a text file without a shebang is unsupported" test "$status" = 2

printf '#!/bin/sh\necho shell-ran; id -u\n' >"$work/invoice.pdf"
run script "$work/invoice.pdf"
check "a harmless shell script named invoice.pdf runs and is clean (exit status 0)" test "$status" = 0
check "its output is captured" out_has "shell-ran"
check "the verdict is computed, clean, with the rules' version" jqr '.verdict.computed == true and .verdict.result == "clean" and (.verdict.rules_version | startswith("rules-"))'
check "the report has the top-level keys" jqr 'has("sha256") and has("verdict") and has("processes") and has("events") and has("network") and has("dropped")'
check "the summary gives the verdict" grep -q "^Verdict: clean" "$work/script.out"

run noverdict --no-verdict "$work/invoice.pdf"
check "--no-verdict analyses with exit status 3" test "$status" = 3
check "--no-verdict never says clean" jqr '.verdict.computed == false and .verdict.result == "none"'
check "--no-verdict's summary says it is not a clean verdict" grep -q "not a clean verdict" "$work/noverdict.out"

printf '#!/bin/sh\necho "*/5 * * * * root /tmp/.x" > /etc/cron.d/x\nrm -f /root/.bash_history\ncat /etc/shadow >/dev/null\n' >"$work/persist.sh"
run threat "$work/persist.sh"
check "a sample that persists through cron is a threat (exit status 1)" test "$status" = 1
check "its verdict names the cron technique with evidence in the timeline" jqr '(.verdict.techniques | index("T1053.003")) != null and ([.verdict.detections[] | select(.id == "ST-PERSIST-CRON") | .evidence[0]] | length == 1)'
check "the evidence points at the cron write in the timeline" jqr '.events[[.verdict.detections[] | select(.id == "ST-PERSIST-CRON") | .evidence[0]][0]].path == "/etc/cron.d/x"'

printf 'not a rule\n  - broken: [\n' >"$work/bad.yml"
mkdir -p "$work/badrules/behaviour" "$work/badrules/yara"
cp "$work/bad.yml" "$work/badrules/behaviour/bad.yml"
run badrules --rules "$work/badrules" "$work/invoice.pdf"
check "a broken rules database is refused with exit status 2" test "$status" = 2
check "the refusal names the file, line and column" grep -qE "bad.yml:[0-9]+:[0-9]+" "$work/badrules.err"

printf '#!/usr/bin/env python3\nimport os\nprint("py-ran", os.getuid())\n' >"$work/tool"
run python "$work/tool"
check "a python3 script runs" out_has "py-ran 0"
printf '#!/usr/bin/perl\nprint "perl-ran\\n";\n' >"$work/tool.pl"
run perl "$work/tool.pl"
check "a perl script runs" out_has "perl-ran"

printf '#include <stdio.h>\nint main(void){puts("static-ran");return 7;}\n' >"$work/s.c"
if cc -static -o "$work/static" "$work/s.c" 2>/dev/null; then
	chmod 0644 "$work/static"
	run static "$work/static"
	check "a static ELF runs and its exit code is reported" jqr '.analysis.main_exit_code == 7'
fi
cp /usr/bin/true "$work/true"
chmod 0644 "$work/true"
run dynamic "$work/true"
check "a dynamic ELF runs" jqr '.analysis.outcome == "exited" and .analysis.main_exit_code == 0'

# --- JSON mode ---
"$sandtrap" analyze --json --report-dir "$work/json" "$work/invoice.pdf" >"$work/json.out" 2>/dev/null
check "--json prints the full report on stdout" jq -e '.verdict.result == "clean" and .sha256 != null' "$work/json.out"

# --- the process tree, events, dropped files ---
cat >"$work/behave.sh" <<'SH'
#!/bin/bash
echo payload > /tmp/drop.bin
chmod 755 /tmp/drop.bin
sh -c 'exit 3'
mv /tmp/drop.bin /tmp/moved.bin
SH
run behave --arg first --arg "second arg" "$work/behave.sh"
check "the sample's arguments reach it" jqr '[.processes[] | select(.argv == ["/bin/bash", "/root/Downloads/behave.sh", "first", "second arg"])] | length == 1'
check "a child's exit status is in the process tree" jqr '[.processes[] | select(.exe == "/usr/bin/sh" or .exe == "/usr/bin/dash") | select(.exit_code == 3)] | length == 1'
check "the rename is an event" jqr '[.events[] | select(.type == "file_rename" and .path == "/tmp/drop.bin" and .path2 == "/tmp/moved.bin")] | length == 1'
check "the chmod is an event" jqr '[.events[] | select(.type == "file_chmod")] | length >= 1'
check "the dropped file is listed with its hash" jqr '[.dropped[] | select(.path == "/tmp/moved.bin" and .sha256 == "'"$(echo payload | sha256sum | cut -d' ' -f1)"'")] | length == 1'
check "the saved copy is not executable" bash -c "[ -z \"\$(find '$work/r-behave/dropped' -type f -perm /111)\" ] && [ -n \"\$(ls '$work/r-behave/dropped')\" ]"

# --- what the guest looks like from inside ---
cat >"$work/look.sh" <<'SH'
#!/bin/bash
echo "host=$(hostname)"
echo "tracer=$(awk '/TracerPid/ { print $2 }' /proc/self/status)"
echo "preload=${LD_PRELOAD:-none}"
echo "init=$(tr '\0' ' ' </proc/1/cmdline | cut -c1-10)"
echo "owner=$(stat -c %U /usr/bin/true)"
test -f /home/dmitchell/.ssh/id_rsa && echo "has-ssh-key"
test -e /work && echo "sees-host-work"
ls / | tr '\n' ' '; echo
echo x > /etc/cron.d/guest-test && echo "etc-writable"
ip -o -4 addr show eth0 | awk '{ print "eth0=" $4 }'
SH
run look "$work/look.sh"
check "the hostname does not say sandbox" bash -c "jq -r .output.text '$report' | grep '^host=' | grep -vqi sandbox"
check "no tracer is visible" out_has "tracer=0"
check "no LD_PRELOAD" out_has "preload=none"
check "pid 1 is /sbin/init" out_has "init=/sbin/init"
check "the image's files are owned by root" out_has "owner=root"
check "the user home has ssh keys" out_has "has-ssh-key"
check "the host's /work is not visible" jq -e '.output.text | contains("sees-host-work") | not' "$report"
check "guest root can write /etc (inside the guest only)" out_has "etc-writable"
check "the guest has an eth0" out_has "eth0=10.0.2.15/24"
check "the host's /etc/cron.d is untouched" test ! -e /etc/cron.d/guest-test

run look-user --user "$work/look.sh"
check "--user cannot write /etc" jq -e '.output.text | contains("etc-writable") | not' "$report"
printf '#!/bin/sh\nid -u\n' >"$work/uid.sh"
run uid-user --user "$work/uid.sh"
check "--user runs the sample as uid 1000" out_has "1000"

# --- a prepared image (scripts/build-image), when one exists on this machine ---
image=${SANDTRAP_TEST_IMAGE:-/var/tmp/sandtrap-image}
if [ -x "$image/usr/bin/bash" ]; then
	printf '#!/bin/sh\ncat /etc/debian_version\nstat -c %%U /usr/bin/bash\n' >"$work/img.sh"
	run image --image "$image" "$work/img.sh"
	check "--image runs the sample on the prepared image" out_has "$(cat "$image/etc/debian_version")"
	check "--image shows the image's files with their owners" out_has "root"
fi

# --- nothing left behind ---
check "no guest mount is left on the host" bash -c "! grep -q /run/sandtrap/guest /proc/self/mountinfo"
check "the repository's samples carry no exec bit" bash -c "[ -z \"\$(find '$(dirname "$0")/../../samples' -type f -perm /111)\" ]"

echo "1..$n"
[ "$failed" = 0 ]
