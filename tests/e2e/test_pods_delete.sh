#!/bin/bash
# Pod deletion (issue 6): the container gets SIGTERM, the pod stays Terminating (deletionTimestamp,
# still serving) for as long as its process takes within the grace period, then goes; a process
# that ignores SIGTERM is killed when terminationGracePeriodSeconds runs out, not before; --grace-
# period on the delete overrides the spec; afterwards the pod's network namespace and IP are gone.
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60

# polite: on TERM it says so, takes 4 s to clean up, exits 0 (grace 20 s)
# stubborn: ignores TERM (grace 5 s), so only the SIGKILL at the end of the grace stops it
cat >"$WORK/pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: polite}
spec:
  nodeName: node2
  terminationGracePeriodSeconds: 20
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'echo got TERM; sleep 4; echo bye; exit 0' TERM; echo started; while true; do sleep 1; done"]
---
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  nodeName: node1
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap '' TERM; echo started; while true; do sleep 1; done"]
---
apiVersion: v1
kind: Pod
metadata: {name: quick}
spec:
  nodeName: node2
  terminationGracePeriodSeconds: 60
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
YAML
expect_ok "create the pods" k apply -f "$WORK/pods.yaml"
running() { [ "$(pod_field "$1" '{.status.phase}')" = Running ] && [ -n "$(pod_field "$1" '{.status.containerStatuses[0].state.running}')" ]; }
for p in polite stubborn quick; do retry_until $T running $p || true; done
expect_eq "all running" "Running Running Running" "$(for p in polite stubborn quick; do pod_field $p '{.status.phase}'; echo; done | xargs)"
retry_until 10 eval 'k logs polite 2>/dev/null | grep -q started' || true

NETNS=$(pod_netns polite)
IP=$(pod_field polite '{.status.podIP}')
PID=$(container_pid polite 'trap' || echo none)

# ---- SIGTERM, then the process's own time ---------------------------------------------------------
T0=$(date +%s.%N)
expect_ok "delete polite (no wait)" k delete pod polite --wait=false
sleep 1.5
expect_eq "polite is Terminating: deletionTimestamp set, grace 20" "yes 20" \
	"$([ -n "$(pod_field polite '{.metadata.deletionTimestamp}')" ] && echo yes || echo no) $(pod_field polite '{.metadata.deletionGracePeriodSeconds}')"
expect_contains "the container got SIGTERM (its trap ran)" "$(k logs polite 2>&1)" "got TERM"
expect_eq "its process still lives during its cleanup" alive "$(kill -0 "$PID" 2>/dev/null && echo alive || echo dead)"
retry_until 25 pod_gone polite || true
T1=$(date +%s.%N)
TOOK=$(echo "$T1 - $T0" | bc)
expect_eq "polite goes once its process exited: after ~4 s, well before the 20 s grace" yes \
	"$(echo "$TOOK >= 3.5 && $TOOK < 12" | bc | sed 's/1/yes/;s/^0$/no: '"$TOOK"' s/')"
expect_eq "its process is gone" dead "$(kill -0 "$PID" 2>/dev/null && echo alive || echo dead)"
expect_eq "its network namespace file is gone" absent "$([ -e "$NETNS" ] && echo present || echo absent)"
expect_eq "its IP is released" absent "$([ -e "$(agent_dir node2)/ipam/$IP" ] && echo present || echo absent)"

# ---- SIGKILL at the end of the grace period ---------------------------------------------------------
SPID=$(container_pid stubborn 'trap' || echo none)
T0=$(date +%s.%N)
expect_ok "delete stubborn (no wait)" k delete pod stubborn --wait=false
sleep 3
expect_eq "stubborn ignores TERM: alive 3 s into its 5 s grace" alive "$(kill -0 "$SPID" 2>/dev/null && echo alive || echo dead)"
expect_eq "and its pod is still there" present "$(pod_gone stubborn && echo gone || echo present)"
retry_until 20 pod_gone stubborn || true
TOOK=$(echo "$(date +%s.%N) - $T0" | bc)
expect_eq "stubborn goes after its 5 s grace (SIGKILL), not much later" yes \
	"$(echo "$TOOK >= 4.5 && $TOOK < 12" | bc | sed 's/1/yes/;s/^0$/no: '"$TOOK"' s/')"
expect_eq "its process was killed" dead "$(kill -0 "$SPID" 2>/dev/null && echo alive || echo dead)"

# ---- --grace-period on the delete overrides the spec's 60 s -------------------------------------------
T0=$(date +%s.%N)
expect_ok "delete quick --grace-period=2" k delete pod quick --grace-period=2 --wait=false
retry_until 20 pod_gone quick || true
TOOK=$(echo "$(date +%s.%N) - $T0" | bc)
expect_eq "quick goes after ~2 s, not 60" yes "$(echo "$TOOK >= 1.5 && $TOOK < 10" | bc | sed 's/1/yes/;s/^0$/no: '"$TOOK"' s/')"
