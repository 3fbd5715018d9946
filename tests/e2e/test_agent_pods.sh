#!/bin/bash
# The node agent's pod loop on one node (the agent inside `portico server`): a netexec Deployment
# made by `kubectl create deployment ... -- /agnhost netexec` runs as local programs with IPs from
# the node's podCIDR and becomes Running/Ready; the node reaches each pod by IP and /hostname
# answers the pod's name; status fields and kubelet events; HTTP and exec readiness probes flip Ready
# both ways; a failing liveness probe restarts the container; restartPolicy Never/OnFailure end in
# Succeeded/Failed; deletion honours the grace period and keeps the pod a terminating endpoint until
# its process exits; bad input (unresolvable image, unknown command, invalid probe, port clashes)
# gives a clear reason and an event while the other pods carry on; a server killed with SIGKILL
# leaves its pods serving and the restarted agent adopts them without restarting anything.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
server_start server --node-name node1
T=60
IMG=registry.k8s.io/e2e-test-images/agnhost:2.53

ready_of() { k get node node1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
node_ready() { [ "$(ready_of)" = True ] && [ -n "$(k get node node1 -o jsonpath='{.spec.podCIDR}' 2>/dev/null)" ]; }
retry_until $T node_ready || die "node1 not Ready with a podCIDR within $T s: $(k get nodes -o wide 2>&1)"
CIDR=$(k get node node1 -o jsonpath='{.spec.podCIDR}')
NET=${CIDR%.0/24}
expect_match "node1 has a /24 of 10.42.0.0/16" "$CIDR" '^10\.42\.[0-9]+\.0/24$'

# ---- a Deployment of netexec --------------------------------------------------------------------------
expect_ok "kubectl create deployment web (agnhost netexec)" \
	k create deployment web --image=$IMG --replicas=2 -- /agnhost netexec --http-port=8080
all_ready() { # all_ready SELECTOR N: N pods, all Ready
	local sel=$1 n=$2 out
	out=$(k get pods -l "$sel" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null)
	[ "$(grep -c '^True$' <<<"$out")" = "$n" ] && [ "$(wc -l <<<"$out")" = "$n" ]
}
retry_until $T all_ready app=web 2 || true
OUT=$(k get pods -l app=web -o wide --no-headers)
expect_eq "two web pods Running 1/1" "2" "$(grep -cE ' 1/1 +Running +0 ' <<<"$OUT")"
PODS=$(k get pods -l app=web -o json)
expect_eq "pod IPs from the node's podCIDR $CIDR" "ok ok" \
	"$(json '" ".join("ok" if p["status"].get("podIP", "").startswith("'"$NET"'.") else p["status"].get("podIP", "none") for p in j["items"])' <<<"$PODS")"
expect_eq "podIPs[0] is podIP; hostIP the node's" "True True" \
	"$(json '" ".join(str(p["status"]["podIPs"][0]["ip"] == p["status"]["podIP"] and p["status"]["hostIP"] == "192.0.2.10" and p["status"]["hostIPs"][0]["ip"] == "192.0.2.10") for p in j["items"])' <<<"$PODS")"
expect_eq "conditions: Initialized, Ready, ContainersReady, PodScheduled all True" \
	"Initialized=True Ready=True ContainersReady=True PodScheduled=True" \
	"$(json '" ".join(c["type"] + "=" + c["status"] for c in j["items"][0]["status"]["conditions"])' <<<"$PODS")"
expect_eq "containerStatuses: running, ready, started, restartCount 0, image as given" \
	"agnhost running True True 0 $IMG" \
	"$(json '" ".join(str(c[k]) if k != "state" else list(c[k])[0] for c in [j["items"][0]["status"]["containerStatuses"][0]] for k in ("name", "state", "ready", "started", "restartCount", "image"))' <<<"$PODS")"
expect_match "startTime set" "$(json 'j["items"][0]["status"]["startTime"]' <<<"$PODS")" '^20[0-9]{2}-'
for name in $(json '" ".join(p["metadata"]["name"] for p in j["items"])' <<<"$PODS"); do
	ip=$(k get pod "$name" -o jsonpath='{.status.podIP}')
	expect_eq "curl from the node to $ip:8080/hostname answers the pod's name" "$name" \
		"$(on server curl -s --max-time 5 "http://$ip:8080/hostname" 2>&1)"
done
expect_ok "bridge portico0 holds the pod gateway ${NET}.1" on server ip -4 addr show dev portico0
expect_contains "portico0 address" "$OUT" "inet ${NET}.1/24"
P1=$(json 'j["items"][0]["metadata"]["name"]' <<<"$PODS")
EV=$(k get events --field-selector involvedObject.name="$P1" -o json)
expect_eq "events Pulled, Created, Started from kubelet on node1" "Pulled Created Started | kubelet node1" \
	"$(json '" ".join(e["reason"] for e in sorted(j["items"], key=lambda e: e["metadata"]["creationTimestamp"]) if e["reason"] in ("Pulled", "Created", "Started")) + " | " + " ".join(sorted(set(e["source"]["component"] + " " + e["source"].get("host", "") for e in j["items"] if e["reason"] == "Started")))' <<<"$EV")"
expect_contains "Started event message" "$(json '[e["message"] for e in j["items"] if e["reason"] == "Started"][0]' <<<"$EV")" "Started container agnhost"

# ---- the Kubernetes service variables --------------------------------------------------------------------
expect_ok "kubectl expose deployment web" k expose deployment web --port=80 --target-port=8080
WEBIP=$(k get svc web -o jsonpath='{.spec.clusterIP}')
k create namespace ns2 >/dev/null
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "other", "namespace": "ns2"},
 "spec": {"ports": [{"name": "dns", "port": 81, "protocol": "UDP", "targetPort": 8081}]}}
