#!/bin/bash
# The service proxy end to end, without pods: `portico netexec` processes in endpoint namespaces
# routed through two agent nodes (10.42.1.0/24 on node1, 10.42.2.0/24 on node2), selector-less
# Services with hand-written EndpointSlices, and clients in a node, outside the cluster on the lab
# bridge, and in an endpoint (hairpin). Checks: a ClusterIP spreads over every ready endpoint; a
# NodePort answers on both nodes from outside; UDP; ClientIP affinity sticks; no endpoints refuses
# in < 100 ms, an unserved ClusterIP port refuses, an unallocated service address drops;
# externalTrafficPolicy Local keeps the client IP on NodePort and load-balancer IP, drops on a node
# without local endpoints, and its health check port says 200 / 503 per node; hairpin; a readiness
# flip takes an endpoint out and back; a UDP client follows its replaced endpoint (conntrack
# cleanup); 1,000 endpoint changes under continuous traffic lose no connection; an agent restart
# does not interrupt traffic; /healthz and /metrics on :10256.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node node1 192.0.2.11
lab_node node2 192.0.2.12
lab_node outside 192.0.2.50
server_start server

# ---- the pod network, by hand: each endpoint namespace has a veth to its node, /32 routes -----------
for n in node1 node2; do
	on $n sysctl -qw net.ipv4.ip_forward=1
	# ClusterIPs are not routed anywhere: the proxy's DNAT or reject decides before they leave
	ip -n $n route add 10.43.0.0/16 dev eth0
done
ip -n node1 route add 10.42.2.0/24 via 192.0.2.12
ip -n node2 route add 10.42.1.0/24 via 192.0.2.11
# the outside client reaches load-balancer IPs through node1 (as a router or ARP would send them)
ip -n outside route add 198.51.100.0/24 via 192.0.2.11

declare -A EP_NODE=() EP_PID=()
# endpoint NAME NODE IP: a namespace NAME at IP behind NODE running netexec as host NAME
endpoint() {
	local name=$1 node=$2 addr=$3 gw
	gw=${addr%.*}.1
	ip netns add "$name"
	ip -n "$name" link set lo up
	ip -n "$node" link add "v-$name" type veth peer name eth0 netns "$name"
	ip -n "$node" addr add "$gw/32" dev "v-$name"
	ip -n "$node" link set "v-$name" up
	ip -n "$node" route add "$addr/32" dev "v-$name"
	ip -n "$name" addr add "$addr/24" dev eth0
	ip -n "$name" link set eth0 up
	ip -n "$name" route add default via "$gw" dev eth0 onlink
	local logf=$WORK/netexec-$name.log
	SERVER_LOGS+=("$logf")
	HOSTNAME=$name nsenter --net="/run/netns/$name" "$PORTICO" netexec --http-port 8080 --udp-port 8081 >"$logf" 2>&1 &
	EP_PID[$name]=$!
	BG_PIDS="${BG_PIDS:-} $!"
	EP_NODE[$name]=$node
}
endpoint ep1 node1 10.42.1.2
endpoint ep2 node1 10.42.1.3
endpoint ep3 node2 10.42.2.2

declare -A AGENT_PID=()
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
agent_stop() {
	local pid=${AGENT_PID[$1]} rc=0 i
	kill -TERM "$pid"
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; rc=killed; else wait "$pid" || rc=$?; fi
	expect_eq "agent $1 exits 0 on SIGTERM" 0 "$rc"
}
agent_start node1
agent_start node2

healthz() { on "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://${NODE_IP[$1]}:10256/healthz"; }
healthy() { [ "$(healthz "$1")" = 200 ]; }
retry_until 30 healthy node1 || die "node1's proxy not healthy within 30 s: $(tail -n 20 "$WORK"/agent-node1.*.log)"
retry_until 30 healthy node2 || die "node2's proxy not healthy within 30 s"

