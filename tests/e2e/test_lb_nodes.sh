#!/bin/bash
# LoadBalancer Services with the `nodes` provider, the default without a portico-lb ConfigMap
# (k3s ServiceLB style): the ingress is the InternalIPs of the Ready Nodes not labelled
# node.kubernetes.io/exclude-from-external-load-balancers; with externalTrafficPolicy Local only of
# those with a ready endpoint (from EndpointSlices' nodeName). Node changes update the ingress
# (UpdatedLoadBalancer); another loadBalancerClass is left alone; allocateLoadBalancerNodePorts:
# false is honoured.
export PORTICO_NODE_MONITOR_GRACE_PERIOD=3600 # Nodes here have no agent renewing their Lease
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
server_start server

T=30

ingress() { k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
ingress_is() { [ "$(ingress "$1")" = "$2" ]; }
events_of() {
	k get events -n "${3:-default}" --field-selector "involvedObject.kind=$1,involvedObject.name=$2" \
		--sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}'
}
has_event() { events_of "$@" | grep -qF -- "$EV_WANT"; }
wait_event() { EV_WANT=$1; shift; retry_until $T has_event "$@" || true; }
node_create() { # node_create NAME IP READY [labels-json]
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Node","metadata":{"name":"'$1'","labels":'"${4:-{\}}"'}}'
	node_ready "$1" "$3" "$2"
}
node_ready() { # node_ready NAME True|False IP
	k patch node "$1" --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"'$2'","reason":"KubeletReady"}],"addresses":[{"type":"InternalIP","address":"'$3'"},{"type":"Hostname","address":"'$1'"}]}}' >/dev/null
}

# Nodes the server may have registered itself (an in-process agent) count too.
PRE=$(k get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' | sort | xargs)
[ -z "$PRE" ] || log "nodes already present: $PRE"
with_pre() { printf '%s\n' $PRE "$@" | sort | xargs; }

node_create node-a 192.0.2.21 True
node_create node-b 192.0.2.22 True
node_create node-x 192.0.2.23 True '{"node.kubernetes.io/exclude-from-external-load-balancers":"true"}'
node_create node-n 192.0.2.24 False

k create service loadbalancer web --tcp=80:8080 >/dev/null
WANT=$(with_pre 192.0.2.21 192.0.2.22)
retry_until $T ingress_is web "$WANT" || true
expect_eq "ingress: Ready, not excluded nodes' InternalIPs" "$WANT" "$(ingress web)"
expect_eq "finalizer present" service.kubernetes.io/load-balancer-cleanup "$(k get svc web -o jsonpath='{.metadata.finalizers[*]}')"
expect_match "kubectl shows the node addresses" "$(k get svc web --no-headers)" '^web +LoadBalancer +10\.43\.[0-9.]+ +([0-9.]+,)*192\.0\.2\.21,192\.0\.2\.22'
wait_event "Ensured load balancer" Service web
expect_contains "events" "$(events_of Service web)" "EnsuringLoadBalancer: Ensuring load balancer
EnsuredLoadBalancer: Ensured load balancer"

# ---- node changes --------------------------------------------------------------------------------
node_ready node-b False 192.0.2.22
WANT=$(with_pre 192.0.2.21)
retry_until $T ingress_is web "$WANT" || true
expect_eq "node-b NotReady: removed" "$WANT" "$(ingress web)"
wait_event "Updated load balancer with new hosts" Service web
expect_contains "UpdatedLoadBalancer event" "$(events_of Service web)" "UpdatedLoadBalancer: Updated load balancer with new hosts"
node_ready node-n True 192.0.2.24
WANT=$(with_pre 192.0.2.21 192.0.2.24)
retry_until $T ingress_is web "$WANT" || true
expect_eq "node-n Ready: added" "$WANT" "$(ingress web)"
k label node node-a node.kubernetes.io/exclude-from-external-load-balancers=true >/dev/null
WANT=$(with_pre 192.0.2.24)
retry_until $T ingress_is web "$WANT" || true
expect_eq "node-a labelled exclude-from-external-load-balancers: removed" "$WANT" "$(ingress web)"
k label node node-a node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null
node_ready node-b True 192.0.2.22
WANT=$(with_pre 192.0.2.21 192.0.2.22 192.0.2.24)
retry_until $T ingress_is web "$WANT" || true
expect_eq "label removed, node-b Ready again" "$WANT" "$(ingress web)"

# ---- externalTrafficPolicy Local -----------------------------------------------------------------
# no selector: the EndpointSlice is written here, with the nodes of its endpoints
k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"loc"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80}]}}'
wait_event "Ensured load balancer" Service loc
expect_eq "Local without endpoints: no ingress" "" "$(ingress loc)"
expect_ok "healthCheckNodePort allocated" test -n "$(k get svc loc -o jsonpath='{.spec.healthCheckNodePort}')"
slice() { # slice NODE:READY...
	local eps= e i=1
	for e in "$@"; do
		eps="$eps${eps:+,}"'{"addresses":["10.42.0.'$i'"],"nodeName":"'${e%%:*}'","conditions":{"ready":'${e##*:}'}}'
		i=$((i + 1))
	done
	k apply -f - >/dev/null <<<'{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"loc-1","labels":{"kubernetes.io/service-name":"loc"}},"addressType":"IPv4","ports":[{"port":80}],"endpoints":['"$eps"']}'
}
slice node-b:true node-a:false
retry_until $T ingress_is loc 192.0.2.22 || true
expect_eq "Local: only the node with a ready endpoint" 192.0.2.22 "$(ingress loc)"
slice node-b:true node-a:true node-x:true
retry_until $T ingress_is loc "192.0.2.21 192.0.2.22" || true
expect_eq "Local: endpoint on node-a ready, node-x still excluded" "192.0.2.21 192.0.2.22" "$(ingress loc)"

# ---- left alone / no NodePorts ---------------------------------------------------------------------
k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"other"},"spec":{"type":"LoadBalancer","loadBalancerClass":"example.com/lb","ports":[{"port":80}]}}'
k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"noports"},"spec":{"type":"LoadBalancer","allocateLoadBalancerNodePorts":false,"ports":[{"port":80}]}}'
WANT=$(with_pre 192.0.2.21 192.0.2.22 192.0.2.24)
retry_until $T ingress_is noports "$WANT" || true
expect_eq "allocateLoadBalancerNodePorts false: ingress all the same" "$WANT" "$(ingress noports)"
expect_eq "allocateLoadBalancerNodePorts false: no nodePort" "" "$(k get svc noports -o jsonpath='{.spec.ports[0].nodePort}')"
sleep 2
expect_eq "another loadBalancerClass: no finalizer" "" "$(k get svc other -o jsonpath='{.metadata.finalizers[*]}')"
expect_eq "another loadBalancerClass: no status" "" "$(ingress other)"
expect_eq "another loadBalancerClass: no events" "" "$(events_of Service other)"
expect_match "another loadBalancerClass: <pending> in kubectl" "$(k get svc other --no-headers)" '^other +LoadBalancer +[0-9.]+ +<pending>'

# ---- deletion ------------------------------------------------------------------------------------
expect_ok "delete web" k delete svc web --timeout=30s
expect_fail "web is gone" NotFound k get svc web