EOF
k create service clusterip hl --clusterip=None --tcp=80:8080 >/dev/null
OTHERIP=$(k get svc -n ns2 other -o jsonpath='{.spec.clusterIP}')
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "envpod"},
 "spec": {"containers": [{"name": "c", "image": "busybox", "env": [{"name": "MINE", "value": "x-\$(WEB_SERVICE_PORT)"}],
   "command": ["sh", "-c", "env > $WORK/envpod.txt.tmp && mv $WORK/envpod.txt.tmp $WORK/envpod.txt; exec sleep 3600"]}]}}
EOF
retry_until $T test -s "$WORK/envpod.txt" || true
ENVS=$(sort "$WORK/envpod.txt" 2>/dev/null | grep -E '^((KUBERNETES|WEB|OTHER|HL)_SERVICE_(HOST|PORT)|MINE)=' | paste -sd ' ')
expect_eq "service variables: kubernetes and the pod's namespace's Services (not ns2's, not headless); \$(VAR) expanded" \
	"KUBERNETES_SERVICE_HOST=10.43.0.1 KUBERNETES_SERVICE_PORT=443 MINE=x-80 WEB_SERVICE_HOST=$WEBIP WEB_SERVICE_PORT=80" "$ENVS"
k delete pod envpod --wait=false >/dev/null
# The agent's Service cache keeps a slim copy of Services with a cluster IP (pods.c svc_keep): a pod
# in another namespace gets that namespace's Services (named ports too) and kubernetes, not web.
k create -n ns2 -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "envpod2"},
 "spec": {"containers": [{"name": "c", "image": "busybox",
   "command": ["sh", "-c", "env > $WORK/envpod2.txt.tmp && mv $WORK/envpod2.txt.tmp $WORK/envpod2.txt; exec sleep 3600"]}]}}
EOF
retry_until $T test -s "$WORK/envpod2.txt" || true
ENVS=$(sort "$WORK/envpod2.txt" 2>/dev/null | grep -E '^((KUBERNETES|WEB|OTHER|HL)_SERVICE_(HOST|PORT)|OTHER_SERVICE_PORT_[A-Z0-9_]*|OTHER_PORT_81_UDP_PROTO)=' | paste -sd ' ')
expect_eq "service variables in ns2: its Service with named port and protocol, and kubernetes" \
	"KUBERNETES_SERVICE_HOST=10.43.0.1 KUBERNETES_SERVICE_PORT=443 OTHER_PORT_81_UDP_PROTO=udp OTHER_SERVICE_HOST=$OTHERIP OTHER_SERVICE_PORT=81 OTHER_SERVICE_PORT_DNS=81" "$ENVS"
k delete pod -n ns2 envpod2 --wait=false >/dev/null

# ---- probes: HTTP readiness -----------------------------------------------------------------------------
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probed", "labels": {"t": "probe"}},
 "spec": {"containers": [{"name": "web", "image": "$IMG", "args": ["netexec", "--http-port=8080", "--udp-port=8081"],
   "ports": [{"name": "http", "containerPort": 8080}],
   "readinessProbe": {"httpGet": {"port": "http", "path": "/healthz"}, "periodSeconds": 1}},
  {"name": "side", "image": "$IMG", "args": ["netexec", "--http-port=9090", "--udp-port=9091"],
   "readinessProbe": {"httpGet": {"port": 9999}, "periodSeconds": 1, "failureThreshold": 1}}]}}
