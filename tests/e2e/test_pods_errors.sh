#!/bin/bash
# Bad input on a node (issue 6): an image that resolves nowhere leaves the container Waiting with
# reason ErrImagePull and a message naming the image, plus an event on the pod; a command that
# cannot be executed gives StartError (exit code 128) with the exec error; and the agent and the
# other pods carry on: the node stays Ready, a good pod created afterwards on the same node runs
# and serves, and the failing pods are retried with back-off, not in a tight loop.
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60

cat >"$WORK/pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: noimage}
spec:
  nodeName: node2
  containers:
  - name: main
    image: registry.invalid/portico-e2e/does-not-exist:1.0
---
apiVersion: v1
kind: Pod
metadata: {name: nocommand}
spec:
  nodeName: node2
  containers:
  - name: main
    image: busybox
    command: ["/nonexistent/portico-e2e-binary", "x"]
---
apiVersion: v1
kind: Pod
metadata: {name: noprogram}
spec:
  nodeName: node2
  containers:
  - name: main
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    command: ["/nonexistent/portico-e2e-other", "x"]
YAML
expect_ok "create the broken pods" k apply -f "$WORK/pods.yaml"

reason() { pod_field "$1" '{.status.containerStatuses[0].state.waiting.reason}'; }
retry_until $T eval '[ "$(reason noimage)" = ErrImagePull ] || [ "$(reason noimage)" = ImagePullBackOff ]' || true
expect_match "noimage: Waiting with ErrImagePull (or its back-off)" "$(reason noimage)" '^(ErrImagePull|ImagePullBackOff)$'
expect_contains "the message names the image" "$(pod_field noimage '{.status.containerStatuses[0].state.waiting.message}')" \
	"registry.invalid/portico-e2e/does-not-exist:1.0"
expect_eq "noimage: Pending, not ready, no restarts counted" "Pending false 0" \
	"$(pod_field noimage '{.status.phase} {.status.containerStatuses[0].ready} {.status.containerStatuses[0].restartCount}')"
expect_contains "the pod has its Initialized/PodScheduled conditions and Ready=False" \
	"$(pod_field noimage '{range .status.conditions[*]}{.type}={.status} {end}')" "Ready=False"
ev() { k get events --field-selector "involvedObject.name=$1" -o jsonpath='{range .items[*]}{.type} {.reason} {.message}{"\n"}{end}' 2>/dev/null; }
retry_until 20 eval 'ev noimage | grep -q does-not-exist' || true
expect_match "an event on the pod names the image" "$(ev noimage)" '^Warning [A-Za-z]+ .*registry\.invalid/portico-e2e/does-not-exist:1\.0'
expect_contains "the event comes from the node's agent" \
	"$(k get events --field-selector involvedObject.name=noimage -o jsonpath='{.items[*].source.host}{.items[*].reportingInstance}')" node2

start_error() {
	[ "$(pod_field "$1" '{.status.containerStatuses[0].lastState.terminated.reason}')" = StartError ] ||
		[ "$(pod_field "$1" '{.status.containerStatuses[0].state.terminated.reason}')" = StartError ]
}
# a command missing from a busybox image: upstream's runtime fails the exec (StartError), it does
# not run busybox with an unknown applet name
retry_until $T start_error nocommand || true
ST=$(k get pod nocommand -o json)
expect_eq "nocommand (busybox image): StartError, exit code 128" "StartError 128" \
	"$(json '(lambda c: (lambda t: "%s %s" % (t.get("reason"), t.get("exitCode")))(c["state"].get("terminated") or c.get("lastState", {}).get("terminated") or {}))(j["status"]["containerStatuses"][0])' <<<"$ST")"
expect_contains "the message carries the exec error" \
	"$(json '(lambda c: (c["state"].get("terminated") or c.get("lastState", {}).get("terminated") or {}).get("message", ""))(j["status"]["containerStatuses"][0])' <<<"$ST")" \
	"/nonexistent/portico-e2e-binary"
retry_until $T start_error noprogram || true
ST=$(k get pod noprogram -o json)
expect_eq "noprogram (agnhost image): StartError, exit code 128" "StartError 128" \
	"$(json '(lambda c: (lambda t: "%s %s" % (t.get("reason"), t.get("exitCode")))(c["state"].get("terminated") or c.get("lastState", {}).get("terminated") or {}))(j["status"]["containerStatuses"][0])' <<<"$ST")"
expect_contains "the message carries the exec error" \
	"$(json '(lambda c: (c["state"].get("terminated") or c.get("lastState", {}).get("terminated") or {}).get("message", ""))(j["status"]["containerStatuses"][0])' <<<"$ST")" \
	"/nonexistent/portico-e2e-other"

# ---- the rest carries on ------------------------------------------------------------------------------
expect_eq "node2 stays Ready" True "$(k get node node2 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
cat >"$WORK/good.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: good}
spec:
  nodeName: node2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
    readinessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
YAML
expect_ok "a good pod on the same node" k apply -f "$WORK/good.yaml"
retry_until $T pod_ready good || true
expect_eq "the good pod becomes Ready" True "$(pod_field good '{.status.conditions[?(@.type=="Ready")].status}')"
expect_eq "and serves" good "$(on node1 curl -s --max-time 3 "http://$(pod_field good '{.status.podIP}'):8080/hostname" 2>&1 || true)"
expect_eq "the agent is still the same process" alive "$(kill -0 "${AGENT_PID[node2]}" 2>/dev/null && echo alive || echo dead)"

# back-off: over 20 s a failing container is retried a few times (10 s doubling), not hundreds
sleep 20
RC=$(pod_field nocommand '{.status.containerStatuses[0].restartCount}')
expect_eq "nocommand is retried with back-off (1 to 4 restarts in ~30 s)" yes \
	"$([ "${RC:-0}" -ge 1 ] && [ "${RC:-0}" -le 4 ] && echo yes || echo "no: restartCount '$RC'")"
expect_match "nocommand waits in CrashLoopBackOff between tries, or is being tried" \
	"$(pod_field nocommand '{.status.containerStatuses[0].state.waiting.reason}{.status.containerStatuses[0].state.terminated.reason}')" \
	'^(CrashLoopBackOff|StartError)$'
