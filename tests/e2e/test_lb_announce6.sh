#!/bin/bash
# The layer-2 announcer for an IPv6 pool address, and Lease release on a clean stop. A three-node
# cluster (the server's in-process agent in node1, `portico agent` in node2 and node3) and an
# outside client with an IPv6 address on the lab bridge. A LoadBalancer Service with address
# 2001:db8:100::1 (externalTrafficPolicy Local, endpoints on node2 and node3 only):
# - `kill -9` of the announcing agent: the other node sends an unsolicited Neighbor Advertisement
#   (ICMPv6 136 to ff02::1, override flag, target the address) within the failover target of 2 s,
#   repeats it about 1 s apart, answers Neighbor Solicitations, and the client's neighbour entry
#   follows. When the proxy programs IPv6 (table ip6 portico present) the client's HTTP requests
#   over IPv6 must reach the new node too; otherwise only layer 2 is checked, and the log says so.
# - SIGTERM of the announcing `portico agent`: it releases its Lease, so the other node's first
#   NA comes sooner than the Lease duration (1 s) could have run out.
# - SIGTERM of the server: the in-process agent releases the Lease it holds (for a Service with its
#   only endpoint on node1) before the server goes; a server started again without an agent shows
#   the Lease without holder.
# serial: the failover (< 2 s) and graceful hand-over (< 0.8 s) deadlines are measured; tests/run.sh
# runs this scenario alone, so that a neighbour scenario's CPU does not blur them.
. "$(dirname "$0")/lib.sh"
lab_init
# every agent takes the dual-stack service CIDR too (pods stay IPv4; the proxy gets both families)
AGENT_ARGS="--service-cidr 10.43.0.0/16,fd00:43::/112"
CLUSTER_WAIT=90 cluster_up 3 --service-cidr 10.43.0.0/16,fd00:43::/112
lab_node client 192.0.2.100
T=30
ARPPY=$E2E_DIR/lb_arp.py
VIP=2001:db8:100::1
declare -A MAC=() NODE_OF=() IP6=()

