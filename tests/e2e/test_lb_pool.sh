#!/bin/bash
# LoadBalancer Services with the `pool` provider (docs/loadbalancers.md), driven by kubectl against
# one `portico server`: the portico-lb ConfigMap names the pool 198.51.100.0/28; a Service gets the
# first address (`kubectl get svc -w` shows <pending>, then the address), the cleanup finalizer and
# the upstream events; requested addresses (annotation and spec.loadBalancerIP) and their errors;
# two Services sharing one address (allow-shared-ip) and a third that may not; pool exhaustion
# (<pending> plus AllocationFailed), a live ConfigMap change that ends it, a bad ConfigMap (event,
# old configuration kept); a type change to ClusterIP releases the address and drops the finalizer;
# deletion runs the cleanup; a restart rebuilds the allocations from the Services' status.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
server_start server

T=30

ingress() { k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
has_ingress() { [ -n "$(ingress "$1")" ]; }
ingress_is() { [ "$(ingress "$1")" = "$2" ]; }
events_of() { # events_of KIND NAME [NS]: "reason: message" lines, oldest first
	k get events -n "${3:-default}" --field-selector "involvedObject.kind=$1,involvedObject.name=$2" \
		--sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}'
}
has_event() { events_of "$@" | grep -qF -- "$EV_WANT"; }
wait_event() { # wait_event TEXT KIND NAME [NS]
	EV_WANT=$1
	shift
	retry_until $T has_event "$@" || true
}
lbsvc() { # lbsvc NAME PORT [annotations-json] [extra-spec-json]
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"'$1'","annotations":'"${3:-{\}}"'},"spec":{"type":"LoadBalancer","ports":[{"port":'$2',"targetPort":8080}],"selector":{"app":"'$1'"}'"${4:+,$4}"'}}'
}
cm_pools() { # cm_pools TEXT: create or replace the ConfigMap's pools
	k create configmap portico-lb -n kube-system --from-literal=pools="$1" --dry-run=client -o yaml | k apply -f - >/dev/null
}

# ---- the pool ------------------------------------------------------------------------------------
cm_pools "198.51.100.0/28"
wait_event "Load-balancer provider pool" ConfigMap portico-lb kube-system
expect_contains "ConfigMap applied (event)" "$(events_of ConfigMap portico-lb kube-system)" "ConfigurationApplied: Load-balancer provider pool"

k_bg "$WORK/watch.txt" get svc -w
WATCH=$BG_PID
sleep 1
k create service loadbalancer web --tcp=80:8080 >/dev/null
retry_until $T has_ingress web || true
expect_eq "web: first address of the pool (network address left out)" 198.51.100.1 "$(ingress web)"
retry_until 10 grep -qE '^web +LoadBalancer .*198\.51\.100\.1 ' "$WORK/watch.txt" || true
kill $WATCH 2>/dev/null || true
expect_match "watch shows <pending> first" "$(cat "$WORK/watch.txt")" '^web +LoadBalancer +10\.43\.[0-9.]+ +<pending> +80:3[0-9]+/TCP'
expect_match "then the address" "$(cat "$WORK/watch.txt")" '^web +LoadBalancer +10\.43\.[0-9.]+ +198\.51\.100\.1 +80:3[0-9]+/TCP'
expect_eq "pending line comes before the address line" yes \
	"$(awk '/^web .*<pending>/ && !p {p=NR} /^web .*198\.51\.100\.1/ && !a {a=NR} END {print (p && a && p < a) ? "yes" : "no"}' "$WORK/watch.txt")"
expect_eq "finalizer present" service.kubernetes.io/load-balancer-cleanup "$(k get svc web -o jsonpath='{.metadata.finalizers[*]}')"
expect_eq "ipMode VIP" VIP "$(k get svc web -o jsonpath='{.status.loadBalancer.ingress[0].ipMode}')"
wait_event "Ensured load balancer" Service web
expect_eq "events: upstream reasons and messages" "EnsuringLoadBalancer: Ensuring load balancer
EnsuredLoadBalancer: Ensured load balancer" "$(events_of Service web | grep -v '^nodeAssigned: ' || true)"
expect_eq "events come from service-controller" "service-controller" \
	"$(k get events --field-selector involvedObject.name=web -o jsonpath='{.items[0].source.component}')"