EOF
pod_cond() { k get pod "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}" 2>/dev/null; }
running_of() { [ "$(k get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ]; }
retry_until $T running_of probed || true
sleep 3
expect_eq "HTTP readiness: /healthz passes, a closed port fails: Ready False" "False" "$(pod_cond probed Ready)"
OUT=$(k get pod probed -o json)
expect_eq "ready per container: web true, side false" "web=True side=False" \
	"$(json '" ".join(c["name"] + "=" + str(c["ready"]) for c in j["status"]["containerStatuses"])' <<<"$OUT")"
expect_eq "ContainersReady message names the unready one" "ContainersNotReady containers with unready status: [side]" \
	"$(json '[c["reason"] + " " + c["message"] for c in j["status"]["conditions"] if c["type"] == "ContainersReady"][0]' <<<"$OUT")"
unhealthy_seen() { k get events --field-selector involvedObject.name=probed,reason=Unhealthy -o name | grep -q .; }
retry_until 20 unhealthy_seen || true
expect_contains "Unhealthy event: Readiness probe failed with the connect error" \
	"$(k get events --field-selector involvedObject.name=probed,reason=Unhealthy -o jsonpath='{.items[0].message}')" \
	"Readiness probe failed: Get \"http://"

# ---- probes: exec readiness flips Ready both ways -----------------------------------------------------------
FLAG=$WORK/flag-ready
touch "$FLAG"
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "flip", "labels": {"t": "flip"}},
 "spec": {"containers": [{"name": "web", "image": "$IMG", "args": ["netexec", "--http-port=8080"],
   "readinessProbe": {"exec": {"command": ["cat", "$FLAG"]}, "periodSeconds": 1, "failureThreshold": 1}}]}}
EOF
is_cond() { [ "$(pod_cond "$1" "$2")" = "$3" ]; }
retry_until $T is_cond flip Ready True || true
expect_eq "exec readiness passes: Ready" True "$(pod_cond flip Ready)"
rm -f "$FLAG"
retry_until 20 is_cond flip Ready False || true
expect_eq "the probe fails: NotReady" False "$(pod_cond flip Ready)"
expect_eq "the container keeps running (readiness never restarts)" "Running 0" \
	"$(k get pod flip -o jsonpath='{.status.phase} {.status.containerStatuses[0].restartCount}')"
touch "$FLAG"
retry_until 20 is_cond flip Ready True || true
expect_eq "the probe passes again: Ready" True "$(pod_cond flip Ready)"

# ---- liveness: a failing probe restarts the container ----------------------------------------------------------
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "live"},
 "spec": {"terminationGracePeriodSeconds": 2, "containers": [{"name": "web", "image": "$IMG", "args": ["netexec", "--http-port=8080"],
   "livenessProbe": {"exec": {"command": ["cat", "$WORK/never-there"]}, "periodSeconds": 1, "failureThreshold": 2}}]}}
EOF
restarted() { [ "$(k get pod live -o jsonpath='{.status.containerStatuses[0].restartCount}' 2>/dev/null)" -ge 1 ]; }
retry_until 45 restarted || true
expect_eq "liveness failure: restartCount grows" yes "$(restarted && echo yes || k get pod live -o jsonpath='{.status.containerStatuses[0]}')"
EV=$(k get events --field-selector involvedObject.name=live -o json)
expect_contains "Unhealthy: Liveness probe failed" "$(json '" | ".join(e["message"] for e in j["items"] if e["reason"] == "Unhealthy")' <<<"$EV")" "Liveness probe failed"
expect_contains "Killing: will be restarted" "$(json '" | ".join(e["message"] for e in j["items"] if e["reason"] == "Killing")' <<<"$EV")" \
	"Container web failed liveness probe, will be restarted"

# ---- restartPolicy and phases -------------------------------------------------------------------------------
for spec in "ok Never 0" "bad Never 3" "retry OnFailure 0"; do
	set -- $spec
	k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "job-$1"},
 "spec": {"restartPolicy": "$2", "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", "sleep 1; exit $3"]}]}}
