#!/bin/bash
# The seed walkthrough (docs/tutorial.md, issue 9), command for command: a 3-replica netexec
# Deployment on a 3-node lab (the server's in-process agent in node1, `portico agent` in node2 and
# node3) exposed four ways. ClusterIP: a pod reaches it by the name `web` (its resolv.conf names the
# cluster DNS, which answers web.default.svc.cluster.local) and every replica answers. NodePort: a
# client outside the cluster (its own namespace on the lab bridge) reaches every node's address.
# LoadBalancer (provider pool, ConfigMap kube-system/portico-lb): `kubectl get services -w` shows
# EXTERNAL-IP go from <pending> to 198.51.100.x, the client reaches it, and the MAC that answered its
# ARP is the announcing node's. ExternalName: a pod resolves the name to the CNAME target, which a
# fake upstream resolver in the lab serves (nothing leaves the lab). Then everything is deleted and
# is gone from every node's nftables table and from DNS (NXDOMAIN).
. "$(dirname "$0")/lib.sh"
lab_init
T=90
DNS=10.43.0.10

# ---- the lab (the tutorial's "Before you start") --------------------------------------------------
# The upstream resolver the nodes' /etc/resolv.conf names: a tiny authoritative server for
# example.test in a lab namespace of its own. The agents forward names outside cluster.local to it.
lab_upstream

cluster_up 3
# The outside client: on the lab bridge, not a node; the pool's addresses are on-link for it (it
# ARPs for them, as a router on the nodes' segment would).
lab_node client 192.0.2.100
ip -n client route add 198.51.100.0/24 dev eth0
upstream_up() { [ "$(on upstream dig +short +time=1 +tries=1 @127.0.0.1 www.example.test A)" = 192.0.2.80 ]; }
retry_until 10 upstream_up ||
	die "the lab's upstream resolver does not answer"

# busybox_run NAME ARGS...: `kubectl run NAME --image=busybox --restart=Never -- ARGS`, waits until the
# pod has finished, and prints its logs (kubectl logs NAME).
pod_done() {
	local ph
	ph=$(pod_field "$1" '{.status.phase}')
	[ "$ph" = Succeeded ] || [ "$ph" = Failed ]
}
busybox_run() {
	local name=$1
	shift
	k run "$name" --image=busybox --restart=Never -- "$@" >/dev/null
	retry_until $T pod_done "$name" || log "pod $name not finished: $(pod_field "$name" '{.status.phase}')"
	k logs "$name" 2>&1 || true
}

# ---- 1. a Deployment ------------------------------------------------------------------------------
expect_ok "kubectl create deployment web (3 netexec replicas)" \
	k create deployment web --image=registry.k8s.io/e2e-test-images/agnhost:2.53 --replicas=3 \
	-- /agnhost netexec --http-port=8080
OUT=$(K_TIMEOUT=$((T + 10)) k rollout status deployment/web --timeout=${T}s 2>&1) || true
expect_contains "kubectl rollout status: rolled out" "$OUT" 'deployment "web" successfully rolled out'
PODS=$(k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort)
expect_eq "3 pods" 3 "$(grep -c . <<<"$PODS")"
log "pods: $(k get pods -l app=web -o wide --no-headers 2>&1 | awk '{ print $1, $6, $7 }' | tr '\n' ';')"

# ---- 2. ClusterIP: a pod reaches it by name --------------------------------------------------------
expect_ok "kubectl expose deployment web --port=80 --target-port=8080" \
	k expose deployment web --port=80 --target-port=8080
CIP=$(k get service web -o jsonpath='{.spec.clusterIP}')
expect_match "web has a ClusterIP from 10.43.0.0/16" "$CIP" '^10\.43\.[0-9]+\.[0-9]+$'
ep_ready() {
	[ "$(k get endpointslices -l kubernetes.io/service-name="$1" -o jsonpath='{range .items[*].endpoints[*]}{.conditions.ready}{"\n"}{end}' |
		grep -c true)" = 3 ]
}
retry_until $T ep_ready web || true
expect_eq "web's EndpointSlice lists the 3 pods ready" 3 \
	"$(k get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{range .items[*].endpoints[*]}{.conditions.ready}{"\n"}{end}' | grep -c true)"

OUT=$(busybox_run resolv cat /etc/resolv.conf)
expect_contains "the pod's resolv.conf names the cluster DNS" "$OUT" "nameserver $DNS"
expect_contains "... and searches the namespace's domain" "$OUT" "search default.svc.cluster.local svc.cluster.local cluster.local"

