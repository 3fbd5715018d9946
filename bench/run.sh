#!/bin/sh
# Runs every benchmark, bench/*/run.sh, one after the other (`make bench` calls this). Each prints its
# own figures against their targets; this exits 1 when one of them could not run to the end.
cd "$(dirname "$0")/.." || exit 1
failed=""
for b in bench/*/run.sh; do
	[ -f "$b" ] || continue
	echo "==== $b"
	bash "$b" || failed="$failed $b"
done
if [ -n "$failed" ]; then
	echo "bench: failed:$failed"
	exit 1
fi
