#!/bin/bash
# The service proxy's IPv6 table (table ip6 portico) and SCTP, end to end without pods (pods are
# IPv4 only): a dual-stack server (service CIDRs 10.43.0.0/16 and fd00:43::/112, a load-balancer
# pool of each family), one agent node with an IPv6 address and NodePorts on it, `portico netexec`
# endpoints in namespaces behind the node (ep4 IPv4 only; ep6a, ep6b IPv6 only), selector-less
# Services with hand-written IPv4 and IPv6 EndpointSlices. Checks: a dual-stack Service's IPv4
# ClusterIP reaches only the IPv4 endpoint and its IPv6 ClusterIP only the IPv6 ones; its IPv6
# load-balancer IP (from the pool), IPv6 externalIP and NodePort on the node's IPv6 address answer
# from outside; ClientIP affinity over IPv6 sticks; an IPv6 Service without endpoints refuses;
# loadBalancerSourceRanges over IPv6; `nft list ruleset` works; an SCTP Service is programmed
# (sctp in the maps) and DNATs an SCTP INIT to its endpoint (raw sockets: the lab kernel may have no
# SCTP stack, its conntrack and NAT handle SCTP anyway).
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node node1 192.0.2.11
lab_node outside 192.0.2.50
server_start server --service-cidr 10.43.0.0/16,fd00:43::/112

# IPv6 on the lab bridge (nodad: no wait for duplicate address detection)
ip -n node1 addr add 2001:db8:2::11/64 dev eth0 nodad
ip -n outside addr add 2001:db8:2::50/64 dev eth0 nodad
on node1 sysctl -qw net.ipv4.ip_forward=1
on node1 sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n node1 route add 10.43.0.0/16 dev eth0
ip -n node1 -6 route add fd00:43::/112 dev eth0
# the outside client reaches load-balancer IPs and externalIPs through node1
ip -n outside -6 route add 2001:db8:100::/120 via 2001:db8:2::11
ip -n outside -6 route add 2001:db8:77::/64 via 2001:db8:2::11
ip -n outside route add 198.51.100.0/24 via 192.0.2.11

declare -A EP_PID=()
# endpoint NAME ADDR: a namespace NAME behind node1 with one address (IPv4 or IPv6) running netexec
endpoint() {
	local name=$1 addr=$2 gw
	ip netns add "$name"
	ip -n "$name" link set lo up
	ip -n node1 link add "v-$name" type veth peer name eth0 netns "$name"
	ip -n "$name" link set eth0 up
	ip -n node1 link set "v-$name" up
	case $addr in
	*:*)
		gw=${addr%::*}::1
		ip -n node1 addr add "$gw/128" dev "v-$name" nodad
		ip -n node1 -6 route add "$addr/128" dev "v-$name"
		ip -n "$name" addr add "$addr/128" dev eth0 nodad
		ip -n "$name" -6 route add "$gw/128" dev eth0
		ip -n "$name" -6 route add default via "$gw" dev eth0
		;;
	*)
		gw=${addr%.*}.1
		ip -n node1 addr add "$gw/32" dev "v-$name"
		ip -n node1 route add "$addr/32" dev "v-$name"
		ip -n "$name" addr add "$addr/24" dev eth0
		ip -n "$name" route add default via "$gw" dev eth0 onlink
		;;
	esac
	local logf=$WORK/netexec-$name.log
	SERVER_LOGS+=("$logf")
	HOSTNAME=$name nsenter --net="/run/netns/$name" "$PORTICO" netexec --http-port 8080 --udp-port 8081 >"$logf" 2>&1 &
	EP_PID[$name]=$!
	BG_PIDS="${BG_PIDS:-} $!"
}
endpoint ep4 10.42.1.2
endpoint ep6a fd00:42:1::2
endpoint ep6b fd00:42:2::2
endpoint ep6c fd00:42:3::2

