#!/bin/bash
# Cluster DNS forwarding (issue 8): names outside the zone go to the upstream resolver given with
# --dns-upstream, here a small python3 DNS responder in its own lab namespace (never the real
# internet). Checks: answers relayed with the query's id and case, positive answers cached for their
# TTL (the upstream is asked once, the TTL counts down), negative answers cached per RFC 2308 (by the
# SOA), an upstream that does not answer gives SERVFAIL after the retry, ExternalName Services
# answered with the CNAME and the target's records from upstream (the CNAME alone where the target
# does not resolve), and loop detection: an upstream that sends our queries back to us turns
# forwarding off (SERVFAIL) and is reported in the metrics.
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
# A tiny authoritative responder for example.test, logging every question it gets. With
# --forward HOST:PORT it instead relays every query there (a resolver pointed back at us: a loop).
import socket, struct, sys
port = int(sys.argv[1]); logf = open(sys.argv[2], "a", buffering=1)
fwd = None
if len(sys.argv) > 4 and sys.argv[3] == "--forward":
    h, p = sys.argv[4].rsplit(":", 1); fwd = (h, int(p))
ZONE = {("example.test", 1): ["192.0.2.99"], ("www.example.test", 1): ["192.0.2.98", "192.0.2.97"]}
def name_at(m, o):
    labels = []
    while m[o]:
        labels.append(m[o + 1:o + 1 + m[o]].decode()); o += 1 + m[o]
    return ".".join(labels), o + 1
def rr(owner_ptr, t, ttl, rdata):
    return struct.pack(">HHHIH", owner_ptr, t, 1, ttl, len(rdata)) + rdata
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
while True:
    m, peer = s.recvfrom(4096)
    if len(m) < 12: continue
    qid, fl, qd = struct.unpack(">HHH", m[:6])
    name, o = name_at(m, 12)
    qtype, qclass = struct.unpack(">HH", m[o:o + 4])
    logf.write("%s %d\n" % (name.lower(), qtype))
    if fwd:
        f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f.settimeout(2)
        f.sendto(m, fwd)
        try: s.sendto(f.recv(4096), peer)
        except OSError: pass
        continue
    if name.lower().startswith("slow"): continue           # never answers
    q = m[12:o + 4]
    ans = ZONE.get((name.lower(), qtype))
    if ans:
        body = b"".join(rr(0xc00c, 1, 30, socket.inet_aton(a)) for a in ans)
        s.sendto(struct.pack(">HHHHHH", qid, 0x8180, 1, len(ans), 0, 0) + q + body, peer)
    else:
        # NXDOMAIN (or NODATA for an existing name) with the SOA: TTL 60, MINIMUM 45
        soa = b"\x02ns\xc0\x0c" + b"\x0ahostmaster\xc0\x0c" + struct.pack(">IIIII", 1, 7200, 1800, 86400, 45)
        exists = any(k[0] == name.lower() for k in ZONE)
        s.sendto(struct.pack(">HHHHHH", qid, 0x8180 | (0 if exists else 3), 1, 0, 1, 0) + q +
                 rr(0xc00c, 6, 60, soa), peer)
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

# ---- metrics -------------------------------------------------------------------------------------
M=$(on node2 curl -s --max-time 2 http://127.0.0.1:9153/metrics)
expect_match "cache hits counted" "$M" '^portico_dns_cache_hits_total [1-9]'
expect_match "cache misses counted" "$M" '^portico_dns_cache_misses_total [1-9]'
expect_match "upstream timeouts counted" "$M" '^portico_dns_forward_timeouts_total [1-9]'
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
