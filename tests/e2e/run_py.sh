#!/bin/bash
# Runs a Python scenario (tests/e2e/test_*.py) in a lab: a server node and a client node, the server
# started, then Debian's /usr/bin/python3 runs the script in the client node with KUBECONFIG set.
# The script prints "ok - ..." / "FAIL - ..." lines and exits non-zero on any failure.
# Usage: bash tests/e2e/run_py.sh tests/e2e/test_x.py (tests/run.sh does this for every test_*.py)
SCRIPT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.sh"
[ -f "$SCRIPT" ] || die "no such script: $SCRIPT"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server

rc=0
on client timeout -k 5 180 "$PY" "$SCRIPT" || rc=$?
CHECKS=$((CHECKS + 1))
if [ $rc = 0 ]; then _ok "$(basename "$SCRIPT")"; else _fail "$(basename "$SCRIPT") exited with status $rc"; fi