AGENT_LOGF=$WORK/agent-node1.log
SERVER_LOGS+=("$AGENT_LOGF")
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	nsenter --net=/run/netns/node1 "$PORTICO" agent --server "https://192.0.2.10:6443" \
	--token-file "$SERVER_DATA/node-token" --ca-file "$WORK/ca.crt" --node-name node1 \
	--node-ip 192.0.2.11 --nodeport-addresses 192.0.2.11,2001:db8:2::11 \
	--data-dir "$WORK/agent-node1" --log-level debug >"$AGENT_LOGF" 2>&1 &
AGENT=$!
BG_PIDS="${BG_PIDS:-} $AGENT"
healthy() { [ "$(on node1 curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://192.0.2.11:10256/healthz)" = 200 ]; }
retry_until 30 healthy || die "node1's proxy not healthy within 30 s: $(tail -n 20 "$AGENT_LOGF")"

k create configmap portico-lb -n kube-system --from-literal=pools="198.51.100.0/29
2001:db8:100::-2001:db8:100::f" >/dev/null

# svc NAME FAMILY_POLICY FAMILIES_JSON PORTS_JSON [EXTRA_SPEC_MEMBERS]
svc() {
	k apply -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"'$1'"},"spec":{"ipFamilyPolicy":"'$2'","ipFamilies":'"$3"',"ports":'"$4"${5:+,$5}'}}'
}
# slice SVC NAME TYPE PORTS_JSON ADDR...
slice() {
	local svc=$1 name=$2 type=$3 ports=$4 eps="" a
	shift 4
	for a in "$@"; do eps="${eps:+$eps,}{\"addresses\":[\"$a\"],\"nodeName\":\"node1\",\"conditions\":{\"ready\":true}}"; done
	k apply -f - >/dev/null <<<'{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"'$name'","labels":{"kubernetes.io/service-name":"'$svc'"}},"addressType":"'$type'","ports":'"$ports"',"endpoints":['"$eps"']}'
}
HTTP='[{"name":"http","port":8080,"protocol":"TCP"}]'
svc dual RequireDualStack '["IPv4","IPv6"]' '[{"name":"http","port":80,"targetPort":8080,"nodePort":30090}]' \
	'"type":"LoadBalancer","externalIPs":["2001:db8:77::7"]'
slice dual dual-4 IPv4 "$HTTP" 10.42.1.2
slice dual dual-6 IPv6 "$HTTP" fd00:42:1::2 fd00:42:2::2
svc sticky6 SingleStack '["IPv6"]' '[{"name":"http","port":80,"targetPort":8080}]' '"sessionAffinity":"ClientIP"'
slice sticky6 sticky6-1 IPv6 "$HTTP" fd00:42:1::2 fd00:42:2::2
svc empty6 SingleStack '["IPv6"]' '[{"name":"http","port":80,"targetPort":8080}]'

ip_of() { k get svc "$1" -o jsonpath="{.spec.clusterIPs[$2]}"; }
ingress_of() { k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
has_two() { [ "$(ingress_of dual | wc -w)" = 2 ]; }
retry_until 30 has_two || true
C4=$(ip_of dual 0)
C6=$(ip_of dual 1)
S6=$(ip_of sticky6 0)
E6=$(ip_of empty6 0)
read -r LB4 LB6 <<<"$(ingress_of dual)"
log "dual: $C4 [$C6], ingress $LB4 [$LB6]; sticky6 [$S6]; empty6 [$E6]"
expect_match "the dual-stack Service has an IPv6 ClusterIP" "$C6" '^fd00:43::'
expect_match "... and an IPv6 load-balancer IP from the pool" "${LB6:-}" '^2001:db8:100::'

# hostnames FROM URL N: the sorted distinct /hostname answers of N requests
hostnames() { for i in $(seq "$3"); do on "$1" curl -gs --max-time 2 "$2/hostname" || true; echo; done | sort -u | grep . | tr '\n' ' ' || true; }
answers() { [ "$(hostnames "$1" "$2" "$3")" = "$4" ]; }
rc_of() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo $rc; }
retry_until 20 answers node1 "http://[$C6]" 20 "ep6a ep6b " || true

