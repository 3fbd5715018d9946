#!/bin/bash
# Test runner behind `make test` (which builds first): unit tests, short fuzz runs, and end-to-end
# scenarios each in its own unshare sandbox. One line per test, full logs in build/test-logs/, and
# as the very last line "N passed, N failed". Exit status non-zero when any test failed.
#
# Tests of one kind run side by side, a few at a time: the machine has two cores and an end-to-end
# scenario spends most of its time waiting (for a server, a pod, a retry loop). Each test's line is
# printed as soon as it and every test queued before it are done, so the output keeps one order
# whatever the interleaving. Concurrent scenarios share nothing: each has its own pid, net and mount
# namespaces (so its own loopback, ports, nftables, /run/netns tmpfs) and its own work dir under
# build/test-logs/e2e/. A scenario whose timings do not survive a neighbour (a failover deadline, a
# latency bound) carries a line starting "# serial" (a reason may follow: "# serial: ...") and runs
# alone, after the others.
#
# Knobs: PORTICO (server binary, default build/san/portico), FUZZ_TIME (seconds per fuzz target,
# default 5: there are twenty targets, and `make test` must stay under 20 minutes on 2 cores),
# E2E_TIMEOUT (seconds per scenario, default 300), ONLY (a substring: run only tests whose name
# contains it), E2E_JOBS / FUZZ_JOBS / UNIT_JOBS (how many run at once, default 2 each; 1 runs them
# one after the other).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

