#!/bin/bash
# Garbage collection through ownerReferences, with kubectl: deleting a Deployment deletes its Pods
# (background propagation); --cascade=foreground keeps the Deployment, with the foregroundDeletion
# finalizer, until its Pods are gone; orphaning (the "orphan" finalizer) leaves the Pods without
# their ownerReference; an object whose only owner never existed is collected; a ConfigMap with one
# live and one dead owner only loses the dead reference; deleting a Service deletes its slices; and
# deleting a Namespace empties it and removes it. The test plays a node that finishes pod deletions.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
# The test plays its nodes and their kubelets itself: no agent of the server's own (it would
# register a Node the scheduler could pick and run the pods it binds there).
server_start server --disable-agent

T=30

node_create() {
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Node","metadata":{"name":"'$1'"}}'
	k patch node "$1" --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
	k create -f - >/dev/null <<<'{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"'$1'","namespace":"kube-node-lease"},"spec":{"holderIdentity":"'$1'","renewTime":"'"$(date -u +%FT%T.000000Z)"'"}}'
}

# the node: renew the lease; pods marked for deletion are removed, unless paused
kubelet_loop() {
	while :; do
		k patch lease -n kube-node-lease node-a --type=merge -p '{"spec":{"renewTime":"'"$(date -u +%FT%T.000000Z)"'"}}' >/dev/null 2>&1 || true
		if [ -e "$WORK/kubelet-paused" ]; then
			touch "$WORK/kubelet-paused-ack"
		else
			rm -f "$WORK/kubelet-paused-ack"
			k get pods -A -o json 2>/dev/null | json '"\n".join(p["metadata"]["namespace"] + " " + p["metadata"]["name"] for p in j["items"] if p["metadata"].get("deletionTimestamp"))' |
			while read -r ns name; do
				[ -n "$name" ] && k delete pod -n "$ns" "$name" --grace-period=0 --force >/dev/null 2>&1 || true
			done
		fi
		sleep 0.5
	done
}

count() { k get "$@" -o name 2>/dev/null | wc -l; }
wait_count() { # wait_count SECONDS N ARGS...
	local s=$1 n=$2
	shift 2
	local end=$((SECONDS + s))
	while [ "$(count "$@")" != "$n" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.3
	done
}

node_create node-a
kubelet_loop &
BG_PIDS="${BG_PIDS:-} $!"

# ---- background: kubectl delete deployment ---------------------------------------------------------
expect_ok "create deployment bg" k create deployment bg --image=nginx --replicas=3
wait_count $T 3 pods -l app=bg || true
expect_eq "bg: 3 pods" 3 "$(count pods -l app=bg)"
expect_ok "kubectl delete deployment bg" k delete deployment bg
wait_count $T 0 pods -l app=bg || true
expect_eq "bg: its pods are gone" 0 "$(count pods -l app=bg)"

# ---- foreground: the owner waits for its dependents -------------------------------------------------
expect_ok "create deployment fg" k create deployment fg --image=nginx --replicas=2
wait_count $T 2 pods -l app=fg || true
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get pods -l app=fg -o jsonpath='{.items[*].spec.nodeName}' | wc -w)\" = 2 ]" || true
touch "$WORK/kubelet-paused"
retry_until $T test -e "$WORK/kubelet-paused-ack" || true # a kubelet round under way has finished
expect_ok "kubectl delete --cascade=foreground --wait=false" k delete deployment fg --cascade=foreground --wait=false
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get pods -l app=fg -o jsonpath='{.items[*].metadata.deletionTimestamp}' | wc -w)\" = 2 ]" || true
# Every fg pod still there is being deleted (one may already be gone if a kubelet round was under
# way when the pause began), and at least one is, while the owner waits below.
fg_left=$(count pods -l app=fg)
fg_marked=$(k get pods -l app=fg -o jsonpath='{.items[*].metadata.deletionTimestamp}' | wc -w)
expect_eq "fg: every remaining pod is being deleted" "$fg_left" "$fg_marked"
expect_eq "fg: pods are still being deleted" 1 "$([ "$fg_marked" -ge 1 ] && echo 1 || echo 0)"
expect_eq "fg: deployment still there with the finalizer" foregroundDeletion "$(k get deploy fg -o jsonpath='{.metadata.finalizers[*]}')"
rm -f "$WORK/kubelet-paused"
wait_count $T 0 pods -l app=fg || true
retry_until $T bash -c "! KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get deploy fg" || true
expect_fail "fg: deployment gone after its pods" NotFound k get deploy fg

