#!/bin/bash
# The pods/log path without running pods (issue 6): node2's agent serves /containerLogs on
# 192.0.2.12:10250 with a self-signed certificate whose SHA-256 it puts on its Node
# (portico.io/agent-cert-sha256) next to daemonEndpoints.kubeletEndpoint.Port; it answers 401
# without the node token. The API server proxies pods/log to the node of a pod: here a Node "ghost"
# made by hand that points at node2's agent, so the agent answers for a pod it does not run and its
# 404 comes back as upstream's Status. A wrong or missing pin stops the API server before it sends
# the token; an unreachable node fails after the connect timeout while the API server keeps
# answering others (the proxy never blocks its loop). Upstream's 400s for the container choice, the
# 404 of a missing pod and the empty log of an unscheduled pod come from the API server itself.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node node1 192.0.2.11
lab_node node2 192.0.2.12
server_start node1
agent_start node2
T=30
pinned() { [ -n "$(k get node node2 -o jsonpath='{.metadata.annotations.portico\.io/agent-cert-sha256}' 2>/dev/null)" ]; }
retry_until $T pinned || true

# ---- the agent's side ------------------------------------------------------------------------------
N=$(k get node node2 -o json)
expect_eq "node2: daemonEndpoints.kubeletEndpoint.Port 10250" 10250 \
	"$(json 'j["status"].get("daemonEndpoints", {}).get("kubeletEndpoint", {}).get("Port", "none")' <<<"$N")"
PIN=$(json 'j["metadata"].get("annotations", {}).get("portico.io/agent-cert-sha256", "none")' <<<"$N")
expect_match "the pin is a sha256" "$PIN" '^[0-9a-f]{64}$'
SERVED=$(on node1 sh -c "openssl s_client -connect 192.0.2.12:10250 </dev/null 2>/dev/null | openssl x509 -outform DER | sha256sum" | cut -d' ' -f1)
expect_eq "the pin is the digest of the certificate served on 10250" "$PIN" "$SERVED"
expect_eq "the key is 0600" 600 "$(stat -c %a "$WORK/agent-node2/logsrv.key" 2>&1)"
agent_get() { # TOKEN PATH: body and status
	on node1 curl -sk --max-time 5 ${1:+-H "Authorization: Bearer $1"} -w '\n%{http_code}' "https://192.0.2.12:10250$2"
}
expect_eq "the agent without a token: 401" "Unauthorized 401" "$(agent_get "" /containerLogs/default/x/c | xargs)"
expect_eq "the agent with the admin token: 401" 401 "$(http_code "$(agent_get "$(cat "$SERVER_DATA/admin-token")" /containerLogs/default/x/c)")"
expect_eq "the agent with the node token: its 404 for an unknown pod" 'pod "x" does not exist 404' \
	"$(agent_get "$(cat "$SERVER_DATA/node-token")" /containerLogs/default/x/c | xargs -0 | tr '\n' ' ' | sed 's/ $//')"

