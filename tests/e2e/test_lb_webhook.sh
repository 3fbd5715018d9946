#!/bin/bash
# LoadBalancer Services through the `webhook` provider, against the example provider
# examples/lb-provider-haproxy (HTTPS, bearer token, HAProxy in its own network namespace "cloud").
# A Service gets a VIP from the cloud; HAProxy forwards the VIP to the nodes' NodePorts (here tiny
# HTTP servers in two node namespaces stand in for the service proxy) and health-checks a Local
# Service through its healthCheckNodePort; node changes reach the provider as updates; the provider
# down -> SyncLoadBalancerFailed with back-off 5 s, 10 s, ...; it converges when the provider
# returns; deletion and a type change remove the provider's load balancers.
export PORTICO_NODE_MONITOR_GRACE_PERIOD=3600 # Nodes here have no agent renewing their Lease
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node cloud 192.0.2.50
lab_node node-a 192.0.2.21
lab_node node-b 192.0.2.22
lab_node client 192.0.2.60
ip -n client route add 198.51.100.128/28 via 192.0.2.50
server_start server

T=30
PROVIDER=$REPO/examples/lb-provider-haproxy/provider.py

ingress() { k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
has_ingress() { [ -n "$(ingress "$1")" ]; }
events_of() {
	k get events -n "${3:-default}" --field-selector "involvedObject.kind=$1,involvedObject.name=$2" \
		--sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}'
}
has_event() { events_of "$@" | grep -qF -- "$EV_WANT"; }
wait_event() { EV_WANT=$1; shift; retry_until $T has_event "$@" || true; }
node_create() { # node_create NAME IP
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Node","metadata":{"name":"'$1'"}}'
	k patch node "$1" --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}],"addresses":[{"type":"InternalIP","address":"'$2'"}]}}' >/dev/null
}
# serve NODE PORT TEXT: an HTTP server answering TEXT on / (and /healthz) in NODE's namespace
serve() {
	local d=$WORK/www-$1-$2
	mkdir -p "$d"
	echo "$3" >"$d/index.html"
	echo ok >"$d/healthz"
	nsenter --net="/run/netns/$1" "$PY" -m http.server "$2" --bind "${NODE_IP[$1]}" --directory "$d" >/dev/null 2>&1 &
	BG_PIDS="${BG_PIDS:-} $!"
}
state_services() { "$PY" -c 'import json,sys; print(" ".join(sorted(l["service"] for l in json.load(open(sys.argv[1])).values())))' "$WORK/cloud/state.json" 2>/dev/null; }
provider_start() {
	# nsenter directly (not the `on` function), so $! is the provider itself
	nsenter --net=/run/netns/cloud "$PY" "$PROVIDER" --listen 192.0.2.50:8443 --cert "$WORK/lb.crt" --key "$WORK/lb.key" \
		--token-file "$WORK/lb-token" --pool 198.51.100.128/28 --state-dir "$WORK/cloud" >>"$WORK/provider.log" 2>&1 &
	PROV_PID=$!
	retry_until 10 on server curl -s -o /dev/null --cacert "$WORK/lbca.crt" https://192.0.2.50:8443/ ||
		die "provider did not start: $(tail -5 "$WORK/provider.log")"
}
curl_vip() { on client curl -s --max-time 2 "http://$1/"; }

# ---- the cloud: a CA, a serving certificate for 192.0.2.50, a token --------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/lbca.key" \
	-out "$WORK/lbca.crt" -subj /CN=lab-cloud-ca -days 2 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/lb.key" -out "$WORK/lb.csr" \
	-subj /CN=192.0.2.50 2>/dev/null
openssl x509 -req -in "$WORK/lb.csr" -CA "$WORK/lbca.crt" -CAkey "$WORK/lbca.key" -CAcreateserial -days 2 \
	-out "$WORK/lb.crt" -extfile <(printf 'subjectAltName=IP:192.0.2.50\nbasicConstraints=CA:FALSE\n') 2>/dev/null
(umask 077 && head -c 24 /dev/urandom | base64 >"$WORK/lb-token")
provider_start

node_create node-a 192.0.2.21
node_create node-b 192.0.2.22
k create configmap portico-lb -n kube-system --from-literal=provider=webhook \
	--from-literal=webhook-url=https://192.0.2.50:8443/lb --from-literal=webhook-token-file="$WORK/lb-token" \
	--from-literal=webhook-ca-file="$WORK/lbca.crt" --from-literal=webhook-timeout-seconds=3 >/dev/null