# ---- requested addresses -------------------------------------------------------------------------
lbsvc req 80 '{"portico.io/load-balancer-ips":"198.51.100.10"}'
lbsvc lbip 80 '{}' '"loadBalancerIP":"198.51.100.11"'
retry_until $T ingress_is req 198.51.100.10 || true
retry_until $T ingress_is lbip 198.51.100.11 || true
expect_eq "annotation portico.io/load-balancer-ips honoured" 198.51.100.10 "$(ingress req)"
expect_eq "spec.loadBalancerIP honoured" 198.51.100.11 "$(ingress lbip)"
lbsvc outside 80 '{"portico.io/load-balancer-ips":"203.0.113.5"}'
wait_event AllocationFailed Service outside
expect_contains "address outside the pools: AllocationFailed" "$(events_of Service outside)" \
	'AllocationFailed: Failed to allocate IP for "default/outside": 203.0.113.5 is not in a configured pool'
expect_eq "outside: stays <pending>" "" "$(ingress outside)"
lbsvc taken 80 '{"portico.io/load-balancer-ips":"198.51.100.10"}'
wait_event AllocationFailed Service taken
expect_contains "address in use: AllocationFailed" "$(events_of Service taken)" \
	'198.51.100.10 is already in use by default/req'
expect_match "kubectl shows <pending>" "$(k get svc taken --no-headers)" '^taken +LoadBalancer +[0-9.]+ +<pending>'
k delete svc outside taken >/dev/null

# ---- sharing -------------------------------------------------------------------------------------
lbsvc share-a 80 '{"portico.io/allow-shared-ip":"k1"}'
retry_until $T has_ingress share-a || true
lbsvc share-b 443 '{"portico.io/allow-shared-ip":"k1"}'
retry_until $T has_ingress share-b || true
expect_eq "share-a and share-b share one address" "$(ingress share-a)" "$(ingress share-b)"
expect_eq "that address is the next free one" 198.51.100.2 "$(ingress share-a)"
lbsvc share-c 80 '{"portico.io/allow-shared-ip":"k1"}'
retry_until $T has_ingress share-c || true
expect_eq "share-c (same key, same port 80) gets another address" 198.51.100.3 "$(ingress share-c)"
lbsvc share-d 8443 '{"portico.io/allow-shared-ip":"other"}'
retry_until $T has_ingress share-d || true
expect_eq "share-d (another key) does not share" 198.51.100.4 "$(ingress share-d)"
lbsvc share-e 9000 '{"portico.io/allow-shared-ip":"k1","portico.io/load-balancer-ips":"198.51.100.2"}'
retry_until $T has_ingress share-e || true
expect_eq "a requested shared address (key k1, port 9000)" 198.51.100.2 "$(ingress share-e)"

# ---- exhaustion ----------------------------------------------------------------------------------
# used: .1 .2 .3 .4 .10 .11; the /28 gives .1-.14: eight left
for i in 1 2 3 4 5 6 7 8; do lbsvc "fill$i" 80; done
for i in 1 2 3 4 5 6 7 8; do retry_until $T has_ingress "fill$i" || true; done
expect_eq "eight more fill the pool" "198.51.100.12 198.51.100.13 198.51.100.14 198.51.100.5 198.51.100.6 198.51.100.7 198.51.100.8 198.51.100.9" \
	"$(for i in 1 2 3 4 5 6 7 8; do ingress "fill$i"; echo; done | sort | xargs)"
lbsvc over 80
wait_event AllocationFailed Service over
expect_contains "exhausted: AllocationFailed warning" "$(events_of Service over)" \
	'AllocationFailed: Failed to allocate IP for "default/over": no available IPs in the IPv4 pools'
expect_eq "exhausted: Warning type" Warning "$(k get events --field-selector involvedObject.name=over,reason=AllocationFailed -o jsonpath='{.items[0].type}')"
expect_match "exhausted: <pending>" "$(k get svc over --no-headers)" '^over +LoadBalancer +[0-9.]+ +<pending>'
sleep 2
expect_eq "no duplicate AllocationFailed events while nothing changes" 1 "$(events_of Service over | grep -c AllocationFailed)"

# a freed address goes to the waiting Service
k delete svc fill8 >/dev/null
retry_until $T has_ingress over || true
expect_match "a released address goes to the pending Service" "$(ingress over)" '^198\.51\.100\.(9|[0-9]+)$'