EOF
done
phase_is() { [ "$(k get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null)" = "$2" ]; }
retry_until $T phase_is job-ok Succeeded || true
retry_until $T phase_is job-bad Failed || true
retry_until $T phase_is job-retry Succeeded || true
expect_eq "Never + exit 0: Succeeded" "Succeeded Completed 0" \
	"$(k get pod job-ok -o jsonpath='{.status.phase} {.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode}')"
expect_eq "Never + exit 3: Failed" "Failed Error 3" \
	"$(k get pod job-bad -o jsonpath='{.status.phase} {.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode}')"
expect_eq "OnFailure + exit 0: Succeeded" "Succeeded" "$(k get pod job-retry -o jsonpath='{.status.phase}')"
expect_eq "a finished pod is not Ready: PodCompleted" "False PodCompleted" \
	"$(k get pod job-ok -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}')"
expect_ok "a finished pod is deleted at once" k delete pod job-ok --timeout=20s
expect_fail "job-ok is gone" "NotFound" k get pod job-ok

# ---- bad input ---------------------------------------------------------------------------------------------
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "noimage"},
  "spec": {"containers": [{"name": "c", "image": "example.invalid/no-such-program:1"}]}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nocmd"},
  "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["/no/such/command"]}]}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "badprobe"},
  "spec": {"containers": [{"name": "c", "image": "$IMG", "args": ["netexec"], "readinessProbe": {"periodSeconds": 1}}]}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "twoports"},
  "spec": {"containers": [{"name": "a", "image": "$IMG", "args": ["netexec"], "ports": [{"containerPort": 8080}]},
                          {"name": "b", "image": "$IMG", "args": ["netexec"], "ports": [{"containerPort": 8080}]}]}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hp1"},
  "spec": {"containers": [{"name": "a", "image": "$IMG", "args": ["netexec"], "ports": [{"containerPort": 8080, "hostPort": 18080}]}]}}
]}
EOF
retry_until $T running_of hp1 || true
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hp2"},
 "spec": {"containers": [{"name": "a", "image": "$IMG", "args": ["netexec"], "ports": [{"containerPort": 8080, "hostPort": 18080}]}]}}
EOF
waiting_reason() { k get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null; }
reason_in() { local r; r=$(waiting_reason "$1"); [[ " $2 " == *" $r "* ]] && [ -n "$r" ]; }
retry_until $T reason_in noimage "ErrImagePull ImagePullBackOff" || true
expect_match "unresolvable image: ErrImagePull/ImagePullBackOff" "$(waiting_reason noimage)" '^(ErrImagePull|ImagePullBackOff)$'
expect_eq "... and the pod stays Pending" Pending "$(k get pod noimage -o jsonpath='{.status.phase}')"
expect_contains "Failed event names the image" \
	"$(k get events --field-selector involvedObject.name=noimage,reason=Failed -o jsonpath='{range .items[*]}{.message}{"\n"}{end}')" \
	'Failed to pull image "example.invalid/no-such-program:1"'
nocmd_failed() { k get pod nocmd -o json | json 'any(c["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff" or c["state"].get("terminated", {}).get("reason") == "StartError" or c.get("lastState", {}).get("terminated", {}).get("reason") == "StartError" for c in j["status"]["containerStatuses"])' | grep -qx true; }
retry_until $T nocmd_failed || true
expect_eq "unknown command: StartError / CrashLoopBackOff" yes "$(nocmd_failed && echo yes || k get pod nocmd -o jsonpath='{.status.containerStatuses[0]}')"
retry_until $T reason_in badprobe CreateContainerConfigError || true
expect_eq "invalid probe: CreateContainerConfigError" CreateContainerConfigError "$(waiting_reason badprobe)"
expect_contains "... with the reason" "$(k get pod badprobe -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')" \
	"must specify exactly one handler type"
retry_until $T reason_in twoports CreateContainerConfigError || true
expect_contains "two containers on one containerPort: a port conflict" \
	"$(k get pod twoports -o jsonpath='{.status.containerStatuses[*].state.waiting.message}')" "port conflict: containerPort 8080/TCP"
retry_until $T phase_is hp2 Failed || true
expect_eq "a hostPort already held on the node: rejected, Failed/NodePorts" "Failed NodePorts" \
	"$(k get pod hp2 -o jsonpath='{.status.phase} {.status.reason}')"
expect_contains "NodePorts event" "$(k get events --field-selector involvedObject.name=hp2 -o jsonpath='{.items[*].reason}')" NodePorts
expect_eq "the first hostPort pod runs on" Running "$(k get pod hp1 -o jsonpath='{.status.phase}')"
W1=$(k get pods -l app=web -o jsonpath='{.items[0].status.podIP}')
expect_eq "the web pods carry on" "$(k get pods -l app=web -o jsonpath='{.items[0].metadata.name}')" \
	"$(on server curl -s --max-time 5 "http://$W1:8080/hostname")"

