# Shared by the shell test suites: TAP checks, a free loopback port, and the test for guest
# cgroups left behind. Sourced, never run.

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