expect_eq "IPv6 ClusterIP from the node spreads over the IPv6 endpoints only" "ep6a ep6b " "$(hostnames node1 "http://[$C6]" 30)"
expect_eq "IPv4 ClusterIP of the same Service: the IPv4 endpoint only" "ep4 " "$(hostnames node1 "http://$C4" 10)"
retry_until 10 answers outside "http://[$LB6]" 20 "ep6a ep6b " || true
expect_eq "IPv6 load-balancer IP from outside" "ep6a ep6b " "$(hostnames outside "http://[$LB6]" 30)"
expect_eq "IPv4 load-balancer IP from outside: the IPv4 endpoint" "ep4 " "$(hostnames outside "http://$LB4" 10)"
expect_eq "IPv6 externalIP from outside" "ep6a ep6b " "$(hostnames outside "http://[2001:db8:77::7]" 30)"
expect_eq "NodePort on the node's IPv6 address from outside" "ep6a ep6b " "$(hostnames outside "http://[2001:db8:2::11]:30090" 30)"
expect_eq "NodePort on the node's IPv4 address: the IPv4 endpoint" "ep4 " "$(hostnames outside "http://192.0.2.11:30090" 10)"
OUT=$(on outside curl -gs --max-time 2 "http://[$LB6]/clientip" || true)
expect_match "policy Cluster over IPv6: the client is masqueraded to the node" "$OUT" '^\[(2001:db8:2::11|fd00:42:[12]::1)\]:[0-9]+$'
OUT=$(hostnames node1 "http://[$S6]" 20)
expect_match "ClientIP affinity over IPv6: 20 requests, one endpoint" "$OUT" '^ep6[ab] $'
# affinity remembers the endpoint (an id), not its slot: the other one leaves and a third comes,
# the client stays; its own endpoint leaves, the client gets another one and sticks to it
STUCK=${OUT% }
declare -A EP6_ADDR=([ep6a]=fd00:42:1::2 [ep6b]=fd00:42:2::2 [ep6c]=fd00:42:3::2)
OTHER=ep6a
[ "$STUCK" = ep6a ] && OTHER=ep6b
slice sticky6 sticky6-1 IPv6 "$HTTP" fd00:42:3::2 "${EP6_ADDR[$STUCK]}"
has_c() { on node1 nft list map ip6 portico endpoints 2>/dev/null | grep -F "fd00:42:3::2" >/dev/null; }
retry_until 10 has_c || true
sleep 0.5
expect_eq "affinity: another endpoint replaced, the client keeps its own" "$STUCK " "$(hostnames node1 "http://[$S6]" 20)"
slice sticky6 sticky6-1 IPv6 "$HTTP" fd00:42:3::2 "${EP6_ADDR[$OTHER]}"
gone() { ! on node1 nft list map ip6 portico endpoints 2>/dev/null | grep -F "${EP6_ADDR[$STUCK]}" >/dev/null; }
retry_until 10 gone || true
sleep 0.5
OUT=$(hostnames node1 "http://[$S6]" 20)
expect_match "affinity: its endpoint gone, the client sticks to a new one" "$OUT" "^($OTHER|ep6c) \$"
expect_eq "an IPv6 Service without endpoints: connection refused (curl 7)" 7 "$(rc_of on node1 curl -gs --max-time 3 "http://[$E6]/")"
expect_eq "an IPv6 ClusterIP on a port it doesn't serve: refused" 7 "$(rc_of on node1 curl -gs --max-time 3 "http://[$C6]:81/")"

