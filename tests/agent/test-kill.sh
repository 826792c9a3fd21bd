#!/bin/bash
# respond_kill on processes this test starts from copies of /bin/sleep and a script in a
# temporary directory: the object's processes and their descendants die, an unrelated
# sleeper (same binary as the victims' children) lives. TAP.
# Usage: test-kill.sh RESP_HELPER
set -u
helper=$1

work=$(mktemp -d /tmp/sandtrap-kill.XXXXXX)
started=()
cleanup() {
	local p
	for p in "${started[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/../tap.sh"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

# dead PID: gone, or a zombie waiting for its parent
dead() {
	[ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}
all_dead() {
	local p
	for p in "$@"; do dead "$p" || return 1; done
}
# wait_exe PID PATH: until PID has exec'd PATH (a fork of the shell is bash for a moment)
wait_exe() {
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_lines() {
	for _ in $(seq 100); do
		[ "$(wc -l <"$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

cp /bin/sleep "$work/evil"
cp /bin/sleep "$work/other"
cp "$helper" "$work/helper"
cat >"$work/tree.sh" <<'SCRIPT'
#!/bin/bash
"$1/other" 1000 &
echo $! >>"$1/tree.pids"
( "$1/other" 1000 & echo $! >>"$1/tree.pids"; wait ) &
echo $! >>"$1/tree.pids"
wait
SCRIPT
chmod 0755 "$work/tree.sh"
cat >"$work/forker.sh" <<'SCRIPT'
#!/bin/bash
for _ in $(seq 300); do
	"$1/other" 1000 &
	echo $! >>"$1/fork.pids"
	sleep 0.01
done
wait
SCRIPT
chmod 0755 "$work/forker.sh"

# running PATH: pids whose executable is PATH
running() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/exe" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
	done
}

# --- by executable: two processes running the object ---
"$work/evil" 1000 &
e1=$!
"$work/evil" 1000 &
e2=$!
"$work/other" 1000 &
bystander=$!
started+=("$e1" "$e2" "$bystander")
wait_exe "$e1" "$work/evil"
wait_exe "$e2" "$work/evil"
wait_exe "$bystander" "$work/other"
out=$("$helper" kill "$work/evil")
check "the two processes running the object are reported killed" test "$out" = "killed 2"
wait "$e1"
s1=$?
wait "$e2"
s2=$?
check "the first was killed by SIGKILL" test "$s1" = 137
check "the second was killed by SIGKILL" test "$s2" = 137
check "an unrelated sleeper lives" kill -0 "$bystander"

# --- by script: the interpreter holding it open, its children and grandchild ---
"$work/tree.sh" "$work" &
tree=$!
started+=("$tree")
wait_lines "$work/tree.pids" 3
mapfile -t kids <"$work/tree.pids"
started+=("${kids[@]}")
check "the script started its tree" test "${#kids[@]}" = 3
out=$("$helper" kill "$work/tree.sh")
check "the interpreter and its three descendants are reported killed" test "$out" = "killed 4"
wait "$tree"
check "the interpreter was killed by SIGKILL" test $? = 137
check "its children and grandchild are dead" all_dead "${kids[@]}"
check "the unrelated sleeper still lives" kill -0 "$bystander"

# --- by pid: a tree given by its root's pid ---
rm -f "$work/tree.pids"
"$work/tree.sh" "$work" &
tree=$!
started+=("$tree")
wait_lines "$work/tree.pids" 3
mapfile -t kids <"$work/tree.pids"
started+=("${kids[@]}")
out=$("$helper" kill - "$tree")
check "a pid and its descendants are killed" test "$out" = "killed 4"
wait "$tree"
check "the given pid was killed by SIGKILL" test $? = 137
check "the given pid's descendants are dead" all_dead "${kids[@]}"

# --- a script forking while it is killed: nothing escapes ---
"$work/forker.sh" "$work" &
forker=$!
started+=("$forker")
wait_lines "$work/fork.pids" 20
out=$("$helper" kill "$work/forker.sh")
wait "$forker"
check "a script that keeps forking is killed" test $? = 137
mapfile -t kids <"$work/fork.pids"
started+=("${kids[@]}")
check "every child it had started is dead" all_dead "${kids[@]}"
check "no process of its binary is left but the unrelated one" \
	test "$(running "$work/other" | grep -vx "$bystander" | while read -r p; do
		dead "$p" || echo "$p"; done)" = ""

# --- the caller itself runs the object: it is spared ---
out=$("$work/helper" kill "$work/helper")
status=$?
check "the calling process is never killed, even running the object" \
	test "$status:$out" = "0:killed 0"
check "a pid that is not there is tolerated" "$helper" kill - 999999999
check "the unrelated sleeper survived everything" kill -0 "$bystander"

kill -KILL "$bystander"
wait "$bystander" 2>/dev/null
echo "1..$n"
exit $((failed > 0))
