#!/bin/bash
# Cluster DNS served by the agent (issue 8): a server in one lab node, an agent in another that makes
# 10.43.0.10 local (dummy interface portico-dns, through netlink) and answers it and the node IP on
# port 53. Every record kind of the Kubernetes DNS spec with dig, from the node: dns-version TXT,
# ClusterIP A, SRV with the target's A in the additional section, PTR for ClusterIPs and headless
# endpoints, headless A per ready endpoint and hostname records, NXDOMAIN when no endpoint is ready,
# pod records for existing pod IPs only, case echo, NODATA for empty non-terminals, NXDOMAIN with
# SOA; TC then the TCP retry for a 100-endpoint headless Service; RFC 8906 rcodes and zone
# transfers refused; a corpus of malformed packets after which the server still answers; NOTRACK
# for DNS (nft table and no conntrack entry); the kube-dns Service; health, ready and metrics; the
# programming latency from an API write to the first answer that sees it.
# serial: the programming latency bounds (100 ms, 50 ms) are measured; tests/run.sh runs this
# scenario alone, so that a neighbour scenario's CPU does not blur them.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node node2 192.0.2.11
ip -n node2 route add default via 192.0.2.1 dev eth0
server_start server
T=30
DNS=10.43.0.10
NODE=192.0.2.11

AGENT_LOG=$WORK/agent-node2.log
SERVER_LOGS+=("$AGENT_LOG")
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	nsenter --net=/run/netns/node2 "$PORTICO" agent --server "https://192.0.2.10:6443" \
	--token-file "$SERVER_DATA/node-token" --ca-file "$WORK/ca.crt" --node-name node2 \
	--data-dir "$WORK/agent-node2" --log-level debug --dns-upstream "" >"$AGENT_LOG" 2>&1 &
AGENT_PID=$!
BG_PIDS="${BG_PIDS:-} $AGENT_PID"

# d ARGS...: dig from node2, short timeouts
d() { on node2 dig +time=2 +tries=1 "$@"; }
ready() { [ "$(on node2 curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8181/ready)" = 200 ]; }
retry_until $T ready || die "DNS not ready within $T s; agent log:
$(tail -n 30 "$AGENT_LOG")"

# ---- the node side: address, NOTRACK table, kube-dns Service -------------------------------------
# the dummy interface portico-dns, or lo (label lo:portico-dns) on a kernel without the dummy driver
expect_match "$DNS/32 is local: on portico-dns, or on lo labelled lo:portico-dns" "$(on node2 ip -4 -o addr show)" \
	"^[0-9]+: (portico-dns +inet $DNS/32 .*|lo +inet $DNS/32 .* lo:portico-dns)"
NFT=$(on node2 nft list table ip portico-dns)
expect_match "raw-priority prerouting chain" "$NFT" 'type filter hook prerouting priority raw; policy accept;'
expect_match "raw-priority output chain" "$NFT" 'type filter hook output priority raw; policy accept;'
expect_eq "4 notrack rules (to/from, both chains; UDP and TCP alike)" 4 "$(grep -c notrack <<<"$NFT")"
expect_match "queries to $DNS:53 are not tracked" "$NFT" "ip daddr $DNS th dport 53 notrack"
expect_match "answers from $DNS:53 are not tracked" "$NFT" "ip saddr $DNS th sport 53 notrack"

KD=$(k get svc -n kube-system kube-dns -o json)
expect_eq "kube-dns: ClusterIP $DNS, ports dns/UDP dns-tcp/TCP metrics/TCP, k8s-app label, no selector" \
	"$DNS dns/UDP/53 dns-tcp/TCP/53 metrics/TCP/9153 kube-dns None" \
	"$(json '" ".join([j["spec"]["clusterIP"]] + ["%s/%s/%d" % (p["name"], p["protocol"], p["port"]) for p in j["spec"]["ports"]] + [j["metadata"]["labels"]["k8s-app"], str(j["spec"].get("selector"))])' <<<"$KD")"
expect_eq "kube-dns has no EndpointSlice (nothing else serves it)" "" \
	"$(k get endpointslices -n kube-system -l kubernetes.io/service-name=kube-dns --no-headers 2>/dev/null)"