# ---- the ConfigMap, live -------------------------------------------------------------------------
lbsvc over2 80
wait_event AllocationFailed Service over2
expect_eq "over2 pending" "" "$(ingress over2)"
cm_pools "198.51.100.0/28
198.51.100.32-198.51.100.33"
retry_until $T has_ingress over2 || true
expect_eq "a pool added live serves the pending Service" 198.51.100.32 "$(ingress over2)"
expect_eq "existing addresses are kept across the change" 198.51.100.1 "$(ingress web)"

cm_pools "198.51.100.0/33"
wait_event "prefix length" ConfigMap portico-lb kube-system
expect_contains "bad ConfigMap: Warning event on it" "$(events_of ConfigMap portico-lb kube-system)" \
	'InvalidConfiguration: Invalid portico-lb configuration, the last good one stays in force: pools line 1: "198.51.100.0/33": prefix length must be a number from 0 to 32'
lbsvc after-bad 80
retry_until $T has_ingress after-bad || true
expect_eq "the last good configuration stays (second pool still used)" 198.51.100.33 "$(ingress after-bad)"

# ---- type change and deletion --------------------------------------------------------------------
k patch svc web --type=merge -p '{"spec":{"type":"ClusterIP"}}' >/dev/null
fin_gone() { [ -z "$(k get svc "$1" -o jsonpath='{.metadata.finalizers[*]}')" ]; }
retry_until $T fin_gone web || true
expect_eq "type ClusterIP: finalizer removed" "" "$(k get svc web -o jsonpath='{.metadata.finalizers[*]}')"
retry_until $T bash -c "! nsenter --net=/run/netns/server $KUBECTL get svc web -o jsonpath='{.status.loadBalancer.ingress}' | grep -q ip" || true
expect_eq "type ClusterIP: status cleared" "" "$(ingress web)"
wait_event "Deleted load balancer" Service web
expect_contains "type ClusterIP: DeletingLoadBalancer then DeletedLoadBalancer" "$(events_of Service web)" "DeletingLoadBalancer: Deleting load balancer
DeletedLoadBalancer: Deleted load balancer"
lbsvc reuse 80 '{"portico.io/load-balancer-ips":"198.51.100.1"}'
retry_until $T ingress_is reuse 198.51.100.1 || true
expect_eq "the released address can be taken again" 198.51.100.1 "$(ingress reuse)"

expect_ok "delete a LoadBalancer Service" k delete svc req --timeout=30s
expect_fail "it is gone (cleanup ran, finalizer removed)" NotFound k get svc req
wait_event "Deleted load balancer" Service req
expect_contains "deletion: DeletedLoadBalancer event" "$(events_of Service req)" "DeletedLoadBalancer: Deleted load balancer"
lbsvc req2 80 '{"portico.io/load-balancer-ips":"198.51.100.10"}'
retry_until $T ingress_is req2 198.51.100.10 || true
expect_eq "the deleted Service's address is free again" 198.51.100.10 "$(ingress req2)"

# ---- restart: allocations rebuilt from status ----------------------------------------------------
# The ConfigMap is still the bad one: with no good configuration since its start, the restarted
# controller must leave every load balancer as it is.
snapshot() { k get svc -o jsonpath='{range .items[*]}{.metadata.name}={.status.loadBalancer.ingress[*].ip}{"\n"}{end}' | sort; }
BEFORE=$(snapshot)
server_stop
server_restart
wait_event "no good one since the start" ConfigMap portico-lb kube-system
expect_contains "restart with a bad ConfigMap: event says nothing is touched" "$(events_of ConfigMap portico-lb kube-system)" \
	"InvalidConfiguration: Invalid portico-lb configuration, and no good one since the start: load balancers are left as they are until it is fixed"
lbsvc fresh 80
sleep 3
expect_eq "restart with a bad ConfigMap: every address kept" "$BEFORE" "$(snapshot | grep -v '^fresh=')"
expect_eq "restart with a bad ConfigMap: a new Service waits" "" "$(ingress fresh)"

cm_pools "198.51.100.0/28
198.51.100.32-198.51.100.34"
retry_until $T has_ingress fresh || true
AFTER=$(snapshot)
expect_eq "fixed ConfigMap: addresses unchanged (rebuilt from status)" "$BEFORE" "$(grep -v '^fresh=' <<<"$AFTER")"
FRESH=$(ingress fresh)
expect_eq "fixed ConfigMap: the new Service gets the one free address" 198.51.100.34 "$FRESH"