# ---- deletion and the grace period --------------------------------------------------------------------------------
k create -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stubborn"},
 "spec": {"terminationGracePeriodSeconds": 6, "containers": [{"name": "c", "image": "busybox",
   "command": ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]}]}}
EOF
retry_until $T is_cond stubborn Ready True || true
expect_eq "stubborn pod Ready" True "$(pod_cond stubborn Ready)"
DEL=$SECONDS
k delete pod stubborn --wait=false >/dev/null
sleep 2
OUT=$(k get pod stubborn -o json 2>&1)
expect_eq "2 s into a 6 s grace period: still there, terminating, container running" "6 running" \
	"$(json 'str(j["metadata"]["deletionGracePeriodSeconds"]) + " " + list(j["status"]["containerStatuses"][0]["state"])[0]' <<<"$OUT" 2>&1)"
expect_eq "a second graceful delete does not remove it early" ok \
	"$(k delete pod stubborn --wait=false >/dev/null 2>&1; k get pod stubborn -o name >/dev/null 2>&1 && echo ok || echo gone)"
gone() { ! k get pod "$1" -o name >/dev/null 2>&1; }
retry_until 30 gone stubborn || true
TOOK=$((SECONDS - DEL))
expect_eq "removed once SIGKILL ended it after the grace period (5..15 s)" yes \
	"$([ $TOOK -ge 5 ] && [ $TOOK -le 15 ] && echo yes || echo "no: $TOOK s")"
expect_contains "Killing event" "$(k get events --field-selector involvedObject.name=stubborn,reason=Killing -o jsonpath='{.items[*].message}')" \
	"Stopping container c"
DEL=$SECONDS
expect_ok "a netexec pod (exits on SIGTERM) is deleted" k delete pod flip --timeout=20s
expect_eq "well within its 30 s grace period" yes "$([ $((SECONDS - DEL)) -le 8 ] && echo yes || echo "no: $((SECONDS - DEL)) s")"
expect_eq "the deployment keeps 2 ready pods" 2 "$(k get deploy web -o jsonpath='{.status.readyReplicas}')"

# ---- kill -9 of the server (and its agent): pods keep serving and are adopted ---------------------------------------
BEFORE=$(k get pods -l app=web -o json)
W1N=$(json 'j["items"][0]["metadata"]["name"]' <<<"$BEFORE")
W1IP=$(json 'j["items"][0]["status"]["podIP"]' <<<"$BEFORE")
W1CID=$(json 'j["items"][0]["status"]["containerStatuses"][0]["containerID"]' <<<"$BEFORE")
STARTED_BEFORE=$(k get events --field-selector involvedObject.name="$W1N",reason=Started -o name | wc -l)
server_kill9
expect_eq "with the agent dead the pod still serves" "$W1N" "$(on server curl -s --max-time 5 "http://$W1IP:8080/hostname")"
server_restart
retry_until $T node_ready || true
sleep 3
retry_until $T all_ready app=web 2 || true
AFTER=$(k get pods -l app=web -o json)
expect_eq "adopted: same pods, same IPs, same container, no restart" \
	"$(json '" ".join(sorted(p["metadata"]["name"] + "=" + p["status"]["podIP"] for p in j["items"]))' <<<"$BEFORE") $W1CID 0" \
	"$(json '" ".join(sorted(p["metadata"]["name"] + "=" + p["status"]["podIP"] for p in j["items"]))' <<<"$AFTER") $(json '[p["status"]["containerStatuses"][0]["containerID"] + " " + str(p["status"]["containerStatuses"][0]["restartCount"]) for p in j["items"] if p["metadata"]["name"] == "'"$W1N"'"][0]' <<<"$AFTER")"
expect_eq "no new Started event for an adopted container" "$STARTED_BEFORE" \
	"$(k get events --field-selector involvedObject.name="$W1N",reason=Started -o name | wc -l)"
expect_eq "and it still answers" "$W1N" "$(on server curl -s --max-time 5 "http://$W1IP:8080/hostname")"
k delete pod -l app=web --wait=false >/dev/null
retry_until $T all_ready app=web 2 || true
expect_eq "replacement pods become Ready after the restart" 2 "$(k get deploy web -o jsonpath='{.status.readyReplicas}')"
