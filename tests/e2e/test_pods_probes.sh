#!/bin/bash
# Probes (issue 6), with upstream's semantics: an exec readiness probe that starts failing makes
# the pod NotReady (container ready=false, Ready/ContainersReady False, the Service's endpoint not
# ready) without a restart, and Ready again once it passes; httpGet and tcpSocket readiness against
# netexec succeed on its port and never on a closed one; a failing liveness probe restarts the
# container (restartCount grows, lastState.terminated), while a passing one never does.
# The probes' flag files live in the lab's work dir: containers share the node's file system (only
# /etc/resolv.conf and /etc/hosts are the pod's own), so the test switches them from outside.
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60
FLAGS=$WORK/flags
mkdir -p "$FLAGS"
touch "$FLAGS/ready"

cat >"$WORK/pods.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ready-exec, labels: {app: ready-exec}}
spec:
  nodeName: node2
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe:
      exec: {command: ["cat", "$FLAGS/ready"]}
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata: {name: ready-http, labels: {app: ready-http}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
    readinessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
      failureThreshold: 3 # the default: netexec may need a moment to listen
---
apiVersion: v1
kind: Pod
metadata: {name: ready-never}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
    readinessProbe:
      httpGet: {path: /healthz, port: 9999}
      periodSeconds: 1
  - name: tcp
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe:
      tcpSocket: {port: 9998}
      periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: live-exec}
spec:
  nodeName: node1
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    livenessProbe:
      exec: {command: ["cat", "$FLAGS/alive"]}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Service
metadata: {name: ready-exec}
spec:
  selector: {app: ready-exec}
  ports: [{port: 80, targetPort: 8080}]
YAML
expect_ok "create the probed pods" k apply -f "$WORK/pods.yaml"

ready_is() { [ "$(pod_field "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }
cstat() { pod_field "$1" "{.status.containerStatuses[?(@.name==\"$2\")].$3}"; }
conds() { pod_field "$1" '{range .status.conditions[*]}{.type}={.status} {end}'; }
ep_ready() { k get endpointslices -l kubernetes.io/service-name=ready-exec -o jsonpath='{.items[*].endpoints[*].conditions.ready}'; }

# ---- exec readiness: Ready, NotReady, Ready -----------------------------------------------------------
retry_until $T ready_is ready-exec True || true
expect_eq "exec readiness passes: Ready" True "$(pod_field ready-exec '{.status.conditions[?(@.type=="Ready")].status}')"
expect_eq "container ready, started" "true true" "$(cstat ready-exec main ready) $(cstat ready-exec main started)"
retry_until 20 eval '[ "$(ep_ready)" = true ]' || true
expect_eq "the Service's endpoint is ready" true "$(ep_ready)"
PID0=$(container_pid ready-exec 'sleep 3600' || echo none)

rm -f "$FLAGS/ready"
retry_until 20 ready_is ready-exec False || true
expect_eq "the probe fails: pod NotReady" False "$(pod_field ready-exec '{.status.conditions[?(@.type=="Ready")].status}')"
expect_contains "ContainersReady False too" "$(conds ready-exec)" "ContainersReady=False"
expect_eq "container not ready, still running" "false running" \
	"$(cstat ready-exec main ready) $(pod_field ready-exec '{.status.containerStatuses[0].state}' | grep -o running || echo not-running)"
expect_eq "phase stays Running" Running "$(pod_field ready-exec '{.status.phase}')"
retry_until 20 eval '[ "$(ep_ready)" = false ]' || true
expect_eq "the Service's endpoint is not ready" false "$(ep_ready)"
expect_eq "readiness never restarts: restartCount 0" 0 "$(cstat ready-exec main restartCount)"

touch "$FLAGS/ready"
retry_until 20 ready_is ready-exec True || true
expect_eq "the probe passes again: Ready" True "$(pod_field ready-exec '{.status.conditions[?(@.type=="Ready")].status}')"
expect_eq "the same process all along" "$PID0" "$(container_pid ready-exec 'sleep 3600' || echo gone)"
expect_eq "still no restart" 0 "$(cstat ready-exec main restartCount)"

# ---- httpGet and tcpSocket -----------------------------------------------------------------------------
retry_until $T ready_is ready-http True || true
expect_eq "httpGet /healthz on netexec's port: Ready" True "$(pod_field ready-http '{.status.conditions[?(@.type=="Ready")].status}')"
running_both() { [ "$(pod_field ready-never '{.status.containerStatuses[*].state.running.startedAt}' | wc -w)" = 2 ]; }
retry_until $T running_both || true
sleep 4 # several probe periods
expect_eq "httpGet on a closed port: never Ready, both containers running" "False 2" \
	"$(pod_field ready-never '{.status.conditions[?(@.type=="Ready")].status}') $(pod_field ready-never '{.status.containerStatuses[*].state.running.startedAt}' | wc -w)"
expect_eq "per container: neither ready (http 9999, tcp 9998)" "false false" \
	"$(cstat ready-never netexec ready) $(cstat ready-never tcp ready)"
expect_eq "tcpSocket liveness on the serving port never restarts" 0 "$(cstat ready-http netexec restartCount)"

# ---- liveness: restarts ----------------------------------------------------------------------------
restarted() { [ "$(cstat live-exec main restartCount)" -ge "$1" ] 2>/dev/null; }
retry_until $T restarted 1 || true
expect_eq "failing liveness probe: the container restarted" yes "$(restarted 1 && echo yes || echo "no: restartCount '$(cstat live-exec main restartCount)'")"
LAST=$(pod_field live-exec '{.status.containerStatuses[0].lastState.terminated.exitCode}')
expect_match "lastState.terminated with the exit of the killed process (143 or 137)" "${LAST:-none}" '^(143|137)$'
retry_until $T restarted 2 || true
expect_eq "restartCount keeps growing while the probe fails" yes "$(restarted 2 && echo yes || echo "no: $(cstat live-exec main restartCount)")"
RC=$(cstat live-exec main restartCount)
touch "$FLAGS/alive"
# a restart may be under way: let it settle, then the count must stand still
retry_until 40 eval '[ -n "$(pod_field live-exec "{.status.containerStatuses[0].state.running.startedAt}")" ]' || true
RC=$(cstat live-exec main restartCount)
sleep 6
expect_eq "liveness passes again: no more restarts" "$RC" "$(cstat live-exec main restartCount)"