OUT=$(busybox_run client sh -c 'for i in $(seq 30); do wget -q -T 3 -O- http://web/hostname; echo; done')
GOT=$(grep -v '^$' <<<"$OUT" | sort -u)
expect_eq "a pod reaches http://web/ by name, 30 of 30 requests answered" 30 "$(grep -cx 'web-[a-z0-9-]*' <<<"$OUT" || true)"
expect_eq "every replica answered (hostname = pod name)" "$PODS" "$GOT"
expect_eq "the client pod succeeded" Succeeded "$(pod_field client '{.status.phase}')"
# the same name through the cluster DNS, as the pod's resolver asked it
expect_eq "dig web.default.svc.cluster.local from a node" "$CIP" \
	"$(on node2 dig +short +time=2 +tries=2 @$DNS web.default.svc.cluster.local A)"

# ---- 3. NodePort: the outside client reaches every node -------------------------------------------
expect_ok "kubectl expose deployment web --name=web-nodeport --type=NodePort" \
	k expose deployment web --name=web-nodeport --type=NodePort --port=80 --target-port=8080
NP=$(k get service web-nodeport -o jsonpath='{.spec.ports[0].nodePort}')
expect_match "a nodePort in 30000-32767" "$NP" '^3[0-9]{4}$'
np_up() { [[ $(on client curl -s --max-time 2 "http://$1:$NP/hostname") =~ ^web-[a-z0-9-]+$ ]]; }
for n in node1 node2 node3; do
	retry_until 20 np_up "${NODE_IP[$n]}" || true
	OUT=$(on client curl -s --max-time 3 "http://${NODE_IP[$n]}:$NP/hostname" || true)
	expect_match "the outside client reaches $n's address ${NODE_IP[$n]}:$NP" "$OUT" '^web-[a-z0-9-]+$'
	[ -z "$OUT" ] || grep -qx -- "$OUT" <<<"$PODS" || _fail "$n:$NP answered '$OUT', not one of the pods"
done

# ---- 4. LoadBalancer: provider pool, announced on the lab bridge ----------------------------------
expect_ok "the portico-lb ConfigMap: provider pool, 198.51.100.0/28" \
	k create configmap portico-lb -n kube-system --from-literal=provider=pool --from-literal=pools=198.51.100.0/28
k_bg "$WORK/watch.txt" get services -w
WATCH_PID=$BG_PID
sleep 1
expect_ok "kubectl expose deployment web --name=web-lb --type=LoadBalancer" \
	k expose deployment web --name=web-lb --type=LoadBalancer --port=80 --target-port=8080
lb_ip() { k get service web-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null; }
has_lb_ip() { [ -n "$(lb_ip)" ]; }
retry_until 30 has_lb_ip || true
LBIP=$(lb_ip)
expect_match "web-lb gets an address from the pool" "$LBIP" '^198\.51\.100\.([0-9]|1[0-5])$'
watch_shows_ip() { grep -Eq "^web-lb +LoadBalancer +[0-9.]+ +${LBIP//./\\.} " "$WORK/watch.txt"; }
retry_until 10 watch_shows_ip || true
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
log "kubectl get services -w:
$(cat "$WORK/watch.txt")"
expect_match "the watch shows web-lb <pending> first" "$(cat "$WORK/watch.txt")" \
	'^web-lb +LoadBalancer +10\.43\.[0-9.]+ +<pending> +80:3[0-9]+/TCP'
expect_eq "... then the address" yes \
	"$(awk -v ip="$LBIP" '$1 == "web-lb" && $4 == "<pending>" && !p { p = NR } $1 == "web-lb" && $4 == ip && !a { a = NR }
		END { print (p && a && p < a) ? "yes" : "no" }' "$WORK/watch.txt")"
