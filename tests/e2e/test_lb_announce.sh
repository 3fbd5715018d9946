#!/bin/bash
# The layer-2 announcer (provider pool): three agents on the lab bridge and an outside client. For a
# LoadBalancer Service with an ingress address from 198.51.100.0/28 exactly one node answers ARP,
# the one holding the Lease kube-system/portico-lb.<ns>.<name>, and a nodeAssigned event says so;
# the exclusion label moves it; externalTrafficPolicy Local keeps it on nodes with a ready endpoint;
# `kill -9` of the announcing agent moves it to another node, which sends gratuitous ARP, and the
# client's traffic follows: the failover time (kill -> the client's requests answered by the new
# node) is measured and must stay under 2 s; a graceful stop hands over faster. The traffic goes
# through the agents' service proxy: the Service has externalTrafficPolicy Local and one endpoint
# per node, a little HTTP server naming the node, so the answer names the node whose ARP answer
# brought the traffic (the address is on no link). The addresses come from the lb controller (asked
# for through the portico.io/load-balancer-ips annotation).
# serial: the failover (< 2 s) and graceful hand-over (< 0.7 s) deadlines are measured; tests/run.sh
# runs this scenario alone, so that a neighbour scenario's CPU does not blur them.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node srv 192.0.2.10
lab_node n1 192.0.2.11
lab_node n2 192.0.2.12
lab_node n3 192.0.2.13
lab_node client 192.0.2.100
ip -n client route add 198.51.100.0/24 dev eth0 # on-link: the client ARPs for pool addresses

SARGS=()
if "$PORTICO" server --help 2>&1 | grep -q -- --disable-agent; then SARGS+=(--disable-agent); fi
server_start srv --service-cidr 10.43.0.0/16,fd00:43::/112 "${SARGS[@]}"
T=30
ARPPY=$E2E_DIR/lb_arp.py
declare -A AGENT_PID=() MAC=() NODE_OF=()

agent_start() {
	local node=$1 logf
	logf=$WORK/agent-$node.$(date +%s%N).log
	SERVER_LOGS+=("$logf")
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		nsenter --net="/run/netns/$node" "$PORTICO" agent --server "https://192.0.2.10:6443" \
		--token-file "$SERVER_DATA/node-token" --ca-file "$WORK/ca.crt" --node-name "$node" \
		--node-ip "${NODE_IP[$node]}" --data-dir "$WORK/agent-$node" --log-level debug >"$logf" 2>&1 &
	AGENT_PID[$node]=$!
	BG_PIDS="${BG_PIDS:-} $!"
}

