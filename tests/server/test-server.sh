#!/bin/bash
# sandtrapd as users and agents see it: a real server on 127.0.0.1 with a random free port
# and a temporary data directory, driven with the sandtrap CLI and curl. TAP.
# Usage: test-server.sh SANDTRAPD SANDTRAP SOURCE_ROOT
set -u
sandtrapd=$1
sandtrap=$2
src=$3

work=$(mktemp -d /tmp/sandtrap-server.XXXXXX)
chmod 0755 "$work" # the server's unprivileged user walks through to its data directory
data="$work/data"
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/../tap.sh"


start() {
	sandtrapd_start --data "$data" --slots 2 --max-object 65536 --timeout 10 \
		--connection-timeout 2 "$@"
}
json_error() { jq -e '.error | type == "string"' "$work/body"; }

# Waits for a submission to reach done or failed; its JSON ends in $work/sub.json.
wait_done() {
	for _ in $(seq 300); do
		curl -s -H "Authorization: Bearer $admin" "$base/api/v1/submissions/$1" >"$work/sub.json"
		jq -e '.status == "done" or .status == "failed"' "$work/sub.json" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
wait_status() {
	for _ in $(seq 200); do
		curl -s -H "Authorization: Bearer $admin" "$base/api/v1/submissions/$1" |
			jq -e --arg s "$2" '.status == $s' >/dev/null && return 0
		sleep 0.05
	done
	return 1
}
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

port=$(free_port)
base="http://127.0.0.1:$port"

# --- refusals before anything starts ---
"$sandtrapd" --listen "0.0.0.0:$port" --data "$data" --foreground >"$work/public.log" 2>&1
status=$?
check "plain HTTP on a non-loopback address is refused" test "$status" != 0
check "the refusal says to give a certificate" grep -q "refusing plain HTTP" "$work/public.log"
check "the refused server did not listen" bash -c "! curl -s --max-time 1 $base/metrics"

hidden=$(mktemp -d /tmp/sandtrap-hidden.XXXXXX) # 0700: the service user cannot enter
timeout 20 "$sandtrapd" --listen "127.0.0.1:$port" --data "$hidden/data" --foreground \
	>"$work/hidden.log" 2>&1
status=$?
rm -rf "$hidden"
check "a data directory the service user cannot reach: exit status not 0" \
	test "$status" != 0 -a "$status" != 124
check "and the error says why" grep -q "must be searchable" "$work/hidden.log"

admin=$("$sandtrap" token create --data "$data" --role admin)
analyst=$("$sandtrap" token create --data "$data" --role analyst)
agent=$("$sandtrap" token create --data "$data" --role agent)
check "token create prints a 64-digit token" bash -c "[[ '$agent' =~ ^[0-9a-f]{64}$ ]]"
check "the data directory keeps only the token's hash" \
	bash -c "! grep -rqa '$agent' '$data'"

check "sandtrapd starts on 127.0.0.1 with a random port" start
check "the data directory is private (0700)" test "$(stat -c %a "$data")" = 700
http_pid=$(pgrep -P "$pid" -f sandtrapd | head -1)
check "the HTTP process is a child of the privileged one" test -n "$http_pid"
check "the HTTP process does not run as uid 0" \
	bash -c "awk '/^Uid:/ { exit !(\$2 != 0 && \$3 != 0 && \$4 != 0 && \$5 != 0) }' /proc/$http_pid/status"
check "the HTTP process has no supplementary groups" \
	bash -c "awk '/^Groups:/ { exit NF != 1 }' /proc/$http_pid/status"
check "the HTTP process cannot gain privileges" \
	bash -c "awk '/^NoNewPrivs:/ { exit \$2 != 1 }' /proc/$http_pid/status"
check "the listening socket belongs to the HTTP process" \
	bash -c "ss -ltnp 'sport = :$port' | grep -q 'pid=$http_pid,'"

# --- authentication and roles ---
http GET /api/v1/status ""
check "no token: 401" code_is 401
check "401 comes with a JSON error" json_error
http GET /api/v1/status "0000000000000000000000000000000000000000000000000000000000000000"
check "an unknown token: 401" code_is 401
http GET /api/v1/status "" -H "Authorization: Basic YWRtaW46YWRtaW4="
check "Basic instead of Bearer: 401" code_is 401
http GET /api/v1/status "$agent"
check "an agent token on the analyst status: 403 with a JSON error" \
	bash -c "test $code = 403 && jq -e .error '$work/body'"

# --- revocation: list shows an ID, revoke takes it or the token, the server follows ---
spare=$("$sandtrap" token create --data "$data" --role analyst)
spare2=$("$sandtrap" token create --data "$data" --role agent)
spare_id=$(printf '%s' "$spare" | sha256sum | cut -c1-16)
"$sandtrap" token list --data "$data" >"$work/tokens.txt"
check "token list shows each token's ID and role, never the token" \
	bash -c "grep -q '^$spare_id  analyst ' '$work/tokens.txt' && ! grep -q '$spare' '$work/tokens.txt'"
http GET /api/v1/status "$spare"
check "a token works before it is revoked (200)" code_is 200
check "token revoke by ID" "$sandtrap" token revoke --data "$data" "$spare_id"
revoked_401() { http GET /api/v1/status "$spare"; code_is 401; }
wait_revoked() { for _ in $(seq 70); do revoked_401 && return 0; sleep 0.1; done; return 1; }
check "the running server refuses it within 7 s (401)" wait_revoked
check "token revoke by the token itself" "$sandtrap" token revoke --data "$data" "$spare2"
check "revoking an unknown ID fails (exit 1)" \
	bash -c "! '$sandtrap' token revoke --data '$data' 0123456789abcdef"
check "an ID shorter than 8 digits is refused" \
	bash -c "! '$sandtrap' token revoke --data '$data' 0123"
http GET /api/v1/status "$analyst"
check "the other tokens still work" code_is 200
http POST /api/v1/tokens "$agent" --data '{"role":"admin"}'
check "an agent token cannot create tokens (admin only): 403" code_is 403
http POST /api/v1/tokens "$analyst" --data '{"role":"admin"}'
check "an analyst token cannot create tokens: 403" code_is 403
http POST /api/v1/tokens "$admin" --data '{"role":"agent"}'
check "an admin creates an agent token: 201" code_is 201
new_token=$(jq -r .token "$work/body")
http GET /api/v1/verdicts/0000000000000000000000000000000000000000000000000000000000000000 "$new_token"
check "the new token works" code_is 404
http GET /metrics ""
check "/metrics needs no token by default" code_is 200
check "/metrics is Prometheus text" grep -q '^# TYPE sandtrap_submissions gauge' "$work/body"
http GET /api/v1/status "$analyst"
check "status: node, version, slots, queue, rules, uptime" \
	body_has '.node and .version and .slots_total == 2 and .slots_busy >= 0 and .queue_depth >= 0 and (.rules_version | startswith("rules-")) and .uptime >= 0'

# --- malformed input: 4xx with a JSON error ---
http GET /api/v1/verdicts/0000000000000000000000000000000000000000000000000000000000000000 "$agent"
check "an unknown sha256: 404 with a JSON error" bash -c "test $code = 404 && jq -e .error '$work/body'"
http GET /api/v1/verdicts/not-a-hash "$agent"
check "a malformed sha256: 400" bash -c "test $code = 400 && jq -e .error '$work/body'"
http GET /api/v1/submissions/abc "$agent"
check "a malformed submission id: 400" code_is 400
http GET /api/v1/submissions/99999 "$agent"
check "an unknown submission: 404" code_is 404
http GET /api/v1/nothing "$admin"
check "an unknown endpoint: 404 with a JSON error" bash -c "test $code = 404 && jq -e .error '$work/body'"
http DELETE /api/v1/status "$admin"
check "a wrong method: 405" code_is 405
http POST /api/v1/submissions "$agent" --data-binary ''
check "an empty submission: 400" code_is 400
http POST "/api/v1/submissions?priority=urgent" "$agent" --data-binary 'x'
check "a bad priority: 400" code_is 400
http POST "/api/v1/submissions?timeout=0" "$agent" --data-binary 'x'
check "a bad timeout: 400" code_is 400
http POST /api/v1/tokens "$admin" --data '{"role": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}'
check "a token request nested too deep: 400" code_is 400
http POST /api/v1/tokens "$admin" --data 'not json'
check "a token request that is not JSON: 400" bash -c "test $code = 400 && jq -e .error '$work/body'"

# --- limits ---
head -c 70000 /dev/zero >"$work/big"
http POST /api/v1/submissions "$agent" --data-binary "@$work/big"
check "a body over --max-object: 413 with a JSON error" \
	bash -c "test $code = 413 && jq -e .error '$work/body'"
http POST /api/v1/submissions "$agent" --data-binary "@$work/big" -H "Transfer-Encoding: chunked"
check "a chunked body over --max-object: 413" code_is 413
check "the server still answers after the refusals" curl -fs "$base/metrics"
# A client that sends half a request and stalls is cut off after --connection-timeout.
slow_client() {
	local start=$SECONDS
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&3
	timeout 10 cat <&3 >/dev/null
	exec 3<&-
	test $((SECONDS - start)) -le 6
}
check "a client that stalls mid-request is cut off" slow_client

# --- submissions, verdicts, reports ---
"$sandtrap" submit --server "$base" --token "$agent" --wait "$src/samples/demo/dropper.sh" \
	>"$work/dropper.out" 2>"$work/dropper.err"
status=$?
check "submit --wait of the demo dropper: a threat (exit status 1)" test "$status" = 1
check "submit --wait showed the progress to done" grep -q "done" "$work/dropper.err"
check "the verdict is printed with its threat" grep -qE "^Verdict: (suspicious|malicious)" "$work/dropper.out"
dropper_id=$(sed -n 's/^submission \([0-9]*\):.*/\1/p' "$work/dropper.err")
dropper_sha=$(sha256sum "$src/samples/demo/dropper.sh" | cut -d' ' -f1)

printf '#!/bin/sh\necho hello from a clean script\n' >"$work/clean.sh"
SANDTRAP_SERVER=$base SANDTRAP_TOKEN=$agent "$sandtrap" submit --wait "$work/clean.sh" \
	>"$work/clean.out" 2>"$work/clean.err"
status=$?
check "submit --wait of a clean script (env for server and token): exit status 0" test "$status" = 0
check "its verdict is clean" grep -q "^Verdict: clean" "$work/clean.out"
clean_id=$(sed -n 's/^submission \([0-9]*\):.*/\1/p' "$work/clean.err")
check "submit --wait prints each step: queued -> running -> scoring -> done" \
	grep -q "^queued -> running -> scoring -> done$" "$work/clean.err"

# --- the scoring phase: the detonation has ended, the verdict is being made ---
# Judging and keeping 48 MB of dropped files (hashes, YARA, the store) takes long enough to
# be seen.
printf '#!/bin/sh\nfor i in 1 2 3; do head -c 16000000 /dev/urandom >/tmp/drop$i.bin; done\n' \
	>"$work/drops.sh"
http POST "/api/v1/submissions?timeout=30" "$agent" --data-binary "@$work/drops.sh"
drops_id=$(jq -r .id "$work/body")
watch_phases() {
	local p
	for _ in $(seq 1500); do
		p=$(curl -s -H "Authorization: Bearer $agent" "$base/api/v1/submissions/$drops_id" |
			jq -r .phase)
		echo "$p"
		[ "$p" = done ] || [ "$p" = failed ] && return 0
		sleep 0.02
	done
}
watch_phases | uniq >"$work/phases.txt"
echo "# phases seen: $(tr '\n' ' ' <"$work/phases.txt")"
check "the submission's phase shows scoring while its verdict is made" \
	grep -qx scoring "$work/phases.txt"
check "the phases come in order and end in done" \
	bash -c "tr '\n' ' ' <'$work/phases.txt' | grep -qE '^(queued )?(running )?scoring done \$'"

http GET "/api/v1/submissions/$dropper_id" "$agent"
check "the submission is done with its verdict" \
	body_has '.status == "done" and (.verdict.verdict == "suspicious" or .verdict.verdict == "malicious") and .attempts == 1'
http GET "/api/v1/submissions/$dropper_id" "$new_token"
check "another agent cannot see that submission (404)" code_is 404
http GET "/api/v1/submissions/$dropper_id" "$analyst"
check "an analyst sees every submission" body_has '.status == "done"'
http GET "/api/v1/verdicts/$dropper_sha" "$agent"
check "the verdict lookup: verdict, threat, score, scanned_at, rules_version, fresh" \
	body_has '(.verdict | test("suspicious|malicious")) and (.threat | length > 0) and .score > 0 and .scanned_at > 0 and (.rules_version | startswith("rules-")) and .fresh == true'
"$sandtrap" lookup --server "$base" --token "$agent" "$src/samples/demo/dropper.sh" >/dev/null 2>&1
check "sandtrap lookup FILE: exit status 1 for a threat" test $? = 1
"$sandtrap" lookup --server "$base" --token "$agent" "$src/samples/demo/dropper.sh" \
	>"$work/lookup.out" 2>&1
check "lookup prints when it was scanned as a local ISO-8601 date-time" \
	grep -qE 'scanned at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4},' \
	"$work/lookup.out"
"$sandtrap" lookup --server "$base" --token "$agent" "$(sha256sum "$work/clean.sh" | cut -d' ' -f1)" >/dev/null 2>&1
check "sandtrap lookup SHA256: exit status 0 for clean" test $? = 0

http GET "/api/v1/submissions/$dropper_id/report" "$agent"
check "an agent cannot read reports: 403" code_is 403
http GET "/api/v1/submissions/$dropper_id/report" "$analyst"
check "the analyst reads the full JSON report" \
	body_has --arg s "$dropper_sha" '.sha256 == $s and (.events | length > 0) and .verdict.computed == true'
"$sandtrap" report --server "$base" --token "$analyst" --json "$clean_id" >"$work/report.json"
check "sandtrap report --json gives the clean script's report with its output" \
	jq -e '.output.text | contains("hello from a clean script")' "$work/report.json"
"$sandtrap" status --server "$base" --token "$analyst" >"$work/status.out"
check "sandtrap status shows the slots and the rules" grep -q "rules_version" "$work/status.out"
check "stored objects have no exec bits" \
	bash -c "test -n \"\$(find '$data/objects' -type f)\" && test -z \"\$(find '$data/objects' -type f -perm /111)\""

# --- artefacts: the files a sample dropped, kept and downloadable ---
cat >"$work/dropper2.sh" <<'SAMPLE'
#!/bin/sh
printf '#!/bin/sh\necho second stage\n' >/tmp/stage2.sh
chmod 0755 /tmp/stage2.sh
printf '<html><script>alert(1)</script></html>\n' >/tmp/page.html
SAMPLE
stage2_sha=$(printf '#!/bin/sh\necho second stage\n' | sha256sum | cut -d' ' -f1)
page_sha=$(printf '<html><script>alert(1)</script></html>\n' | sha256sum | cut -d' ' -f1)
http POST /api/v1/submissions "$agent" --data-binary "@$work/dropper2.sh"
drop2_id=$(jq -r .id "$work/body")
check "a sample that drops two files is analysed" wait_done "$drop2_id"
http GET "/api/v1/submissions/$drop2_id/artefacts" "$agent"
check "an agent cannot list artefacts: 403" code_is 403
http GET "/api/v1/submissions/$drop2_id/artefacts" "$analyst"
check "the analyst lists them: sha256, size, guest path, saved" \
	body_has --arg s "$stage2_sha" --arg p "$page_sha" '
		any(.[]; .path == "/tmp/stage2.sh" and .sha256 == $s and .size == 28 and .saved)
		and any(.[]; .path == "/tmp/page.html" and .sha256 == $p and .saved)'
artefact_get() { # SHA256 OUTPUT: status in $code, headers in $work/headers
	code=$(curl -s -D "$work/headers" -o "$2" -w '%{http_code}' \
		-H "Authorization: Bearer $analyst" \
		"$base/api/v1/submissions/$drop2_id/artefacts/$1")
}
octet_stream() { grep -qi '^Content-Type: application/octet-stream' "$work/headers"; }
artefact_get "$stage2_sha" "$work/stage2.bin"
check "an artefact downloads (200) with exactly the dropped bytes" \
	test "$code:$(sha256sum <"$work/stage2.bin" | cut -d' ' -f1)" = "200:$stage2_sha"
check "as application/octet-stream" octet_stream
check "as an attachment named <sha256>.bin" \
	grep -qi "^Content-Disposition: attachment; filename=\"$stage2_sha.bin\"" "$work/headers"
check "with X-Content-Type-Options: nosniff" \
	grep -qi '^X-Content-Type-Options: nosniff' "$work/headers"
artefact_get "$page_sha" /dev/null
check "an HTML artefact is an octet-stream attachment too, never text/html" \
	bash -c "test $code = 200 && ! grep -qi 'text/html' '$work/headers'"
check "(its Content-Type)" octet_stream
http GET "/api/v1/submissions/$drop2_id/artefacts/$dropper_sha" "$analyst"
check "a sha256 that is not this submission's artefact: 404" code_is 404
http GET "/api/v1/submissions/$drop2_id/artefacts/nothex" "$analyst"
check "a malformed artefact sha256: 400" code_is 400
check "the artefact is stored compressed, mode 0400" \
	test "$(stat -c %a "$data/objects/${stage2_sha:0:2}/$stage2_sha.gz")" = 400
check "it was executable in the guest, but is not in the store" \
	bash -c "zcat '$data/objects/${stage2_sha:0:2}/$stage2_sha.gz' | grep -q 'second stage'"
http POST /api/v1/submissions "$agent" --data-binary "@$work/dropper2.sh"
cached_id=$(jq -r .id "$work/body")
check "the same sample again is answered from the cache" body_has '.status == "done"'
http GET "/api/v1/submissions/$cached_id/artefacts" "$analyst"
check "and lists the artefacts of the analysis it was answered from" \
	body_has --arg s "$stage2_sha" 'any(.[]; .path == "/tmp/stage2.sh" and .sha256 == $s)'

# --- multipart uploads: the object in the field named file ---
printf '#!/bin/sh\necho uploaded as a form\n' >"$work/form.sh"
form_sha=$(sha256sum "$work/form.sh" | cut -d' ' -f1)
http POST /api/v1/submissions "$agent" -F "file=@$work/form.sh" -F note=ignored
check "a multipart upload (curl -F file=@...) is queued with the file's sha256" \
	body_has --arg s "$form_sha" '.status == "queued" and .sha256 == $s'
form_id=$(jq -r .id "$work/body")
check "and analysed from exactly the file's bytes" wait_done "$form_id"
http GET "/api/v1/submissions/$form_id/report" "$analyst"
check "its report shows the script's output" \
	body_has '.output.text | contains("uploaded as a form")'
http POST /api/v1/submissions "$agent" -F "other=@$work/form.sh"
check "a multipart body without a file field: 400 with a JSON error" \
	bash -c "test $code = 400 && jq -e .error '$work/body'"
http POST /api/v1/submissions "$agent" -F "file=@$work/form.sh" -F "file=@$work/clean.sh"
check "a multipart body with two file fields: 400" code_is 400
http POST /api/v1/submissions "$agent" -F "file=@$work/big"
check "a multipart file over --max-object: 413" code_is 413
http POST /api/v1/submissions "$agent" -H "Content-Type: multipart/form-data" --data-binary x
check "multipart without a boundary: 400" code_is 400
check "the server still answers after the multipart refusals" curl -fs "$base/metrics"

# --- the CLI's config file: flags, then the environment, then the file ---
mkdir -p "$work/xdg/sandtrap"
printf '# the CLI config\nserver = %s\ntoken = %s\n' "$base" "$analyst" \
	>"$work/xdg/sandtrap/cli.conf"
chmod 0644 "$work/xdg/sandtrap/cli.conf"
env -u SANDTRAP_SERVER -u SANDTRAP_TOKEN XDG_CONFIG_HOME="$work/xdg" "$sandtrap" status \
	>/dev/null 2>"$work/conf.err"
check "a config file with a token that others may read is refused (exit status 2)" test $? = 2
check "and the refusal says why and how to fix it" \
	grep -q "others may read it.*chmod 600" "$work/conf.err"
chmod 0600 "$work/xdg/sandtrap/cli.conf"
check "status with server and token from \$XDG_CONFIG_HOME/sandtrap/cli.conf (0600)" \
	env -u SANDTRAP_SERVER -u SANDTRAP_TOKEN XDG_CONFIG_HOME="$work/xdg" "$sandtrap" status
cp "$work/xdg/sandtrap/cli.conf" "$work/named.conf"
check "--config FILE names the file" \
	env -u SANDTRAP_SERVER -u SANDTRAP_TOKEN "$sandtrap" status --config "$work/named.conf"
check "the environment wins over the file" bash -c "! SANDTRAP_TOKEN=$agent \
	XDG_CONFIG_HOME='$work/xdg' '$sandtrap' status"
check "a flag wins over the environment and the file" \
	env SANDTRAP_TOKEN="$agent" XDG_CONFIG_HOME="$work/xdg" "$sandtrap" status --token "$analyst"
printf 'token: %s\n' "$analyst" >"$work/bad.conf"
chmod 0600 "$work/bad.conf"
"$sandtrap" status --config "$work/bad.conf" >/dev/null 2>"$work/conf.err"
check "a malformed config line is an error naming file:line" grep -q "bad.conf:1:" "$work/conf.err"
check "a missing --config file is an error" \
	bash -c "! '$sandtrap' status --config '$work/none.conf'"

# --- the verdict cache ---
done_before=$(metric 'sandtrap_analyses_total{result="done"}')
http POST /api/v1/submissions "$agent" --data-binary "@$src/samples/demo/dropper.sh"
check "resubmitting an analysed object answers at once from the cache (200, done)" \
	bash -c "test $code = 200 && jq -e '.cached == true and .status == \"done\" and .verdict.fresh == true' '$work/body'"
cached_id=$(jq -r .id "$work/body")
sleep 0.5
check "and no new detonation ran" test "$(metric 'sandtrap_analyses_total{result="done"}')" = "$done_before"
http GET "/api/v1/submissions/$cached_id/report" "$analyst"
check "the cached submission's report is the object's last one" body_has --arg s "$dropper_sha" '.sha256 == $s'

# --- kill -9 while a job runs, restart: the job completes exactly once ---
printf '#!/bin/sh\nsleep 2\necho survived\n' >"$work/slow.sh"
http POST "/api/v1/submissions?timeout=20" "$agent" --data-binary "@$work/slow.sh"
slow_id=$(jq -r .id "$work/body")
check "a slow job is accepted (202 queued)" bash -c "test $code = 202 && jq -e '.status == \"queued\"' '$work/body'"
check "the slow job starts running" wait_status "$slow_id" running
kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null
# The HTTP process dies with its privileged parent (parent-death signal): the port is free.
port_free() {
	for _ in $(seq 10); do
		ss -ltnH "sport = :$port" | grep -q . || return 0
		sleep 0.1
	done
	return 1
}
check "the port is free within 1 s of the kill -9" port_free
check "after kill -9 the job is kept, running or queued again, not lost" \
	bash -c "sqlite3 -cmd '.timeout 5000' '$data/sandtrap.db' 'select status from submissions where id = $slow_id' | grep -qxE 'running|queued'"
printf '# a config file\nnode-name = node-from-config\nclean-ttl = 3600\n' >"$work/sandtrapd.conf"
check "sandtrapd starts again on the same data, with a config file" start --config "$work/sandtrapd.conf"
check "the interrupted job completes" wait_done "$slow_id"
check "it is done, after a second attempt" jq -e '.status == "done" and .attempts == 2' "$work/sub.json"
check "its result is recorded exactly once" \
	test "$(sqlite3 -cmd ".timeout 5000" "$data/sandtrap.db" "select count(*) from reports where submission_id = $slow_id")" = 1
http GET "/api/v1/submissions/$slow_id/report" "$analyst"
check "and its report shows the sample ran to the end" body_has '.output.text | contains("survived")'
# Other analyses may run at the same time (meson runs suites in parallel): only a guest
# cgroup whose supervising process is gone is a leftover.
check "no guest cgroup is left behind by the killed server" no_orphan_cgroups

http GET /api/v1/status "$admin"
check "the config file's settings apply" body_has '.node == "node-from-config"'

printf 'just some notes, no shebang\n' >"$work/notes.txt"
"$sandtrap" submit --server "$base" --token "$agent" --wait "$work/notes.txt" \
	>"$work/notes.out" 2>"$work/notes.err"
check "an unsupported object fails with exit status 2" test $? = 2
check "and the reason says unsupported object type" grep -q "unsupported object type" "$work/notes.err"

# --- re-scoring when the rules change: no detonation, a detection per changed verdict ---
clean_sha=$(sha256sum "$work/clean.sh" | cut -d' ' -f1)
http GET /api/v1/detections "$agent"
check "no detections while the rules are unchanged" \
	bash -c "test $code = 200 && jq -e 'length == 0' '$work/body'"
mkdir -p "$work/badrules"
cp -r "$src/rules/." "$work/badrules"
printf 'rules:\n  - id: [broken\n' >"$work/badrules/behaviour/zz-broken.yml"
"$sandtrap" rules install "$work/badrules" --data "$data" >/dev/null 2>"$work/badrules.err"
check "rules install refuses a rule set that does not load (exit status 2)" test $? = 2
check "and installs nothing" test ! -e "$data/rules/current"
mkdir -p "$work/newrules"
cp -r "$src/rules/." "$work/newrules"
cat >"$work/newrules/behaviour/zz-server-test.yml" <<'RULE'
rules:
  - id: ST-TEST-SERVER-SAMPLE
    title: The program every server job runs (a test rule)
    description: Matches each detonated sample, the clean ones too, to test re-scoring.
    attack: [T1204.002]
    severity: critical
    threat: ServerTest
    when:
      type: proc_exec
      path: /root/Downloads/sample
    tests:
      match: [[{type: proc_exec, path: /root/Downloads/sample, argv: [sh]}]]
      nomatch: [[{type: proc_exec, path: /usr/bin/ls, argv: [ls]}]]
RULE
# A long re-score: the dropper's report stored again under 3,000 other sha256s.
sqlite3 -cmd ".timeout 5000" "$data/sandtrap.db" "
CREATE TEMP TABLE fake AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	WHERE i < 3000) SELECT 1000000 + i AS id, lower(hex(randomblob(32))) AS sha FROM n;
INSERT INTO verdicts SELECT sha, verdict, threat, score, techniques, scanned_at, rules_version
	FROM fake, (SELECT * FROM verdicts WHERE sha256 = '$dropper_sha');