# ---- orphan: the "orphan" finalizer ------------------------------------------------------------------------
# kubectl --cascade=orphan sends propagationPolicy=Orphan, which the API server accepts but does not
# turn into the finalizer yet; set the finalizer as upstream's API server would.
expect_ok "create deployment or" k create deployment or --image=nginx --replicas=2
wait_count $T 2 pods -l app=or || true
expect_ok "add the orphan finalizer" k patch deployment or --type=merge -p '{"metadata":{"finalizers":["orphan"]}}'
expect_ok "delete deployment or" k delete deployment or --wait=false
retry_until $T bash -c "! KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get deploy or" || true
expect_fail "or: deployment gone" NotFound k get deploy or
sleep 2
expect_eq "or: pods stay" 2 "$(count pods -l app=or)"
expect_eq "or: pods have no ownerReferences" "" "$(k get pods -l app=or -o jsonpath='{.items[*].metadata.ownerReferences}')"

# ---- an owner that never existed; a dangling reference beside a live one ----------------------------------
expect_ok "configmap owned by a missing Service" k create -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"orphaned","ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"nope","uid":"00000000-0000-0000-0000-000000000001"}]}}'
retry_until $T bash -c "! KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get cm orphaned" || true
expect_fail "configmap with a missing owner is collected" NotFound k get cm orphaned
expect_ok "create service keep" k create service clusterip keep --tcp=80:80
KUID=$(k get svc keep -o jsonpath='{.metadata.uid}')
expect_ok "configmap with a live and a dead owner" k create -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"mixed","ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"keep","uid":"'$KUID'"},{"apiVersion":"v1","kind":"Service","name":"gone","uid":"00000000-0000-0000-0000-000000000002"}]}}'
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get cm mixed -o jsonpath='{.metadata.ownerReferences[*].name}')\" = keep ]" || true
expect_eq "mixed: only the live reference stays" keep "$(k get cm mixed -o jsonpath='{.metadata.ownerReferences[*].name}')"

# ---- a Service's slices; a namespace --------------------------------------------------------------------------
expect_ok "create pod for keep" k create -f - <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"kp","labels":{"app":"keep"}},"spec":{"nodeName":"node-a","containers":[{"name":"c","image":"x"}]}}'
expect_ok "pod kp ready" k patch pod kp --subresource=status --type=merge -p '{"status":{"phase":"Running","podIP":"10.42.9.9","conditions":[{"type":"Ready","status":"True"}]}}'
wait_count $T 1 endpointslices -l kubernetes.io/service-name=keep || true
expect_eq "keep: one slice" 1 "$(count endpointslices -l kubernetes.io/service-name=keep)"
expect_ok "delete service keep" k delete svc keep
wait_count $T 0 endpointslices -l kubernetes.io/service-name=keep || true
expect_eq "keep: slices gone" 0 "$(count endpointslices -l kubernetes.io/service-name=keep)"
retry_until $T bash -c "! KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get cm mixed" || true
expect_fail "mixed: collected once its last owner is gone" NotFound k get cm mixed

expect_ok "create namespace team" k create namespace team
expect_ok "deployment in team" k create deployment app -n team --image=nginx --replicas=2
expect_ok "configmap in team" k create configmap cfg -n team --from-literal=a=b
wait_count $T 2 pods -n team || true
expect_ok "delete namespace team" k delete namespace team --wait=false
expect_eq "team: Terminating" Terminating "$(k get ns team -o jsonpath='{.status.phase}' 2>/dev/null || echo gone)"
retry_until 60 bash -c "! KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get ns team" || true
expect_fail "team: removed once empty" NotFound k get ns team
expect_eq "team: nothing left in it" 0 "$(count pods,deployments,configmaps -n team)"
