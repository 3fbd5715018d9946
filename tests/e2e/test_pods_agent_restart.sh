#!/bin/bash
# The agent can crash without its pods noticing (issue 6): after `kill -9` of node2's agent its pods
# keep serving (curl answered, same processes), a pod deleted meanwhile stays Terminating, and the
# restarted agent adopts the running pods without restarting them (same pod IP, restartCount,
# containerID, startedAt and process), finishes the pending deletion, and runs new pods at IPs no
# live pod holds (its IPAM is on disk).
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60

for p in a b c; do
	cat <<YAML
---
apiVersion: v1
kind: Pod
metadata: {name: keep-$p, labels: {app: keep}}
spec:
  nodeName: node2
  terminationGracePeriodSeconds: 2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
    readinessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
YAML
done >"$WORK/pods.yaml"
expect_ok "three netexec pods on node2" k apply -f "$WORK/pods.yaml"
for p in a b c; do retry_until $T pod_ready "keep-$p" || true; done
expect_eq "all Ready" "True True True" \
	"$(for p in a b c; do pod_field "keep-$p" '{.status.conditions[?(@.type=="Ready")].status}'; echo; done | xargs)"

snapshot() { # POD: what must not change across the agent's restart
	pod_field "$1" '{.status.podIP} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].containerID} {.status.containerStatuses[0].state.running.startedAt}'
}
declare -A BEFORE=() PIDS=() IPS=()
for p in a b c; do
	BEFORE[$p]=$(snapshot "keep-$p")
	PIDS[$p]=$(container_pid "keep-$p" netexec || echo none)
	IPS[$p]=$(pod_field "keep-$p" '{.status.podIP}')
done
log "before: ${BEFORE[*]}"

agent_kill9 node2
log "node2's agent killed"
sleep 1
for i in 1 2 3; do
	expect_eq "agent dead, round $i: keep-a still answers" keep-a \
		"$(on node1 curl -s --max-time 3 "http://${IPS[a]}:8080/hostname" 2>&1 || true)"
	expect_eq "agent dead, round $i: keep-b answers node2 itself" keep-b \
		"$(on node2 curl -s --max-time 3 "http://${IPS[b]}:8080/hostname" 2>&1 || true)"
	sleep 1
done
expect_eq "the containers' processes live on" "${PIDS[a]} ${PIDS[b]} ${PIDS[c]}" \
	"$(for p in a b c; do kill -0 "${PIDS[$p]}" 2>/dev/null && echo "${PIDS[$p]}" || echo dead; done | xargs)"

# delete keep-c while nobody runs node2: it must stay Terminating, serving, until the agent is back
expect_ok "delete keep-c while the agent is down" k delete pod keep-c --wait=false
sleep 3
expect_eq "keep-c stays (Terminating) with no agent to stop it" yes \
	"$([ -n "$(pod_field keep-c '{.metadata.deletionTimestamp}')" ] && echo yes || echo no)"
expect_eq "keep-c still serves" keep-c "$(on node1 curl -s --max-time 3 "http://${IPS[c]}:8080/hostname" 2>&1 || true)"

agent_start node2
retry_until $T pod_gone keep-c || true
expect_eq "the restarted agent finishes the deletion of keep-c" gone "$(pod_gone keep-c && echo gone || echo present)"
expect_eq "keep-c's process is gone" dead "$(kill -0 "${PIDS[c]}" 2>/dev/null && echo alive || echo dead)"
sleep 3 # a few status rounds of the new agent
for p in a b; do
	expect_eq "keep-$p adopted: same IP, restartCount, containerID, startedAt" "${BEFORE[$p]}" "$(snapshot "keep-$p")"
	expect_eq "keep-$p: the same process" "${PIDS[$p]}" "$(container_pid "keep-$p" netexec || echo none)"
	expect_eq "keep-$p still Ready" True "$(pod_field "keep-$p" '{.status.conditions[?(@.type=="Ready")].status}')"
done
expect_eq "keep-a answers after the adoption" keep-a "$(on node1 curl -s --max-time 3 "http://${IPS[a]}:8080/hostname" 2>&1 || true)"

# new pods after the restart: IPs that no live pod holds
cat >"$WORK/new.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: fresh}
spec:
  nodeName: node2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
YAML
expect_ok "a new pod on node2" k apply -f "$WORK/new.yaml"
retry_until $T eval '[ "$(pod_field fresh "{.status.phase}")" = Running ]' || true
NEWIP=$(pod_field fresh '{.status.podIP}')
log "fresh: $NEWIP (keep-c had ${IPS[c]}); node2's neighbours: $(on node2 ip neigh show dev portico0 | tr '\n' ';')"
expect_match "fresh runs with an IP" "${NEWIP:-none}" '^10\.42\.'
expect_eq "its IP is not a live pod's" yes "$([ "$NEWIP" != "${IPS[a]}" ] && [ "$NEWIP" != "${IPS[b]}" ] && echo yes || echo "no: $NEWIP")"
# Running is not listening yet (fresh has no readiness probe): give netexec a moment
answers() { [ "$(on node1 curl -s --max-time 2 "http://$2:8080/hostname" 2>/dev/null)" = "$1" ]; }
retry_until 15 answers fresh "$NEWIP" || true
expect_eq "fresh answers" fresh "$(on node1 curl -s --max-time 3 "http://$NEWIP:8080/hostname" 2>&1 || true)"
expect_eq "no agent restart restarted a container" "0 0 0" \
	"$(for p in keep-a keep-b fresh; do pod_field $p '{.status.containerStatuses[0].restartCount}'; echo; done | xargs)"