wait_event "Load-balancer provider webhook" ConfigMap portico-lb kube-system
expect_contains "webhook configuration applied" "$(events_of ConfigMap portico-lb kube-system)" "ConfigurationApplied: Load-balancer provider webhook"

# ---- ensure ---------------------------------------------------------------------------------------
k create service loadbalancer web --tcp=80:8080 >/dev/null
retry_until $T has_ingress web || true
expect_eq "web: the cloud's first VIP" 198.51.100.129 "$(ingress web)"
expect_eq "the provider holds web's load balancer" default/web "$(state_services)"
NP=$(k get svc web -o jsonpath='{.spec.ports[0].nodePort}')
CFG=$(cat "$WORK/cloud/haproxy.cfg")
expect_contains "HAProxy: frontend on the VIP" "$CFG" "bind 198.51.100.129:80"
expect_contains "HAProxy: node-a's NodePort" "$CFG" "server node-a 192.0.2.21:$NP check"
expect_contains "HAProxy: node-b's NodePort" "$CFG" "server node-b 192.0.2.22:$NP check"
serve node-a "$NP" "hello from node-a"
serve node-b "$NP" "hello from node-b"
sleep 2
SEEN=$(for i in 1 2 3 4 5 6; do curl_vip 198.51.100.129; done | sort -u | xargs)
expect_eq "an outside client reaches both nodes through the VIP" "hello from node-a hello from node-b" "$SEEN"
expect_contains "events" "$(events_of Service web)" "EnsuringLoadBalancer: Ensuring load balancer
EnsuredLoadBalancer: Ensured load balancer"

# ---- Local: health-checked through healthCheckNodePort ---------------------------------------------
k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"loc"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80}]}}'
retry_until $T has_ingress loc || true
expect_eq "loc: the next VIP" 198.51.100.130 "$(ingress loc)"
LNP=$(k get svc loc -o jsonpath='{.spec.ports[0].nodePort}')
HC=$(k get svc loc -o jsonpath='{.spec.healthCheckNodePort}')
CFG=$(cat "$WORK/cloud/haproxy.cfg")
expect_contains "HAProxy: Local backends checked on healthCheckNodePort" "$CFG" "server node-a 192.0.2.21:$LNP check port $HC"
expect_contains "HAProxy: HTTP health check" "$CFG" "option httpchk GET /healthz"
serve node-a "$LNP" "loc on node-a"
serve node-b "$LNP" "loc on node-b"
serve node-a "$HC" "healthy" # only node-a has local endpoints: only it answers the health check
sleep 4
SEEN=$(for i in 1 2 3 4 5 6; do curl_vip 198.51.100.130; done | sort -u | xargs)
expect_eq "Local: traffic only to the node passing the health check" "loc on node-a" "$SEEN"

# ---- node changes reach the provider ----------------------------------------------------------------
k label node node-b node.kubernetes.io/exclude-from-external-load-balancers=true >/dev/null
excluded() { ! grep -q "server node-b 192.0.2.22:$NP" "$WORK/cloud/haproxy.cfg"; }
retry_until $T excluded || true
expect_not_contains "node-b excluded: gone from HAProxy" "$(cat "$WORK/cloud/haproxy.cfg")" "server node-b 192.0.2.22:$NP"
wait_event "Updated load balancer with new hosts" Service web
expect_contains "UpdatedLoadBalancer event" "$(events_of Service web)" "UpdatedLoadBalancer: Updated load balancer with new hosts"
expect_contains "provider log: update operations" "$(cat "$WORK/provider.log")" "update default/web"
k label node node-b node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null

# ---- provider down: back-off, then convergence ----------------------------------------------------------
kill "$PROV_PID"
wait "$PROV_PID" 2>/dev/null || true
DOWN=$SECONDS
k create service loadbalancer web2 --tcp=81:8080 >/dev/null
wait_event SyncLoadBalancerFailed Service web2
expect_contains "provider down: SyncLoadBalancerFailed" "$(events_of Service web2)" \
	"SyncLoadBalancerFailed: Error syncing load balancer: failed to ensure load balancer: provider unreachable: "