# ---- a pod on a hand-made node that points at node2's agent -------------------------------------------
ghost() { # IP PIN ("" for none)
	local ann=
	[ -n "$2" ] && ann="\"annotations\": {\"portico.io/agent-cert-sha256\": \"$2\"},"
	k delete node ghost --ignore-not-found >/dev/null 2>&1
	k create -f - >/dev/null <<JSON
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ghost", $ann "labels": {"role": "ghost"}},
 "spec": {"unschedulable": true},
 "status": {"addresses": [{"type": "InternalIP", "address": "$1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}}
JSON
}
ghost 192.0.2.12 "$PIN"
expect_eq "ghost node with node2's address and pin" "192.0.2.12 10250" \
	"$(k get node ghost -o jsonpath='{.status.addresses[0].address} {.status.daemonEndpoints.kubeletEndpoint.Port}')"
cat >"$WORK/pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: haunt}
spec:
  nodeName: ghost
  containers:
  - {name: main, image: busybox, command: ["sleep", "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  nodeName: ghost
  containers:
  - {name: a, image: busybox}
  - {name: b, image: busybox}
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  nodeSelector: {no-such-label: "x"}
  containers:
  - {name: main, image: busybox}
YAML
expect_ok "create the pods" k apply -f "$WORK/pods.yaml"

expect_fail "proxied: the agent's 404 as upstream's NotFound" \
	'Error from server (NotFound): the server could not find the requested resource ( pods/log haunt)' k logs haunt
R=$(api GET /api/v1/namespaces/default/pods/haunt/log)
expect_eq "the API: 404 Status, kind pods/log" "404 NotFound haunt pods/log" \
	"$(http_code "$R") $(http_body "$R" | json '" ".join([j["reason"], j["details"]["name"], j["details"]["kind"]])')"
expect_fail "the agent's container check, through the proxy" 'Error from server (NotFound)' k logs haunt -f --tail=3 --timestamps

# ---- checks of the API server itself ---------------------------------------------------------------------
# (kubectl reads the pod first and words that itself)
expect_fail "kubectl logs of a missing pod" 'pods "nosuch" not found' k logs nosuch
R=$(api GET /api/v1/namespaces/default/pods/nosuch/log)
expect_eq "pods/log of a missing pod: 404, upstream's message" '404 pods "nosuch" not found' \
	"$(http_code "$R") $(http_body "$R" | json 'j["message"]')"
R=$(api GET /api/v1/namespaces/default/pods/duo/log)
expect_eq "two containers, none named: 400 with upstream's message" \
	"400 BadRequest a container name must be specified for pod duo, choose one of: [a b]" \
	"$(http_code "$R") $(http_body "$R" | json 'j["reason"] + " " + j["message"]')"
R=$(api GET '/api/v1/namespaces/default/pods/duo/log?container=c')
expect_eq "an unknown container: 400" "400 container c is not valid for pod duo" \
	"$(http_code "$R") $(http_body "$R" | json 'j["message"]')"
R=$(api GET '/api/v1/namespaces/default/pods/haunt/log?tailLines=-2')
expect_eq "tailLines=-2: 422 Invalid" "422 Invalid" "$(http_code "$R") $(http_body "$R" | json 'j["reason"]')"
R=$(api GET '/api/v1/namespaces/default/pods/haunt/log?follow=maybe')
expect_eq "follow=maybe: 400" 400 "$(http_code "$R")"
R=$(api GET /api/v1/namespaces/default/pods/nowhere/log)
expect_eq "an unscheduled pod: an empty log, 200" "200" "$(http_code "$R")$(http_body "$R")"
R=$(api POST /api/v1/namespaces/default/pods/haunt/log -H 'Content-Type: application/json' -d '{}')
expect_eq "POST pods/log: 405" 405 "$(http_code "$R")"

# ---- discovery -------------------------------------------------------------------------------------------
expect_eq "pods/log in /api/v1: get only, kind Pod" '{"kind": "Pod", "name": "pods/log", "namespaced": true, "singularName": "", "verbs": ["get"]}' \
	"$(api GET /api/v1 | sed '$d' | json '[r for r in j["resources"] if r["name"] == "pods/log"][0]')"
expect_contains "pods/log in aggregated discovery" \
	"$(api GET /api -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' | sed '$d' | json '[s for r in j["items"][0]["versions"][0]["resources"] if r["resource"] == "pods" for s in r.get("subresources", [])]')" \
	'"subresource": "log"'

# ---- the pin -----------------------------------------------------------------------------------------------
ghost 192.0.2.12 0000000000000000000000000000000000000000000000000000000000000000
R=$(api GET /api/v1/namespaces/default/pods/haunt/log)
expect_eq "a certificate that does not match the pin: 500, no request made" 500 "$(http_code "$R")"
expect_contains "the error names the agent's URL" "$(http_body "$R" | json 'j["message"]')" 'https://192.0.2.12:10250/containerLogs/default/haunt/main'
ghost 192.0.2.12 ""
R=$(api GET /api/v1/namespaces/default/pods/haunt/log)
expect_eq "a node without a pin: 500, never an unauthenticated agent" 500 "$(http_code "$R")"
expect_contains "the error says so" "$(http_body "$R" | json 'j["message"]')" "portico.io/agent-cert-sha256"

# ---- an unreachable node: the API server keeps answering -----------------------------------------------
ghost 192.0.2.99 "$PIN"
T0=$SECONDS
k_bg "$WORK/stuck.out" logs haunt
SLOW=$BG_PID
sleep 1
T1=$(date +%s%N)
expect_ok "other requests are answered while a log request waits on a dead node" k get pods
expect_eq "... at once (< 2 s)" yes "$([ $(( ($(date +%s%N) - T1) / 1000000 )) -lt 2000 ] && echo yes || echo no)"
wait "$SLOW" || true
expect_contains "the dead node's request fails with an error" "$(cat "$WORK/stuck.out")" "Error from server"
expect_eq "... within the 10 s connect timeout (+ slack)" yes "$([ $((SECONDS - T0)) -le 20 ] && echo yes || echo "no: $((SECONDS - T0)) s")"
