#!/bin/bash
# Cluster DNS forwarding (issue 8): names outside the zone go to the upstream resolver given with
# --dns-upstream, here a small python3 DNS responder in its own lab namespace (never the real
# internet). Checks: answers relayed with the query's id and case, positive answers cached for their
# TTL (the upstream is asked once, the TTL counts down), negative answers cached per RFC 2308 (by the
# SOA), an upstream that does not answer gives SERVFAIL after the retry, ExternalName Services
# answered with the CNAME and the target's records from upstream (the CNAME alone where the target
# does not resolve), and loop detection: an upstream that sends our queries back to us turns
# forwarding off (SERVFAIL) and is reported in the metrics. Upstream answers truncated over UDP
# (TC=1) are asked again over TCP (RFC 7766): a UDP client gets the whole answer when it fits and TC
# when not, a TCP client always the whole answer. Kaminsky hardening: each forwarded query leaves
# from its own random source port with a random id, and replies with another id, another question
# or from another port are ignored (the real answer after them is relayed).
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node node2 192.0.2.11
lab_node node3 192.0.2.13
lab_node upstream 192.0.2.20
server_start server
T=30
DNS=10.43.0.10

cat >"$WORK/upstream.py" <<'EOF'
# A tiny authoritative responder for example.test, logging every question it gets (and, in
# LOG.src, the source port and id of each UDP query). With --forward HOST:PORT it instead relays
# every query there (a resolver pointed back at us: a loop). tc.example.test (3 A) and
# big.example.test (100 A) are answered over UDP with TC=1 and no records, in full over TCP;
# spoof.example.test gets three forged replies (another id, another question, another source port)
# before the real one.
import socket, struct, sys, threading
port = int(sys.argv[1]); logf = open(sys.argv[2], "a", buffering=1)
srcf = open(sys.argv[2] + ".src", "a", buffering=1)
fwd = None
if len(sys.argv) > 4 and sys.argv[3] == "--forward":
    h, p = sys.argv[4].rsplit(":", 1); fwd = (h, int(p))
ZONE = {("example.test", 1): ["192.0.2.99"], ("www.example.test", 1): ["192.0.2.98", "192.0.2.97"],
        ("tc.example.test", 1): ["192.0.2.%d" % (101 + i) for i in range(3)],
        ("big.example.test", 1): ["198.51.100.%d" % (1 + i) for i in range(100)],
        ("spoof.example.test", 1): ["192.0.2.67"]}
TC = ("tc.example.test", "big.example.test")
def name_at(m, o):
    labels = []
    while m[o]:
        labels.append(m[o + 1:o + 1 + m[o]].decode()); o += 1 + m[o]
    return ".".join(labels), o + 1
def rr(owner_ptr, t, ttl, rdata):
    return struct.pack(">HHHIH", owner_ptr, t, 1, ttl, len(rdata)) + rdata
def answer(qid, name, qtype, q, tcp):
    ans = ZONE.get((name.lower(), qtype))
    if ans and name.lower() in TC and not tcp:
        return struct.pack(">HHHHHH", qid, 0x8380, 1, 0, 0, 0) + q
    if ans:
        body = b"".join(rr(0xc00c, 1, 30, socket.inet_aton(a)) for a in ans)
        return struct.pack(">HHHHHH", qid, 0x8180, 1, len(ans), 0, 0) + q + body
    # NXDOMAIN (or NODATA for an existing name) with the SOA: TTL 60, MINIMUM 45
    soa = b"\x02ns\xc0\x0c" + b"\x0ahostmaster\xc0\x0c" + struct.pack(">IIIII", 1, 7200, 1800, 86400, 45)
    exists = any(k[0] == name.lower() for k in ZONE)
    return struct.pack(">HHHHHH", qid, 0x8180 | (0 if exists else 3), 1, 0, 1, 0) + q + rr(0xc00c, 6, 60, soa)