# ---- objects -------------------------------------------------------------------------------------
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports: [{name: http, port: 80, protocol: TCP}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: hl, namespace: default}
spec:
  clusterIP: None
  ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hl-1, namespace: default, labels: {kubernetes.io/service-name: hl}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [10.42.1.5], hostname: h0, conditions: {ready: true}}
- {addresses: [10.42.1.6], conditions: {ready: true}}
- {addresses: [10.42.1.7], conditions: {ready: false}}
---
apiVersion: v1
kind: Service
metadata: {name: down, namespace: default}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: down-1, namespace: default, labels: {kubernetes.io/service-name: down}}
addressType: IPv4
endpoints:
- {addresses: [10.42.1.20], conditions: {ready: false}}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: default}
spec:
  nodeName: ghost
  containers: [{name: c, image: busybox}]
EOF
k patch pod p1 --subresource=status --type=merge \
	-p '{"status":{"phase":"Running","podIP":"10.42.1.9","podIPs":[{"ip":"10.42.1.9"}]}}' >/dev/null
WEBIP=$(k get svc web -o jsonpath='{.spec.clusterIP}')
has_web() { [ -n "$(d +short web.default.svc.cluster.local @$DNS)" ]; }
has_pod() { [ -n "$(d +short 10-42-1-9.default.pod.cluster.local @$DNS)" ]; }
retry_until 10 has_web || true
retry_until 10 has_pod || true

# ---- records -------------------------------------------------------------------------------------
expect_eq "dns-version TXT" '"1.1.0"' "$(d +short TXT dns-version.cluster.local @$DNS)"
expect_eq "ClusterIP A on the cluster DNS address" "$WEBIP" "$(d +short web.default.svc.cluster.local @$DNS)"
expect_eq "ClusterIP A on the node IP" "$WEBIP" "$(d +short web.default.svc.cluster.local @$NODE)"
OUT=$(d SRV _http._tcp.web.default.svc.cluster.local @$DNS)
expect_match "SRV for the named port" "$OUT" '^_http\._tcp\.web\.default\.svc\.cluster\.local\.[[:space:]]+5[[:space:]]+IN[[:space:]]+SRV[[:space:]]+0 100 80 web\.default\.svc\.cluster\.local\.$'
expect_match "SRV target's A in the additional section" "$(sed -n '/ADDITIONAL SECTION/,$p' <<<"$OUT")" \
	"^web\.default\.svc\.cluster\.local\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A[[:space:]]+$WEBIP\$"
expect_match "aa flag on zone answers" "$OUT" 'flags: qr aa rd ra;'
expect_eq "SRV of the UDP port" "0 100 53 web.default.svc.cluster.local." "$(d +short SRV _dns._udp.web.default.svc.cluster.local @$DNS)"
expect_eq "PTR for the ClusterIP" "web.default.svc.cluster.local." "$(d +short -x "$WEBIP" @$DNS)"
expect_eq "headless: A per ready endpoint" "10.42.1.5 10.42.1.6" "$(d +short hl.default.svc.cluster.local @$DNS | sort | xargs)"
expect_eq "headless: hostname record" "10.42.1.5" "$(d +short h0.hl.default.svc.cluster.local @$DNS)"
expect_eq "PTR for a headless endpoint with a hostname" "h0.hl.default.svc.cluster.local." "$(d +short -x 10.42.1.5 @$DNS)"
expect_eq "headless SRV: one per ready endpoint" 2 "$(d +short SRV _http._tcp.hl.default.svc.cluster.local @$DNS | wc -l)"
OUT=$(d down.default.svc.cluster.local @$DNS)
expect_match "headless without a ready endpoint: NXDOMAIN" "$OUT" 'status: NXDOMAIN'
expect_eq "pod record for an existing pod IP" "10.42.1.9" "$(d +short 10-42-1-9.default.pod.cluster.local @$DNS)"
expect_match "no pod record for an IP no pod has" "$(d 10-42-1-8.default.pod.cluster.local @$DNS)" 'status: NXDOMAIN'
expect_match "the query's case is echoed" "$(d +noall +answer WeB.DeFauLT.svc.Cluster.Local @$DNS)" \
	"^WeB\.DeFauLT\.svc\.Cluster\.Local\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A[[:space:]]+$WEBIP\$"
