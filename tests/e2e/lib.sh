# End-to-end lab library: sourced by every tests/e2e scenario. It builds a private network lab
# (namespaces joined by veth pairs to a bridge, addresses from 192.0.2.0/24, TEST-NET-1) inside an
# unshare sandbox, starts portico servers in it, drives them with real kubectl, and records checks.
#
# Isolation: the scenario must run in its own net+mount+pid namespaces. tests/run.sh starts each one
# under unshare and sets PORTICO_IN_SANDBOX=1; a scenario run by hand re-executes itself that way.
# Nothing is ever added to the machine's own network namespace, and everything dies with the sandbox.
#
# Checks: expect_* record a failure and go on, so one run shows every difference; `die` stops the
# scenario. At exit the scenario fails if any check failed, if a command failed unexpectedly, if a
# sanitizer reported anything in a server log, or if it made no check at all.

if [ "${PORTICO_IN_SANDBOX:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "e2e: must run as root (network namespaces)" >&2; exit 1; }
	export PORTICO_IN_SANDBOX=1 PORTICO_HOST_NETNS="$(readlink /proc/self/ns/net)"
	exec unshare --pid --fork --kill-child --net --mount --mount-proc bash "$0" "$@"
fi

set -eEu -o pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
PORTICO=${PORTICO:-build/san/portico}
case $PORTICO in /*) ;; *) PORTICO=$REPO/$PORTICO ;; esac
PY=/usr/bin/python3

CHECKS=0
FAILS=0
SERVER_PID=
SERVER_NODE=
SERVER_DATA=
SERVER_LOG=
SERVER_IP=
SERVER_ARGS=()
SERVER_LOGS=()
SERVER_SEQ=0
CLIENT_NODE=
declare -A NODE_IP=()

# ---- output and checks ---------------------------------------------------------------------------

log() { printf '# %s\n' "$*"; }

_fail() {
	FAILS=$((FAILS + 1))
	printf 'FAIL - %s\n' "$1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/    /'; done
}

_ok() { printf 'ok - %s\n' "$1"; }

die() {
	_fail "fatal: $*"
	exit 1
}

# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" = "$3" ]; then _ok "$1"; return 0; fi
	if [ "$(printf '%s' "$2" | wc -l)" -gt 0 ] || [ "$(printf '%s' "$3" | wc -l)" -gt 0 ]; then
		_fail "$1" "diff expected actual:" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") || true)"
	else
		_fail "$1" "expected: '$2'" "actual:   '$3'"
	fi
}

# expect_contains DESC HAYSTACK NEEDLE (fixed string)
expect_contains() {
	CHECKS=$((CHECKS + 1))
	if grep -qF -- "$3" <<<"$2"; then _ok "$1"; return 0; fi
	_fail "$1" "expected to contain: '$3'" "actual:" "$2"
}

# expect_not_contains DESC HAYSTACK NEEDLE
expect_not_contains() {
	CHECKS=$((CHECKS + 1))
	if ! grep -qF -- "$3" <<<"$2"; then _ok "$1"; return 0; fi
	_fail "$1" "expected not to contain: '$3'" "actual:" "$2"
}

# expect_match DESC STRING ERE: STRING (whole, possibly multi-line) has a line matching ERE
expect_match() {
	CHECKS=$((CHECKS + 1))
	if grep -qE -- "$3" <<<"$2"; then _ok "$1"; return 0; fi
	_fail "$1" "expected a line matching: /$3/" "actual:" "$2"
}

# expect_ok DESC CMD...: CMD must succeed; its combined output is left in $OUT.
expect_ok() {
	local desc=$1 rc=0
	shift
	CHECKS=$((CHECKS + 1))
	OUT=$("$@" 2>&1) || rc=$?
	if [ $rc = 0 ]; then _ok "$desc"; return 0; fi
	_fail "$desc" "command: $*" "exit status $rc, output:" "$OUT"
}

# expect_fail DESC EXPECTED_TEXT CMD...: CMD must fail and its output contain EXPECTED_TEXT.
expect_fail() {
	local desc=$1 want=$2 rc=0
	shift 2
	CHECKS=$((CHECKS + 1))
	OUT=$("$@" 2>&1) || rc=$?
	if [ $rc = 0 ]; then
		_fail "$desc" "command: $*" "expected failure, but it succeeded; output:" "$OUT"
	elif ! grep -qF -- "$want" <<<"$OUT"; then
		_fail "$desc" "command: $*" "exit status $rc; expected text: '$want'" "actual:" "$OUT"
	else
		_ok "$desc"
	fi
}

# retry_until SECONDS CMD...: run CMD every 0.2 s until it succeeds; false on timeout. CMD's
# arguments are expanded once, by the caller: put what must be looked at afresh in a function.
retry_until() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# ---- the lab -------------------------------------------------------------------------------------

lab_init() {
	# The sandbox's network namespace must not be the machine's own.
	local here
	here=$(readlink /proc/self/ns/net)
	# (net:[4026531833] is the initial namespace's fixed inode on current kernels.)
	if [ -z "${PORTICO_HOST_NETNS:-}" ] || [ "$here" = "$PORTICO_HOST_NETNS" ] ||
		[ "$here" = 'net:[4026531833]' ]; then
		echo "e2e: refusing to build a lab in the machine's own network namespace" >&2
		exit 1
	fi
	mount --make-rprivate /
	mkdir -p /run/netns
	mount -t tmpfs -o mode=0755 tmpfs /run/netns
	ip link set lo up

	WORK=${PORTICO_ARTIFACTS:-}
	if [ -z "$WORK" ]; then WORK=$(mktemp -d /tmp/portico-e2e.XXXXXX); fi
	mkdir -p "$WORK"
	WORK=$(cd "$WORK" && pwd)
	# kubectl keeps a discovery cache under $HOME/.kube: keep it inside the lab, fresh per test.
	export HOME=$WORK/home
	mkdir -p "$HOME"

	ip netns add lab
	ip -n lab link set lo up
	ip -n lab link add br0 type bridge
	ip -n lab link set br0 up

	kubectl_pick
	trap _lab_exit EXIT
	trap '_lab_err $LINENO "$BASH_COMMAND"' ERR
	log "lab ready in $WORK; kubectl: ${KUBECTLS[*]}"
}

# lab_node NAME IP: namespace NAME with eth0 (IP/24) on the lab bridge.
lab_node() {
	local name=$1 ip=$2
	case $ip in 192.0.2.*) ;; *) die "lab_node: $ip is not in 192.0.2.0/24" ;; esac
	ip netns add "$name"
	ip -n "$name" link set lo up
	ip -n lab link add "v-$name" type veth peer name eth0 netns "$name"
	ip -n lab link set "v-$name" master br0 up
	ip -n "$name" addr add "$ip/24" dev eth0
	ip -n "$name" link set eth0 up
	NODE_IP[$name]=$ip
}

# on NODE CMD...: run CMD inside NODE's network namespace.
on() {
	local node=$1
	shift
	nsenter --net="/run/netns/$node" "$@"
}

# ---- kubectl -------------------------------------------------------------------------------------

# kubectl_pick: KUBECTLS = the real kubectl binaries to test with (1.33 and 1.32 when present).
kubectl_pick() {
	KUBECTLS=()
	local dir v k
	k=$(command -v kubectl || true)
	if [ -n "${KUBECTL_BINS:-}" ]; then
		read -r -a KUBECTLS <<<"$KUBECTL_BINS"
	else
		[ -n "$k" ] && dir=$(dirname "$(readlink -f "$k")") || dir=
		for v in ${KUBECTL_VERSIONS:-1.33 1.32}; do
			[ -n "$dir" ] && [ -x "$dir/kubectl.$v" ] && KUBECTLS+=("$dir/kubectl.$v")
		done
		[ ${#KUBECTLS[@]} = 0 ] && [ -n "$k" ] && KUBECTLS+=("$k")
	fi
	[ ${#KUBECTLS[@]} -gt 0 ] || die "no kubectl found on PATH"
	KUBECTL=${KUBECTLS[0]}
	KV=$(kubectl_tag "$KUBECTL")
}

kubectl_tag() {
	local b
	b=$(basename "$1")
	case $b in kubectl.*) echo "${b#kubectl.}" | tr . - ;; *) echo default ;; esac
}

# each_kubectl FN ARGS...: run FN once per kubectl binary, with KUBECTL and KV (e.g. "1-33",
# for names that must differ between runs) set.
each_kubectl() {
	local b
	for b in "${KUBECTLS[@]}"; do
		KUBECTL=$b
		KV=$(kubectl_tag "$b")
		log "---- with $(basename "$b")"
		"$@"
	done
	KUBECTL=${KUBECTLS[0]}
	KV=$(kubectl_tag "$KUBECTL")
}

# k ARGS...: the chosen kubectl, run in the client node (the server's node unless CLIENT_NODE is set).
k() {
	timeout -k 5 "${K_TIMEOUT:-60}" nsenter --net="/run/netns/${CLIENT_NODE:-$SERVER_NODE}" "$KUBECTL" "$@"
}

# k_bg OUTFILE ARGS...: kubectl in the background (e.g. a watch); its pid is left in BG_PID.
k_bg() {
	local out=$1
	shift
	timeout -k 5 "${K_TIMEOUT_BG:-120}" nsenter --net="/run/netns/${CLIENT_NODE:-$SERVER_NODE}" \
		"$KUBECTL" "$@" >"$out" 2>&1 &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
}

# wait_file_contains SECONDS FILE TEXT
wait_file_contains() {
	retry_until "$1" grep -qF -- "$3" "$2"
}

# lines_at_least N FILE ERE: FILE has at least N lines matching ERE (for retry_until, which runs
# its command afresh each time; a $(...) in its arguments would be evaluated only once).
lines_at_least() {
	[ "$(grep -cE -- "$3" "$2" 2>/dev/null)" -ge "$1" ]
}

# ---- curl ----------------------------------------------------------------------------------------

# api METHOD PATH [curl args...]: HTTPS request with the admin token from the client node; prints
# the body and, as the last line, the HTTP status code.
api() {
	local method=$1 path=$2
	shift 2
	on "${CLIENT_NODE:-$SERVER_NODE}" curl -gsS --max-time 30 --cacert "$WORK/ca.crt" \
		-H "Authorization: Bearer $(cat "$SERVER_DATA/admin-token")" \
		-X "$method" -w '\n%{http_code}' "$@" "$SERVER_URL$path"
}

# api_anon METHOD PATH [curl args...]: the same without credentials.
api_anon() {
	local method=$1 path=$2
	shift 2
	on "${CLIENT_NODE:-$SERVER_NODE}" curl -gsS --max-time 30 --cacert "$WORK/ca.crt" \
		-X "$method" -w '\n%{http_code}' "$@" "$SERVER_URL$path"
}

# http_code OUTPUT / http_body OUTPUT: split what api printed.
http_code() { tail -n 1 <<<"$1"; }
http_body() { sed '$d' <<<"$1"; }

# json EXPR: read JSON on stdin, print the Python expression EXPR evaluated with `j` bound to it
# (strings as is, everything else as JSON). Example: json 'j["metadata"]["name"]'.
json() {
	"$PY" -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1"
}

# ---- the server ----------------------------------------------------------------------------------

# server_start NODE [ARGS...]: a portico server in NODE with a fresh data dir; waits for it.
server_start() {
	SERVER_NODE=$1
	shift
	SERVER_ARGS=("$@")
	SERVER_SEQ=$((SERVER_SEQ + 1))
	# Not created here: the server makes its own data dir (mode 0700).
	SERVER_DATA=$WORK/data$SERVER_SEQ
	_server_launch
}

# server_restart [ARGS...]: start again in the same node on the same data dir (after a stop or kill).
server_restart() {
	[ $# -gt 0 ] && SERVER_ARGS=("$@")
	_server_launch
}

_server_launch() {
	[ -x "$PORTICO" ] || die "no server binary at $PORTICO (build it first)"
	SERVER_IP=${NODE_IP[$SERVER_NODE]}
	SERVER_LOG=$WORK/server$SERVER_SEQ.$(date +%s%N).log
	SERVER_LOGS+=("$SERVER_LOG")
	local args=(server --data-dir "$SERVER_DATA" --log-level debug)
	[ "${SERVER_NO_NODE_IP:-}" = 1 ] || args+=(--node-ip "$SERVER_IP")
	args+=("${SERVER_ARGS[@]}")
	log "starting: $PORTICO ${args[*]} (in $SERVER_NODE, log $SERVER_LOG)"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		nsenter --net="/run/netns/$SERVER_NODE" "$PORTICO" "${args[@]}" >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	local kc=$SERVER_DATA/kubeconfig end=$((SECONDS + 20))
	SERVER_URL=
	while :; do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			local rc=0
			wait "$SERVER_PID" || rc=$?
			SERVER_PID=
			die "server exited (status $rc) before it was ready; log tail:
$(tail -n 30 "$SERVER_LOG")"
		fi
		if [ -s "$kc" ]; then
			[ -n "$SERVER_URL" ] || _server_read_kubeconfig "$kc"
			if [ -n "$SERVER_URL" ] && [ "$(on "$SERVER_NODE" curl -s -o /dev/null -w '%{http_code}' \
				--max-time 2 --cacert "$WORK/ca.crt" "$SERVER_URL/readyz" 2>/dev/null)" = 200 ]; then
				break
			fi
		fi
		[ $SECONDS -ge $end ] && die "server not ready within 20 s (kubeconfig $( [ -s "$kc" ] && echo present || echo missing), url '$SERVER_URL')"
		sleep 0.1
	done
	export KUBECONFIG=$kc
	log "server ready at $SERVER_URL (pid $SERVER_PID)"
}

_server_read_kubeconfig() {
	local kc=$1
	SERVER_URL=$("$KUBECTL" config view --kubeconfig "$kc" --raw -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null) || SERVER_URL=
	"$KUBECTL" config view --kubeconfig "$kc" --raw \
		-o jsonpath='{.clusters[0].cluster.certificate-authority-data}' 2>/dev/null | base64 -d >"$WORK/ca.crt" 2>/dev/null || SERVER_URL=
}

# server_stop: SIGTERM; the server must exit by itself within 10 s, with status 0.
server_stop() {
	[ -n "$SERVER_PID" ] || return 0
	local pid=$SERVER_PID rc=0 i
	SERVER_PID=
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	CHECKS=$((CHECKS + 1))
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		_fail "server stops within 10 s of SIGTERM" "it did not; killed it"
		return 0
	fi
	wait "$pid" || rc=$?
	if [ $rc = 0 ]; then _ok "server exits 0 on SIGTERM"; else
		_fail "server exits 0 on SIGTERM" "exit status $rc; log tail:" "$(tail -n 30 "$SERVER_LOG")"
	fi
}

# server_kill9: SIGKILL, no chance to clean up.
server_kill9() {
	[ -n "$SERVER_PID" ] || return 0
	kill -KILL "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# ---- a multi-node cluster (issue 6) --------------------------------------------------------------
#
# cluster_up N [SERVER ARGS...]: lab nodes node1..nodeN at 192.0.2.11.. on the lab bridge; `portico
# server` in node1 with its in-process agent (Node "node1", state in DATA/agent), and `portico agent`
# in each other node (Node "nodeK", its own data dir $WORK/agent-nodeK, the server's CA and node
# token). Waits until all N Nodes are Ready with a podCIDR (CLUSTER_WAIT seconds, default 60).
# Agent logs join SERVER_LOGS, so sanitizer reports in them fail the scenario too.

declare -A AGENT_PID=() AGENT_LOG=()
CLUSTER_N=0

cluster_up() {
	local n=$1 i
	shift
	[ "$n" -ge 1 ] && [ "$n" -le 9 ] || die "cluster_up: 1 to 9 nodes"
	CLUSTER_N=$n
	for i in $(seq "$n"); do
		lab_node "node$i" "192.0.2.1$i"
	done
	server_start node1 --node-name node1 "$@"
	for i in $(seq 2 "$n"); do
		agent_start "node$i"
	done
	retry_until "${CLUSTER_WAIT:-60}" _cluster_ready ||
		die "cluster of $n nodes not Ready with podCIDRs within ${CLUSTER_WAIT:-60} s:
$(k get nodes -o wide 2>&1)
$(for f in "${AGENT_LOG[@]}"; do echo "-- $f"; tail -n 15 "$f"; done)"
	log "cluster of $n nodes Ready"
}

_cluster_ready() {
	local ready
	ready=$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}/{.spec.podCIDR}{"\n"}{end}' 2>/dev/null |
		grep -cE '^node[0-9]=True/10\.')
	[ "$ready" = "$CLUSTER_N" ]
}

# agent_start NODE: `portico agent` in lab node NODE (not node1: the server's agent is in-process).
# lab_upstream: the nodes' upstream resolver in a lab namespace "upstream" (192.0.2.53):
# lab_upstream.py serves example.test (www.example.test A 192.0.2.80, NXDOMAIN for other names) and
# logs each query to $UPLOG; /etc/resolv.conf names it (a bind mount in this test's mount namespace).
lab_upstream() {
	lab_node upstream 192.0.2.53
	UPLOG=$WORK/upstream-queries.log
	: >"$UPLOG"
	on upstream "$PY" "$E2E_DIR/lab_upstream.py" "$UPLOG" &
	BG_PIDS="${BG_PIDS:-} $!"
	echo "nameserver 192.0.2.53" >"$WORK/resolv.conf"
	mount --bind "$WORK/resolv.conf" /etc/resolv.conf
}

# AGENT_ARGS: more flags for every `portico agent` (word-split).
agent_start() {
	local node=$1 logf
	logf=$WORK/agent-$node.$(date +%s%N).log
	SERVER_LOGS+=("$logf")
	AGENT_LOG[$node]=$logf
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		nsenter --net="/run/netns/$node" "$PORTICO" agent --server "https://${NODE_IP[node1]}:6443" \
		--token-file "$SERVER_DATA/node-token" --ca-file "$WORK/ca.crt" --node-name "$node" \
		--node-ip "${NODE_IP[$node]}" --data-dir "$WORK/agent-$node" --log-level debug ${AGENT_ARGS:-} >"$logf" 2>&1 &
	AGENT_PID[$node]=$!
	BG_PIDS="${BG_PIDS:-} $!"
	log "agent in $node (pid $!, log $logf)"
}

# agent_kill9 NODE: SIGKILL the agent (its pods' supervisors live on).
agent_kill9() {
	local pid=${AGENT_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	AGENT_PID[$1]=
}

# agent_dir NODE: the agent's data dir (netns files in DIR/netns/<uid>, IPAM in DIR/ipam/).
agent_dir() {
	if [ "$1" = node1 ]; then echo "$SERVER_DATA/agent"; else echo "$WORK/agent-$1"; fi
}

# pod_field POD JSONPATH [NS]: one field of a pod, empty when it has none.
pod_field() {
	k get pod "$1" -n "${3:-default}" -o jsonpath="$2" 2>/dev/null || true
}

# pod_netns POD [NS]: the pod's network namespace file on its node.
pod_netns() {
	local node uid
	node=$(pod_field "$1" '{.spec.nodeName}' "${2:-default}")
	uid=$(pod_field "$1" '{.metadata.uid}' "${2:-default}")
	[ -n "$node" ] && [ -n "$uid" ] || return 1
	echo "$(agent_dir "$node")/netns/$uid"
}

# in_pod POD CMD...: CMD in POD's network namespace (default namespace; IN_POD_NS for another).
in_pod() {
	local pod=$1 f
	shift
	f=$(pod_netns "$pod" "${IN_POD_NS:-default}") || return 1
	[ -e "$f" ] || { echo "in_pod: no netns file $f" >&2; return 1; }
	nsenter --net="$f" "$@"
}

# pod_pids POD [NS]: the processes in the pod's network namespace (its supervisor and containers),
# one pid a line.
pod_pids() {
	local f ino p
	f=$(pod_netns "$1" "${2:-default}") || return 1
	ino=$(stat -L -c %i "$f" 2>/dev/null) || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "net:[$ino]" ] && echo "${p#/proc/}"
	done
	return 0
}

# container_pid POD ERE [NS]: the first process of the pod whose command line matches ERE.
container_pid() {
	local p
	for p in $(pod_pids "$1" "${3:-default}"); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE -- "$2"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# pod_ready POD [NS]: the pod's Ready condition is True.
pod_ready() {
	[ "$(pod_field "$1" '{.status.conditions[?(@.type=="Ready")].status}' "${2:-default}")" = True ]
}

# pod_gone POD [NS]
pod_gone() {
	! k get pod "$1" -n "${2:-default}" >/dev/null 2>&1
}

# ---- exit ----------------------------------------------------------------------------------------

_lab_err() {
	_fail "line $1: command failed unexpectedly: $2"
}

_sanitizer_check() {
	local f
	for f in "${SERVER_LOGS[@]}"; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)' "$f"; then
			_fail "sanitizer report in $(basename "$f")" "$(grep -E -A 30 'ERROR: |runtime error:' "$f" | head -n 60)"
		fi
	done
}

_lab_exit() {
	local rc=$?
	trap - ERR
	set +e
	[ -n "${BG_PIDS:-}" ] && kill $BG_PIDS 2>/dev/null
	# A clean stop lets LeakSanitizer speak; after a failure just kill.
	if [ -n "$SERVER_PID" ]; then
		if [ $rc = 0 ] && [ $FAILS = 0 ]; then server_stop; else server_kill9; fi
	fi
	_sanitizer_check
	if [ $rc != 0 ] && [ $FAILS = 0 ]; then _fail "scenario exited with status $rc"; fi
	if [ $CHECKS = 0 ] && [ $FAILS = 0 ]; then _fail "scenario made no checks"; fi
	if [ $FAILS -gt 0 ]; then
		if [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
			echo "---- server log tail ($SERVER_LOG)"
			tail -n 40 "$SERVER_LOG"
		fi
		echo "scenario failed: $FAILS failure(s), $CHECKS checks made"
		exit 1
	fi
	echo "scenario: all $CHECKS checks passed"
	exit 0
}