def tcp_conn(c):
    with c:
        while True:
            h = c.recv(2, socket.MSG_WAITALL)
            if len(h) < 2: return
            m = c.recv(struct.unpack(">H", h)[0], socket.MSG_WAITALL)
            qid = struct.unpack(">H", m[:2])[0]
            name, o = name_at(m, 12)
            qtype = struct.unpack(">H", m[o:o + 2])[0]
            logf.write("tcp %s %d\n" % (name.lower(), qtype))
            a = answer(qid, name, qtype, m[12:o + 4], True)
            c.sendall(struct.pack(">H", len(a)) + a)
def tcp_serve():
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("0.0.0.0", port)); t.listen(16)
    while True:
        c, _ = t.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()
if not fwd:
    threading.Thread(target=tcp_serve, daemon=True).start()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); other.bind(("0.0.0.0", port + 1000))
while True:
    m, peer = s.recvfrom(4096)
    if len(m) < 12: continue
    qid, fl, qd = struct.unpack(">HHH", m[:6])
    name, o = name_at(m, 12)
    qtype, qclass = struct.unpack(">HH", m[o:o + 4])
    logf.write("%s %d\n" % (name.lower(), qtype))
    srcf.write("%d %d %s\n" % (peer[1], qid, name.lower()))
    if fwd:
        f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f.settimeout(2)
        f.sendto(m, fwd)
        try: s.sendto(f.recv(4096), peer)
        except OSError: pass
        continue
    if name.lower().startswith("slow"): continue           # never answers
    q = m[12:o + 4]
    if name.lower() == "spoof.example.test" and qtype == 1:
        forged = lambda i, qq: struct.pack(">HHHHHH", i, 0x8180, 1, 1, 0, 0) + qq + rr(0xc00c, 1, 30, socket.inet_aton("192.0.2.66"))
        s.sendto(forged(qid ^ 0x0101, q), peer)                                  # another id
        s.sendto(forged(qid, b"\x05spoog" + q[6:]), peer)                        # another question
        other.sendto(forged(qid, q), peer)                                        # another source port
    s.sendto(answer(qid, name, qtype, q, False), peer)
EOF
UPLOG=$WORK/upstream-queries.log
LOOPLOG=$WORK/loop-queries.log
: >"$UPLOG"
: >"$LOOPLOG"
on upstream "$PY" "$WORK/upstream.py" 53 "$UPLOG" &
BG_PIDS="${BG_PIDS:-} $!"
on upstream "$PY" "$WORK/upstream.py" 5353 "$LOOPLOG" --forward 192.0.2.13:53 &
BG_PIDS="${BG_PIDS:-} $!"

declare -A AGENT_PID=()
agent_start() {
	local node=$1 logf=$WORK/agent-$1.log
	shift
	SERVER_LOGS+=("$logf")
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		nsenter --net="/run/netns/$node" "$PORTICO" agent --server "https://192.0.2.10:6443" \
		--token-file "$SERVER_DATA/node-token" --ca-file "$WORK/ca.crt" --node-name "$node" \
		--data-dir "$WORK/agent-$node" --log-level debug "$@" >"$logf" 2>&1 &
	AGENT_PID[$node]=$!
	BG_PIDS="${BG_PIDS:-} $!"
}
agent_start node2 --dns-upstream 192.0.2.20
agent_start node3 --dns-upstream 192.0.2.20:5353