cd "$(dirname "$0")/.." || exit 2
REPO=$PWD
export PORTICO=${PORTICO:-build/san/portico}
case $PORTICO in /*) ;; *) PORTICO=$REPO/$PORTICO ;; esac
FUZZ_TIME=${FUZZ_TIME:-5}
E2E_TIMEOUT=${E2E_TIMEOUT:-300}
ONLY=${ONLY:-}
E2E_JOBS=${E2E_JOBS:-2}
FUZZ_JOBS=${FUZZ_JOBS:-2}
UNIT_JOBS=${UNIT_JOBS:-2}
for v in E2E_JOBS FUZZ_JOBS UNIT_JOBS; do
	case ${!v} in
	'' | *[!0-9]* | 0*) echo "run.sh: $v must be a whole number from 1 up, not '${!v}'" >&2; exit 2 ;;
	esac
done
LOGS=$REPO/build/test-logs
# Only each test's own log is replaced (below), so runs of other tests side by side keep theirs.
mkdir -p "$LOGS/unit" "$LOGS/fuzz" "$LOGS/e2e"
# Where running jobs leave their pid and, when done, their status; removed at exit.
STATE=$(mktemp -d "${TMPDIR:-/tmp}/portico-run.XXXXXX") || exit 2

passed=0
failed=0
failed_names=()

# record NAME STATUS SECONDS LOG
record() {
	local name=$1 rc=$2 secs=$3 logf=$4
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %s (%ss)\n' "$name" "$secs"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		printf 'FAIL %s (%ss)\n' "$name" "$secs"
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && printf '    (timed out)\n'
		[ -f "$logf" ] && excerpt "$logf" | sed 's/^/    /'
		:
	fi
}

# excerpt LOG: what to show of a failed test's log. A sanitizer report's head (the error and the
# top of its stack) says more than its tail (shadow bytes), so show that first when there is one.
excerpt() {
	local logf=$1 n
	n=$(grep -n -m 1 -E '^==[0-9]+==ERROR: |runtime error: ' "$logf" | cut -d: -f1)
	if [ -n "$n" ]; then
		printf -- '---- sanitizer report in %s (from line %s)\n' "${logf#"$REPO"/}" "$n"
		sed -n "$n,$((n + 20))p" "$logf"
		printf -- '---- last lines\n'
		tail -n 8 "$logf"
	else
		printf -- '---- last lines of %s\n' "${logf#"$REPO"/}"
		tail -n 40 "$logf"
	fi
}

selected() { [ -z "$ONLY" ] || [[ $1 == *"$ONLY"* ]]; }

# ---- the job pool --------------------------------------------------------------------------------
# A phase queues its tests with queue NAME LOG SERIAL CMD... and runs them with pool_run JOBS. Each
# command runs in the background, stdin /dev/null, stdout and stderr to LOG; its pid goes to
# STATE/K.pid so that an interrupt can end it, and its status and duration to STATE/K.done when it is
# over. Tests with SERIAL=1 wait until nothing else runs and run one at a time.

Q_NAME=()
Q_LOG=()
Q_SERIAL=()
Q_CMD=() # each quoted with printf %q, for eval
SEQ=0    # job numbers stay unique across phases (names of files in STATE)

queue() {
	Q_NAME+=("$1")
	Q_LOG+=("$2")
	Q_SERIAL+=("$3")
	shift 3
	Q_CMD+=("$(printf '%q ' "$@")")
}

# job_start K I: run queue entry I as job K in the background.
job_start() {
	local k=$1 i=$2
	(
		start=$SECONDS
		eval "${Q_CMD[i]}" '</dev/null >"${Q_LOG[i]}" 2>&1 &'
		echo $! >"$STATE/$k.pid"
		wait $!
		rc=$?
		echo "$rc $((SECONDS - start))" >"$STATE/$k.tmp" && mv "$STATE/$k.tmp" "$STATE/$k.done"
	) &
}

# pool_run JOBS: run the queued tests, at most JOBS at once, the serial ones alone at the end; print
# each result in queue order (parallel ones first) as soon as it can be; empty the queue.
pool_run() {
	local jobs=$1 n=${#Q_NAME[@]} order=() i k running next=0 shown=0 rc secs
	local base=$SEQ
	for i in "${!Q_NAME[@]}"; do [ "${Q_SERIAL[i]}" = 1 ] || order+=("$i"); done
	for i in "${!Q_NAME[@]}"; do [ "${Q_SERIAL[i]}" = 1 ] && order+=("$i"); done
	SEQ=$((SEQ + n))
	while [ $shown -lt $n ]; do
		running=0
		for ((k = shown; k < next; k++)); do
			[ -e "$STATE/$((base + k)).done" ] || running=$((running + 1))
		done
		while [ $next -lt $n ]; do
			i=${order[next]}
			if [ "${Q_SERIAL[i]}" = 1 ]; then
				[ $running = 0 ] || break
			elif [ $running -ge "$jobs" ]; then
				break
			fi
			job_start $((base + next)) "$i"
			running=$((running + 1))
			next=$((next + 1))
		done
		while [ $shown -lt $next ] && [ -e "$STATE/$((base + shown)).done" ]; do
			i=${order[shown]}
			read -r rc secs <"$STATE/$((base + shown)).done"
			record "${Q_NAME[i]}" "$rc" "$secs" "${Q_LOG[i]}"
			shown=$((shown + 1))
		done
		[ $shown -lt $n ] && sleep 0.2
	done
	wait
	Q_NAME=()
	Q_LOG=()
	Q_SERIAL=()
	Q_CMD=()
}

# On an interrupt, end the running tests (timeout forwards the signal to what it runs) and stop.
on_signal() {
	local f
	trap - INT TERM
	for f in "$STATE"/*.pid; do
		[ -e "$f" ] || continue
		[ -e "${f%.pid}.done" ] || kill -TERM "$(cat "$f")" 2>/dev/null
	done
	wait
	echo "interrupted"
	exit 130
}
trap on_signal INT TERM
trap 'rm -rf "$STATE"' EXIT

# missing BIN: a test whose binary was not built fails, it is not skipped.
missing() {
	echo "missing binary $1 (did the build run?)"
	return 1
}

# ---- unit tests: one per tests/unit/test_*.c; a missing binary is a failure, not a skip -----------
for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	selected "unit/$name" || continue
	bin=build/san/tests/$name
	logf=$LOGS/unit/$name.log
	if [ -x "$bin" ]; then
		queue "unit/$name" "$logf" 0 env ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
			UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" timeout -k 5 120 "$bin"
	else
		queue "unit/$name" "$logf" 0 missing "$bin"
	fi
done
pool_run "$UNIT_JOBS"

# ---- fuzz targets: a short run each; new inputs go to build/, seeds come from tests/fuzz/corpus --
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	selected "fuzz/$name" || continue
	bin=build/fuzz/$name
	logf=$LOGS/fuzz/$name.log
	if [ -x "$bin" ]; then
		work=build/fuzz-corpus/$name
		mkdir -p "$work" "$LOGS/fuzz/$name-artifacts"
		dirs=("$work")
		[ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
		queue "fuzz/$name" "$logf" 0 timeout -k 5 $((FUZZ_TIME + 60)) "$bin" -max_total_time="$FUZZ_TIME" \
			-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
			-artifact_prefix="$LOGS/fuzz/$name-artifacts/" "${dirs[@]}"
	else
		queue "fuzz/$name" "$logf" 0 missing "$bin"
	fi
done
pool_run "$FUZZ_JOBS"

# ---- end-to-end scenarios: each in its own pid+net+mount namespaces -----------------------------
# test_*.sh run as they are; test_*.py run through tests/e2e/run_py.sh, which builds the lab first.
no_root() {
	echo "end-to-end scenarios need root (network namespaces); not run"
	return 1
}
host_netns=$(readlink /proc/self/ns/net)
for t in tests/e2e/test_*.sh tests/e2e/test_*.py; do
	[ -e "$t" ] || continue
	base=$(basename "$t")
	name=e2e/${base%.*}
	[ "${base##*.}" = py ] && name=$name.py
	selected "$name" || continue
	logf=$LOGS/e2e/${base}.log
	art=$LOGS/e2e/${base}.d
	rm -rf "$art"
	serial=0
	grep -qE '^# serial([[:space:]:]|$)' "$t" && serial=1
	if [ "$(id -u)" != 0 ]; then
		queue "$name" "$logf" "$serial" no_root
		continue
	fi
	case $t in
	*.py) cmd=(bash tests/e2e/run_py.sh "$t") ;;
	*) cmd=(bash "$t") ;;
	esac
	queue "$name" "$logf" "$serial" env PORTICO_IN_SANDBOX=1 PORTICO_HOST_NETNS="$host_netns" \
		PORTICO_ARTIFACTS="$art" timeout -k 10 "$E2E_TIMEOUT" \
		unshare --pid --fork --kill-child --net --mount --mount-proc "${cmd[@]}"
done
pool_run "$E2E_JOBS"

total=$((passed + failed))
if [ $failed -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
if [ $total = 0 ]; then
	echo "no test ran"
	echo "0 passed, 0 failed"
	exit 1
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
