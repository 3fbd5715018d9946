#!/bin/bash
# Deployments, the scheduler and the events they leave, driven by kubectl. The test plays two nodes:
# it creates their Node objects and keeps their Leases in kube-node-lease fresh, and acts as their
# kubelet: a Pod bound to a node gets an IP, phase Running and Ready=True through pods/status, and a
# Pod marked for graceful deletion is removed. Checks: kubectl create/scale 0 -> 5 -> 2 (not-ready
# Pods go first), Pod names, labels and ownerReferences, spreading over the nodes, kubectl get deploy
# and rollout status, a rolling update by kubectl set image that keeps within maxSurge and ends with
# only new Pods, status and conditions, events, and a Pod that fits no node.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
# The test plays its nodes and their kubelets itself: no agent of the server's own (it would
# register a Node the scheduler could pick and run the pods it binds there).
server_start server --disable-agent

T=40

# node_create NAME [LABELS-JSON]: a Node reporting Ready, and its Lease
node_create() {
	local labels=${2:-'{}'}
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Node","metadata":{"name":"'$1'","labels":'"$labels"'}}'
	k patch node "$1" --subresource=status --type=merge \
		-p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"ready","lastHeartbeatTime":"'"$(date -u +%FT%TZ)"'"}]}}' >/dev/null
	k create -f - >/dev/null <<<'{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"'$1'","namespace":"kube-node-lease"},"spec":{"holderIdentity":"'$1'","leaseDurationSeconds":40,"renewTime":"'"$(date -u +%FT%T.000000Z)"'"}}'
}

# kubelet_round: what the nodes' agents would do once: start bound Pods, finish deleted ones
kubelet_round() {
	local line
	k get pods -A -o json | json '"\n".join(p["metadata"]["namespace"] + " " + p["metadata"]["name"] + " " + ("delete" if p["metadata"].get("deletionTimestamp") else "start") for p in j["items"] if p["spec"].get("nodeName") and (p["metadata"].get("deletionTimestamp") or not p.get("status", {}).get("podIP")))' |
	while read -r ns name what; do
		[ -n "$name" ] || continue
		if [ "$what" = delete ]; then
			k delete pod -n "$ns" "$name" --grace-period=0 --force >/dev/null 2>&1 || true
		else
			IPN=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 250 + 2 ))
			k patch pod -n "$ns" "$name" --subresource=status --type=merge \
				-p '{"status":{"phase":"Running","podIP":"10.42.7.'$IPN'","podIPs":[{"ip":"10.42.7.'$IPN'"}],"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"'"$(date -u +%FT%TZ)"'"}]}}' >/dev/null 2>&1 || true
		fi
	done
}

# the nodes' background life: leases renewed, kubelet rounds
kubelet_loop() {
	while :; do
		for n in node-a node-b; do
			k patch lease -n kube-node-lease "$n" --type=merge -p '{"spec":{"renewTime":"'"$(date -u +%FT%T.000000Z)"'"}}' >/dev/null 2>&1 || true
		done
		[ -e "$WORK/kubelet-paused" ] || kubelet_round
		sleep 0.5
	done
}

pods_json() { k get pods -l app=web -o json; }
wait_pods() { # wait_pods SECONDS EXPR EXPECTED
	local end=$((SECONDS + $1))
	while :; do
		[ "$(pods_json | json "$2" 2>/dev/null)" = "$3" ] && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.3
	done
}
ACTIVE='len([p for p in j["items"] if not p["metadata"].get("deletionTimestamp")])'

node_create node-a '{"zone":"z1"}'
node_create node-b '{"zone":"z2"}'
kubelet_loop &
BG_PIDS="${BG_PIDS:-} $!"