d() { on node2 dig +time=3 +tries=1 "$@"; }
ready() { [ "$(on "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8181/ready)" = 200 ]; }
retry_until $T ready node2 || die "node2 DNS not ready within $T s"
retry_until $T ready node3 || die "node3 DNS not ready within $T s"
asked() { grep -c "^$1 $2\$" "$UPLOG" || true; }

# ---- forwarding and the positive cache -------------------------------------------------------------
OUT=$(d example.test @$DNS)
expect_match "forwarded: the upstream's answer" "$OUT" $'^example\\.test\\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192\\.0\\.2\\.99$'
expect_match "forwarded answers carry RA and no AA" "$OUT" 'flags: qr rd ra;'
expect_eq "the upstream was asked once" 1 "$(asked example.test 1)"
sleep 2.2
OUT=$(d +noall +answer ExAmPlE.TeSt @$DNS)
expect_match "from the cache, in the query's case, the TTL counted down" "$OUT" \
	$'^ExAmPlE\\.TeSt\\.[[:space:]]+2[0-8][[:space:]]+IN[[:space:]]+A[[:space:]]+192\\.0\\.2\\.99$'
d +short example.test @192.0.2.11 >/dev/null
expect_eq "still asked only once (cached)" 1 "$(asked example.test 1)"

# ---- the negative cache (RFC 2308: min(SOA TTL, MINIMUM)) ------------------------------------------
OUT=$(d nothere.example.test @$DNS)
expect_match "NXDOMAIN relayed" "$OUT" 'status: NXDOMAIN'
expect_match "with the upstream's SOA" "$OUT" $'[[:space:]]60[[:space:]]+IN[[:space:]]+SOA'
OUT=$(d nothere.example.test @$DNS)
expect_match "NXDOMAIN again" "$OUT" 'status: NXDOMAIN'
expect_eq "the negative answer was cached" 1 "$(asked nothere.example.test 1)"
d AAAA example.test @$DNS >/dev/null
d AAAA example.test @$DNS >/dev/null
expect_eq "NODATA cached too" 1 "$(asked example.test 28)"

# ---- an upstream that does not answer ------------------------------------------------------------
OUT=$(on node2 dig +time=8 +tries=1 slow.example.test @$DNS)
expect_match "no answer from upstream: SERVFAIL" "$OUT" 'status: SERVFAIL'
expect_eq "asked twice (one retry)" 2 "$(asked slow.example.test 1)"

# ---- ExternalName: the CNAME and the target's records -----------------------------------------------
k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: www.example.test}
---
apiVersion: v1
kind: Service
metadata: {name: dangling, namespace: default}
spec: {type: ExternalName, externalName: gone.example.test}
EOF
has_ext() { local o; o=$(d +short CNAME ext.default.svc.cluster.local @$DNS); grep -q www <<<"$o"; }
retry_until 10 has_ext || true
OUT=$(d ext.default.svc.cluster.local @$DNS)
expect_match "ExternalName: the CNAME" "$OUT" $'^ext\\.default\\.svc\\.cluster\\.local\\.[[:space:]]+5[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+www\\.example\\.test\\.$'
expect_eq "and the target's A records from upstream" "192.0.2.97 192.0.2.98" \
	"$(grep -E $'^www\\.example\\.test\\.[[:space:]]' <<<"$OUT" | awk '{print $5}' | sort | xargs)"
expect_match "ANSWER: 3, authoritative" "$OUT" 'flags: qr aa rd ra; QUERY: 1, ANSWER: 3,'
OUT=$(d dangling.default.svc.cluster.local @$DNS)
expect_match "a target that does not resolve: the CNAME alone" "$OUT" 'ANSWER: 1,'
expect_match "  (NOERROR)" "$OUT" 'status: NOERROR'
expect_eq "CNAME query: the CNAME only, upstream not asked" "www.example.test." \
	"$(d +short CNAME ext.default.svc.cluster.local @$DNS)"

# ---- truncated upstream answers: TCP to the upstream ------------------------------------------------
OUT=$(d tc.example.test @$DNS)
expect_match "TC over UDP upstream: the UDP client gets the whole answer (3 A, fits)" "$OUT" 'flags: qr rd ra; QUERY: 1, ANSWER: 3,'
expect_eq "  its records, from the upstream's TCP answer" "192.0.2.101 192.0.2.102 192.0.2.103" \
	"$(grep -E $'^tc\\.example\\.test\\.[[:space:]]' <<<"$OUT" | awk '{print $5}' | sort | xargs)"