lb_up() { [[ $(on client curl -s --max-time 2 "http://$LBIP/hostname") =~ ^web-[a-z0-9-]+$ ]]; }
retry_until 20 lb_up || true
OUT=$(on client sh -c "for i in \$(seq 12); do curl -s --max-time 3 http://$LBIP/hostname; echo; done" || true)
expect_eq "the outside client reaches http://$LBIP/ (12 of 12)" 12 "$(grep -cx 'web-[a-z0-9-]*' <<<"$OUT" || true)"
# who answered the client's ARP: the node holding the announcer's Lease
HOLDER=$(k get lease -n kube-system portico-lb.default.web-lb -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
expect_match "a node holds the announcer Lease for web-lb" "$HOLDER" '^node[123]$'
if [ -n "$HOLDER" ]; then
	CMAC=$(ip -n client neigh show "$LBIP" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	HMAC=$(ip -n "$HOLDER" -br link show eth0 | awk '{ print $3 }')
	expect_eq "the client's ARP entry for $LBIP is $HOLDER's eth0" "$HMAC" "$CMAC"
fi

# ---- 5. ExternalName: a pod resolves the name to the CNAME target ---------------------------------
expect_ok "kubectl create service externalname ext --external-name www.example.test" \
	k create service externalname ext --external-name www.example.test
OUT=$(busybox_run lookup nslookup ext.default.svc.cluster.local)
expect_contains "the pod's nslookup: ext is a CNAME for www.example.test" "$OUT" "canonical name = www.example.test"
expect_match "... whose address the lab's upstream gave" "$OUT" 'Address:? *192\.0\.2\.80'
expect_eq "dig from a node: the CNAME and the target's A record" "www.example.test.
192.0.2.80" "$(on node3 dig +short +time=2 +tries=2 @$DNS ext.default.svc.cluster.local A)"
expect_contains "the target was asked upstream, in the lab" "$(cat "$UPLOG")" "www.example.test 1"

# ---- 6. delete everything: gone from nftables and from DNS ----------------------------------------
# The tutorial's look at the rules is `nft list table ip portico` in a node's namespace; the proxy's
# frontends (address . protocol . port) are also read straight from its map fe-group, so removal is
# checked even where the whole-table listing fails.
fe_has() { # NODE: the node's fe-group map lists web, web-nodeport and web-lb
	local m
	m=$(on "$1" nft list map ip portico fe-group 2>&1) || return 1
	[[ $m == *"$CIP . tcp . 80 "* && $m == *"0.0.0.0 . tcp . $NP "* && $m == *"$LBIP . tcp . 80 "* ]]
}
for n in node1 node2 node3; do
	retry_until 10 fe_has "$n" || true
	MAP=$(on "$n" nft list map ip portico fe-group 2>&1 || true)
	expect_contains "before: $n's fe-group map has web's ClusterIP" "$MAP" "$CIP . tcp . 80 "
	expect_contains "before: $n's fe-group map has the NodePort" "$MAP" "0.0.0.0 . tcp . $NP "
	expect_contains "before: $n's fe-group map has the load-balancer address" "$MAP" "$LBIP . tcp . 80 "
	TBL=$(on "$n" nft list table ip portico 2>&1 || true)
	expect_match "before: nft list table ip portico on $n shows the ClusterIP, NodePort and LB frontends" \
		"$([[ $TBL == *"$CIP . tcp . 80 "* && $TBL == *"0.0.0.0 . tcp . $NP "* && $TBL == *"$LBIP . tcp . 80 "* ]] &&
			echo all three || echo "$TBL")" '^all three$'
done
expect_ok "kubectl delete service web web-nodeport web-lb ext" k delete service web web-nodeport web-lb ext
expect_ok "kubectl delete deployment web" k delete deployment web
expect_ok "kubectl delete pod resolv client lookup" k delete pod resolv client lookup
expect_ok "kubectl delete configmap -n kube-system portico-lb" k delete configmap -n kube-system portico-lb
pods_gone() { [ -z "$(k get pods -o name 2>/dev/null)" ]; }
retry_until $T pods_gone || true
expect_eq "no pods left" "" "$(k get pods -o name 2>&1)"
expect_eq "only the kubernetes Service left" "kubernetes" "$(k get services -o jsonpath='{.items[*].metadata.name}')"
fe_clean() {
	local m
	m=$(on "$1" nft list map ip portico fe-group 2>&1) || return 1
	[[ $m != *"$CIP . "* && $m != *" . tcp . $NP "* && $m != *"$LBIP . "* ]]
}
for n in node1 node2 node3; do
	retry_until 20 fe_clean "$n" || true
	MAP=$(on "$n" nft list map ip portico fe-group 2>&1 || true)
	expect_contains "$n: nft list map ip portico fe-group answers" "$MAP" "map fe-group"
	expect_not_contains "$n: web's ClusterIP gone from the proxy's map" "$MAP" "$CIP . "
	expect_not_contains "$n: the NodePort gone from the proxy's map" "$MAP" " . tcp . $NP "
	expect_not_contains "$n: the load-balancer address gone from the proxy's map" "$MAP" "$LBIP . "
	TBL=$(on "$n" nft list table ip portico 2>&1 || true)
	expect_contains "$n: nft list table ip portico lists the table" "$TBL" "table ip portico {"
	expect_not_contains "$n: web's ClusterIP gone from the table" "$TBL" "$CIP"
	expect_not_contains "$n: the NodePort gone from the table" "$TBL" " . tcp . $NP "
	expect_not_contains "$n: the load-balancer address gone from the table" "$TBL" "$LBIP"
done
nx() { [[ $(on node2 dig +time=2 +tries=2 @$DNS "$1" A) == *"status: NXDOMAIN"* ]]; }
for name in web web-nodeport web-lb ext; do
	retry_until 10 nx "$name.default.svc.cluster.local" || true
	expect_match "dig $name.default.svc.cluster.local: NXDOMAIN" \
		"$(on node2 dig +time=2 +tries=2 @$DNS "$name.default.svc.cluster.local" A)" 'status: NXDOMAIN'
done
expect_fail "the outside client no longer reaches $LBIP" "" on client curl -s --max-time 2 "http://$LBIP/hostname"
expect_fail "nor the NodePort" "" on client curl -s --max-time 2 "http://${NODE_IP[node2]}:$NP/hostname"
