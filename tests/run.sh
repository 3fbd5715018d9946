#!/bin/bash
# Test runner behind `make test` (which builds first): unit tests, short fuzz runs, and end-to-end
# scenarios each in its own unshare sandbox. One line per test, full logs in build/test-logs/, and
# as the very last line "N passed, N failed". Exit status non-zero when any test failed.
#
# Knobs: PORTICO (server binary, default build/san/portico), FUZZ_TIME (seconds per fuzz target,
# default 5: there are twenty targets, and `make test` must stay under 20 minutes on 2 cores),
# E2E_TIMEOUT (seconds per scenario, default 300), ONLY (a substring: run only tests whose name
# contains it).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

cd "$(dirname "$0")/.." || exit 2
REPO=$PWD
export PORTICO=${PORTICO:-build/san/portico}
case $PORTICO in /*) ;; *) PORTICO=$REPO/$PORTICO ;; esac
FUZZ_TIME=${FUZZ_TIME:-5}
E2E_TIMEOUT=${E2E_TIMEOUT:-300}
ONLY=${ONLY:-}
LOGS=$REPO/build/test-logs
# Only each test's own log is replaced (below), so runs of other tests side by side keep theirs.
mkdir -p "$LOGS/unit" "$LOGS/fuzz" "$LOGS/e2e"

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

# ---- unit tests: one per tests/unit/test_*.c; a missing binary is a failure, not a skip -----------
for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	selected "unit/$name" || continue
	bin=build/san/tests/$name
	logf=$LOGS/unit/$name.log
	start=$SECONDS
	if [ -x "$bin" ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
			timeout -k 5 120 "$bin" >"$logf" 2>&1
		rc=$?
	else
		echo "missing binary $bin (did the build run?)" >"$logf"
		rc=1
	fi
	record "unit/$name" $rc $((SECONDS - start)) "$logf"
done

# ---- fuzz targets: a short run each; new inputs go to build/, seeds come from tests/fuzz/corpus --
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	selected "fuzz/$name" || continue
	bin=build/fuzz/$name
	logf=$LOGS/fuzz/$name.log
	start=$SECONDS
	if [ -x "$bin" ]; then
		work=build/fuzz-corpus/$name
		mkdir -p "$work" "$LOGS/fuzz/$name-artifacts"
		dirs=("$work")
		[ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
		timeout -k 5 $((FUZZ_TIME + 60)) "$bin" -max_total_time="$FUZZ_TIME" -rss_limit_mb=2048 \
			-timeout=10 -print_final_stats=1 \
			-artifact_prefix="$LOGS/fuzz/$name-artifacts/" "${dirs[@]}" >"$logf" 2>&1
		rc=$?
	else
		echo "missing binary $bin (did the build run?)" >"$logf"
		rc=1
	fi
	record "fuzz/$name" $rc $((SECONDS - start)) "$logf"
done

# ---- end-to-end scenarios: each in its own pid+net+mount namespaces -----------------------------
# test_*.sh run as they are; test_*.py run through tests/e2e/run_py.sh, which builds the lab first.
if [ "$(id -u)" != 0 ]; then
	e2e_root=0
else
	e2e_root=1
fi
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
	start=$SECONDS
	if [ $e2e_root = 0 ]; then
		echo "end-to-end scenarios need root (network namespaces); not run" >"$logf"
		rc=1
	else
		case $t in
		*.py) cmd=(bash tests/e2e/run_py.sh "$t") ;;
		*) cmd=(bash "$t") ;;
		esac
		PORTICO_IN_SANDBOX=1 PORTICO_HOST_NETNS=$host_netns PORTICO_ARTIFACTS=$art \
			timeout -k 10 "$E2E_TIMEOUT" \
			unshare --pid --fork --kill-child --net --mount --mount-proc "${cmd[@]}" \
			</dev/null >"$logf" 2>&1
		rc=$?
	fi
	record "$name" $rc $((SECONDS - start)) "$logf"
done

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