expect_eq "  the upstream was asked over UDP, then over TCP" "1 1" "$(asked tc.example.test 1) $(asked 'tcp tc.example.test' 1)"
OUT=$(d +tcp big.example.test @$DNS)
expect_match "100 A over TCP upstream: a TCP client gets all of it" "$OUT" 'flags: qr rd ra; QUERY: 1, ANSWER: 100,'
expect_eq "  every record" 100 "$(grep -cE $'^big\\.example\\.test\\.[[:space:]].*IN[[:space:]]+A[[:space:]]+198\\.51\\.100\\.' <<<"$OUT" || true)"
OUT=$(d +noedns +ignore big.example.test @192.0.2.11)
expect_match "  a UDP client without EDNS gets TC (1,600 octets do not fit 512)" "$OUT" 'flags: qr tc rd ra;'
OUT=$(d +notcp big.example.test @$DNS)
expect_match "  and dig's own TCP retry after that TC: the whole answer" "$OUT" 'ANSWER: 100,'
expect_eq "  upstream asked over TCP once (the full answer was cached)" 1 "$(asked 'tcp big.example.test' 1)"

# ---- forged replies and source ports --------------------------------------------------------------
OUT=$(d +short spoof.example.test @$DNS)
expect_eq "forged replies (another id, question, source port) ignored; the real answer relayed" 192.0.2.67 "$OUT"
for i in 1 2 3 4 5 6 7 8; do d +short "rnd$i.example.test" @$DNS >/dev/null || true; done
SRC=$(grep -E ' rnd[0-9]\.example\.test$' "$UPLOG.src" || true)
expect_eq "8 forwarded queries left from 8 different source ports" 8 "$(awk '{print $1}' <<<"$SRC" | sort -u | grep -c . || true)"
expect_eq "  with 8 different ids" 8 "$(awk '{print $2}' <<<"$SRC" | sort -u | grep -c . || true)"

# ---- metrics -------------------------------------------------------------------------------------
M=$(on node2 curl -s --max-time 2 http://127.0.0.1:9153/metrics)
expect_match "cache hits counted" "$M" '^portico_dns_cache_hits_total [1-9]'
expect_match "cache misses counted" "$M" '^portico_dns_cache_misses_total [1-9]'
expect_match "upstream timeouts counted" "$M" '^portico_dns_forward_timeouts_total [1-9]'
expect_match "TCP retries counted" "$M" '^portico_dns_forward_tcp_retries_total [1-9]'
expect_match "the forged reply with our id counted as bad" "$M" '^portico_dns_forward_bad_replies_total [1-9]'
expect_match "no loop on node2" "$M" '^portico_dns_loop_detected 0$'

# ---- loop detection --------------------------------------------------------------------------------
# (output captured first: grep -q ending a pipeline early would fail it under pipefail)
looped() { local m; m=$(on node3 curl -s --max-time 2 http://127.0.0.1:9153/metrics); grep -q '^portico_dns_loop_detected 1$' <<<"$m"; }
retry_until 10 looped || true
expect_eq "node3, whose upstream forwards back to it: loop detected" yes "$(looped && echo yes || echo no)"
expect_match "  and said so in its log" "$(cat "$WORK/agent-node3.log")" 'forwarding loop'
expect_match "  the loop probe went through the upstream" "$(cat "$LOOPLOG")" 'portico-loop-probe 13$'
expect_match "after a loop: outside names get SERVFAIL, not a storm" "$(on node3 dig +time=3 +tries=1 example.test @192.0.2.13)" 'status: SERVFAIL'
expect_eq "node3 still answers its zone" '"1.1.0"' "$(on node3 dig +short +time=3 +tries=1 TXT dns-version.cluster.local @$DNS)"
N1=$(wc -l <"$LOOPLOG")
sleep 1
expect_eq "no queries circling" "$N1" "$(wc -l <"$LOOPLOG")"

for n in node2 node3; do
	kill -TERM "${AGENT_PID[$n]}"
	rc=0
	wait "${AGENT_PID[$n]}" || rc=$?
	expect_eq "agent $n exits 0 on SIGTERM" 0 "$rc"
done