# loadBalancerSourceRanges: an IPv6 range without the client drops IPv6 only; the IPv4 side of the
# Service has no IPv4 range, so it stays open (upstream filters the ranges by family)
k patch service dual --type=merge -p '{"spec":{"loadBalancerSourceRanges":["2001:db8:9::/48"]}}' >/dev/null
lb6_blocked() { [ "$(rc_of on outside curl -gs --max-time 1 "http://[$LB6]/hostname")" = 28 ]; }
retry_until 10 lb6_blocked || true
expect_eq "IPv6 loadBalancerSourceRanges without the client: dropped" 28 "$(rc_of on outside curl -gs --max-time 1 "http://[$LB6]/hostname")"
expect_eq "... the IPv4 load-balancer IP is not restricted by an IPv6 range" "ep4" "$(on outside curl -s --max-time 2 "http://$LB4/hostname" || true)"
k patch service dual --type=merge -p '{"spec":{"loadBalancerSourceRanges":["2001:db8:9::/48","2001:db8:2::/64"]}}' >/dev/null
lb6_open() { [ -n "$(on outside curl -gs --max-time 1 "http://[$LB6]/hostname")" ]; }
retry_until 10 lb6_open || true
expect_match "IPv6 loadBalancerSourceRanges with the client: served" "$(on outside curl -gs --max-time 2 "http://[$LB6]/hostname" || true)" '^ep6[ab]$'

# ---- SCTP --------------------------------------------------------------------------------------------
svc sctp SingleStack '["IPv4"]' '[{"name":"s","port":9999,"targetPort":7777,"protocol":"SCTP"}]'
slice sctp sctp-1 IPv4 '[{"name":"s","port":7777,"protocol":"SCTP"}]' 10.42.1.2
CS=$(ip_of sctp 0)
# the element of the SCTP ClusterIP in fe-group (nft prints l4proto 132 as sctp)
sctp_programmed() { on node1 nft list map ip portico fe-group 2>/dev/null | grep -F "$CS . sctp . 9999" >/dev/null; }
retry_until 10 sctp_programmed || true
expect_ok "the SCTP Service's ClusterIP is in fe-group ($CS . sctp . 9999)" sctp_programmed
# An SCTP INIT from node1 to the ClusterIP through a raw socket; ep4 captures with a raw socket what
# arrives: the DNAT must have rewritten the destination to 10.42.1.2:7777.
if [ -e /proc/net/sctp ]; then log "the kernel has an SCTP stack (raw sockets used anyway)"; else log "no SCTP stack in the kernel: raw sockets"; fi
on ep4 "$PY" - >"$WORK/sctp.out" 2>&1 <<'EOF' &
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
s.settimeout(8)
try:
    while True:
        pkt = s.recv(2048)
        ihl = (pkt[0] & 15) * 4
        sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
        if pkt[ihl + 12] == 1:  # an INIT chunk
            print("INIT to %s:%d" % (socket.inet_ntoa(pkt[16:20]), dport), flush=True)
            break
except socket.timeout:
    print("nothing", flush=True)
EOF
SNIFF=$!
sleep 0.5
on node1 "$PY" - "$CS" <<'EOF'
import socket, struct, sys
def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff
init = struct.pack("!BBHIIHHI", 1, 0, 20, 0x1234abcd, 65536, 1, 1, 1)
hdr = struct.pack("!HHII", 40000, 9999, 0, 0)
csum = crc32c(hdr + init)
pkt = hdr[:8] + struct.pack("<I", csum) + init
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
for _ in range(3):
    s.sendto(pkt, (sys.argv[1], 0))
EOF
wait "$SNIFF" || true
expect_eq "an SCTP INIT to the ClusterIP:9999 arrives DNATed at the endpoint" "INIT to 10.42.1.2:7777" "$(head -n 1 "$WORK/sctp.out")"

# ---- nft lists both tables ---------------------------------------------------------------------------
RC=0
OUT=$(on node1 nft list ruleset 2>/dev/null) || RC=$?
expect_eq "nft list ruleset works (exit 0) with IPv6 and affinity Services" 0 "$RC"
expect_match "... table ip6 portico holds the IPv6 affinity chain" "$OUT" 'update @affinity \{ ip6 saddr \. ct mark timeout 3h : ct mark \}'

kill -TERM "$AGENT"
for i in $(seq 100); do kill -0 "$AGENT" 2>/dev/null || break; sleep 0.1; done
RC=0
kill -0 "$AGENT" 2>/dev/null && RC=running || wait "$AGENT" || RC=$?
expect_eq "agent exits 0 on SIGTERM" 0 "$RC"
