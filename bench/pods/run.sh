#!/bin/bash
# bench/pods/run.sh: pod start-up on one node. Starts `portico server --disable-agent` and a separate
# `portico agent` (so its RSS is the agent's own) in a private network, pid and mount namespace,
# creates BENCH_PODS (50) netexec pods through the API (scheduler included), and times each from
# just before its POST to the watch event that shows it Ready=True (p50/p99; target p99 < 300 ms;
# Kubernetes' SLO for stateless pod start-up is p99 <= 5 s). Reports the agent's RSS and CPU time
# and the supervisors' total RSS. A benchmark, not a test: a missed target prints MISS and still
# exits 0 (1 only when pods never became Ready within 60 s). Needs root (bridge, veth, netns).
#
# Knobs: BENCH_PODS (50), BENCH_POD_RATE (pods/s; 0 = as fast as the API takes them), BENCH_PORT
# (16445), BENCH_PORTICO (default build/portico).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ "${PORTICO_BENCH_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/pods: needs root (network namespaces, bridge)" >&2; exit 1; }
	exec unshare --net --mount --pid --fork --kill-child --mount-proc env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
fi
mount --make-rprivate /
ip link set lo up
# a node address of its own (TEST-NET-1) on a veth pair: the agent's InternalIP
ip link add bench0 type veth peer name bench1
ip addr add 192.0.2.10/24 dev bench0
ip link set bench0 up
ip link set bench1 up

N=${BENCH_PODS:-50}
RATE=${BENCH_POD_RATE:-0}
PORT=${BENCH_PORT:-16445}
PORTICO=${BENCH_PORTICO:-$ROOT/build/portico}
OUT=$ROOT/build/bench
mkdir -p "$OUT"
[ -x "$PORTICO" ] || { echo "bench/pods: $PORTICO missing: run make first" >&2; exit 1; }
DATA=$(mktemp -d)
# the agent bind-mounts network namespace files under its data dir: a tmpfs of this mount namespace
# takes them away with it
mount -t tmpfs -o mode=0700 tmpfs "$DATA"
SLOG=$OUT/pods-server.log
ALOG=$OUT/pods-agent.log
SPID= APID=
cleanup() {
	for p in $APID $SPID; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	umount -l "$DATA" 2>/dev/null || true
	rmdir "$DATA" 2>/dev/null || true
}
trap cleanup EXIT

"$PORTICO" server --data-dir "$DATA/server" --listen "0.0.0.0:$PORT" --node-ip 192.0.2.10 --disable-agent \
	--log-level ${BENCH_SERVER_LOG:-warn} >"$SLOG" 2>&1 &
SPID=$!
for _ in $(seq 300); do
	[ -s "$DATA/server/kubeconfig" ] && break
	kill -0 "$SPID" 2>/dev/null || { echo "bench/pods: server exited; log:" >&2; cat "$SLOG" >&2; exit 1; }
	sleep 0.1
done
"$PORTICO" agent --server "https://192.0.2.10:$PORT" --token-file "$DATA/server/node-token" \
	--ca-file "$DATA/server/ca.crt" --node-name bench --node-ip 192.0.2.10 --data-dir "$DATA/agent" \
	--log-level ${BENCH_AGENT_LOG:-warn} >"$ALOG" 2>&1 &
APID=$!
echo "== bench/pods: $N pods, rate ${RATE:-0}/s (0: unpaced); server pid $SPID, agent pid $APID, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
python3 "$ROOT/bench/pods/podbench.py" "$DATA/server" "$PORT" "$N" "$RATE" "$APID" | tee "$OUT/pods-results.txt" || rc=$?
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
p99=$(awk '$2 == "phase=ready" { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "p99_ms") print kv[2] } }' "$OUT/pods-results.txt")
awk -v v="$p99" 'BEGIN { if (v == "") { print "no figures"; exit } printf "p99 create -> Ready %s ms, target < 300 ms: %s\n", v, (v + 0 < 300 ? "PASS" : "MISS") }'
exit $rc