OUT=$(d default.svc.cluster.local @$DNS)
expect_match "empty non-terminal: NOERROR" "$OUT" 'status: NOERROR'
expect_match "empty non-terminal: no answer, the SOA in authority" "$OUT" 'ANSWER: 0, AUTHORITY: 1'
expect_match "NODATA: AAAA of a v4-only Service" "$(d AAAA web.default.svc.cluster.local @$DNS)" 'ANSWER: 0, AUTHORITY: 1'
OUT=$(d nope.default.svc.cluster.local @$DNS)
expect_match "NXDOMAIN for a missing name" "$OUT" 'status: NXDOMAIN'
expect_match "NXDOMAIN carries the SOA" "$OUT" '^cluster\.local\.[[:space:]]+5[[:space:]]+IN[[:space:]]+SOA[[:space:]]+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. '
expect_match "outside the zone without upstream: REFUSED" "$(d example.org @$DNS)" 'status: REFUSED'
expect_match "AXFR refused" "$(d AXFR cluster.local @$DNS +tcp 2>&1)" 'Transfer failed|REFUSED'
expect_match "opcode STATUS: NOTIMP" "$(d +opcode=status cluster.local @$DNS 2>&1)" 'status: NOTIMP'
expect_match "EDNS version 1: BADVERS" "$(d +edns=1 +noednsnegotiation web.default.svc.cluster.local @$DNS 2>&1)" 'status: BADVERS'

# ---- TC and the TCP retry ------------------------------------------------------------------------
EPS=$(for i in $(seq 1 100); do printf -- '- {addresses: [10.42.2.%d], conditions: {ready: true}}\n' "$i"; done)
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: big, namespace: default}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: big-1, namespace: default, labels: {kubernetes.io/service-name: big}}
addressType: IPv4
endpoints:
$EPS
EOF
big100() { [ "$(d +tcp +short big.default.svc.cluster.local @$DNS | wc -l)" = 100 ]; }
retry_until 10 big100 || true
OUT=$(d +ignore +bufsize=1232 big.default.svc.cluster.local @$DNS)
expect_match "100 endpoints over UDP: TC=1" "$OUT" 'flags: qr aa tc rd ra;'
expect_eq "dig retries over TCP and gets all 100" 100 "$(d +short big.default.svc.cluster.local @$DNS | wc -l)"
expect_eq "over TCP at once: all 100" 100 "$(d +tcp +short big.default.svc.cluster.local @$NODE | wc -l)"

# several queries on one TCP connection, pipelined, answered in order (RFC 7766)
cat >"$WORK/pipeline.py" <<'EOF'
import socket, struct, sys
def q(i, name):
    h = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0)
    return h + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.create_connection((sys.argv[1], 53), timeout=5)
msgs = [q(i, n) for i, n in enumerate(["web.default.svc.cluster.local", "hl.default.svc.cluster.local", "nope.cluster.local"] * 3, 1)]
s.sendall(b"".join(struct.pack(">H", len(m)) + m for m in msgs))
buf, got = b"", []
while len(got) < len(msgs):
    d = s.recv(65535)
    if not d: break
    buf += d
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        n = struct.unpack(">H", buf[:2])[0]
        m, buf = buf[2:2 + n], buf[2 + n:]
        got.append("%d/%d/%d" % (struct.unpack(">H", m[:2])[0], m[3] & 15, struct.unpack(">H", m[6:8])[0]))
print(" ".join(got))
EOF
expect_eq "9 pipelined queries on one TCP connection: ids, rcodes and answer counts in order" \
	"1/0/1 2/0/2 3/3/0 4/0/1 5/0/2 6/3/0 7/0/1 8/0/2 9/3/0" "$(on node2 "$PY" "$WORK/pipeline.py" $DNS)"