retry_until 40 grep -q "lb controller: default/web2: retry 3 in 20000 ms" "$SERVER_LOG" || true
expect_eq "back-off: 5 s, 10 s, 20 s" "retry 1 in 5000 ms
retry 2 in 10000 ms
retry 3 in 20000 ms" "$(grep -o 'default/web2: retry [0-9]* in [0-9]* ms' "$SERVER_LOG" | sed 's/^default\/web2: //' | head -3)"
N=$(events_of Service web2 | grep -c SyncLoadBalancerFailed || true)
expect_eq "one SyncLoadBalancerFailed per attempt (3 so far)" 3 "$N"
TOOK=$((SECONDS - DOWN))
expect_eq "the third failure came after the 5 s and 10 s waits (not a tight loop)" yes "$([ $TOOK -ge 15 ] && echo yes || echo "no: $TOOK s")"
expect_eq "web2: <pending> meanwhile" "" "$(ingress web2)"
expect_eq "web: untouched meanwhile" 198.51.100.129 "$(ingress web)"
provider_start
retry_until 40 has_ingress web2 || true
expect_eq "provider back: web2 converges" 198.51.100.131 "$(ingress web2)"
expect_eq "web keeps its VIP (provider state persisted)" 198.51.100.129 "$(ingress web)"

# ---- deletion and type change remove the provider's load balancers -----------------------------------
expect_ok "delete web" k delete svc web --timeout=30s
expect_fail "web is gone" NotFound k get svc web
expect_eq "the provider dropped web" "default/loc default/web2" "$(state_services)"
expect_not_contains "HAProxy no longer binds web's VIP" "$(cat "$WORK/cloud/haproxy.cfg")" "bind 198.51.100.129:80"
sleep 1
expect_eq "web's VIP no longer answers" "" "$(curl_vip 198.51.100.129 || true)"
k patch svc web2 --type=merge -p '{"spec":{"type":"ClusterIP"}}' >/dev/null
fin_gone() { [ -z "$(k get svc web2 -o jsonpath='{.metadata.finalizers[*]}')" ]; }
retry_until $T fin_gone || true
expect_eq "web2 ClusterIP: finalizer removed" "" "$(k get svc web2 -o jsonpath='{.metadata.finalizers[*]}')"
expect_eq "web2 ClusterIP: the provider dropped it" "default/loc" "$(state_services)"
expect_contains "web2 events" "$(events_of Service web2)" "DeletedLoadBalancer: Deleted load balancer"
expect_contains "provider saw deletes" "$(cat "$WORK/provider.log")" "delete default/web2"

# ---- authentication and bad webhook settings ----------------------------------------------------------
k patch configmap portico-lb -n kube-system --type=merge -p '{"data":{"webhook-token-file":"'"$WORK"'/missing-token"}}' >/dev/null
wait_event "missing-token" ConfigMap portico-lb kube-system
expect_contains "unreadable token file: InvalidConfiguration, old configuration kept" "$(events_of ConfigMap portico-lb kube-system)" \
	"InvalidConfiguration: Invalid portico-lb configuration, the last good one stays in force: webhook-token-file: cannot open $WORK/missing-token: No such file or directory"
(umask 077 && echo wrong-token >"$WORK/wrong-token")
k patch configmap portico-lb -n kube-system --type=merge -p '{"data":{"webhook-token-file":"'"$WORK"'/wrong-token"}}' >/dev/null
retry_until $T bash -c "[ \$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get events -n kube-system --field-selector reason=ConfigurationApplied -o name | wc -l) -ge 2 ]" || true
k create service loadbalancer web3 --tcp=82:8080 >/dev/null
wait_event SyncLoadBalancerFailed Service web3
expect_contains "a wrong token: the provider's 401 in the event" "$(events_of Service web3)" \
	"SyncLoadBalancerFailed: Error syncing load balancer: failed to ensure load balancer: provider answered HTTP 401: unauthorized"
expect_eq "web3: <pending>" "" "$(ingress web3)"
k patch configmap portico-lb -n kube-system --type=merge -p '{"data":{"webhook-token-file":"'"$WORK"'/lb-token"}}' >/dev/null
retry_until $T has_ingress web3 || true
expect_eq "the right token again: web3 converges at once (a new configuration ends the back-off)" 198.51.100.129 "$(ingress web3)"

