#!/bin/bash
# Node health from Leases: a node whose Lease in kube-node-lease stops being renewed becomes
# NotReady (Ready=Unknown, NodeStatusUnknown) after the grace period (shortened to 8 s here through
# PORTICO_NODE_MONITOR_GRACE_PERIOD; upstream's and our default is 40 s), its Pods' Ready condition
# turns False, and their endpoints leave rotation (ready=false in the EndpointSlice); the other
# node, still renewing, stays Ready and so do its Pods; new Pods are no longer scheduled there.
export PORTICO_NODE_MONITOR_GRACE_PERIOD=8
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
# The test plays its nodes and their kubelets itself: no agent of the server's own (it would
# register a Node the scheduler could pick and run the pods it binds there).
server_start server --disable-agent

T=30

node_create() {
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Node","metadata":{"name":"'$1'"}}'
	k patch node "$1" --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}]}}' >/dev/null
	k create -f - >/dev/null <<<'{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"'$1'","namespace":"kube-node-lease"},"spec":{"holderIdentity":"'$1'","leaseDurationSeconds":40,"renewTime":"'"$(date -u +%FT%T.000000Z)"'"}}'
}

renew_loop() { # renew_loop NODE: until $WORK/stop-NODE exists
	while [ ! -e "$WORK/stop-$1" ]; do
		k patch lease -n kube-node-lease "$1" --type=merge -p '{"spec":{"renewTime":"'"$(date -u +%FT%T.000000Z)"'"}}' >/dev/null 2>&1 || true
		sleep 1
	done
}

pod() { # pod NAME NODE IP
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"'$1'","labels":{"app":"web"}},"spec":{"nodeName":"'$2'","containers":[{"name":"c","image":"x","ports":[{"containerPort":80}]}]}}'
	k patch pod "$1" --subresource=status --type=merge -p '{"status":{"phase":"Running","podIP":"'$3'","podIPs":[{"ip":"'$3'"}],"conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
}

READY='sorted(e["targetRef"]["name"] + "=" + str(e["conditions"]["ready"]).lower() for s in j["items"] for e in (s.get("endpoints") or []))'
slices_ready() { k get endpointslices -l kubernetes.io/service-name=web -o json | json "$READY"; }

node_create node-a
node_create node-b
renew_loop node-a &
BG_PIDS="${BG_PIDS:-} $!"
renew_loop node-b &
BG_PIDS="$BG_PIDS $!"

expect_ok "create service web" k create service clusterip web --tcp=80:80
pod a1 node-a 10.42.1.1
pod b1 node-b 10.42.2.1
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].conditions.ready}')\" = 'true true' ]" || true
expect_eq "both endpoints ready" '["a1=true", "b1=true"]' "$(slices_ready)"

sleep 10
expect_eq "renewing nodes stay Ready past the grace period" "True True" "$(k get nodes node-a node-b -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}')"

# ---- node-b's agent stops ------------------------------------------------------------------------------
touch "$WORK/stop-node-b"
STOPPED=$SECONDS
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get node node-b -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx Unknown" || true
TOOK=$((SECONDS - STOPPED))
expect_eq "node-b: Ready=Unknown, NodeStatusUnknown" "Unknown NodeStatusUnknown Kubelet stopped posting node status." \
	"$(k get node node-b -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason} {.status.conditions[?(@.type=="Ready")].message}')"
expect_eq "node-b: not before the 8 s grace period" yes "$([ $TOOK -ge 7 ] && echo yes || echo "no: after $TOOK s")"
expect_match "kubectl get nodes shows NotReady" "$(k get nodes --no-headers)" '^node-b +NotReady'
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get pod b1 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx False" || true
expect_eq "b1: Ready=False" False "$(k get pod b1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
expect_eq "a1: still Ready" True "$(k get pod a1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get endpointslices -l kubernetes.io/service-name=web -o json | grep -q '\"ready\": false'" || true
expect_eq "b1's endpoint left rotation" '["a1=true", "b1=false"]' "$(slices_ready)"
expect_eq "node-a: still Ready" True "$(k get node node-a -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"

# ---- the scheduler avoids it ------------------------------------------------------------------------------
for i in 1 2 3; do
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"new'$i'"},"spec":{"containers":[{"name":"c","image":"x"}]}}'
done
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get pods new1 new2 new3 -o jsonpath='{.items[*].spec.nodeName}' | wc -w)\" = 3 ]" || true
expect_eq "new pods all go to node-a" "node-a node-a node-a" "$(k get pods new1 new2 new3 -o jsonpath='{.items[*].spec.nodeName}')"