# ---- hostile input -------------------------------------------------------------------------------
cat >"$WORK/malformed.py" <<'EOF'
import socket, struct, sys, random
addr = (sys.argv[1], 53)
hdr = lambda qd=1, an=0, ns=0, ar=0, fl=0x0100, i=0x1234: struct.pack(">HHHHHH", i, fl, qd, an, ns, ar)
name = b"\x03web\x07default\x03svc\x07cluster\x05local\x00"
corpus = [
    b"", b"\x00", b"\x12\x34\x01", hdr()[:11],                      # shorter than a header
    hdr() ,                                                         # QDCOUNT 1, no question
    hdr() + b"\xc0\x0c\x00\x01\x00\x01",                            # pointer to itself
    hdr() + b"\x01a\xc0\x0c\x00\x01\x00\x01",                       # pointer into its own name
    hdr() + b"\xc0\x20\x00\x01\x00\x01",                            # forward pointer
    hdr() + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",          # label over 63
    hdr() + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",    # name over 255
    hdr() + b"\x80abc\x00\x00\x01\x00\x01",                         # reserved label type
    hdr(qd=5) + name + b"\x00\x01\x00\x01",                         # lying QDCOUNT
    hdr(an=3) + name + b"\x00\x01\x00\x01",                         # lying ANCOUNT
    hdr(ar=1) + name + b"\x00\x01\x00\x01" + b"\x00\x00\x29\x04",   # truncated OPT
    hdr(ar=2) + name + b"\x00\x01\x00\x01" + (b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00") * 2,  # two OPTs
    hdr() + name[:10],                                              # truncated name
    hdr() + name + b"\x00",                                         # truncated type
    hdr() + name + b"\x00\x01\x00\x01" + b"trailing",               # trailing bytes
    hdr(fl=0x8100) + name + b"\x00\x01\x00\x01",                    # a response: dropped
    hdr(qd=0),                                                      # no question
    hdr() + name + b"\x00\x29\x00\x01",                             # OPT as QTYPE
]
random.seed(8)
for _ in range(300):
    b = bytearray(hdr() + name + b"\x00\x01\x00\x01")
    for _ in range(random.randint(1, 6)):
        b[random.randrange(len(b))] = random.randrange(256)
    corpus.append(bytes(b[:random.randint(0, len(b))] if random.random() < 0.3 else b))
for _ in range(100):
    corpus.append(bytes(random.randrange(256) for _ in range(random.randint(0, 600))))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in corpus:
    s.sendto(p, addr)
# the same over TCP, each on its own connection, and one with a length past the data
for p in corpus[:40] + [b"\xff\xff" + hdr()]:
    try:
        t = socket.create_connection(addr, timeout=2)
        t.sendall(struct.pack(">H", len(p)) + p if not p.startswith(b"\xff\xff") else p)
        t.settimeout(0.3)
        try: t.recv(65535)
        except OSError: pass
        t.close()
    except OSError:
        pass
s.settimeout(2)
# one of each that must get FORMERR back
s.sendto(hdr(qd=2) + name + b"\x00\x01\x00\x01" + name + b"\x00\x01\x00\x01", addr)
r = s.recv(4096)
print("formerr" if r[3] & 15 == 1 else "rcode %d" % (r[3] & 15), len(corpus))
EOF
OUT=$(on node2 "$PY" "$WORK/malformed.py" $DNS)
expect_match "two questions: FORMERR" "$OUT" '^formerr [0-9]+$'
expect_eq "after the malformed corpus the server still answers (UDP)" "$WEBIP" "$(d +short web.default.svc.cluster.local @$DNS)"
expect_eq "after the malformed corpus the server still answers (TCP)" "$WEBIP" "$(d +tcp +short web.default.svc.cluster.local @$DNS)"
expect_ok "the agent is alive" kill -0 $AGENT_PID

# ---- NOTRACK: no conntrack entry for DNS, while other flows on the node are tracked ---------------
# conntrack runs in a namespace only when some rule needs it: a stateful rule makes it run here
on node2 nft -f - <<'EOF'
table ip observe {
	chain in { type filter hook input priority 0; ct state established,related counter accept; }
	chain out { type filter hook output priority 0; ct state new counter accept; }
}
EOF
on node2 conntrack -F >/dev/null 2>&1 || true
d +short web.default.svc.cluster.local @$DNS >/dev/null
d +tcp +short web.default.svc.cluster.local @$DNS >/dev/null
on node2 curl -s -o /dev/null --max-time 2 http://127.0.0.1:8080/health || true
CT=$(on node2 conntrack -L 2>/dev/null || true)
expect_match "conntrack is tracking (the health check's TCP flow is there)" "$CT" 'dport=8080'
expect_not_contains "no conntrack entry for DNS to $DNS" "$CT" 'dport=53 '

# ---- health, ready, metrics ----------------------------------------------------------------------
expect_eq "/health" "OK" "$(on node2 curl -s --max-time 2 http://127.0.0.1:8080/health)"
expect_eq "/ready" "OK" "$(on node2 curl -s --max-time 2 http://127.0.0.1:8181/ready)"
M=$(on node2 curl -s --max-time 2 http://$NODE:9153/metrics)
expect_match "metrics: queries by transport" "$M" '^portico_dns_requests_total\{proto="udp"\} [1-9][0-9]*$'
expect_match "metrics: queries by type" "$M" '^portico_dns_requests_type_total\{type="SRV"\} [1-9]'
expect_match "metrics: replies by rcode" "$M" '^portico_dns_responses_total\{rcode="NXDOMAIN"\} [1-9]'
expect_match "metrics: FORMERR counted" "$M" '^portico_dns_responses_total\{rcode="FORMERR"\} [1-9]'
expect_match "metrics: latency histogram" "$M" '^portico_dns_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]'
expect_match "metrics: programming latency histogram" "$M" '^portico_dns_programming_duration_seconds_count [1-9]'

# ---- programming latency: API write to the first answer that sees it --------------------------------
cat >"$WORK/proglat.py" <<'EOF'
import json, socket, ssl, struct, sys, time, http.client
srv, ca, token, dns = sys.argv[1:5]
def query(name):
    q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    s.sendto(q, (dns, 53))
    r = s.recv(4096)
    return struct.unpack(">H", r[6:8])[0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection(srv, 6443, context=ctx)
worst = 0.0
for i in range(10):
    body = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lat%d" % i},
                       "spec": {"ports": [{"port": 80}]}})
    c.request("POST", "/api/v1/namespaces/default/services", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    t0 = time.monotonic()
    assert r.status == 201, r.status
    while query("lat%d.default.svc.cluster.local" % i) == 0:
        if time.monotonic() - t0 > 5: break
    worst = max(worst, time.monotonic() - t0)
print("%.1f" % (worst * 1000))
EOF
WORST=$(on node2 "$PY" "$WORK/proglat.py" 192.0.2.10 "$WORK/ca.crt" "$(cat "$SERVER_DATA/admin-token")" $DNS)
log "programming latency, API 201 to the first positive answer, worst of 10: $WORST ms"
expect_eq "every new Service answerable within 100 ms of its create (sanitized build)" yes \
	"$("$PY" -c "print('yes' if float('$WORST') < 100 else 'no: $WORST ms')")"
M=$(on node2 curl -s --max-time 2 http://127.0.0.1:9153/metrics)
MAXP=$(sed -n 's/^portico_dns_programming_duration_max_seconds //p' <<<"$M")
log "programming latency in the agent (event arrival to answerable), max: $MAXP s"
# the 10 ms target is for the release build (bench/dns measures it); ASan on a shared machine gets 50
expect_eq "every watch event answerable within 50 ms of its arrival (sanitized build)" yes \
	"$("$PY" -c "print('yes' if float('$MAXP') < 0.050 else 'no: $MAXP s')")"

# a deletion is seen too
k delete svc web >/dev/null
gone() { local o; o=$(d web.default.svc.cluster.local @$DNS); grep -q 'status: NXDOMAIN' <<<"$o"; }
retry_until 5 gone || true
expect_match "a deleted Service is NXDOMAIN" "$(d web.default.svc.cluster.local @$DNS)" 'status: NXDOMAIN'

kill -TERM $AGENT_PID
for i in $(seq 100); do kill -0 $AGENT_PID 2>/dev/null || break; sleep 0.1; done
RC=0
wait $AGENT_PID || RC=$?
expect_eq "the agent exits 0 on SIGTERM" 0 "$RC"