# ---- create with 0 replicas, scale to 5 ----------------------------------------------------------
expect_ok "kubectl create deployment web --replicas=0" k create deployment web --image=nginx:1.25 --replicas=0
sleep 1
expect_eq "no pods at 0 replicas" 0 "$(pods_json | json "$ACTIVE")"
expect_ok "kubectl scale --replicas=5" k scale deployment web --replicas=5
wait_pods $T 'len([p for p in j["items"] if p.get("status", {}).get("podIP")])' 5 || true
out=$(pods_json)
expect_eq "5 pods" 5 "$(json "$ACTIVE" <<<"$out")"
HASH=$(json 'j["items"][0]["metadata"]["labels"]["pod-template-hash"]' <<<"$out")
expect_match "pod-template-hash label" "$HASH" '^[bcdfghjklmnpqrstvwxz2456789]{1,10}$'
expect_eq "names are web-<hash>-<random>" 5 "$(json 'len([p for p in j["items"] if __import__("re").fullmatch("web-'"$HASH"'-[a-z0-9]{5}", p["metadata"]["name"])])' <<<"$out")"
expect_eq "controller ownerReference to the Deployment" "Deployment/web/True/True" \
	"$(json '"/".join(str(r[f]) for r in j["items"][0]["metadata"]["ownerReferences"] for f in ("kind", "name", "controller", "blockOwnerDeletion"))' <<<"$out")"
expect_eq "owner uid is the Deployment's" "$(k get deploy web -o jsonpath='{.metadata.uid}')" "$(json 'j["items"][0]["metadata"]["ownerReferences"][0]["uid"]' <<<"$out")"
expect_eq "spread over both nodes (fewest pods first)" '["node-a", "node-a", "node-b", "node-b"]' \
	"$(json 'sorted(p["spec"]["nodeName"] for p in j["items"])[0:2] + sorted(p["spec"]["nodeName"] for p in j["items"])[3:5]' <<<"$out")"
expect_eq "PodScheduled=True" 5 "$(json 'len([p for p in j["items"] if any(c["type"] == "PodScheduled" and c["status"] == "True" for c in p["status"].get("conditions", [])) or p["status"].get("podIP")])' <<<"$out")"
expect_ok "kubectl rollout status" k rollout status deployment/web --timeout=${T}s
expect_contains "rollout status says so" "$OUT" 'deployment "web" successfully rolled out'
retry_until 10 bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get deploy web --no-headers | grep -q ' 5/5 *5 *5 '" || true
expect_match "kubectl get deploy: 5/5 5 5" "$(k get deploy web --no-headers)" '^web +5/5 +5 +5 '
st=$(k get deploy web -o json)
expect_eq "observedGeneration follows generation" "$(json 'j["metadata"]["generation"]' <<<"$st")" "$(json 'j["status"]["observedGeneration"]' <<<"$st")"
expect_eq "conditions" '["Available=True/MinimumReplicasAvailable", "Progressing=True/NewReplicaSetAvailable"]' \
	"$(json 'sorted(c["type"] + "=" + c["status"] + "/" + c["reason"] for c in j["status"]["conditions"])' <<<"$st")"
expect_eq "scale subresource" 5 "$(k get --raw /apis/apps/v1/namespaces/default/deployments/web/scale | json 'j["spec"]["replicas"]')"

# ---- scale down to 2: not-ready pods go first ---------------------------------------------------------
touch "$WORK/kubelet-paused"
sleep 1
NOTREADY=$(pods_json | json '" ".join(sorted(p["metadata"]["name"] for p in j["items"])[0:2])')
for p in $NOTREADY; do
	k patch pod "$p" --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"False"}]}}' >/dev/null
done
retry_until 10 bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get deploy web -o jsonpath='{.status.readyReplicas}' | grep -qx 3" || true
expect_eq "readiness flip: readyReplicas 3" 3 "$(k get deploy web -o jsonpath='{.status.readyReplicas}')"
expect_ok "kubectl scale --replicas=2" k scale deployment web --replicas=2
rm -f "$WORK/kubelet-paused"
wait_pods $T "$ACTIVE" 2 || true
wait_pods $T 'len(j["items"])' 2 || true
out=$(pods_json)
expect_eq "2 pods left" 2 "$(json 'len(j["items"])' <<<"$out")"
for p in $NOTREADY; do
	expect_not_contains "not-ready pod $p was removed" "$(json '" ".join(p["metadata"]["name"] for p in j["items"])' <<<"$out")" "$p"