is_ready() { [ "$(k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }

for n in n1 n2 n3; do
	MAC[$n]=$(ip -n "$n" -br link show eth0 | awk '{ print $3 }')
	NODE_OF[${MAC[$n]}]=$n
	# each node serves a file naming it; the Services' endpoints are these servers, so with
	# externalTrafficPolicy Local the answer names the node the proxy took the traffic on
	mkdir -p "$WORK/www-$n"
	echo "$n" >"$WORK/www-$n/node"
	on "$n" "$PY" -m http.server 18080 --bind "${NODE_IP[$n]}" --directory "$WORK/www-$n" >/dev/null 2>&1 &
	BG_PIDS="${BG_PIDS:-} $!"
	agent_start "$n"
done
for n in n1 n2 n3; do retry_until $T is_ready "$n" || die "node $n not Ready"; done

k create -n kube-system configmap portico-lb --from-literal=provider=pool --from-literal=pools="198.51.100.0/28
2001:db8:100::/124" >/dev/null

# lb_svc NAME IP [POLICY [FAMILY]]: a LoadBalancer Service without selector that asks the lb
# controller for IP; waits until the controller has written it as the ingress.
lb_svc() {
	k apply -f - >/dev/null <<-YAML
		apiVersion: v1
		kind: Service
		metadata:
		  name: $1
		  annotations: {portico.io/load-balancer-ips: "$2"}
		spec:
		  type: LoadBalancer
		  externalTrafficPolicy: ${3:-Cluster}
		  ipFamilies: [${4:-IPv4}]
		  ports: [{port: 80, targetPort: 18080}]
	YAML
	retry_until $T ingress_is "$1" "$2" || die "the lb controller did not assign $2 to $1: $(k get svc "$1" -o jsonpath='{.status}')"
}
ingress_is() { [ "$(k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null)" = "$2" ]; }

holder() { k get lease -n kube-system "portico-lb.default.$1" -o jsonpath="{.spec.holderIdentity}" 2>/dev/null || true; }
has_holder() { [ -n "$(holder "$1")" ]; }
holder_not() { local h; h=$(holder "$1"); [ -n "$h" ] && [ "$h" != "$2" ]; }
holder_is() { [ "$(holder "$1")" = "$2" ]; }
# answers IP: the nodes whose MAC answered an ARP request for IP within 1 s, sorted
answers() {
	local m out=()
	for m in $(on client "$PY" "$ARPPY" ask eth0 192.0.2.100 "$1" 1); do out+=("${NODE_OF[$m]:-$m}"); done
	echo "${out[*]:-none}"
}
has_event_node() {
	k get events --field-selector "involvedObject.name=$1" -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' |
		grep -qF "announcing from node \"$2\""
}
answers_are() { [ "$(answers "$1")" = "$2" ]; }

# ---- one announcer per address -------------------------------------------------------------------
k apply -f - >/dev/null <<-YAML
	apiVersion: discovery.k8s.io/v1
	kind: EndpointSlice
	metadata:
	  name: web-manual
	  labels: {kubernetes.io/service-name: web}
	addressType: IPv4
	ports: [{name: "", port: 18080, protocol: TCP}]
	endpoints:
	- {addresses: ["192.0.2.11"], nodeName: n1, conditions: {ready: true}}
	- {addresses: ["192.0.2.12"], nodeName: n2, conditions: {ready: true}}
	- {addresses: ["192.0.2.13"], nodeName: n3, conditions: {ready: true}}
YAML
lb_svc web 198.51.100.1 Local
retry_until $T has_holder web || die "no node took the lease for web"
H1=$(holder web)
log "web: lease holder $H1"
retry_until 5 answers_are 198.51.100.1 "$H1" || true
expect_eq "exactly the lease holder answers ARP for 198.51.100.1" "$H1" "$(answers 198.51.100.1)"
expect_eq "nobody answers for an address no Service has" none "$(answers 198.51.100.9)"
EV=$(k get events --field-selector involvedObject.name=web -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}')
expect_contains "nodeAssigned event on the Service" "$EV" "nodeAssigned: announcing from node \"$H1\" with protocol \"layer2\""
expect_eq "lease: 1 s, labelled" "1 true" \
	"$(k get lease -n kube-system portico-lb.default.web -o jsonpath='{.spec.leaseDurationSeconds} {.metadata.labels.portico\.io/lb-announcer}')"
got_web() { [ "$(on client curl -s --max-time 1 http://198.51.100.1/node)" = "$H1" ]; }
retry_until 10 got_web || true
expect_eq "the client's traffic reaches the announcing node (through its service proxy)" "$H1" \
	"$(on client curl -s --max-time 3 http://198.51.100.1/node || true)"

# ---- exclusion label -----------------------------------------------------------------------------
k label node "$H1" node.kubernetes.io/exclude-from-external-load-balancers=true >/dev/null
retry_until 10 holder_not web "$H1" || true
H2=$(holder web)
expect_match "an excluded node gives the address up (holder now $H2)" "$H2" '^n[123]$'
[ "$H2" != "$H1" ] || _fail "holder still $H1 after the exclusion label"
retry_until 5 answers_are 198.51.100.1 "$H2" || true
expect_eq "only the new holder answers ARP" "$H2" "$(answers 198.51.100.1)"
k label node "$H1" node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null

# ---- externalTrafficPolicy Local -----------------------------------------------------------------
slice() {
	k apply -f - >/dev/null <<-YAML
		apiVersion: discovery.k8s.io/v1
		kind: EndpointSlice
		metadata:
		  name: local-manual
		  labels: {kubernetes.io/service-name: local}
		addressType: IPv4
		ports: [{name: "", port: 18080, protocol: TCP}]
		endpoints:
		- {addresses: ["10.42.9.1"], nodeName: $1, conditions: {ready: true}}
		- {addresses: ["10.42.9.2"], nodeName: $2, conditions: {ready: false}}
	YAML
}
slice n3 n1
lb_svc local 198.51.100.2 Local
retry_until $T holder_is local n3 || true
expect_eq "Local: the only node with a ready endpoint holds the lease" n3 "$(holder local)"
retry_until 5 answers_are 198.51.100.2 n3 || true
expect_eq "Local: it alone answers ARP" n3 "$(answers 198.51.100.2)"
slice n2 n3 # the endpoint moves to n2; n3's is not ready
retry_until 10 holder_is local n2 || true
expect_eq "Local: the lease follows the ready endpoint" n2 "$(holder local)"
retry_until 5 answers_are 198.51.100.2 n2 || true
expect_eq "Local: the new node alone answers ARP" n2 "$(answers 198.51.100.2)"

# ---- two Services sharing one address: one election, one node answers ---------------------------
for x in a:80 b:81; do
	k apply -f - >/dev/null <<-YAML
		apiVersion: v1
		kind: Service
		metadata:
		  name: shared-${x%%:*}
		  annotations: {portico.io/load-balancer-ips: "198.51.100.3", portico.io/allow-shared-ip: "k1"}
		spec:
		  type: LoadBalancer
		  ports: [{port: ${x#*:}}]
	YAML
done
retry_until $T ingress_is shared-b 198.51.100.3 || true
retry_until $T has_holder shared-a || true
HS=$(holder shared-a)
expect_match "shared address: the first Service's lease is held ($HS)" "$HS" '^n[123]$'
retry_until 5 answers_are 198.51.100.3 "$HS" || true
sleep 1
expect_eq "shared address: exactly one node answers ARP" "$HS" "$(answers 198.51.100.3)"
expect_eq "shared address: the second Service runs no election of its own" "" "$(holder shared-b)"
retry_until 5 has_event_node shared-b "$HS" || true
expect_contains "shared address: nodeAssigned on the second Service names the same node" \
	"$(k get events --field-selector involvedObject.name=shared-b -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}')" \
	"nodeAssigned: announcing from node \"$HS\""

# ---- failover: kill -9 of the announcing agent ---------------------------------------------------
HOLD=$(holder web)
on client "$PY" "$ARPPY" garp eth0 198.51.100.1 "$WORK/garp.log" &
BG_PIDS="${BG_PIDS:-} $!"
on client "$PY" "$ARPPY" http 198.51.100.1 80 /node "$WORK/http.log" &
BG_PIDS="${BG_PIDS:-} $!"
retry_until 10 grep -q " $HOLD\$" "$WORK/http.log" || die "client traffic does not reach $HOLD before the kill"
sleep 1
KILLED_AT=$(date +%s.%N)
kill -KILL "${AGENT_PID[$HOLD]}"
wait "${AGENT_PID[$HOLD]}" 2>/dev/null || true
log "killed the agent of $HOLD at $KILLED_AT"
new_served() { awk -v t="$KILLED_AT" -v old="$HOLD" '$1 > t && $2 != old && $2 != "-" { found = 1 } END { exit !found }' "$WORK/http.log"; }
retry_until 15 new_served || true
sleep 1
NEW=$(holder web)
log "http.log after the kill:"; awk -v t="$KILLED_AT" '$1 > t - 1' "$WORK/http.log" | sed 's/^/#   /'
FIRST=$(awk -v t="$KILLED_AT" -v old="$HOLD" '$1 > t && $2 != old && $2 != "-" { print $1, $2; exit }' "$WORK/http.log")
expect_match "after the kill another node takes the lease ($NEW)" "$NEW" '^n[123]$'
[ "$NEW" != "$HOLD" ] || _fail "lease still held by the killed node $HOLD"
expect_eq "the client's traffic moves to the new holder" "$NEW" "${FIRST#* }"
FAILOVER=$(awk -v a="$KILLED_AT" -v b="${FIRST%% *}" 'BEGIN { if (b == "") print "inf"; else printf "%.3f", b - a }')
log "FAILOVER: kill -9 of the announcing agent -> client traffic served by $NEW after $FAILOVER s"
expect_eq "failover within 2 s (took $FAILOVER s)" yes "$(awk -v f="$FAILOVER" 'BEGIN { print (f != "inf" && f < 2.0) ? "yes" : "no" }')"
GARP_T=$(awk -v t="$KILLED_AT" -v m="${MAC[$NEW]:-x}" '$1 > t && $2 == m { print $1; exit }' "$WORK/garp.log")
expect_match "the new announcer sent gratuitous ARP" "$GARP_T" '^[0-9]'
garps() { awk -v t="$KILLED_AT" -v m="${MAC[$NEW]:-x}" '$1 > t && $2 == m' "$WORK/garp.log" | wc -l; }
garps_3() { [ "$(garps)" -ge 3 ]; }
retry_until 5 garps_3 || true
expect_match "gratuitous ARP repeated (>= 3 within 5 s)" "$(garps)" '^([3-9]|[1-9][0-9]+)$'
GAPS=$(awk -v t="$KILLED_AT" -v m="${MAC[$NEW]:-x}" '$1 > t && $2 == m { if (p) printf "%.1f ", $1 - p; p = $1 }' "$WORK/garp.log")
log "gaps between gratuitous ARPs: $GAPS"
expect_match "repeated about 1 s apart" "$GAPS" '^(0\.9|1\.0|1\.1) '
expect_eq "only the new holder answers ARP" "$NEW" "$(answers 198.51.100.1)"
NEIGH=$(on client ip neigh show 198.51.100.1)
expect_contains "the client's neighbour entry points at the new node" "$NEIGH" "${MAC[$NEW]:-x}"

# ---- IPv6: Neighbor Solicitations answered by the holder -----------------------------------------
for n in n1 n2 n3 client; do
	i=${NODE_IP[$n]##*.}
	ip -n "$n" addr add "2001:db8:2::$i/64" dev eth0 nodad
done
ip -n client -6 route add 2001:db8:100::/64 dev eth0
lb_svc web6 2001:db8:100::1 Cluster IPv6
retry_until $T has_holder web6 || true
H6=$(holder web6)
expect_match "web6: a node holds the lease ($H6)" "$H6" '^n[123]$'
[ "$H6" != "$HOLD" ] || _fail "web6 held by the killed node"
neigh6() {
	# a datagram makes the client solicit the address (no ping in the image)
	on client "$PY" -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x", ("2001:db8:100::1", 9))' || true
	sleep 0.3
	on client ip -6 neigh show 2001:db8:100::1 | grep -q "lladdr ${MAC[$H6]:-x}"
}
retry_until 10 neigh6 || true
expect_contains "the client's NDP entry for 2001:db8:100::1 is the holder's MAC" \
	"$(on client ip -6 neigh show 2001:db8:100::1)" "lladdr ${MAC[$H6]:-x}"

# ---- graceful stop: the leases are released, no waiting for them to expire ----------------------
LAST=
for n in n1 n2 n3; do [ "$n" != "$HOLD" ] && [ "$n" != "$NEW" ] && LAST=$n; done
STOP_AT=$(date +%s.%N)
kill -TERM "${AGENT_PID[$NEW]}"
RC=0
wait "${AGENT_PID[$NEW]}" || RC=$?
expect_eq "agent $NEW exits 0 on SIGTERM" 0 "$RC"
moved() { awk -v t="$STOP_AT" -v n="$LAST" '$1 > t && $2 == n { found = 1 } END { exit !found }' "$WORK/http.log"; }
retry_until 10 moved || true
T2=$(awk -v t="$STOP_AT" -v n="$LAST" '$1 > t && $2 == n { printf "%.3f", $1 - t; exit }' "$WORK/http.log")
log "HANDOVER: SIGTERM of the announcing agent -> client traffic served by $LAST after ${T2:-never} s"
expect_eq "graceful stop: traffic moves to $LAST within 0.7 s, before the lease could expire (took ${T2:-never} s)" yes \
	"$(awk -v f="${T2:-}" 'BEGIN { print (f != "" && f < 0.7) ? "yes" : "no" }')"
expect_eq "graceful stop: $LAST holds the lease" "$LAST" "$(holder web)"

# ---- provider nodes: nothing announced -----------------------------------------------------------
k patch -n kube-system configmap portico-lb --type=json -p '[{"op":"replace","path":"/data","value":{"provider":"nodes"}}]' >/dev/null
retry_until 5 answers_are 198.51.100.1 none || true
expect_eq "provider nodes: nobody answers ARP" none "$(answers 198.51.100.1)"

kill -TERM "${AGENT_PID[$LAST]}" 2>/dev/null || true
wait "${AGENT_PID[$LAST]}" 2>/dev/null || true
