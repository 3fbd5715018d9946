#!/bin/bash
# bench/controllers/run.sh: the EndpointSlice controller under 1,000 Services x 10 Pods. Starts a
# fresh `portico server` in a network namespace of its own (its controller manager wins the lease at
# once), creates the Services and Pods, then times pod Ready change -> slice updated (p50/p99, target
# p99 < 50 ms) for paced readiness flips, and reports the server's CPU time and RSS (the controllers
# run inside it). A benchmark, not a test: a missed target prints MISS and still exits 0 (1 only
# when some flips never reached a slice within 30 s).
#
# Knobs: BENCH_SERVICES (1000), BENCH_PODS (10 per service), BENCH_FLIPS (1000), BENCH_FLIP_RATE
# (50/s), BENCH_PORT (16444), BENCH_PORTICO (default build/portico).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ "${PORTICO_BENCH_NETNS:-}" != 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		exec unshare --net --mount env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
	fi
	exec unshare --user --map-root-user --net --mount env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

S=${BENCH_SERVICES:-1000}
P=${BENCH_PODS:-10}
F=${BENCH_FLIPS:-1000}
RATE=${BENCH_FLIP_RATE:-50}
PORT=${BENCH_PORT:-16444}
PORTICO=${BENCH_PORTICO:-$ROOT/build/portico}
OUT=$ROOT/build/bench
mkdir -p "$OUT"
[ -x "$PORTICO" ] || { echo "bench/controllers: $PORTICO missing: run make first" >&2; exit 1; }
DATA=$(mktemp -d)
LOG=$OUT/controllers-server.log
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$DATA"
}
trap cleanup EXIT

"$PORTICO" server --data-dir "$DATA" --listen "127.0.0.1:$PORT" --log-level warn >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 300); do
	[ -s "$DATA/kubeconfig" ] && break
	kill -0 "$PID" 2>/dev/null || { echo "bench/controllers: server exited; log:" >&2; cat "$LOG" >&2; exit 1; }
	sleep 0.1
done
# the machine is shared: the load average before and after says how much the figures can be trusted
echo "== bench/controllers: $S services x $P pods, $F flips at $RATE/s; server pid $PID, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0 # non-zero when flips were never seen (still summarised below)
python3 "$ROOT/bench/controllers/ctrlbench.py" "$DATA" "$PORT" "$S" "$P" "$F" "$RATE" "$PID" | tee "$OUT/controllers-results.txt" || rc=$?
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
p99=$(awk '$2 == "phase=flips" { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "p99_ms") print kv[2] } }' "$OUT/controllers-results.txt")
awk -v v="$p99" 'BEGIN { printf "p99 Ready -> slice %s ms, target < 50 ms: %s\n", v, (v + 0 < 50 ? "PASS" : "MISS") }'
exit $rc
