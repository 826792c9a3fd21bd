#!/bin/bash
# The quarantine as an administrator meets it: a file quarantined the agent's way (the
# helper calls quarantine_add), then `sandtrap quarantine list|show|restore|delete` with
# a temporary state directory. Restored files are compared byte for byte and stat for
# stat. TAP.
# Usage: test-quarantine-cli.sh RESP_HELPER SANDTRAP
set -u
helper=$1
sandtrap=$2

work=$(mktemp -d /tmp/sandtrap-qcli.XXXXXX)
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/../tap.sh"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

state=$work/state
q() { "$sandtrap" quarantine "$@" --state "$state"; }
mkdir "$work/files"
f=$work/files/evil
cp /bin/true "$f"
cp "$f" "$work/original"
chown 1234:5678 "$f"
chmod 4751 "$f"
touch -d "2021-03-04 05:06:07.123456789" "$f"
sha=$(sha256sum "$f" | cut -d' ' -f1)
stat -c '%u %g %a %s %y' "$f" >"$work/stat-before"

fails() { ! "$@" 2>/dev/null; }
show_has() { q show "$id" | grep -q "$1"; }
magic() { head -c 4 "$1" | od -An -tx1 | tr -d ' '; }
help_is() { "$sandtrap" quarantine "$@" --help | grep -q "^Usage: sandtrap quarantine ${1-}"; }
date_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4}'

id=$("$helper" qadd "$state/quarantine" "$f" "$sha" "Linux.Trojan.Test")
bin=$state/quarantine/$id.bin
check "quarantine_add gives an id" test "${#id}" = 32
check "the original is gone" test ! -e "$f"
check "the quarantine directory is 0700" test "$(stat -c %a "$state/quarantine")" = 700
check "the stored file is 0600 and root's" test "$(stat -c '%a %u' "$bin")" = "600 0"
check "the stored file is not the original" fails cmp -s "$work/original" "$bin"
check "the stored file is not an ELF file" test "$(magic "$bin")" != 7f454c46

q list >"$work/list"
check "list names the entry" grep -q "^$id " "$work/list"
check "list shows the threat and the path" grep -q "Linux.Trojan.Test  *$f\$" "$work/list"
check "list shows a local ISO date" grep -qE "^$id  $date_re " "$work/list"
q list --json >"$work/list.json"
check "list --json is an array of one" jq -e 'length == 1' "$work/list.json"
check "list --json has the sha256, owner and mode" jq -e --arg s "$sha" \
	'.[0].sha256 == $s and .[0].uid == 1234 and .[0].gid == 5678 and .[0].mode == 2537' \
	"$work/list.json"
check "show has the sha256" show_has "^sha256: *$sha\$"
check "show has the mode" show_has '^mode: *4751$'
q show "$id" --json >"$work/show.json"
check "show --json has the path" jq -e --arg p "$f" '.path == $p' "$work/show.json"

check "restore" q restore "$id"
check "the restored file is byte-identical" cmp "$work/original" "$f"
stat -c '%u %g %a %s %y' "$f" >"$work/stat-after"
check "owner, mode, size and mtime (ns) are restored" cmp "$work/stat-before" "$work/stat-after"
check "the entry is gone after the restore" test -z "$(q list --json | jq '.[]')"
check "restoring it again fails" fails q restore "$id"

id=$("$helper" qadd "$state/quarantine" "$f" "" "Linux.Trojan.Test")
echo "someone else's file" >"$f"
q restore "$id" 2>"$work/err"
status=$?
check "restore refuses to replace an existing file" test "$status" = 1
check "and says so" grep -q "exists" "$work/err"
check "the existing file is untouched" grep -q "someone else" "$f"
check "restore --to another path" q restore "$id" --to "$work/files/restored"
check "which is byte-identical" cmp "$work/original" "$work/files/restored"

id=$("$helper" qadd "$state/quarantine" "$work/files/restored")
printf 'x' | dd of="$state/quarantine/$id.bin" bs=1 seek=100 conv=notrunc status=none
q restore "$id" 2>"$work/err"
status=$?
check "a tampered entry is not restored" test "$status" = 1
check "no file appears at its path" test ! -e "$work/files/restored"
check "delete" q delete "$id"
check "the quarantine is empty" test -z "$(ls -A "$state/quarantine")"
check "deleting it again fails" fails q delete "$id"
check "a malformed id is refused" fails q show ../../x

for sub in list show restore delete; do
	check "quarantine $sub --help" help_is "$sub"
done
check "quarantine --help" help_is
check "--to is for restore only" fails q list --to x
check "the empty quarantine lists as a header" test "$(q list | wc -l)" = 1

echo "1..$n"
exit $((failed > 0))
