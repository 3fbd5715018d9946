#!/bin/bash
# bench/dns/run.sh: cluster DNS against NSD and Knot DNS. In a network namespace of its own: a real
# `portico server` gets BENCH_N Services (a tenth headless) and their selector-less EndpointSlices
# (BENCH_E endpoints each) through the API; a `portico agent` serves them (fed by its watch), and
# NSD and Knot serve an equivalent zone file. Each server in turn is pinned to core 0 with taskset,
# dnsperf runs on core 1. Per server: saturated qps, the server's CPU microseconds per answered query
# (utime+stime deltas from /proc over the run), p99 latency at half the peak rate (dnsperf -Q, per
# query latencies from -v), and RSS. A benchmark, not a test: a missed target prints MISS; a server
# that does not start exits 1.
#
# Knobs: BENCH_N (10000), BENCH_E (5), BENCH_SECS (10), BENCH_PORTICO (build/portico),
# BENCH_CLIENTS (dnsperf -c, 8), BENCH_OUTSTANDING (dnsperf -q, 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ "${PORTICO_BENCH_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/dns: needs root (nsd, knot and port 53 in a namespace)" >&2; exit 1; }
	exec unshare --net --mount --pid --fork --kill-child --mount-proc env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

N=${BENCH_N:-10000}
E=${BENCH_E:-5}
SECS=${BENCH_SECS:-10}
CLIENTS=${BENCH_CLIENTS:-8}
OUTSTANDING=${BENCH_OUTSTANDING:-200}
PORTICO=${BENCH_PORTICO:-$ROOT/build/portico}
[ -x "$PORTICO" ] || { echo "bench/dns: $PORTICO missing: run make first" >&2; exit 1; }
for t in nsd knotd dnsperf taskset; do
	command -v $t >/dev/null || { echo "bench/dns: $t missing: scripts/deps.sh bench" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "bench/dns: needs 2 CPUs" >&2; exit 1; }

OUT=$ROOT/build/bench
mkdir -p "$OUT"
W=$(mktemp -d)
RESULTS=$OUT/dns-results.txt
: >"$RESULTS"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# the agents' netns directories are mount points of their own (see agent/podnet.c)
	grep -o " $W/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT

