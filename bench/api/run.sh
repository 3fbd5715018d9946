#!/bin/bash
# bench/api/run.sh: the API server benchmark. Starts a fresh `portico server` inside a network
# namespace of its own, creates Services (paced, one by one, from 32 clients, under 100 watches),
# times lists, samples the server's RSS, and prints each figure next to its target.
# A benchmark, not a test: a missed target prints MISS and still exits 0; failed requests, lost
# watch events or a server that does not start exit 1.
#
# Knobs (environment): BENCH_N (10000), BENCH_PACED (2000), BENCH_RATE (100), BENCH_CLIENTS (32),
# BENCH_WATCHES (100), BENCH_WATCH_N (5000), BENCH_LIST_RUNS (5), BENCH_PAGE (500), BENCH_PORT (16443),
# BENCH_PORTICO (the server binary, default build/portico), BENCH_SERVER_ARGS (extra server flags).
# Besides latency and throughput it reports the server's CPU time per create in the 32-client phase
# (utime + stime of all its threads), which a machine busy with other work changes much less.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

# Everything that listens or connects runs in a private network namespace with loopback only.
if [ "${PORTICO_BENCH_NETNS:-}" != 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		exec unshare --net --mount env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
	fi
	exec unshare --user --map-root-user --net --mount env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

N=${BENCH_N:-10000}
PACED=${BENCH_PACED:-2000}
RATE=${BENCH_RATE:-100}
CLIENTS=${BENCH_CLIENTS:-32}
WATCHES=${BENCH_WATCHES:-100}
WATCH_N=${BENCH_WATCH_N:-5000}
RUNS=${BENCH_LIST_RUNS:-5}
PAGE=${BENCH_PAGE:-500}
PORT=${BENCH_PORT:-16443}
SEQ=$((N - PACED))
[ "$SEQ" -gt 0 ] || { echo "bench/api: BENCH_N must exceed BENCH_PACED" >&2; exit 2; }

PORTICO=${BENCH_PORTICO:-$ROOT/build/portico}
LOADGEN=$ROOT/build/bench/loadgen
OUT=$ROOT/build/bench
mkdir -p "$OUT"
[ -x "$PORTICO" ] || { echo "bench/api: $PORTICO missing: run make first" >&2; exit 1; }

# The load generator is built here so that the Makefile stays the project's own.
if [ ! -x "$LOADGEN" ] || [ "$ROOT/bench/api/loadgen.c" -nt "$LOADGEN" ]; then
	PKGS="libevent libevent_openssl libevent_pthreads jansson openssl"
	# shellcheck disable=SC2046
	${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -o "$LOADGEN" "$ROOT/bench/api/loadgen.c" \
		$(pkg-config --cflags --libs $PKGS) -lpthread
fi

DATA=$(mktemp -d)
RESULTS=$OUT/api-results.txt
LOG=$OUT/api-server.log
: >"$RESULTS"
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$DATA"
}
trap cleanup EXIT

# BENCH_SERVER_ARGS: extra server flags, e.g. --disable-controllers to measure the API server alone
# shellcheck disable=SC2086
"$PORTICO" server --data-dir "$DATA" --listen "127.0.0.1:$PORT" --log-level warn ${BENCH_SERVER_ARGS:-} >"$LOG" 2>&1 &
PID=$!
# The kubeconfig appears once the server answers and its bootstrap objects are committed.
for _ in $(seq 300); do
	[ -s "$DATA/kubeconfig" ] && break
	kill -0 "$PID" 2>/dev/null || { echo "bench/api: server exited; log:" >&2; cat "$LOG" >&2; exit 1; }
	sleep 0.1
done
[ -s "$DATA/kubeconfig" ] || { echo "bench/api: server not ready after 30 s" >&2; exit 1; }

# VmRSS and VmHWM of the server in KiB: "rss hwm"
rss() { awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$PID/status"; }
rss_line() { # name
	local r h
	read -r r h < <(rss)
	echo "RESULT phase=$1 rss_kib=$r hwm_kib=$h" | tee -a "$RESULTS"
}

# utime + stime of the server (all its threads), in clock ticks: CPU per create is robust to a busy
# machine, where creates/s is not
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }

status=0
lg() { # mode args...: runs the load generator, keeps its RESULT lines
	local mode=$1
	shift
	if ! "$LOADGEN" "$mode" --data-dir "$DATA" --port "$PORT" "$@" | tee -a "$RESULTS"; then
		status=1
	fi
	kill -0 "$PID" 2>/dev/null || { echo "bench/api: the server died; log:" >&2; tail -20 "$LOG" >&2; exit 1; }
}

echo "== bench/api: portico server pid $PID, data $DATA, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rss_line start
echo "== 1a. $PACED creates, one client, paced at $RATE/s (the latency target)"
lg create --phase paced --prefix paced --count "$PACED" --clients 1 --rate "$RATE"
echo "== 1b. $SEQ creates, one by one, unpaced"
lg create --phase seq --prefix seq --count "$SEQ" --clients 1
rss_line rss_n
echo "== 3a. list of $N services (+ the kubernetes Service), full and in pages of $PAGE"
lg list --phase list_n --runs "$RUNS" --expect $((N + 1))
lg list --phase list_n_paged --runs "$RUNS" --limit "$PAGE" --expect $((N + 1))
echo "== 2. $N creates from $CLIENTS concurrent clients"
read -r cpu0 < <(cpu_ticks)
lg create --phase parallel --prefix par --count "$N" --clients "$CLIENTS"
read -r cpu1 < <(cpu_ticks)
echo "RESULT phase=parallel_cpu us_per_create=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$N" -v hz="$(getconf CLK_TCK)" \
	'BEGIN { printf "%.0f", (b - a) * 1e6 / hz / n }')" | tee -a "$RESULTS"