for n in node1 node2 node3 client; do
	i=${NODE_IP[$n]##*.}
	IP6[$n]=2001:db8:2::$i
	ip -n "$n" addr add "${IP6[$n]}/64" dev eth0 nodad
	MAC[$n]=$(ip -n "$n" -br link show eth0 | awk '{ print $3 }')
	NODE_OF[${MAC[$n]}]=$n
done
ip -n client -6 route add 2001:db8:100::/64 dev eth0 # on-link: the client solicits pool addresses
for n in node2 node3; do
	# the endpoints: one little HTTP server per node naming it; with Local the answer names the
	# node whose NA drew the traffic
	mkdir -p "$WORK/www-$n"
	echo "$n" >"$WORK/www-$n/node"
	on "$n" "$PY" -m http.server 18080 --bind "${IP6[$n]}" --directory "$WORK/www-$n" >/dev/null 2>&1 &
	BG_PIDS="${BG_PIDS:-} $!"
done

k create -n kube-system configmap portico-lb --from-literal=provider=pool --from-literal=pools="198.51.100.0/28
2001:db8:100::/124" >/dev/null
k apply -f - >/dev/null <<-YAML
	apiVersion: v1
	kind: Service
	metadata:
	  name: web6
	  annotations: {portico.io/load-balancer-ips: "$VIP"}
	spec:
	  type: LoadBalancer
	  externalTrafficPolicy: Local
	  ipFamilies: [IPv6]
	  ports: [{port: 80, targetPort: 18080}]
	---
	apiVersion: discovery.k8s.io/v1
	kind: EndpointSlice
	metadata:
	  name: web6-manual
	  labels: {kubernetes.io/service-name: web6}
	addressType: IPv6
	ports: [{name: "", port: 18080, protocol: TCP}]
	endpoints:
	- {addresses: ["${IP6[node2]}"], nodeName: node2, conditions: {ready: true}}
	- {addresses: ["${IP6[node3]}"], nodeName: node3, conditions: {ready: true}}
YAML
ingress_is() { [ "$(k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null)" = "$2" ]; }
retry_until $T ingress_is web6 "$VIP" || die "the lb controller did not assign $VIP: $(k get svc web6 -o jsonpath='{.status}')"
holder() { k get lease -n kube-system "portico-lb.default.$1" -o jsonpath="{.spec.holderIdentity}" 2>/dev/null || true; }
holder_in() { local h; h=$(holder "$1"); [ -n "$h" ] && [[ " $2 " == *" $h "* ]]; }
retry_until $T holder_in web6 "node2 node3" || die "no candidate took the lease for web6 (holder '$(holder web6)')"
H1=$(holder web6)
if [ "$H1" = node2 ]; then H2=node3; else H2=node2; fi
log "web6: lease holder $H1"

neigh_is() { # neigh_is NODE: the client's neighbour entry for VIP is NODE's MAC
	# a datagram makes the client solicit the address (no ping in the image)
	on client "$PY" -c 'import socket,sys; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x", (sys.argv[1], 9))' "$VIP" || true
	sleep 0.3
	on client ip -6 neigh show "$VIP" | grep -q "lladdr ${MAC[$1]}"
}
retry_until 10 neigh_is "$H1" || true
expect_contains "the holder answers the client's Neighbor Solicitation" "$(on client ip -6 neigh show "$VIP")" "lladdr ${MAC[$H1]}"

# Does the data plane carry IPv6 yet? (the proxy's table ip6 portico; then traffic is checked too)
V6DP=no
if on "$H1" nft list table ip6 portico >/dev/null 2>&1; then V6DP=yes; fi
log "IPv6 service proxy present: $V6DP"
on client "$PY" "$ARPPY" na eth0 "$VIP" "$WORK/na.log" &
BG_PIDS="${BG_PIDS:-} $!"
on client "$PY" "$ARPPY" http "$VIP" 80 /node "$WORK/http6.log" &
BG_PIDS="${BG_PIDS:-} $!"
if [ $V6DP = yes ]; then
	retry_until 10 grep -q " $H1\$" "$WORK/http6.log" || true
	expect_contains "IPv6: the client's traffic reaches the holder $H1" "$(cat "$WORK/http6.log")" " $H1"
fi
sleep 1

# nas_from NODE SINCE: the unsolicited NAs (to ff02::1, override, not solicited) from NODE after SINCE
nas_from() { awk -v t="$2" -v m="${MAC[$1]}" '$1 > t && $2 == m && $3 == "ff02::1" && $4 == "O"' "$WORK/na.log"; }
first_na() { nas_from "$1" "$2" | awk -v t="$2" 'NR == 1 { printf "%.3f", $1 - t }'; }
has_na() { [ -n "$(first_na "$1" "$2")" ]; }

# ---- failover: kill -9 of the announcing agent ---------------------------------------------------
KILLED_AT=$(date +%s.%N)
agent_kill9 "$H1"
log "killed the agent of $H1 at $KILLED_AT"
retry_until 10 has_na "$H2" "$KILLED_AT" || true
NA_T=$(first_na "$H2" "$KILLED_AT")
log "FAILOVER6: kill -9 of the announcing agent -> unsolicited NA from $H2 after ${NA_T:-never} s"
log "na.log after the kill:"; awk -v t="$KILLED_AT" '$1 > t - 1' "$WORK/na.log" | head -20 | sed 's/^/#   /'
expect_eq "$H2 takes the lease" "$H2" "$(holder web6)"
expect_eq "unsolicited NA (ff02::1, override, target $VIP) from $H2 within 2 s (took ${NA_T:-never} s)" yes \
	"$(awk -v f="${NA_T:-}" 'BEGIN { print (f != "" && f < 2.0) ? "yes" : "no" }')"
nas_3() { [ "$(nas_from "$H2" "$KILLED_AT" | wc -l)" -ge 3 ]; }
retry_until 6 nas_3 || true
expect_match "the NA is repeated (>= 3 within 5 s)" "$(nas_from "$H2" "$KILLED_AT" | wc -l)" '^([3-9]|[1-9][0-9]+)$'
GAPS=$(nas_from "$H2" "$KILLED_AT" | awk '{ if (p) printf "%.1f ", $1 - p; p = $1 }')
log "gaps between unsolicited NAs: $GAPS"
expect_match "repeated about 1 s apart" "$GAPS" '^(0\.9|1\.0|1\.1) '
expect_eq "no NA from the killed node's MAC afterwards" "" "$(nas_from "$H1" "$(awk -v t="$KILLED_AT" 'BEGIN { printf "%.3f", t + 0.5 }')")"
expect_contains "the client's neighbour entry moved to $H2" \
	"$(on client ip -6 neigh show "$VIP")" "lladdr ${MAC[$H2]}"
retry_until 5 neigh_is "$H2" || true
expect_contains "$H2 answers Neighbor Solicitations" "$(on client ip -6 neigh show "$VIP")" "lladdr ${MAC[$H2]}"
if [ $V6DP = yes ]; then
	new_served() { awk -v t="$KILLED_AT" -v n="$H2" '$1 > t && $2 == n { found = 1 } END { exit !found }' "$WORK/http6.log"; }
	retry_until 10 new_served || true
	TT=$(awk -v t="$KILLED_AT" -v n="$H2" '$1 > t && $2 == n { printf "%.3f", $1 - t; exit }' "$WORK/http6.log")
	log "FAILOVER6: client traffic over IPv6 served by $H2 after ${TT:-never} s"
	expect_eq "IPv6 client traffic served by $H2 within 2 s of the kill (took ${TT:-never} s)" yes \
		"$(awk -v f="${TT:-}" 'BEGIN { print (f != "" && f < 2.0) ? "yes" : "no" }')"
else
	log "NOT CHECKED: IPv6 traffic through the address (no table ip6 portico on this branch): NA and NDP only"
fi

# ---- graceful stop of `portico agent`: the Lease is released, no waiting for expiry --------------
agent_start "$H1"
is_ready() { [ "$(k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
retry_until $T is_ready "$H1" || die "$H1 not Ready again"
sleep 1 # its announcer's informers sync; it is a candidate again
STOP_AT=$(date +%s.%N)
PID=${AGENT_PID[$H2]}
kill -TERM "$PID"
RC=0
wait "$PID" || RC=$?
AGENT_PID[$H2]=
expect_eq "agent $H2 exits 0 on SIGTERM" 0 "$RC"
retry_until 10 has_na "$H1" "$STOP_AT" || true
T2=$(first_na "$H1" "$STOP_AT")
log "HANDOVER6: SIGTERM of the announcing agent -> unsolicited NA from $H1 after ${T2:-never} s"
expect_eq "graceful stop: $H1 announces within 0.8 s, before the 1 s Lease could expire (took ${T2:-never} s)" yes \
	"$(awk -v f="${T2:-}" 'BEGIN { print (f != "" && f < 0.8) ? "yes" : "no" }')"
expect_eq "graceful stop: $H1 holds the lease" "$H1" "$(holder web6)"
expect_contains "$H2's log: leases released" "$(cat "${AGENT_LOG[$H2]}")" "announce: stopped; leases released"

# ---- SIGTERM of the server: its in-process agent releases its Leases too ---------------------------
k apply -f - >/dev/null <<-YAML
	apiVersion: v1
	kind: Service
	metadata:
	  name: mine
	  annotations: {portico.io/load-balancer-ips: "198.51.100.5"}
	spec:
	  type: LoadBalancer
	  externalTrafficPolicy: Local
	  ports: [{port: 80, targetPort: 18080}]
	---
	apiVersion: discovery.k8s.io/v1
	kind: EndpointSlice
	metadata:
	  name: mine-manual
	  labels: {kubernetes.io/service-name: mine}
	addressType: IPv4
	ports: [{name: "", port: 18080, protocol: TCP}]
	endpoints:
	- {addresses: ["${NODE_IP[node1]}"], nodeName: node1, conditions: {ready: true}}
YAML
holder_is() { [ "$(holder "$1")" = "$2" ]; }
retry_until $T holder_is mine node1 || true
expect_eq "mine: the in-process agent (node1) holds the lease" node1 "$(holder mine)"
sleep 0.5
server_stop
expect_contains "the server's log: the in-process agent released its leases" "$(cat "$SERVER_LOG")" \
	"announce: stopped; leases released"
server_restart --node-name node1 --service-cidr 10.43.0.0/16,fd00:43::/112 --disable-proxy --disable-agent
# nobody else may hold it (node1 has the only endpoint): what the stop left is what we read
expect_eq "after the server's SIGTERM the lease is there without holder (released, not left to expire)" "holder=<> duration=1" \
	"$(k get lease -n kube-system portico-lb.default.mine -o jsonpath='holder=<{.spec.holderIdentity}> duration={.spec.leaseDurationSeconds}')"
server_stop
for n in node2 node3; do
	[ -n "${AGENT_PID[$n]:-}" ] && kill -TERM "${AGENT_PID[$n]}" 2>/dev/null || true
	[ -n "${AGENT_PID[$n]:-}" ] && wait "${AGENT_PID[$n]}" 2>/dev/null || true
done