# ---- periodic resync: a provider that lost its state gets the load balancers back -----------------
k patch configmap portico-lb -n kube-system --type=merge -p '{"data":{"resync-period-seconds":"2"}}' >/dev/null
retry_until $T grep -q "lb controller: periodic resync every 2 s" "$SERVER_LOG" || true
expect_contains "resync-period-seconds applied" "$(cat "$SERVER_LOG")" "lb controller: periodic resync every 2 s"
ensures_of() { grep -c "ensure $1 ->" "$WORK/provider.log" || true; }
EV0=$(events_of Service loc | wc -l)
N0=$(ensures_of default/loc)
HP0=$(cat "$WORK/cloud/haproxy.pid")
sleep 5 # two periods and more, nothing drifted
N1=$(ensures_of default/loc)
log "periodic ensures of default/loc in 5 s: $((N1 - N0))"
expect_eq "the controller re-ensures loc every period (2 or 3 in 5 s)" yes "$([ $((N1 - N0)) -ge 2 ] && [ $((N1 - N0)) -le 3 ] && echo yes || echo "no: $((N1 - N0))")"
expect_eq "without drift the re-ensures are quiet (no new events)" "$EV0" "$(events_of Service loc | wc -l)"
expect_eq "without drift HAProxy is not reloaded (its pid stays)" "$HP0" "$(cat "$WORK/cloud/haproxy.pid")"
# the cloud loses everything: provider, HAProxy and state gone, the provider starts empty
kill "$PROV_PID"
wait "$PROV_PID" 2>/dev/null || true
# (and wait until the old HAProxy is gone: still bound to the VIPs, it could take the new ones' traffic)
stop_haproxy() {
	local p pids
	pids=$(cat "$WORK/cloud/haproxy.pid" 2>/dev/null || true)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	for p in $pids; do
		for _ in $(seq 50); do [ -d "/proc/$p" ] || break; sleep 0.1; done
	done
	true
}
stop_haproxy
rm -f "$WORK/cloud/state.json" "$WORK/cloud/haproxy.cfg" "$WORK/cloud/haproxy.pid"
provider_start
WIPED=$(date +%s.%N)
both_back() { [ "$(state_services)" = "default/loc default/web3" ]; }
retry_until 15 both_back || true
TOOK=$(awk -v a="$WIPED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "RESYNC: the wiped provider got both load balancers back after $TOOK s (period 2 s)"
expect_eq "the wiped provider gets loc and web3 back" "default/loc default/web3" "$(state_services)"
expect_eq "within the period and the request time (< 4 s, took $TOOK s)" yes "$(awk -v f="$TOOK" 'BEGIN { print (f < 4.0) ? "yes" : "no" }')"
vip_in_cloud() { "$PY" -c 'import json,sys; print(" ".join(l["vip"] for l in json.load(open(sys.argv[1])).values() if l["service"] == sys.argv[2]))' "$WORK/cloud/state.json" "$1"; }
status_follows() { [ "$(ingress loc)" = "$(vip_in_cloud default/loc)" ] && [ "$(ingress web3)" = "$(vip_in_cloud default/web3)" ]; }
retry_until 10 status_follows || true
expect_eq "loc's status is the cloud's VIP for it" "$(vip_in_cloud default/loc)" "$(ingress loc)"
expect_eq "web3's status is the cloud's VIP for it" "$(vip_in_cloud default/web3)" "$(ingress web3)"
LVIP=$(ingress loc)
loc_answers() { [ "$(curl_vip "$LVIP")" = "loc on node-a" ]; }
retry_until 10 loc_answers || true
expect_eq "an outside client reaches loc through the recreated load balancer" "loc on node-a" "$(curl_vip "$LVIP" || true)"
k patch configmap portico-lb -n kube-system --type=json -p '[{"op":"remove","path":"/data/resync-period-seconds"}]' >/dev/null
default_again() { [ "$(grep -c "lb controller: periodic resync every 300 s" "$SERVER_LOG")" -ge 2 ]; }
retry_until $T default_again || true
expect_eq "the key removed: back to the default period (logged at start and now)" 2 "$(grep -c "lb controller: periodic resync every 300 s" "$SERVER_LOG")"

expect_not_contains "the token never reaches the server log" "$(cat "$SERVER_LOG")" "$(cat "$WORK/lb-token")"
kill "$PROV_PID" 2>/dev/null || true
stop_haproxy
