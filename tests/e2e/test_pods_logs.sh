#!/bin/bash
# kubectl logs (issue 6): the API server proxies pods/log to the agent of the pod's node over HTTPS
# (the agent's certificate pinned by the Node's portico.io/agent-cert-sha256 annotation, the node
# token as bearer). Plain logs with stdout and stderr in order, --tail, --timestamps, --limit-bytes,
# --since, -f on a growing log, --previous after a restart, -c with two containers, pods on both
# nodes; upstream's errors (missing pod, no container name, unknown container, a container that has
# not started); the agent's endpoint refuses requests without the node token, and a wrong pin makes
# the API server refuse to talk to the agent.
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60
COUNT=$WORK/count
mkdir -p "$COUNT"

cat >"$WORK/pods.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  nodeName: node2
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo one; echo two >&2; echo three; i=0; while true; do i=\$((i+1)); echo tick \$i; sleep 0.5; done"]
---
apiVersion: v1
kind: Pod
metadata: {name: local}
spec:
  nodeName: node1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo on node1; sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  nodeName: node2
  restartPolicy: Always
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "n=\$(cat $COUNT/n 2>/dev/null || echo 0); n=\$((n+1)); echo \$n > $COUNT/n; echo run \$n; sleep 2; exit 3"]
---
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  nodeName: node2
  containers:
  - name: a
    image: busybox
    command: ["sh", "-c", "echo from-a; sleep 3600"]
  - name: b
    image: busybox
    command: ["sh", "-c", "echo from-b; sleep 3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: waiting}
spec:
  nodeName: node2
  containers:
  - name: main
    image: registry.invalid/no/such-image:1
YAML
expect_ok "create the pods" k apply -f "$WORK/pods.yaml"
running() { [ -n "$(pod_field "$1" '{.status.containerStatuses[0].state.running}')" ]; }
for p in talker local duo; do retry_until $T running $p || true; done
retry_until 10 eval '[ "$(k logs talker 2>/dev/null | grep -c tick)" -ge 4 ]' || true

# ---- the Node's endpoint ------------------------------------------------------------------------------
N=$(k get node node2 -o json)
expect_eq "node2 reports its log port: daemonEndpoints.kubeletEndpoint.Port 10250" 10250 \
	"$(json 'j["status"].get("daemonEndpoints", {}).get("kubeletEndpoint", {}).get("Port", "none")' <<<"$N")"
PIN=$(json 'j["metadata"].get("annotations", {}).get("portico.io/agent-cert-sha256", "none")' <<<"$N")
SERVED=$(on node1 sh -c "openssl s_client -connect ${NODE_IP[node2]}:10250 </dev/null 2>/dev/null | openssl x509 -outform DER | sha256sum" | cut -d' ' -f1)
expect_eq "the annotation is the sha256 of the certificate the agent serves" "$PIN" "$SERVED"
expect_eq "the agent's key is 0600" 600 "$(stat -c %a "$(agent_dir node2)/logsrv.key" 2>&1)"
agent_get() { # TOKEN PATH
	on node1 curl -sk --max-time 5 -H "Authorization: Bearer $1" -w '\n%{http_code}' "https://${NODE_IP[node2]}:10250$2"
}
expect_eq "the agent: no token, 401" 401 "$(http_code "$(on node1 curl -sk --max-time 5 -w '\n%{http_code}' "https://${NODE_IP[node2]}:10250/containerLogs/default/talker/main")")"
expect_eq "the agent: the admin token is not the node token, 401" 401 \
	"$(http_code "$(agent_get "$(cat "$SERVER_DATA/admin-token")" /containerLogs/default/talker/main)")"
expect_contains "the agent: the node token reads the log" "$(agent_get "$(cat "$SERVER_DATA/node-token")" /containerLogs/default/talker/main)" "three"

# ---- plain reads ----------------------------------------------------------------------------------------
logs_k() { # ARGS: kubectl logs from the client node, combined output
	k logs "$@" 2>&1
}
OUT=$(logs_k talker)
# stdout and stderr are two pipes, as under containerd: lines keep their order within a stream,
# not necessarily across streams written within the same microseconds (stdout's "tick 1" follows
# "three" at once, so it may come before stderr's "two": look at the first four lines)
expect_eq "plain: stdout and stderr both captured" "one
three
two" "$(head -n 4 <<<"$OUT" | grep -xE 'one|two|three' | sort)"
expect_eq "plain: stdout in the order written" "one three tick 1" "$(grep -v '^two$' <<<"$OUT" | head -n 3 | xargs)"
expect_match "then the ticks" "$OUT" '^tick [0-9]+$'
expect_eq "a pod on node1 (the server's own agent)" "on node1" "$(logs_k local)"
expect_eq "--tail=1: one line, the last" "1 yes" "$(O=$(logs_k talker --tail=1); echo "$(wc -l <<<"$O") $(grep -qE '^tick [0-9]+$' <<<"$O" && echo yes || echo "no: $O")")"
expect_eq "--tail=0: nothing" "" "$(logs_k talker --tail=0)"
expect_match "--timestamps: RFC 3339 time first" "$(logs_k talker --timestamps | head -n 1)" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z one$'
expect_eq "--limit-bytes=6: the first 6 bytes" "$(head -c 6 <<<"$OUT")" "$(logs_k talker --limit-bytes=6)"
expect_eq "--since=1h: everything" "one" "$(logs_k talker --since=1h | head -n 1)"
sleep 2
expect_not_contains "--since=1s: not the first lines" "$(logs_k talker --since=1s)" "one"

# ---- follow ------------------------------------------------------------------------------------------
LAST=$(logs_k talker --tail=1 | grep -oE '[0-9]+$')
k_bg "$WORK/follow.out" logs -f talker --tail=1
FPID=$BG_PID
sleep 4
kill "$FPID" 2>/dev/null || true
wait "$FPID" 2>/dev/null || true
FOUT=$(cat "$WORK/follow.out")
expect_eq "-f: the stream carries lines written while it was open (>= 4 new ticks in 4 s)" yes \
	"$([ "$(grep -cE '^tick [0-9]+$' <<<"$FOUT")" -ge 5 ] && echo yes || echo "no: $FOUT")"
expect_eq "-f: lines in order, none lost" yes "$("$PY" -c '
import sys
n = [int(l.split()[1]) for l in sys.stdin.read().splitlines() if l.startswith("tick ")]
print("yes" if n and n == list(range(n[0], n[0] + len(n))) and n[0] >= int(sys.argv[1]) else "no: %s" % n)' "$LAST" <<<"$FOUT")"

# ---- previous ------------------------------------------------------------------------------------------
restarted() { [ "$(pod_field crasher '{.status.containerStatuses[0].restartCount}')" -ge 1 ] 2>/dev/null; }
retry_until $T restarted || true
both_logs() {
	PREV=$(logs_k crasher --previous)
	CUR=$(logs_k crasher)
	[[ $PREV =~ ^run\ ([0-9]+)$ ]] && [[ $CUR =~ ^run\ ([0-9]+)$ ]]
}
retry_until 30 both_logs || true
expect_match "--previous: the run before" "$PREV" '^run [0-9]+$'
expect_eq "--previous is the run right before the current one" yes \
	"$(p=${PREV#run }; c=${CUR#run }; [ "$p" -ge 1 ] 2>/dev/null && [ $((p + 1)) = "$c" ] && echo yes || echo "no: previous '$PREV', current '$CUR'")"
expect_fail "--previous of a container that never restarted" \
	'previous terminated container "main" in pod "talker" not found' k logs talker --previous

# ---- containers ----------------------------------------------------------------------------------------
expect_eq "-c a" from-a "$(logs_k duo -c a)"
expect_eq "-c b" from-b "$(logs_k duo -c b)"
R=$(api GET /api/v1/namespaces/default/pods/duo/log)
expect_eq "no container named for a two-container pod: 400" 400 "$(http_code "$R")"
expect_eq "upstream's message" "a container name must be specified for pod duo, choose one of: [a b]" \
	"$(http_body "$R" | json 'j["message"]')"
R=$(api GET '/api/v1/namespaces/default/pods/duo/log?container=zz')
expect_eq "an unknown container: 400, upstream's message" "400 container zz is not valid for pod duo" \
	"$(http_code "$R") $(http_body "$R" | json 'j["message"]')"
R=$(api GET '/api/v1/namespaces/default/pods/duo/log?container=a')
expect_eq "the API: 200 text/plain" "200 from-a" "$(http_code "$R") $(http_body "$R")"
expect_match "Content-Type text/plain" "$(api GET '/api/v1/namespaces/default/pods/duo/log?container=a' -D - -o /dev/null)" '^[Cc]ontent-[Tt]ype: text/plain'

# ---- errors -------------------------------------------------------------------------------------------
expect_fail "a missing pod" 'pods "nosuch" not found' k logs nosuch
retry_until $T eval '[ -n "$(pod_field waiting "{.status.containerStatuses[0].state.waiting.reason}")" ]' || true
expect_fail "a container waiting on its image" \
	'container "main" in pod "waiting" is waiting to start: image can'"'"'t be pulled' k logs waiting
R=$(api GET '/api/v1/namespaces/default/pods/talker/log?tailLines=-1')
expect_eq "tailLines=-1: 422" 422 "$(http_code "$R")"
expect_contains "pods/log in discovery" "$(api GET /api/v1)" '"name":"pods/log"'

# ---- the pin -------------------------------------------------------------------------------------------
expect_ok "pin another digest on node2" k annotate node node2 --overwrite \
	portico.io/agent-cert-sha256=0000000000000000000000000000000000000000000000000000000000000000
expect_fail "a node whose certificate does not match its pin gets no token and no request" "Error from server" \
	k logs talker --tail=1
expect_ok "restore the pin" k annotate node node2 --overwrite "portico.io/agent-cert-sha256=$PIN"
expect_match "logs again with the right pin" "$(logs_k talker --tail=1)" '^tick [0-9]+$'
