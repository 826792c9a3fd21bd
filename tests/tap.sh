# Shared by the shell test suites: TAP checks, a free loopback port, starting sandtrapd and
# talking to it, and the test for guest cgroups left behind. Sourced, never run.

n=0
failed=0

# check DESCRIPTION COMMAND...: one TAP line; COMMAND's output is not shown.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=$((failed + 1)); fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The sandtrapd helpers use the caller's $sandtrapd (the binary), $port, $base
# (http://127.0.0.1:$port) and $work (a directory: server.log, body).

# sandtrapd_wait [URL]: until the server on URL (default $base) answers, for at most 10 s.
# An https URL is not checked against a CA (a self-signed certificate is the point).
sandtrapd_wait() {
	local url=${1:-$base}
	for _ in $(seq 100); do
		curl -fks "$url/metrics" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# sandtrapd_start OPTION...: a server in the foreground on $port, logging to
# $work/server.log, its pid in $pid; returns when it answers.
sandtrapd_start() {
	"$sandtrapd" --listen "127.0.0.1:$port" --foreground "$@" >>"$work/server.log" 2>&1 &
	pid=$!
	sandtrapd_wait
}

# http METHOD PATH TOKEN [curl args...]: status in $code, body in $work/body
http() {
	local method=$1 path=$2 token=$3
	shift 3
	code=$(curl -s -o "$work/body" -w '%{http_code}' -X "$method" \
		${token:+-H "Authorization: Bearer $token"} "$@" "$base$path")
}
code_is() { test "$code" = "$1"; }
body_has() { jq -e "$@" "$work/body"; }

# Other suites may be analysing at the same time: a guest cgroup is left behind only when
# the process that made it (sandtrap-PID-N) is gone.
no_orphan_cgroups() {
	local d p
	for d in /sys/fs/cgroup/unified/sandtrap-* /sys/fs/cgroup/sandtrap-* /sys/fs/cgroup/*/sandtrap-* \
		/sys/fs/cgroup/sandtrap.guests/sandtrap-*; do
		[ -d "$d" ] || continue
		p=${d##*/sandtrap-}
		p=${p%%-*}
		[ -d "/proc/$p" ] || return 1
	done
	return 0
}
