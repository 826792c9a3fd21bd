#!/bin/bash
# The server side of the endpoint agents: enrolment, heartbeats, policies, the events long
# poll, isolation, the blocklist and action reports, against a real sandtrapd on 127.0.0.1
# with a random free port and a temporary data directory. TAP.
# Usage: test-agents.sh SANDTRAPD SANDTRAP SOURCE_ROOT
set -u
sandtrapd=$1
sandtrap=$2
src=$3

work=$(mktemp -d /tmp/sandtrap-agents.XXXXXX)
chmod 0755 "$work" # the server's unprivileged user walks through to its data directory
data="$work/data"
pid=
polls=()
cleanup() {
	local p
	for p in "${polls[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/../tap.sh"

start() { sandtrapd_start --data "$data" --slots 2 --timeout 10 --clean-ttl 3600 "$@"; }

# events TOKEN AGENT SINCE: the agent's events after SINCE, at once, in $work/body
events() { http GET "/api/v1/agents/$2/events?since=$3&wait=0" "$1"; }
wait_done() {
	for _ in $(seq 300); do
		curl -s -H "Authorization: Bearer $admin" "$base/api/v1/submissions/$1" >"$work/sub.json"
		jq -e '.status == "done" or .status == "failed"' "$work/sub.json" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

port=$(free_port)
base="http://127.0.0.1:$port"
admin=$("$sandtrap" token create --data "$data" --role admin)
analyst=$("$sandtrap" token create --data "$data" --role analyst)
agent=$("$sandtrap" token create --data "$data" --role agent)
agent2=$("$sandtrap" token create --data "$data" --role agent)
check "sandtrapd starts" start

# --- the default policy ---
http GET /api/v1/policies/default "$analyst"
check "the policy 'default' exists from the first start (version 1)" \
	body_has '.name == "default" and .version == 1'
check "with every default filled in" body_has '.policy == {
	"mode": "allow-and-scan", "deadline_ms": 10000, "fail": "open", "watch": [],
	"documents": [], "exclude_paths": [], "exclude_sha256": [], "exclude_users": [],
	"trust_packages": true, "max_size": 104857600, "clean_ttl": 3600,
	"responses": {"malicious": ["deny", "kill", "quarantine", "block_hash", "report"],
	              "suspicious": ["report"]},
	"isolate_minutes": 60, "ioc_paths": []}'
http GET /api/v1/policies/default "$agent"
check "an agent token cannot read policies by name (analyst): 403" code_is 403

# --- enrolment ---
http POST /api/v1/agents "$agent" --data '{"hostname":"web-1","version":"0.1","os":"debian 12"}'
check "an agent enrols: 201 with its id, policy default, version 1" \
	bash -c "test $code = 201 && jq -e '.agent_id > 0 and .policy == \"default\" and .policy_version == 1' '$work/body'"
a1=$(jq -r .agent_id "$work/body")
http POST /api/v1/agents "$agent" --data '{"hostname":"web-1","version":"0.2","os":"debian 12"}'
check "the same token and hostname again: 200, the same agent" \
	bash -c "test $code = 200 && jq -e '.agent_id == $a1' '$work/body'"
http POST /api/v1/agents "$agent2" --data '{"hostname":"db-1","version":"0.2","os":"debian 12"}'
a2=$(jq -r .agent_id "$work/body")
check "another token enrols another agent" bash -c "test $code = 201 && test '$a2' != '$a1'"
http POST /api/v1/agents "$agent" --data '{"version":"0.1","os":"debian 12"}'
check "an enrolment without a hostname: 400 naming it" \
	bash -c "test $code = 400 && jq -e '.error | contains(\"hostname\")' '$work/body'"
http POST /api/v1/agents "$agent" --data '{"hostname":42,"version":"0.1","os":"x"}'
check "a hostname that is not a string: 400" code_is 400
http POST /api/v1/agents "$agent" --data "{\"hostname\":\"$(head -c 300 /dev/zero | tr '\0' h)\",\"version\":\"0.1\",\"os\":\"x\"}"
check "a hostname of 300 bytes: 400" code_is 400
http POST /api/v1/agents "$agent" --data 'not json'
check "an enrolment that is not JSON: 400" code_is 400

# --- heartbeats ---
hb='{"policy_version":1,"isolated":false,"cache_entries":1234,"pending":3}'
http POST "/api/v1/agents/$a1/heartbeat" "$agent" --data "$hb"
check "a heartbeat: 200 with the current version of its policy" \
	bash -c "test $code = 200 && jq -e '.policy_version == 1' '$work/body'"
http POST "/api/v1/agents/$a1/heartbeat" "$agent2" --data "$hb"
check "another agent's token cannot send its heartbeat (404)" code_is 404
http POST "/api/v1/agents/$a1/heartbeat" "$admin" --data "$hb"
check "an admin can" code_is 200
http POST "/api/v1/agents/$a1/heartbeat" "$agent" --data '{"isolated":"no"}'
check "a heartbeat with a wrong type: 400" code_is 400
http POST "/api/v1/agents/$a1/heartbeat" "$agent" --data '{"pending":-1}'
check "a negative count: 400" code_is 400
http POST /api/v1/agents/999/heartbeat "$admin" --data "$hb"
check "an unknown agent: 404" code_is 404
http GET /api/v1/agents "$analyst"
check "the analyst lists the agents with their state" \
	body_has --argjson a "$a1" 'length == 2 and any(.[]; .id == $a and .hostname == "web-1" and .version == "0.2" and .os == "debian 12" and .online == true and .policy == "default" and .policy_version == 1 and .policy_current == 1 and .isolated == false and .cache_entries == 1234 and .pending == 3 and .last_seen > 0)'
http GET /api/v1/agents "$agent"
check "an agent token cannot list the agents: 403" code_is 403
http GET /api/v1/status "$analyst"
check "the status counts the agents" body_has '.agents_total == 2 and .agents_online == 2'
check "and /metrics" bash -c "curl -s $base/metrics | grep -qx 'sandtrap_agents{state=\"online\"} 2'"

# --- the events long poll ---
http GET "/api/v1/agents/$a1/events?since=0" "$agent"
check "since=0: at once, no history, next = the newest event id" \
	bash -c "test $code = 200 && jq -e '.events == [] and .next >= 0' '$work/body'"
next=$(jq -r .next "$work/body")
http GET "/api/v1/agents/$a1/events?since=$next&wait=61" "$agent"
check "wait over 60: 400" code_is 400
http GET "/api/v1/agents/$a1/events?since=-1" "$agent"
check "a negative since: 400" code_is 400
http GET "/api/v1/agents/$a1/events?since=0" "$agent2"
check "another agent's events: 404" code_is 404
start_s=$(date +%s.%N)
http GET "/api/v1/agents/$a1/events?since=$next&wait=1" "$agent"
took=$(echo "$(date +%s.%N) - $start_s" | bc)
check "no event within wait=1: empty events and the same next, after about a second" \
	bash -c "test $code = 200 && jq -e '.events == [] and .next == $next' '$work/body' && (( \$(echo '$took >= 0.9 && $took < 3' | bc) ))"

curl -s -o "$work/poll.json" -w '%{http_code}' -H "Authorization: Bearer $agent" \
	"$base/api/v1/agents/$a1/events?since=$next&wait=30" >"$work/poll.code" &
poll=$!
polls+=("$poll")
sleep 1
check "a long poll waits while there is no event" kill -0 "$poll"
http PUT /api/v1/policies/default "$admin" --data '{"mode":"block","deadline_ms":5000}'
check "an admin stores a new version of a policy: 200, version 2" \
	body_has '.version == 2 and .policy.mode == "block" and .policy.deadline_ms == 5000 and .policy.fail == "open"'
for _ in $(seq 50); do kill -0 "$poll" 2>/dev/null || break; sleep 0.1; done
check "the waiting poll answers as soon as the event is stored" bash -c "! kill -0 $poll"
check "with the policy event and its id" \
	jq -e '.events[0].type == "policy" and .events[0].name == "default" and .events[0].version == 2 and .events[0].id > 0 and .next == .events[-1].id' "$work/poll.json"
next=$(jq -r .next "$work/poll.json")
http POST "/api/v1/agents/$a1/heartbeat" "$agent" --data "$hb"
check "the heartbeat tells the new version" body_has '.policy_version == 2'

# --- policy validation ---
put_policy() { http PUT "/api/v1/policies/${2:-servers}" "$admin" --data "$1"; }
bad_policy() { # BODY WORD: 400 and the error names WORD
	put_policy "$1"
	test "$code" = 400 && jq -e --arg w "$2" '.error | contains($w)' "$work/body"
}
check "an unknown key: 400 naming it" bad_policy '{"mdoe":"block"}' mdoe
check "a mode not allowed: 400" bad_policy '{"mode":"panic"}' mode
check "deadline_ms below 100: 400" bad_policy '{"deadline_ms":50}' deadline_ms
check "deadline_ms as a string: 400" bad_policy '{"deadline_ms":"100"}' deadline_ms
check "a relative path in watch: 400" bad_policy '{"watch":["usr/bin"]}' watch
check "a bad sha256 in exclude_sha256: 400" bad_policy '{"exclude_sha256":["abc"]}' exclude_sha256
check "a uid that is not an integer: 400" bad_policy '{"exclude_users":["root"]}' exclude_users
check "trust_packages not a boolean: 400" bad_policy '{"trust_packages":1}' trust_packages
check "max_size over 1 GiB: 400" bad_policy '{"max_size":1073741825}' max_size
check "an unknown action: 400" bad_policy '{"responses":{"malicious":["explode"]}}' responses.malicious
check "an unknown verdict in responses: 400" bad_policy '{"responses":{"clean":[]}}' responses.clean
check "isolate_minutes over a week: 400" bad_policy '{"isolate_minutes":10081}' isolate_minutes
check "a policy that is not an object: 400" bad_policy '[]' JSON
http PUT "/api/v1/policies/bad%20name" "$admin" --data '{}'
check "a bad policy name: 400" code_is 400
python3 -c 'import json; print(json.dumps({"watch": ["/opt/app/bin%05d" % i for i in range(2000)]}))' >"$work/big.json"
http PUT /api/v1/policies/big "$admin" --data-binary "@$work/big.json"
check "a policy of $(stat -c %s "$work/big.json") bytes (under 64 KiB): 201" code_is 201
python3 -c 'import json; print(json.dumps({"watch": ["/opt/app/bin%05d" % i for i in range(5000)]}))' >"$work/huge.json"
http PUT /api/v1/policies/big "$admin" --data-binary "@$work/huge.json"
check "a policy over 64 KiB: 413" code_is 413
http PUT /api/v1/policies/servers "$analyst" --data '{}'
check "an analyst cannot store policies: 403" code_is 403
put_policy '{"mode":"audit","watch":["/usr/local/bin"],"exclude_users":[0],"responses":{"suspicious":["report","ioc_scan"]},"isolate_minutes":0}'
check "a new policy: 201, version 1, its keys and the defaults" \
	bash -c "test $code = 201 && jq -e '.version == 1 and .policy.mode == \"audit\" and .policy.watch == [\"/usr/local/bin\"] and .policy.responses.suspicious == [\"report\",\"ioc_scan\"] and (.policy.responses.malicious | length) == 5 and .policy.isolate_minutes == 0' '$work/body'"
http GET /api/v1/policies "$analyst"
check "the policies are listed with their newest versions" \
	body_has 'map({(.name): .version}) | add | .default == 2 and .servers == 1 and .big == 1'

# --- a policy for one agent ---
http POST "/api/v1/agents/$a1/policy" "$admin" --data '{"name":"nothing"}'
check "assigning a policy that does not exist: 404" code_is 404
http POST "/api/v1/agents/$a1/policy" "$agent" --data '{"name":"servers"}'
check "an agent cannot choose its policy: 403" code_is 403
http POST "/api/v1/agents/$a1/policy" "$admin" --data '{"name":"servers"}'
check "an admin assigns the policy servers to an agent" \
	body_has '.policy == "servers" and .policy_version == 1'
http GET "/api/v1/agents/$a1/policy" "$agent"
check "the agent reads its policy, defaults filled in" \
	body_has '.name == "servers" and .version == 1 and .policy.mode == "audit" and .policy.deadline_ms == 10000'
http GET "/api/v1/agents/$a1/policy" "$agent2"
check "not another agent's policy (404)" code_is 404
events "$agent" "$a1" "$next"
check "the agent is told of its new policy" \
	body_has 'any(.events[]; .type == "policy" and .name == "servers" and .version == 1)'
check "(its own event, beside the one every agent got when the policy was stored)" \
	body_has '[.events[] | select(.type == "policy" and .name == "servers")] | length == 2'
events "$agent2" "$a2" "$next"
check "the other agent only got the one for every agent" \
	body_has '[.events[] | select(.type == "policy" and .name == "servers")] | length == 1'

# --- isolation ---
http POST "/api/v1/agents/$a1/isolate" "$agent" --data '{"isolate":true}'
check "an agent token cannot isolate: 403" code_is 403
http POST "/api/v1/agents/$a1/isolate" "$admin" --data '{"isolate":true,"minutes":30}'
check "an admin isolates an agent for 30 minutes" code_is 200
http POST "/api/v1/agents/$a1/isolate" "$admin" --data '{"isolate":true,"minutes":100000}'
check "minutes over a week: 400" code_is 400
http POST "/api/v1/agents/$a1/isolate" "$admin" --data '{"minutes":5}'
check "isolate is required: 400" code_is 400
http POST "/api/v1/agents/$a1/isolate" "$admin" --data '{"isolate":false}'
events "$agent" "$a1" "$next"
check "the agent gets isolate (30 minutes) then unisolate" \
	body_has '[.events[] | select(.type == "isolate" or .type == "unisolate") | .type] == ["isolate", "unisolate"] and any(.events[]; .type == "isolate" and .minutes == 30)'
events "$agent2" "$a2" "$next"
check "the other agent does not" body_has 'all(.events[]; .type != "isolate" and .type != "unisolate")'

# --- the blocklist ---
blocked=$(printf 'blocked by an agent' | sha256sum | cut -d' ' -f1)
http POST /api/v1/blocklist "$agent" --data "{\"sha256\":\"$blocked\",\"reason\":\"ransomware on web-1\"}"
check "an agent asks every agent to block a hash: 201" code_is 201
http POST /api/v1/blocklist "$agent" --data '{"sha256":"xyz","reason":"r"}'
check "a malformed sha256: 400" code_is 400
events "$agent2" "$a2" "$next"
check "the other agent gets block_hash with the reason" \
	body_has --arg s "$blocked" 'any(.events[]; .type == "block_hash" and .sha256 == $s and .reason == "ransomware on web-1")'
http GET /api/v1/blocklist "$agent2"
check "the blocklist lists it" body_has --arg s "$blocked" 'any(.[]; .sha256 == $s)'
http GET "/api/v1/verdicts/$blocked" "$agent2"
check "a lookup of the blocked hash: malicious, fresh, threat 'blocked: <reason>'" \
	body_has '.verdict == "malicious" and .fresh == true and .threat == "blocked: ransomware on web-1"'

# --- action reports ---
action='{"time":1700000000,"host":"web-1","user":"alice","uid":1000,"pid":4242,"path":"/tmp/x","sha256":"'$blocked'","verdict":"malicious","action":"kill","result":"ok","detail":"killed 4242"}'
http POST "/api/v1/agents/$a1/actions" "$agent" --data "$action"
check "an agent reports an action: 201 with its id" \
	bash -c "test $code = 201 && jq -e '.id > 0' '$work/body'"
http POST "/api/v1/agents/$a1/actions" "$agent2" --data "$action"
check "not for another agent (404)" code_is 404
http POST "/api/v1/agents/$a1/actions" "$agent" --data '{"action":"kill","uid":"root"}'
check "a uid that is not an integer: 400" code_is 400
http POST "/api/v1/agents/$a1/actions" "$agent" --data "{\"action\":\"kill\",\"path\":\"/$(head -c 5000 /dev/zero | tr '\0' p)\"}"
check "a path of 5000 bytes: 400" code_is 400
http POST "/api/v1/agents/$a1/actions" "$agent" --data '{"result":"ok"}'
check "an action report without action: 400" code_is 400
http POST "/api/v1/agents/$a2/actions" "$agent2" --data '{"action":"report","result":"ok"}'
http GET "/api/v1/actions?agent=$a1" "$analyst"
check "the analyst lists the agent's actions with every field" \
	body_has --argjson a "$a1" 'length == 1 and .[0].agent_id == $a and .[0].user == "alice" and .[0].uid == 1000 and .[0].pid == 4242 and .[0].action == "kill" and .[0].detail == "killed 4242" and .[0].time == 1700000000'
first_action=$(jq '.[0].id' "$work/body")
http GET "/api/v1/actions?since=$first_action" "$analyst"
check "actions?since=<id> pages on, every agent's" \
	body_has --argjson a "$a2" 'length == 1 and .[0].agent_id == $a'
http GET /api/v1/actions "$agent"
check "an agent token cannot list actions: 403" code_is 403

# --- verdict events ---
printf '#!/bin/sh\necho clean for agents\n' >"$work/clean.sh"
http POST "/api/v1/submissions?agent=$a1" "$agent2" --data-binary "@$work/clean.sh"
check "a submission for another token's agent: 400" code_is 400
http POST "/api/v1/submissions?agent=$a1" "$agent" --data-binary "@$work/clean.sh"
clean_id=$(jq -r .id "$work/body")
check "a clean script submitted for the agent is analysed" wait_done "$clean_id"
clean_sha=$(sha256sum "$work/clean.sh" | cut -d' ' -f1)
events "$agent" "$a1" "$next"
check "the agent gets its clean verdict with the submission" \
	body_has --arg s "$clean_sha" --argjson id "$clean_id" 'any(.events[]; .type == "verdict" and .sha256 == $s and .verdict == "clean" and .submission == $id and .scanned_at > 0 and (.rules_version | length > 0) and .score >= 0)'
events "$agent2" "$a2" "$next"
check "the other agent does not" body_has --arg s "$clean_sha" 'all(.events[]; .sha256 != $s)'
http POST "/api/v1/submissions?agent=$a1" "$agent" --data-binary "@$work/clean.sh"
cached_id=$(jq -r .id "$work/body")
events "$agent" "$a1" "$next"
check "an answer from the cache is a verdict event too" \
	body_has --argjson id "$cached_id" 'any(.events[]; .type == "verdict" and .submission == $id)'
http POST /api/v1/submissions "$analyst" --data-binary "@$src/samples/demo/dropper.sh"
dropper_id=$(jq -r .id "$work/body")
check "a threat is analysed" wait_done "$dropper_id"
events "$agent2" "$a2" "$next"
check "every agent gets a threat's verdict" \
	body_has --argjson id "$dropper_id" 'any(.events[]; .type == "verdict" and .submission == $id and (.verdict == "malicious" or .verdict == "suspicious") and (.threat | length > 0))'
next=$(jq -r .next "$work/body")

# --- detections: a rules change turns the clean script into a threat ---
mkdir -p "$work/newrules"
cp -r "$src/rules/." "$work/newrules"
cat >"$work/newrules/behaviour/zz-agents-test.yml" <<'RULE'
rules:
  - id: ST-TEST-AGENTS-SAMPLE
    title: The program every server job runs (a test rule)
    description: Matches each detonated sample, the clean ones too, to test detections.
    attack: [T1204.002]
    severity: critical
    threat: AgentsTest
    when:
      type: proc_exec
      path: /root/Downloads/sample
    tests:
      match: [[{type: proc_exec, path: /root/Downloads/sample, argv: [sh]}]]
      nomatch: [[{type: proc_exec, path: /usr/bin/ls, argv: [ls]}]]
RULE
curl -s -o "$work/poll2.json" -H "Authorization: Bearer $agent2" \
	"$base/api/v1/agents/$a2/events?since=$next&wait=60" &
poll=$!
polls+=("$poll")
"$sandtrap" rules install "$work/newrules" --data "$data" >"$work/install.out" 2>&1
check "a rule set matching every sample is installed" test $? = 0
for _ in $(seq 300); do kill -0 "$poll" 2>/dev/null || break; sleep 0.1; done
check "a waiting agent hears of the detection: clean -> malicious, new threat and rules" \
	jq -e --arg s "$clean_sha" 'any(.events[]; .type == "detection" and .sha256 == $s and .old_verdict == "clean" and .new_verdict == "malicious" and .threat == "Linux.Generic.AgentsTest" and (.rules_version | length > 0))' "$work/poll2.json"

http GET "/api/v1/agents/$a1/events?since=999999&wait=30" "$agent"
check "a since beyond the newest event (a replaced database): at once, next = the newest" \
	body_has --argjson n "$(jq .next "$work/poll2.json")" '.events == [] and .next >= $n and .next < 999999'
newest=$(jq .next "$work/body")

# --- waiting polls hold no thread: lookups go on beside them ---
for _ in $(seq 40); do
	curl -s -o /dev/null -H "Authorization: Bearer $agent" \
		"$base/api/v1/agents/$a1/events?since=$newest&wait=30" &
	polls+=("$!")
done
sleep 1
if command -v wrk >/dev/null; then
	wrk -t1 -c8 -d2s -H "Authorization: Bearer $agent" "$base/api/v1/verdicts/$clean_sha" \
		>"$work/wrk.out" 2>&1
	rate=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$work/wrk.out")
	check "with 40 polls waiting, lookups still answer ($rate/s, at least 1000)" \
		test "${rate:-0}" -ge 1000
else
	check "with 40 polls waiting, a lookup still answers" \
		curl -fs --max-time 2 -H "Authorization: Bearer $agent" "$base/api/v1/verdicts/$clean_sha"
fi

waiting=0
for p in "${polls[@]: -40}"; do kill -0 "$p" 2>/dev/null && waiting=$((waiting + 1)); done
check "and the 40 polls are still waiting ($waiting)" test "$waiting" = 40

# --- a stop answers the waiting polls ---
kill -TERM "$pid"
for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM with polls waiting stops the server" bash -c "! kill -0 $pid"
wait "$pid"
check "with exit status 0" test $? = 0
pid=
alive=0
for p in "${polls[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check "and no poll is left hanging" test "$alive" = 0

# --- detections a crash left unsent go out at the next start ---
# As if the server had died between recording the detections and making their events.
sqlite3 "$data/sandtrap.db" "UPDATE meta SET value = '0' WHERE key = 'detections_sent'"
check "the server starts again" start
events "$agent2" "$a2" "$newest"
check "the detections are sent again to the agents" \
	jq -e --arg s "$clean_sha" 'any(.events[]; .type == "detection" and .sha256 == $s and .new_verdict == "malicious")' "$work/body"
again=$(jq .next "$work/body")
kill -TERM "$pid" && wait "$pid"
start
events "$agent2" "$a2" "$again"
check "and only once: a clean restart sends none" \
	jq -e '[.events[] | select(.type == "detection")] | length == 0' "$work/body"
kill -TERM "$pid" && wait "$pid"
pid=

check "the server logged no sanitizer report (under ASan/UBSan)" \
	bash -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$work/server.log'"

echo "1..$n"
[ "$failed" = 0 ] || { echo "# server log:"; sed 's/^/# /' "$work/server.log"; }
exit $((failed > 0))