# ---- Services and slices ------------------------------------------------------------------------------
# svc NAME CLUSTERIP PORTS_JSON [EXTRA_SPEC_JSON_MEMBERS]
svc() {
	k apply -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"'$1'"},"spec":{"clusterIP":"'$2'","ports":'"$3"${4:+,$4}'}}'
}
# ep_json ADDR NODE READY: one slice endpoint
ep_json() { printf '{"addresses":["%s"],"nodeName":"%s","conditions":{"ready":%s}}' "$1" "$2" "${3:-true}"; }
# slice SVC NAME PORTS_JSON ENDPOINT_JSON...
slice() {
	local svc=$1 name=$2 ports=$3 eps
	shift 3
	eps=$(IFS=,; echo "$*")
	# the trigger time, as the EndpointSlice controller stamps it, feeds the programming latency metric
	k apply -f - >/dev/null <<<'{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"'$name'","labels":{"kubernetes.io/service-name":"'$svc'"},"annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'"}},"addressType":"IPv4","ports":'"$ports"',"endpoints":['"$eps"']}'
}
HTTP_PORTS='[{"name":"http","port":8080,"protocol":"TCP"}]'
UDP_PORTS='[{"name":"u","port":8081,"protocol":"UDP"}]'

svc web 10.43.10.1 '[{"name":"http","port":80,"targetPort":8080,"nodePort":30080}]' '"type":"NodePort"'
slice web web-1 "$HTTP_PORTS" "$(ep_json 10.42.1.2 node1)" "$(ep_json 10.42.1.3 node1)" "$(ep_json 10.42.2.2 node2)"
svc udp 10.43.10.2 '[{"name":"u","port":53,"targetPort":8081,"protocol":"UDP"}]'
slice udp udp-1 "$UDP_PORTS" "$(ep_json 10.42.1.2 node1)"
svc sticky 10.43.10.3 '[{"name":"http","port":80,"targetPort":8080}]' '"sessionAffinity":"ClientIP"'
slice sticky sticky-1 "$HTTP_PORTS" "$(ep_json 10.42.1.2 node1)" "$(ep_json 10.42.1.3 node1)" "$(ep_json 10.42.2.2 node2)"
svc empty 10.43.10.4 '[{"name":"http","port":80,"targetPort":8080}]'
svc local 10.43.10.5 '[{"name":"http","port":80,"targetPort":8080,"nodePort":30081}]' \
	'"type":"LoadBalancer","loadBalancerClass":"example.com/by-hand","externalTrafficPolicy":"Local","healthCheckNodePort":32100'
slice local local-1 "$HTTP_PORTS" "$(ep_json 10.42.1.2 node1)"
# a class of its own: the in-tree lb controller leaves this Service's status to us
expect_ok "load-balancer IP in the local Service's status" k patch service local --subresource=status --type=merge \
	-p '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.10"}]}}}'

# hostnames FROM URL N: the sorted distinct /hostname answers of N requests
hostnames() { for i in $(seq "$3"); do on "$1" curl -s --max-time 2 "$2/hostname" || true; echo; done | sort -u | grep . | tr '\n' ' ' || true; }
# rc_of CMD...: CMD's exit status (output dropped)
rc_of() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo $rc; }
answers() { [ "$(hostnames "$1" "$2" "$3")" = "$4" ]; }
retry_until 20 answers node1 http://10.43.10.1 30 "ep1 ep2 ep3 " || true

