#!/bin/bash
# sandtrapd's figures against issue 4's targets, each beside its target and the ratio:
#   lookups   GET /api/v1/verdicts/{sha256} over keep-alive (wrk), next to nginx serving a
#             static file of the same size on another loopback port (the ceiling)
#   latency   submission to verdict of a sample that exits at once (median of RUNS)
#   rate      detonations per minute of short samples on this machine's cores
#   rss       the idle server's memory (sandtrapd and its children, RSS and PSS)
# Usage: bench-server.sh SANDTRAPD SANDTRAP [PART...]   (default: every part)
# Environment: BENCH_RUNS (latency runs, 20), BENCH_BATCH (rate samples, 60),
# BENCH_SECONDS (wrk duration, 5), BENCH_CONNS (wrk connections, 64).
set -u
sandtrapd=$1
sandtrap=$2
shift 2
parts=${*:-lookups latency rate rss}
runs=${BENCH_RUNS:-20}
batch=${BENCH_BATCH:-60}
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-64}

work=$(mktemp -d /tmp/sandtrap-bench-server.XXXXXX)
chmod 0755 "$work" # the server's unprivileged user walks through to its data directory
data="$work/data"
pid=
nginx_pid=
cleanup() {
	[ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

for tool in wrk nginx curl jq python3; do
	command -v "$tool" >/dev/null || { echo "bench-server: $tool is missing (scripts/install-deps)"; exit 2; }
done
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ms() { echo $(($(date +%s%N) / 1000000)); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# result NAME MEASURED UNIT TARGET higher|lower
result() {
	local ok=met
	if [ "$5" = higher ]; then
		awk -v a="$2" -v b="$4" 'BEGIN { exit !(a >= b) }' || ok=MISSED
	else
		awk -v a="$2" -v b="$4" 'BEGIN { exit !(a <= b) }' || ok=MISSED
	fi
	printf '%-34s %12s %-10s target %s %s %-8s ratio %s  %s\n' "$1" "$2" "$3" \
		"$([ "$5" = higher ] && echo '>=' || echo '<=')" "$4" "$3" "$(ratio "$2" "$4")" "$ok"
}

port=$(free_port)
base="http://127.0.0.1:$port"
"$sandtrap" token create --data "$data" --role admin >"$work/token" 2>"$work/token.err" ||
	{ cat "$work/token.err"; exit 2; }
token=$(cat "$work/token")
auth="Authorization: Bearer $token"
"$sandtrapd" --listen "127.0.0.1:$port" --data "$data" --foreground --timeout 10 \
	>"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$base/metrics" >/dev/null 2>&1 && break; sleep 0.1; done

# submit FILE: prints the submission id
submit() {
	curl -s -H "$auth" --data-binary @"$1" "$base/api/v1/submissions?timeout=10" | jq -r .id
}
status_of() { curl -s -H "$auth" "$base/api/v1/submissions/$1" | jq -r .status; }
wait_done() {
	local s
	while :; do
		s=$(status_of "$1")
		[ "$s" = done ] || [ "$s" = failed ] && return 0
		sleep 0.02
	done
}
sample() { printf '#!/bin/sh\nexit 0\n# %s %s\n' "$1" "$work" >"$work/s.sh"; }

# mem_kib Rss|Pss: the sum over sandtrapd and its descendants. Rss counts a page shared
# by the two processes (a library's) in each; Pss splits it between them.
mem_kib() {
	local total=0 p
	for p in $pid $(pgrep -P "$pid") $(pgrep -P "$pid" | xargs -r -n1 pgrep -P); do
		total=$((total + $(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
idle_pss=$(mem_kib Pss)
idle_rss=$(mem_kib Rss)

part_lookups() {
	local sha id size nport rps_s rps_n err
	sample lookup
	id=$(submit "$work/s.sh")
	wait_done "$id"
	sha=$(sha256sum "$work/s.sh" | cut -d' ' -f1)
	curl -s -H "$auth" "$base/api/v1/verdicts/$sha" >"$work/verdict.json"
	size=$(stat -c %s "$work/verdict.json")

	mkdir -p "$work/nginx/www" "$work/nginx/tmp"
	cp "$work/verdict.json" "$work/nginx/www/verdict.json"
	chmod -R a+rX "$work/nginx"
	nport=$(free_port)
	cat >"$work/nginx/nginx.conf" <<-EOF
		daemon off;
		master_process on;
		worker_processes 2;
		pid $work/nginx/nginx.pid;
		error_log $work/nginx/error.log;
		events { worker_connections 4096; }
		http {
			access_log off;
			client_body_temp_path $work/nginx/tmp/body;
			proxy_temp_path $work/nginx/tmp/proxy;
			fastcgi_temp_path $work/nginx/tmp/fastcgi;
			uwsgi_temp_path $work/nginx/tmp/uwsgi;
			scgi_temp_path $work/nginx/tmp/scgi;
			keepalive_requests 1000000;
			default_type application/json;
			server { listen 127.0.0.1:$nport; root $work/nginx/www; }
		}
	EOF
	nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
	nginx_pid=$!
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:$nport/verdict.json" >/dev/null && break; sleep 0.1; done

	wrk -t2 -c"$conns" -d"${secs}s" -H "$auth" "$base/api/v1/verdicts/$sha" >"$work/wrk-s.txt"
	wrk -t2 -c"$conns" -d"${secs}s" -H "$auth" "http://127.0.0.1:$nport/verdict.json" \
		>"$work/wrk-n.txt"
	kill -TERM "$nginx_pid"; wait "$nginx_pid" 2>/dev/null; nginx_pid=
	rps_s=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$work/wrk-s.txt")
	rps_n=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$work/wrk-n.txt")
	err=$(grep -E 'Non-2xx|Socket errors' "$work/wrk-s.txt" | tr -s ' ' | tr '\n' ';')
	echo "lookups: $conns keep-alive connections, 2 wrk threads, ${secs}s each, answer $size bytes"
	result "verdict lookups (sandtrapd)" "$rps_s" "req/s" 30000 higher
	echo "  nginx, same size static file:    $rps_n req/s (sandtrapd / nginx = $(ratio "$rps_s" "$rps_n"))${err:+  errors: $err}"
}

part_latency() {
	local i t0 id
	: >"$work/lat.txt"
	for i in $(seq "$runs"); do
		sample "latency $i"
		t0=$(ms)
		id=$(submit "$work/s.sh")
		wait_done "$id"
		echo $(($(ms) - t0)) >>"$work/lat.txt"
		[ "$(status_of "$id")" = done ] || echo "  run $i: submission $id failed"
	done
	sort -n "$work/lat.txt" -o "$work/lat.txt"
	local med=$(awk '{ a[NR] = $1 } END { m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m / 1000 }' "$work/lat.txt")
	echo "latency: $runs submissions one after the other, min $(head -1 "$work/lat.txt") ms, max $(tail -1 "$work/lat.txt") ms"
	result "submission to verdict (median)" "$med" "s" 1.0 lower
}

part_rate() {
	local i t0 el ids=() done_n=0
	t0=$(ms)
	for i in $(seq "$batch"); do
		sample "rate $i"
		ids+=("$(submit "$work/s.sh")")
	done
	for id in "${ids[@]}"; do
		wait_done "$id"
		if [ "$(status_of "$id")" = done ]; then
			done_n=$((done_n + 1))
		else
			echo "  submission $id failed: $(curl -s -H "$auth" "$base/api/v1/submissions/$id" | jq -r .error)"
		fi
	done
	el=$(($(ms) - t0))
	echo "rate: $batch short samples queued at once, $done_n done in $el ms on $(nproc) cores"
	result "detonations per minute" "$(awk -v n="$done_n" -v t="$el" 'BEGIN { printf "%d", n * 60000 / t }')" \
		"/min" 120 higher
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
part_rss() {
	result "idle memory at start (sum of RSS)" "$(mib "$idle_rss")" MiB 30 lower
	echo "  the same as a sum of PSS (a shared page split between processes): $(mib "$idle_pss") MiB"
	sleep 1
	result "idle memory after the other parts (RSS)" "$(mib "$(mem_kib Rss)")" MiB 30 lower
	echo "  the same as a sum of PSS: $(mib "$(mem_kib Pss)") MiB"
}

echo "sandtrapd benchmark on $(nproc) cores ($(date -u +%FT%TZ))"
for p in $parts; do "part_$p"; done