echo "== 3b. list of $((2 * N)) services"
lg list --phase list_2n --runs "$RUNS" --expect $((2 * N + 1))
echo "== 4. $WATCH_N creates from $CLIENTS clients while $WATCHES watches are held"
lg create --phase watched --prefix wt --count "$WATCH_N" --clients "$CLIENTS" --watches "$WATCHES"
echo "== 5. server memory holding $((2 * N + WATCH_N)) services"
rss_line rss_end

# --- the results table ---
get() { # phase key
	awk -v p="$1" -v k="$2" '$1 == "RESULT" && $2 == "phase=" p {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v = kv[2] } }
		END { print (v == "" ? "n/a" : v) }' "$RESULTS"
}
# verdict value op limit: PASS/MISS
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "n/a") { print "n/a"; exit }
		ok = (op == "<") ? (v + 0 < l + 0) : (v + 0 >= l + 0); print ok ? "PASS" : "MISS" }'
}
mib() { awk -v k="$1" 'BEGIN { if (k == "n/a") print "n/a"; else printf "%.1f", k / 1024 }'; }

p99=$(get paced p99_ms)
par=$(get parallel rps)
lst=$(get list_n median_ms)
rssn=$(mib "$(get rss_n rss_kib)")
row() { printf '%-52s %12s  %-12s %s\n' "$@"; }
echo
echo "== bench/api results ($(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
row "figure" "value" "target" "verdict"
row "create p99, 1 client paced at $RATE/s (ms)" "$p99" "< 10" "$(verdict "$p99" "<" 10)"
row "creates/s, $CLIENTS clients" "$par" ">= 3000" "$(verdict "$par" ">=" 3000)"
row "full list of $N services, median of $RUNS (ms)" "$lst" "< 150" "$(verdict "$lst" "<" 150)"
row "server RSS holding $N services (MiB)" "$rssn" "< 60" "$(verdict "$rssn" "<" 60)"
row "create p50, paced (ms)" "$(get paced p50_ms)" "" ""
row "create p99, paced, from the scheduled time (ms)" "$(get paced sched_p99_ms)" "" ""
row "creates/s, one by one unpaced" "$(get seq rps)" "" ""
row "create p50 / p99, one by one unpaced (ms)" "$(get seq p50_ms) / $(get seq p99_ms)" "" ""
row "create p50 / p99, $CLIENTS clients (ms)" "$(get parallel p50_ms) / $(get parallel p99_ms)" "" ""
row "server CPU per create, $CLIENTS clients (us)" "$(get parallel_cpu us_per_create)" "" ""
row "list of $N in pages of $PAGE, median (ms)" "$(get list_n_paged median_ms)" "" ""
row "  items the paginated list returned" "$(get list_n_paged items)" "$((N + 1))" \
	"$([ "$(get list_n_paged items)" = $((N + 1)) ] && echo PASS || echo FAIL)"
row "full list of $((2 * N)) services, median (ms)" "$(get list_2n median_ms)" "" ""
row "creates/s, $CLIENTS clients, $WATCHES watches open" "$(get watched rps)" "" ""
row "create p50 / p99 under watches (ms)" "$(get watched p50_ms) / $(get watched p99_ms)" "" ""
row "watches that got every ADDED event" "$(get watched watch_complete) of $(get watched watches)" "all" \
	"$([ "$(get watched watch_complete)" = "$(get watched watches)" ] && echo PASS || echo FAIL)"
row "server RSS holding $((2 * N + WATCH_N)) services (MiB)" "$(mib "$(get rss_end rss_kib)")" "" ""
row "server peak RSS, VmHWM (MiB)" "$(mib "$(get rss_end hwm_kib)")" "" ""
echo "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); raw RESULT lines: $RESULTS; server log: $LOG)"
exit $status