TCK=$(getconf CLK_TCK)
# cpu_ticks PID...: utime+stime of the processes (all their threads)
# (fields after the ")" that ends the command name: nsd's names have spaces in them)
cpu_ticks() { local p t=0; for p in "$@"; do t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done; echo $t; }
rss_kib() { local p t=0; for p in "$@"; do t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status"))); done; echo $t; }

# measure NAME PIDS...: saturation, then half of it; prints and records a RESULT line
measure() {
	local name=$1
	shift
	local pids=("$@") t0 t1 out qps done cpu_us p99 half
	dnsperf -s 127.0.0.1 -d "$W/queries.txt" -l 2 -c "$CLIENTS" -q "$OUTSTANDING" >/dev/null 2>&1 || true # warm-up
	t0=$(cpu_ticks "${pids[@]}")
	out=$(taskset -c 1 dnsperf -s 127.0.0.1 -d "$W/queries.txt" -l "$SECS" -c "$CLIENTS" -q "$OUTSTANDING" 2>&1)
	t1=$(cpu_ticks "${pids[@]}")
	qps=$(awk '/Queries per second:/ {printf "%d", $4}' <<<"$out")
	done=$(awk '/Queries completed:/ {print $3}' <<<"$out")
	lost=$(awk '/Queries lost:/ {print $3}' <<<"$out")
	cpu_us=$(awk -v d=$((t1 - t0)) -v n="$done" -v tck="$TCK" 'BEGIN { printf "%.2f", d * 1e6 / tck / n }')
	half=$((qps / 2))
	p99=$(taskset -c 1 dnsperf -s 127.0.0.1 -d "$W/queries.txt" -l 5 -c "$CLIENTS" -Q "$half" -v 2>/dev/null |
		awk '$1 == ">" { print $NF * 1000 }' | sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f", v[i] }')
	local rss
	rss=$(rss_kib "${pids[@]}")
	echo "RESULT server=$name qps=$qps completed=$done lost=$lost cpu_us_per_q=$cpu_us p99_ms_at_half=$p99 half_qps=$half rss_kib=$rss" | tee -a "$RESULTS"
}

echo "== bench/dns: $N services, $E endpoints each, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$ROOT/bench/dns/gen.py" zone "$N" "$E" "$W/cluster.local.zone"
python3 "$ROOT/bench/dns/gen.py" queries "$N" "$W/queries.txt"

# ---- Portico: server, objects through the API, agent --------------------------------------------
mkdir -p "$W/data"
"$PORTICO" server --data-dir "$W/data/server" --listen 127.0.0.1:6443 --node-ip 127.0.0.1 --log-level warn \
	>"$OUT/dns-server.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 300); do [ -s "$W/data/server/kubeconfig" ] && break; sleep 0.1; done
[ -s "$W/data/server/kubeconfig" ] || { echo "bench/dns: server not ready" >&2; exit 1; }
echo "== creating $N Services and $N EndpointSlices ($((N * E)) endpoints) through the API"
python3 "$ROOT/bench/dns/gen.py" create https://127.0.0.1:6443 "$W/data/server/ca.crt" "$W/data/server/admin-token" "$N" "$E" 8
# the agent on core 0 (so one DNS worker), serving 10.43.0.10 and 127.0.0.1
T_START=$(date +%s%N)
taskset -c 0 "$PORTICO" agent --server https://127.0.0.1:6443 --token-file "$W/data/server/node-token" \
	--ca-file "$W/data/server/ca.crt" --node-name bench --node-ip 127.0.0.1 --data-dir "$W/data/agent" \
	--dns-upstream "" --disable-proxy --log-level warn >"$OUT/dns-agent.log" 2>&1 &
APID=$!
PIDS+=("$APID")
want=$((N + 2)) # the bench Services plus kubernetes and kube-dns
synced() {
	curl -s --max-time 1 http://127.0.0.1:8181/ready | grep -q OK &&
		[ "$(dig +short +time=1 +tries=1 svc-$((N - 1)).ns-$(((N - 1) % 10)).svc.cluster.local @127.0.0.1 | wc -l)" -ge 1 ]
}
for _ in $(seq 600); do synced && break; sleep 0.1; done
synced || { echo "bench/dns: the agent did not sync; log:" >&2; tail "$OUT/dns-agent.log" >&2; exit 1; }
T_SYNC=$(( ($(date +%s%N) - T_START) / 1000000 ))
NAMES=$(curl -s http://127.0.0.1:9153/metrics | awk '/^portico_dns_zone_names / {print $2}')
echo "== agent synced in $T_SYNC ms: $NAMES names; RSS $(rss_kib "$APID") KiB (peak $(awk '/^VmHWM:/ {print $2}' /proc/$APID/status) KiB)"
echo "RESULT server=portico-sync sync_ms=$T_SYNC names=$NAMES rss_kib=$(rss_kib "$APID") hwm_kib=$(awk '/^VmHWM:/ {print $2}' /proc/$APID/status)" >>"$RESULTS"
measure portico "$APID"
# programming latency: API create (201) to the first answer that has it, 50 Services; and the
# agent's own figure (watch event arrival to answerable) from its metrics
read -r PL_MED PL_MAX < <(python3 "$ROOT/bench/dns/gen.py" proglat https://127.0.0.1:6443 "$W/data/server/ca.crt" \
	"$W/data/server/admin-token" 127.0.0.1 50)
PL_AGENT=$(curl -s http://127.0.0.1:9153/metrics | awk '/^portico_dns_programming_duration_max_seconds / {printf "%.3f", $2 * 1000}')
echo "RESULT server=portico-prog api_to_answer_median_ms=$PL_MED api_to_answer_max_ms=$PL_MAX event_to_answerable_max_ms=$PL_AGENT" | tee -a "$RESULTS"
kill -TERM "$APID"
wait "$APID" 2>/dev/null || true
# the whole agent as a node runs it: the service proxy on too (a second agent, DNS off), holding the
# same 10,000 Services; its RSS once the proxy has programmed every Service port
taskset -c 0 "$PORTICO" agent --server https://127.0.0.1:6443 --token-file "$W/data/server/node-token" \
	--ca-file "$W/data/server/ca.crt" --node-name bench-proxy --node-ip 127.0.0.1 --data-dir "$W/data/agent2" \
	--nodeport-addresses 192.0.2.1 --proxy-health-port 10266 --dns-port 0 --log-level warn >"$OUT/dns-agent2.log" 2>&1 &
A2PID=$!
PIDS+=("$A2PID")
want_ports=$(( N - N / 10 )) # the headless tenth has no service port
for _ in $(seq 600); do
	sp=$(curl -s --max-time 1 http://127.0.0.1:10266/metrics | awk '/^portico_proxy_service_ports / {print $2}' || true)
	[ "${sp:-0}" -ge "$want_ports" ] && break
	sleep 0.2
done
sleep 1
echo "RESULT server=portico-proxy service_ports=${sp:-0} rss_kib=$(rss_kib "$A2PID") hwm_kib=$(awk '/^VmHWM:/ {print $2}' /proc/$A2PID/status)" | tee -a "$RESULTS"
kill -TERM "$A2PID"
wait "$A2PID" 2>/dev/null || true
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || true

# ---- NSD -------------------------------------------------------------------------------------------
cat >"$W/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: 53
  server-count: 1
  username: ""
  zonesdir: "$W"
  pidfile: "$W/nsd.pid"
  database: ""
  xfrdfile: "$W/xfrd.state"
  zonelistfile: "$W/zone.list"
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: cluster.local
  zonefile: cluster.local.zone
EOF
taskset -c 0 nsd -c "$W/nsd.conf" -d >"$OUT/dns-nsd.log" 2>&1 &
NPID=$!
PIDS+=("$NPID")
for _ in $(seq 100); do dig +short +time=1 +tries=1 svc-1.ns-1.svc.cluster.local @127.0.0.1 | grep -q . && break; sleep 0.2; done
# every nsd process (main, xfrd, the serving child), found by executable: the PID namespace holds
# only ours (nsd renames its processes, so pgrep -x does not find them)
NSD_PIDS=()
NSD_EXE=$(readlink -f "$(command -v nsd)")
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>/dev/null)" = "$NSD_EXE" ] && NSD_PIDS+=("${p#/proc/}")
done
[ ${#NSD_PIDS[@]} -gt 0 ] || { echo "bench/dns: no nsd process found" >&2; exit 1; }
measure nsd "${NSD_PIDS[@]}"
kill -TERM "$NPID"
wait "$NPID" 2>/dev/null || true

# ---- Knot --------------------------------------------------------------------------------------------
mkdir -p "$W/knot"
cat >"$W/knot.conf" <<EOF
server:
    listen: 127.0.0.1@53
    rundir: "$W/knot"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$W/knot"
log:
  - target: stderr
    any: warning
zone:
  - domain: cluster.local
    file: "$W/cluster.local.zone"
    journal-content: none
    zonefile-load: whole
EOF
taskset -c 0 knotd -c "$W/knot.conf" >"$OUT/dns-knot.log" 2>&1 &
KPID=$!
PIDS+=("$KPID")
for _ in $(seq 100); do dig +short +time=1 +tries=1 svc-1.ns-1.svc.cluster.local @127.0.0.1 | grep -q . && break; sleep 0.2; done
measure knot "$KPID"
kill -TERM "$KPID"
wait "$KPID" 2>/dev/null || true

# ---- the bare reflector: the kernel's floor for a UDP server on this machine -----------------------
gcc -O2 -Wall -Wextra -Werror -o "$OUT/reflector" "$ROOT/bench/dns/reflector.c"
taskset -c 0 "$OUT/reflector" 53 >"$OUT/dns-reflector.log" 2>&1 &
RPID=$!
PIDS+=("$RPID")
sleep 0.3
measure reflector "$RPID"
kill -TERM "$RPID"
wait "$RPID" 2>/dev/null || true

# ---- the table -------------------------------------------------------------------------------------
get() { awk -v s="$1" -v k="$2" '$1 == "RESULT" && $2 == "server=" s { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$RESULTS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == "<" ? v + 0 < l + 0 : v + 0 >= l + 0); print ok ? "PASS" : "MISS" }'; }
echo
printf '%-20s %10s %10s %10s %10s %12s %12s %12s\n' "" portico nsd knot reflector "portico/nsd" "portico/knot" "portico/refl"
for k in qps cpu_us_per_q p99_ms_at_half rss_kib; do
	p=$(get portico $k) n=$(get nsd $k) kn=$(get knot $k) r=$(get reflector $k)
	printf '%-20s %10s %10s %10s %10s %12s %12s %12s\n' "$k" "$p" "$n" "$kn" "$r" "$(ratio "$p" "$n")" "$(ratio "$p" "$kn")" "$(ratio "$p" "$r")"
done
echo
echo "targets: qps >= NSD's: $(verdict "$(get portico qps)" ">=" "$(get nsd qps)"); CPU <= 2.0 us/query: $(verdict "$(get portico cpu_us_per_q)" "<" 2.0001)" \
	"(on this machine Knot: $(get knot cpu_us_per_q), the bare reflector: $(get reflector cpu_us_per_q); portico <= Knot's: $(verdict "$(get portico cpu_us_per_q)" "<" "$(get knot cpu_us_per_q)"));" \
	"p99 < 1 ms at half peak: $(verdict "$(get portico p99_ms_at_half)" "<" 1); RSS < 30 MiB with $N services/$((N * E)) endpoints: $(verdict "$(get portico-sync rss_kib)" "<" 30720)"
echo "agent: synced in $(get portico-sync sync_ms) ms, peak RSS $(get portico-sync hwm_kib) KiB;" \
	"with the service proxy on (DNS off): RSS $(get portico-proxy rss_kib) KiB, peak $(get portico-proxy hwm_kib) KiB, $(get portico-proxy service_ports) service ports programmed"
echo "programming latency: API 201 to first answer median $(get portico-prog api_to_answer_median_ms) ms, max $(get portico-prog api_to_answer_max_ms) ms;" \
	"watch event to answerable (watch events, not the initial list), max $(get portico-prog event_to_answerable_max_ms) ms:" \
	"$(verdict "$(get portico-prog api_to_answer_max_ms)" "<" 10)"
