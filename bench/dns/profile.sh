#!/bin/bash
# bench/dns/profile.sh: where the DNS server's CPU goes, in a small private setup (not the benchmark:
# no NSD/Knot, a few hundred Services, short runs). In a network namespace of its own: `portico
# server`, PROF_N Services created through the API, `portico agent` pinned to core 0 (one DNS
# worker), dnsperf pinned to core 1 for PROF_SECS seconds. Prints the agent's CPU per answered query
# split into user and kernel time (utime/stime deltas from /proc/PID/stat, all threads, and the DNS
# worker thread alone), and with PROF_PERF=1 records the run with `perf record -g` and prints the top
# symbols and the user/kernel share of the samples.
#
# Knobs: PROF_N (300), PROF_SECS (5), PROF_PORTICO (build/portico), PROF_PERF (0), PROF_OUT
# (build/bench/profile).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ "${PORTICO_BENCH_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/dns/profile: needs root (a network namespace)" >&2; exit 1; }
	exec unshare --net --mount --pid --fork --kill-child --mount-proc env PORTICO_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

N=${PROF_N:-300}
SECS=${PROF_SECS:-5}
PORTICO=${PROF_PORTICO:-$ROOT/build/portico}
OUT=${PROF_OUT:-$ROOT/build/bench/profile}
[ -x "$PORTICO" ] || { echo "profile: $PORTICO missing: run make first" >&2; exit 1; }
mkdir -p "$OUT"
W=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# the agent's netns directory is a mount point of its own (see agent/podnet.c)
	grep -o " $W/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT

TCK=$(getconf CLK_TCK)
# ticks FILE: "utime stime" from a /proc stat file (fields after the command name's ")")
ticks() { sed 's/.*) //' "$1" | awk '{print $12, $13}'; }

python3 "$ROOT/bench/dns/gen.py" queries "$N" "$W/queries.txt"
"$PORTICO" server --data-dir "$W/server" --listen 127.0.0.1:6443 --node-ip 127.0.0.1 --disable-agent \
	--log-level warn >"$OUT/server.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 300); do [ -s "$W/server/kubeconfig" ] && break; sleep 0.1; done
python3 "$ROOT/bench/dns/gen.py" create https://127.0.0.1:6443 "$W/server/ca.crt" "$W/server/admin-token" "$N" 5 4 >/dev/null
taskset -c 0 "$PORTICO" agent --server https://127.0.0.1:6443 --token-file "$W/server/node-token" \
	--ca-file "$W/server/ca.crt" --node-name prof --node-ip 127.0.0.1 --data-dir "$W/agent" \
	--dns-upstream "" --disable-proxy --log-level warn >"$OUT/agent.log" 2>&1 &
APID=$!
PIDS+=("$APID")
synced() { [ "$(dig +short +time=1 +tries=1 svc-$((N - 1)).ns-$(((N - 1) % 10)).svc.cluster.local @127.0.0.1 | wc -l)" -ge 1 ]; }
for _ in $(seq 300); do synced && break; sleep 0.1; done
synced || { echo "profile: the agent did not sync" >&2; tail "$OUT/agent.log" >&2; exit 1; }
WT=
for _ in $(seq 50); do
	for t in /proc/$APID/task/*; do [ "$(cat "$t/comm" 2>/dev/null)" = dns-0 ] && WT=$t; done
	[ -n "$WT" ] && break
	sleep 0.1
done
[ -n "$WT" ] || { echo "profile: no dns-0 thread in $(cat /proc/$APID/task/*/comm | xargs)" >&2; exit 1; }

{ nft list ruleset; nft list hooks; } >"$OUT/ruleset.txt" 2>&1 || true
dnsperf -s 127.0.0.1 -d "$W/queries.txt" -l 1 -c 8 -q 200 >/dev/null 2>&1 || true # warm-up
read -r pu0 ps0 < <(ticks "/proc/$APID/stat")
read -r wu0 ws0 < <(ticks "$WT/stat")
if [ "${PROF_PERF:-0}" = 1 ]; then
	perf record -q -g -o "$OUT/perf.data" -p "$APID" -- sleep "$SECS" >/dev/null 2>&1 &
	PERF=$!
elif [ "${PROF_PERF:-0}" = stat ]; then
	perf stat -x, -e syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_epoll_wait \
		-o "$OUT/perf-stat.txt" -p "$APID" -- sleep "$SECS" >/dev/null 2>&1 &
	STAT=$!
fi
res=$(taskset -c 1 dnsperf -s 127.0.0.1 -d "$W/queries.txt" -l "$SECS" -c 8 -q 200 2>&1)
read -r pu1 ps1 < <(ticks "/proc/$APID/stat")
read -r wu1 ws1 < <(ticks "$WT/stat")
[ -n "${PERF:-}" ] && wait "$PERF" || true
[ -n "${STAT:-}" ] && wait "$STAT" || true
q=$(awk '/Queries completed:/ {print $3}' <<<"$res")
qps=$(awk '/Queries per second:/ {printf "%d", $4}' <<<"$res")
us() { awk -v d="$1" -v n="$q" -v t="$TCK" 'BEGIN { printf "%.2f", d * 1e6 / t / n }'; }
echo "RESULT n=$N qps=$qps queries=$q agent_us_per_q=$(us $((pu1 + ps1 - pu0 - ps0))) user=$(us $((pu1 - pu0))) kernel=$(us $((ps1 - ps0))) worker_user=$(us $((wu1 - wu0))) worker_kernel=$(us $((ws1 - ws0)))"
if [ -n "${STAT:-}" ]; then
	# syscalls per answered query: how well recvmmsg/sendmmsg batch under this load
	awk -F, -v q="$q" '$3 ~ /sys_enter/ { sub(".*sys_enter_", "", $3); printf "syscalls: %s %d (%.3f per query, %.1f queries per call)\n", $3, $1, $1 / q, $1 ? q / $1 : 0 }' "$OUT/perf-stat.txt"
fi
if [ -n "${PERF:-}" ]; then
	perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 40 || true
	echo "samples: user $(perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null |
		awk '$1 ~ /%$/ { p = $1; sub("%", "", p); if ($2 == "[.]") u += p; else if ($2 == "[k]") k += p } END { printf "%.1f%%, kernel %.1f%%", u, k }')"
fi