# ---- ClusterIP, NodePort ----------------------------------------------------------------------------
expect_eq "ClusterIP from node1 spreads over the three endpoints" "ep1 ep2 ep3 " "$(hostnames node1 http://10.43.10.1 40)"
expect_eq "ClusterIP from node2 spreads over the three endpoints" "ep1 ep2 ep3 " "$(hostnames node2 http://10.43.10.1 40)"
expect_eq "NodePort on node1 from outside reaches every endpoint" "ep1 ep2 ep3 " "$(hostnames outside http://192.0.2.11:30080 40)"
expect_eq "NodePort on node2 from outside reaches every endpoint" "ep1 ep2 ep3 " "$(hostnames outside http://192.0.2.12:30080 40)"
OUT=$(on outside curl -s --max-time 2 http://192.0.2.12:30080/clientip || true)
expect_match "NodePort with policy Cluster: the client is masqueraded to the node" "$OUT" '^(192\.0\.2\.12|10\.42\.[12]\.1):'
expect_eq "no NodePort on 127.0.0.1 (nothing listens: refused)" 7 "$(rc_of on node1 curl -s --max-time 2 http://127.0.0.1:30080/hostname)"

# ---- UDP ------------------------------------------------------------------------------------------
# udp_ask NODE ADDR PORT MSG...: each MSG from one socket (one source port), answers one per line
udp_ask() {
	local node=$1 addr=$2 port=$3
	shift 3
	on "$node" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for m in sys.argv[3:]:
    s.sendto(m.encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(4096).decode(), flush=True)
    except socket.timeout:
        print("<timeout>", flush=True)' "$addr" "$port" "$@"
}
expect_eq "UDP Service answers" ep1 "$(udp_ask node1 10.43.10.2 53 hostname)"

# ---- session affinity ----------------------------------------------------------------------------------
OUT=$(hostnames node1 http://10.43.10.3 20)
expect_match "ClientIP affinity: 20 requests, one endpoint" "$OUT" '^ep[123] $'
OUT2=$(hostnames node2 http://10.43.10.3 20)
expect_match "ClientIP affinity from node2 too" "$OUT2" '^ep[123] $'
# nft 1.0.6 aborted (assertion in netlink_parse_concat_expr) listing a table with an affinity chain
RC=0
OUT=$(on node1 nft list ruleset 2>/dev/null) || RC=$?
expect_eq "nft list ruleset works with a ClientIP affinity Service (exit 0)" 0 "$RC"
expect_match "... and shows the affinity chain's update" "$OUT" 'update @affinity \{ ip saddr \. ct mark timeout 3h : ct mark \}'
expect_match "... and table ip6 portico beside table ip portico" "$OUT" '^table ip6 portico \{'

# ---- rejects and drops -----------------------------------------------------------------------------------
refused() { # refused NODE URL: curl's exit status
	local rc=0
	on "$1" curl -s --max-time 3 -o /dev/null "$2" 2>/dev/null || rc=$?
	echo "$rc"
}
expect_eq "no endpoints: connection refused (curl 7)" 7 "$(refused node1 http://10.43.10.4/)"
# the connect() alone, timed inside the client (process start-up on a loaded machine aside)
OUT=$(on node1 "$PY" -c '
import socket, time
s = socket.socket()
s.settimeout(3)
t = time.monotonic()
try:
    s.connect(("10.43.10.4", 80))
    print("connected")
except ConnectionRefusedError:
    print("refused %d" % ((time.monotonic() - t) * 1000))
except Exception as e:
    print(type(e).__name__)')
expect_match "no endpoints: refused in < 100 ms" "$OUT" '^refused [0-9]{1,2}$' 
expect_eq "a ClusterIP on a port it doesn't serve: refused" 7 "$(refused node1 http://10.43.10.1:81/)"
expect_eq "an unused NodePort: refused (nothing listens)" 7 "$(refused outside http://192.0.2.11:30999/)"
expect_eq "an unallocated service address: dropped (curl times out)" 28 "$(rc_of on node1 curl -s --max-time 1 http://10.43.99.99/)"

# ---- externalTrafficPolicy Local ----------------------------------------------------------------------
OUT=$(on outside curl -s --max-time 2 http://192.0.2.11:30081/clientip || true)
expect_match "Local NodePort keeps the client IP" "$OUT" '^192\.0\.2\.50:[0-9]+$'
OUT=$(on outside curl -s --max-time 2 http://198.51.100.10/clientip || true)
expect_match "Local load-balancer IP keeps the client IP" "$OUT" '^192\.0\.2\.50:[0-9]+$'
expect_eq "Local NodePort on a node without local endpoints drops (curl times out)" 28 "$(rc_of on outside curl -s --max-time 2 http://192.0.2.12:30081/hostname)"
expect_eq "pods and nodes still reach a Local Service through node2" ep1 "$(on node2 curl -s --max-time 2 http://192.0.2.12:30081/hostname || true)"
hc() { on outside curl -s --max-time 2 -w '\n%{http_code}' "http://$1:32100/"; }
retry_until 10 bash -c "[ \"\$(nsenter --net=/run/netns/outside curl -s -o /dev/null -w '%{http_code}' http://192.0.2.11:32100/)\" = 200 ]" || true
OUT=$(hc 192.0.2.11)
expect_eq "health check port on node1: 200" 200 "$(http_code "$OUT")"
expect_eq "health check JSON on node1" '{"localEndpoints": 1, "service": {"name": "local", "namespace": "default"}, "serviceProxyHealthy": true}' "$(http_body "$OUT" | json 'j')"
OUT=$(hc 192.0.2.12)
expect_eq "health check port on node2: 503" 503 "$(http_code "$OUT")"
expect_eq "health check JSON on node2: no local endpoints" 0 "$(http_body "$OUT" | json 'j["localEndpoints"]')"

# ---- loadBalancerSourceRanges -------------------------------------------------------------------------
k patch service local --type=merge -p '{"spec":{"loadBalancerSourceRanges":["203.0.113.0/24"]}}' >/dev/null
lb_blocked() { [ "$(rc_of on outside curl -s --max-time 1 http://198.51.100.10/hostname)" = 28 ]; }
retry_until 10 lb_blocked || true
expect_eq "loadBalancerSourceRanges without the client: dropped" 28 "$(rc_of on outside curl -s --max-time 1 http://198.51.100.10/hostname)"
expect_eq "... the NodePort is not restricted" ep1 "$(on outside curl -s --max-time 2 http://192.0.2.11:30081/hostname || true)"
k patch service local --type=merge -p '{"spec":{"loadBalancerSourceRanges":["203.0.113.0/24","192.0.2.48/29"]}}' >/dev/null
lb_open() { [ "$(on outside curl -s --max-time 1 http://198.51.100.10/hostname)" = ep1 ]; }
retry_until 10 lb_open || true
expect_eq "loadBalancerSourceRanges with the client: served" ep1 "$(on outside curl -s --max-time 2 http://198.51.100.10/hostname || true)"

# ---- hairpin: ep1 through a Service whose only endpoint is itself ---------------------------------------
OUT=$(on ep1 curl -s --max-time 2 http://10.43.10.5/hostname || true)
expect_eq "hairpin: an endpoint reaches itself through its ClusterIP" ep1 "$OUT"

# ---- two Services claim one externalIP:port; the one programmed first goes --------------------------------
svc dup1 10.43.10.6 '[{"name":"http","port":80,"targetPort":8080}]' '"externalIPs":["192.0.2.77"]'
slice dup1 dup1-1 "$HTTP_PORTS" "$(ep_json 10.42.1.2 node1)"
ext_is() { [ "$(on node1 curl -s --max-time 1 http://192.0.2.77/hostname)" = "$1" ]; }
retry_until 10 ext_is ep1 || true
svc dup2 10.43.10.7 '[{"name":"http","port":80,"targetPort":8080}]' '"externalIPs":["192.0.2.77"]'
slice dup2 dup2-1 "$HTTP_PORTS" "$(ep_json 10.42.2.2 node2)"
sleep 1
expect_eq "a duplicate externalIP:port: the first Service keeps it" ep1 "$(on node1 curl -s --max-time 2 http://192.0.2.77/hostname || true)"
k delete service dup1 >/dev/null
k delete endpointslice dup1-1 >/dev/null
retry_until 10 ext_is ep3 || true
expect_eq "... and once it is deleted, the other one has it" ep3 "$(on node1 curl -s --max-time 2 http://192.0.2.77/hostname || true)"

# ---- a readiness flip ------------------------------------------------------------------------------------
slice web web-1 "$HTTP_PORTS" "$(ep_json 10.42.1.2 node1)" "$(ep_json 10.42.1.3 node1 false)" "$(ep_json 10.42.2.2 node2)"
retry_until 10 answers node1 http://10.43.10.1 30 "ep1 ep3 " || true
expect_eq "ep2 not ready: out of rotation" "ep1 ep3 " "$(hostnames node1 http://10.43.10.1 40)"
slice web web-1 "$HTTP_PORTS" "$(ep_json 10.42.1.2 node1)" "$(ep_json 10.42.1.3 node1)" "$(ep_json 10.42.2.2 node2)"
retry_until 10 answers node1 http://10.43.10.1 30 "ep1 ep2 ep3 " || true
expect_eq "ep2 ready again: back in rotation" "ep1 ep2 ep3 " "$(hostnames node1 http://10.43.10.1 40)"

# ---- a UDP client follows its replaced endpoint -------------------------------------------------------------
# one socket: ask, wait until the slice names ep2 instead of ep1 and node1 programmed it, ask again
FIFO=$WORK/udp.fifo
mkfifo "$FIFO"
on node1 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for line in open(sys.argv[1]):
    s.sendto(b"hostname", ("10.43.10.2", 53))
    try:
        print(s.recv(4096).decode(), flush=True)
    except socket.timeout:
        print("<timeout>", flush=True)' "$FIFO" >"$WORK/udp.out" &
UDP_PID=$!
exec 7>"$FIFO"
echo go >&7
wait_file_contains 5 "$WORK/udp.out" ep1 || true
slice udp udp-1 "$UDP_PORTS" "$(ep_json 10.42.1.3 node1)"
udp_moved() { [ "$(udp_ask node1 10.43.10.2 53 hostname)" = ep2 ]; }
retry_until 10 udp_moved || true
# the proxy deletes the stale entries right after its commit: wait for that (a fresh socket above
# may already see the new rules a moment earlier); kept entries would live for 30 s or more
ep1_entries() { on node1 conntrack -L -p udp --orig-dst 10.43.10.2 --reply-src 10.42.1.2 2>/dev/null | grep -c udp || true; }
no_ep1_entries() { [ "$(ep1_entries)" = 0 ]; }
retry_until 10 no_ep1_entries || true
echo go >&7
exec 7>&-
wait "$UDP_PID" || true
expect_eq "the same UDP socket: ep1, then ep2 after the endpoint was replaced" "ep1 ep2" "$(tr '\n' ' ' <"$WORK/udp.out" | sed 's/ $//')"

# ---- 1,000 endpoint changes under continuous traffic ---------------------------------------------------------
# traffic: new connections to the ClusterIP from node2 in a loop; churn: ep2's readiness toggled through
# the API, one PUT per change over one keep-alive connection
on node2 "$PY" - 10.43.10.1 80 "$WORK/stop-traffic" >"$WORK/traffic.out" 2>&1 <<'EOF' &
import os, socket, sys, time
ok = fail = 0
errs = {}
while not os.path.exists(sys.argv[3]):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
        s.sendall(b"GET /hostname HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        if b" 200 " in data.split(b"\r\n", 1)[0]:
            ok += 1
        else:
            fail += 1
    except Exception as e:
        fail += 1
        errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
print(ok, fail, errs)
EOF
TRAFFIC_PID=$!
sleep 1
CHURN=$(on server "$PY" - "$SERVER_URL" "$(cat "$SERVER_DATA/admin-token")" "$WORK/ca.crt" <<'EOF'
import http.client, json, ssl, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[3])
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
hdr = {"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/merge-patch+json"}
path = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1"
bad = 0
t0 = time.time()
for i in range(1000):
    ready = "true" if i % 2 else "false"
    body = '{"endpoints":[{"addresses":["10.42.1.2"],"nodeName":"node1","conditions":{"ready":true}},' \
           '{"addresses":["10.42.1.3"],"nodeName":"node1","conditions":{"ready":%s}},' \
           '{"addresses":["10.42.2.2"],"nodeName":"node2","conditions":{"ready":true}}]}' % ready
    c.request("PATCH", path, body, hdr)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        bad += 1
print(bad, round(time.time() - t0, 1))
EOF
)
sleep 1
touch "$WORK/stop-traffic"
wait "$TRAFFIC_PID" || true
log "churn: $CHURN; traffic: $(cat "$WORK/traffic.out")"
expect_eq "1,000 slice changes accepted" 0 "${CHURN%% *}"
read -r T_OK T_FAIL _ <"$WORK/traffic.out" || true
expect_eq "no connection lost during the churn" 0 "${T_FAIL:-missing}"
expect_eq "traffic flowed during the churn" yes "$([ "${T_OK:-0}" -gt 50 ] && echo yes || echo "no: ${T_OK:-0} requests")"
retry_until 10 answers node2 http://10.43.10.1 30 "ep1 ep2 ep3 " || true
expect_eq "after the churn (ep2 ready last) every endpoint serves" "ep1 ep2 ep3 " "$(hostnames node2 http://10.43.10.1 40)"

# ---- health and metrics ----------------------------------------------------------------------------------
OUT=$(on node1 curl -s --max-time 2 -w '\n%{http_code}' http://192.0.2.11:10256/healthz)
expect_eq "/healthz: 200" 200 "$(http_code "$OUT")"
expect_eq "/healthz JSON: lastUpdated, currentTime, nodeEligible" '["currentTime", "lastUpdated", "nodeEligible"]' "$(http_body "$OUT" | json 'sorted(j)')"
OUT=$(on node1 curl -s --max-time 2 http://192.0.2.11:10256/metrics)
expect_match "metrics: full sync histogram" "$OUT" '^kubeproxy_sync_full_proxy_rules_duration_seconds_count [1-9][0-9]*$'
expect_match "metrics: partial syncs counted" "$OUT" '^kubeproxy_sync_partial_proxy_rules_duration_seconds_count [1-9][0-9]*$'
expect_match "metrics: no failed transaction" "$OUT" '^kubeproxy_sync_proxy_rules_nftables_sync_failures_total 0$'
expect_match "metrics: elements counted" "$OUT" '^portico_proxy_nftables_elements [1-9][0-9]*$'
expect_match "metrics: UDP conntrack entries deleted" "$OUT" '^portico_proxy_conntrack_deleted_total [1-9][0-9]*$'
expect_match "metrics: network programming latency observed" "$OUT" '^kubeproxy_network_programming_duration_seconds_count [1-9][0-9]*$'

# ---- an agent restart does not interrupt traffic ----------------------------------------------------------
rm -f "$WORK/stop-traffic"
on outside "$PY" - 192.0.2.11 30080 "$WORK/stop-traffic" >"$WORK/traffic2.out" 2>&1 <<'EOF' &
import os, socket, sys
ok = fail = 0
while not os.path.exists(sys.argv[3]):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
        s.sendall(b"GET /hostname HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        ok += b" 200 " in data.split(b"\r\n", 1)[0]
        fail += b" 200 " not in data.split(b"\r\n", 1)[0]
    except Exception:
        fail += 1
print(ok, fail)
EOF
TRAFFIC_PID=$!
sleep 1
agent_stop node1
sleep 1
expect_eq "node1 down: its NodePort still serves (the rules stay)" ep1 "$(on outside curl -s --max-time 2 http://192.0.2.11:30081/hostname || true)"
agent_start node1
retry_until 30 healthy node1 || true
sleep 1
touch "$WORK/stop-traffic"
wait "$TRAFFIC_PID" || true
read -r T_OK T_FAIL <"$WORK/traffic2.out" || true
log "traffic through the restart: $(cat "$WORK/traffic2.out")"
expect_eq "no connection lost across the agent restart" 0 "${T_FAIL:-missing}"
expect_eq "node1 healthy again after the restart" 200 "$(healthz node1)"
expect_eq "after the restart, the NodePort still reaches every endpoint" "ep1 ep2 ep3 " "$(hostnames outside http://192.0.2.11:30080 40)"

# ---- the data plane does not need the API server --------------------------------------------------------
server_stop
expect_eq "API server down: the ClusterIP still serves" "ep1 ep2 ep3 " "$(hostnames node2 http://10.43.10.1 40)"
agent_stop node2
agent_start node2
sleep 3
expect_eq "API server down, agent restarted: its rules stay (no flush before a sync)" "ep1 ep2 ep3 " "$(hostnames node2 http://10.43.10.1 40)"
expect_eq "... and it says it is not healthy yet" 503 "$(healthz node2)"

agent_stop node1
agent_stop node2