INSERT INTO reports SELECT id, sha, path, created
	FROM fake, (SELECT * FROM reports WHERE submission_id = $dropper_id);"
rescores_before=$(grep -c 'verdicts re-scored in' "$work/server.log")
done_before=$(metric 'sandtrap_analyses_total{result="done"}')
"$sandtrap" rules install "$work/newrules" --data "$data" >"$work/install.out" 2>&1
check "rules install of a rule set with a rule matching the clean sample: exit status 0" \
	test $? = 0
check "it tells the running server" grep -q "reloads them" "$work/install.out"
printf '#!/bin/sh\necho submitted during a re-score\n' >"$work/during.sh"
http POST /api/v1/submissions "$agent" --data-binary "@$work/during.sh"
during_id=$(jq -r .id "$work/body")
check "a submission made during a long re-score completes" wait_done "$during_id"
check "while the re-score still runs (dispatch is not blocked by it)" \
	test "$(grep -c 'verdicts re-scored in' "$work/server.log")" = "$rescores_before"
done_before=$((done_before + 1))
rescored() {
	for _ in $(seq 900); do
		curl -s -H "Authorization: Bearer $agent" "$base/api/v1/verdicts/$clean_sha" |
			jq -e '.verdict != "clean" and .fresh' >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check "the clean sample's verdict is re-scored to a threat (and fresh)" rescored
echo "# $(grep 'verdicts re-scored in' "$work/server.log" | tail -1 | sed 's/.*rescorer: //')"
http GET "/api/v1/verdicts/$clean_sha" "$agent"
new_version=$(jq -r .rules_version "$work/body")
check "malicious, fresh, with the new rule's threat" \
	body_has '.verdict == "malicious" and .fresh == true and .threat == "Linux.Generic.ServerTest"'
http GET /api/v1/detections "$agent"
check "a detection records the change: clean -> malicious, old and new rules versions" \
	body_has --arg s "$clean_sha" --arg v "$new_version" \
	'any(.[]; .sha256 == $s and .old_verdict == "clean" and .new_verdict == "malicious" and .new_rules_version == $v and .old_rules_version != $v)'
last_det=$(jq '.[-1].id' "$work/body")
http GET "/api/v1/detections?since=$last_det" "$agent"
check "detections?since=<last id> is empty" body_has 'length == 0'
http GET "/api/v1/detections?since=-1" "$agent"
check "detections?since=-1: 400" code_is 400
check "no sample was detonated again" \
	test "$(metric 'sandtrap_analyses_total{result="done"}')" = "$done_before"
http GET /api/v1/status "$analyst"
check "the server reports the new rules version" \
	body_has --arg v "$new_version" '.rules_version == $v'

# --- rules bundles through the API: POST /api/v1/rules, sandtrap rules push ---
tar czf "$work/bad-bundle.tgz" -C "$work/badrules" .
http POST /api/v1/rules "$analyst" --data-binary "@$work/bad-bundle.tgz"
check "an analyst cannot push rules (admin only): 403" code_is 403
http POST /api/v1/rules "$admin" --data-binary "@$work/bad-bundle.tgz"
check "a bundle whose rules do not load: 400" code_is 400
check "and the error names the file and line" body_has '.error | test("zz-broken.yml:[0-9]+")'
http POST /api/v1/rules "$admin" --data-binary "not a tar.gz"
check "a body that is not a tar.gz: 400" bash -c "test $code = 400 && jq -e .error '$work/body'"
python3 - "$work" <<'PY'
import io, sys, tarfile
def bundle(path, add):
    with tarfile.open(path, "w:gz") as t:
        add(t)
def member(t, name, data=b"x", kind=tarfile.REGTYPE, target=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; i.size = len(data)
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
w = sys.argv[1]
bundle(w + "/dotdot.tgz", lambda t: member(t, "behaviour/../../escape.yml"))
bundle(w + "/absolute.tgz", lambda t: member(t, "/etc/sandtrap-escape"))
bundle(w + "/symlink.tgz", lambda t: member(t, "hashes/link", kind=tarfile.SYMTYPE,
                                           target="/etc/shadow"))
bundle(w + "/many.tgz", lambda t: [member(t, "yara/f%d" % i) for i in range(5000)])
PY
http POST /api/v1/rules "$admin" --data-binary "@$work/dotdot.tgz"
check "a bundle with a .. name: 400" \
	bash -c "test $code = 400 && jq -e '.error | test(\"plain components\")' '$work/body'"
http POST /api/v1/rules "$admin" --data-binary "@$work/absolute.tgz"
check "a bundle with an absolute name: 400" code_is 400
http POST /api/v1/rules "$admin" --data-binary "@$work/symlink.tgz"
check "a bundle with a symbolic link: 400" \
	bash -c "test $code = 400 && jq -e '.error | test(\"regular files\")' '$work/body'"
http POST /api/v1/rules "$admin" --data-binary "@$work/many.tgz"
check "a bundle with more than 4096 entries: 400" code_is 400
check "nothing escaped the bundle's directory" \
	test ! -e "$data/escape.yml" -a ! -e "$data/tmp/escape.yml"
check "the refused bundles left nothing in tmp/" bash -c "test -z \"\$(ls -A '$data/tmp')\""
mkdir -p "$work/pushrules"
cp -r "$work/newrules/." "$work/pushrules"
sed 's/ST-TEST-SERVER-SAMPLE/ST-TEST-SERVER-PUSHED/' "$work/newrules/behaviour/zz-server-test.yml" \
	>"$work/pushrules/behaviour/zz-server-pushed.yml"
"$sandtrap" rules push --server "$base" --token "$admin" "$work/pushrules" >"$work/push.out" 2>&1
check "sandtrap rules push DIR: exit status 0" test $? = 0
pushed=$(sed -n 's/^installed rules \([^ ]*\) on .*/\1/p' "$work/push.out")
check "it prints the new version and the counts" \
	grep -qE "^installed rules rules-[^ ]+ on .*: [1-9][0-9]* behaviour rules, \
[1-9][0-9]* YARA rules, [0-9]+ hashes" "$work/push.out"
check "DATA/rules/current points at the pushed version" \
	test "$(readlink "$data/rules/current")" = "$pushed"
check "the installed copy is root's, not the HTTP process's" \
	test "$(stat -c %U "$data/rules/$pushed")" = root
now_version() {
	for _ in $(seq 600); do
		curl -s -H "Authorization: Bearer $analyst" "$base/api/v1/status" |
			jq -e --arg v "$pushed" '.rules_version == $v' >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check "the server reloads them and re-scores (status shows the pushed version)" now_version
printf '#!/bin/sh\necho after the push\n' >"$work/afterpush.sh"
http POST /api/v1/submissions "$agent" --data-binary "@$work/afterpush.sh"
after_id=$(jq -r .id "$work/body")
check "a job after the push completes" wait_done "$after_id"
http GET "/api/v1/submissions/$after_id/report" "$analyst"
check "and is detonated with the pushed rules" \
	body_has --arg v "$pushed" '.verdict.rules_version == $v and
		any(.verdict.detections[]; .id == "ST-TEST-SERVER-PUSHED")'
"$sandtrap" rules push --server "$base" --token "$admin" "$work/badrules" \
	>/dev/null 2>"$work/push.err"
check "rules push of a broken rule set: exit status 2 with the server's reason" \
	bash -c "test $? = 2 && grep -q 'zz-broken.yml' '$work/push.err'"

# --- graceful shutdown: the running job finishes first ---
printf '#!/bin/sh\nsleep 1\necho finished before the stop\n' >"$work/last.sh"
http POST "/api/v1/submissions?timeout=20" "$agent" --data-binary "@$work/last.sh"
last_id=$(jq -r .id "$work/body")
check "a last job starts running" wait_status "$last_id" running
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops the server" bash -c "! kill -0 $pid"
wait "$pid"
check "with exit status 0" test $? = 0
pid=
check "the job that was running when SIGTERM came finished and was recorded" \
	test "$(sqlite3 -cmd ".timeout 5000" "$data/sandtrap.db" "select status || ' ' || attempts from submissions where id = $last_id")" = "done 1"

# --- TLS with a certificate made on first start ---
tls_port=$(free_port)
tls_data="$work/tls-data"
tls_token=$("$sandtrap" token create --data "$tls_data" --role analyst)
"$sandtrapd" --listen "127.0.0.1:$tls_port" --data "$tls_data" --foreground --slots 1 \
	--tls-self-signed >>"$work/server.log" 2>&1 &
pid=$!
check "--tls-self-signed makes a certificate and serves https" \
	sandtrapd_wait "https://127.0.0.1:$tls_port"
check "the private key is readable by root only" \
	bash -c "test \"\$(stat -c '%a %U' '$tls_data/tls/key.pem')\" = '600 root'"
check "sandtrap status trusts the certificate given with --cacert" \
	"$sandtrap" status --server "https://127.0.0.1:$tls_port" --token "$tls_token" \
	--cacert "$tls_data/tls/cert.pem"
check "a client that does not trust it is refused" \
	bash -c "! curl -s https://127.0.0.1:$tls_port/metrics"
check "plain HTTP on the TLS port gets nothing" \
	bash -c "! curl -s http://127.0.0.1:$tls_port/metrics"
kill -TERM "$pid"
wait "$pid"
check "the TLS server stops on SIGTERM with exit status 0" test $? = 0
pid=

check "the servers logged no sanitizer report (under ASan/UBSan)" \
	bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$work/server.log'"

echo "1..$n"
[ "$failed" = 0 ] || { echo "# server log:"; sed 's/^/# /' "$work/server.log"; }
exit $((failed > 0))