done
expect_ok "rollout status after scale down" k rollout status deployment/web --timeout=${T}s
expect_ok "events: SuccessfulCreate and SuccessfulDelete" bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get events --field-selector involvedObject.name=web -o jsonpath='{.items[*].reason}' | tr ' ' '\n' | sort -u | tr '\n' ' ' | grep -q 'ScalingReplicaSet SuccessfulCreate SuccessfulDelete'"
expect_contains "kubectl describe deploy shows the events" "$(k describe deploy web)" "Deleted pod: "

# ---- rolling update: kubectl set image --------------------------------------------------------------------
expect_ok "kubectl scale --replicas=4" k scale deployment web --replicas=4
expect_ok "rollout status at 4" k rollout status deployment/web --timeout=${T}s
k get pods -l app=web -w --output-watch-events -o jsonpath='{.type} {.object.metadata.name} {.object.metadata.deletionTimestamp}{"\n"}' >"$WORK/watch.txt" 2>&1 &
BG_PIDS="$BG_PIDS $!"
sleep 1
expect_ok "kubectl set image" k set image deployment/web nginx=nginx:1.26
expect_ok "kubectl rollout status follows the rollout" k rollout status deployment/web --timeout=60s
expect_contains "rollout finished" "$OUT" 'successfully rolled out'
wait_pods $T 'len(j["items"])' 4 || true
out=$(pods_json)
NEWHASH=$(k get pods -l app=web -o jsonpath='{.items[0].metadata.labels.pod-template-hash}')
expect_eq "4 pods, all of the new template" "4 4" "$(json 'str(len(j["items"])) + " " + str(len([p for p in j["items"] if p["metadata"]["labels"]["pod-template-hash"] != "'"$HASH"'" and p["spec"]["containers"][0]["image"] == "nginx:1.26"]))' <<<"$out")"
expect_eq "status after the rollout" "4 4 4 4" "$(k get deploy web -o jsonpath='{.status.replicas} {.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas}')"
# maxSurge 25% of 4 = 1: at no time more than 5 pods without a deletionTimestamp
MAXLIVE=$("$PY" - "$WORK/watch.txt" <<'PYEOF'
import sys
live, peak = set(), 0
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 2: continue
    t, name, deleting = f[0], f[1], len(f) > 2
    if t == "DELETED" or deleting: live.discard(name)
    else: live.add(name)
    peak = max(peak, len(live))
print("peak %d" % peak if 4 < peak <= 5 else "bad peak %d" % peak)
PYEOF
)
expect_eq "rollout surged by one pod, never more (maxSurge 25% of 4)" "peak 5" "$MAXLIVE"

# ---- a pod that fits nowhere ------------------------------------------------------------------------------
expect_ok "create a pod for zone z9" k create -f - <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"lost"},"spec":{"nodeSelector":{"zone":"z9"},"containers":[{"name":"c","image":"busybox"}]}}'
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get pod lost -o jsonpath='{.status.conditions[?(@.type==\"PodScheduled\")].reason}' | grep -q Unschedulable" || true
expect_eq "lost: PodScheduled=False Unschedulable" "False Unschedulable" \
	"$(k get pod lost -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason}')"
expect_eq "lost: still Pending, no node" "Pending " "$(k get pod lost -o jsonpath='{.status.phase} {.spec.nodeName}')"
retry_until 10 bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get events --field-selector involvedObject.name=lost,reason=FailedScheduling -o name | grep -q ." || true
expect_eq "lost: FailedScheduling event" "Warning 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." \
	"$(k get events --field-selector involvedObject.name=lost,reason=FailedScheduling -o jsonpath='{.items[0].type} {.items[0].message}')"
expect_ok "label node-b zone=z9" k label node node-b zone=z9 --overwrite
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get pod lost -o jsonpath='{.spec.nodeName}' | grep -q node-b" || true
expect_eq "lost: scheduled once a node fits" node-b "$(k get pod lost -o jsonpath='{.spec.nodeName}')"
