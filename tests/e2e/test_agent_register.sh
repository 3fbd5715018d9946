#!/bin/bash
# The node agent against a server in another lab node, with the server's node token: each agent
# registers its Node (Ready/KubeletReady, InternalIP from the default route's interface, capacity,
# nodeInfo), renews its Lease in kube-node-lease, gets a distinct /24 podCIDR of 10.42.0.0/16 from
# the node IPAM controller that survives an agent restart, and a killed agent's Node turns NotReady
# after the grace period (shortened to 20 s through PORTICO_NODE_MONITOR_GRACE_PERIOD).
# 20 s: twice the agent's 10 s lease renewal, so a live node never misses a window
export PORTICO_NODE_MONITOR_GRACE_PERIOD=20
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node node2 192.0.2.11
ip -n node2 route add default via 192.0.2.1 dev eth0

# node3: an interface with another address comes before eth0 (a veth pair of its own: no dummy
# module needed), so only the default route tells which address is the node's.
ip netns add node3
ip -n node3 link set lo up
ip -n node3 link add aux0 type veth peer name aux1
ip -n node3 addr add 192.0.2.200/32 dev aux0
ip -n node3 link set aux1 up
ip -n node3 link set aux0 up
ip -n lab link add v-node3 type veth peer name eth0 netns node3
ip -n lab link set v-node3 master br0 up
ip -n node3 addr add 192.0.2.13/24 dev eth0
ip -n node3 link set eth0 up
ip -n node3 route add default via 192.0.2.1 dev eth0

# the server runs an agent of its own too: its Node is "server"
server_start server --node-name server
T=30

declare -A AGENT_PID=()
# agent_start NODE [ARGS...]: an agent in lab node NODE named NODE, with the node token.
agent_start() {
	local node=$1 logf
	shift
	logf=$WORK/agent-$node.$(date +%s%N).log
	SERVER_LOGS+=("$logf")
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		nsenter --net="/run/netns/$node" "$PORTICO" agent --server "https://192.0.2.10:6443" \
		--token-file "$SERVER_DATA/node-token" --ca-file "$WORK/ca.crt" --node-name "$node" \
		--data-dir "$WORK/agent-$node" --log-level debug "$@" >"$logf" 2>&1 &
	AGENT_PID[$node]=$!
	BG_PIDS="${BG_PIDS:-} $!"
}

# agent_stop NODE: SIGTERM; it must exit 0 within 10 s.
agent_stop() {
	local pid=${AGENT_PID[$1]} rc=0 i
	kill -TERM "$pid"
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; rc=killed; else wait "$pid" || rc=$?; fi
	expect_eq "agent $1 exits 0 on SIGTERM" 0 "$rc"
}

ready_of() { k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
is_ready() { [ "$(ready_of "$1")" = True ]; }
has_cidr() { [ -n "$(k get node "$1" -o jsonpath='{.spec.podCIDR}' 2>/dev/null)" ]; }

agent_start node2
agent_start node3
retry_until $T is_ready node2 || true
retry_until $T is_ready node3 || true

# ---- registration --------------------------------------------------------------------------------
OUT=$(k get nodes -o wide --no-headers)
expect_match "node2 Ready with INTERNAL-IP 192.0.2.11 (the default route's interface)" "$OUT" \
	'^node2 +Ready +<none> +[0-9a-z]+ +v1\.33\.0-portico +192\.0\.2\.11 +<none> '
expect_match "node3: the default route's address, not the first interface's" "$OUT" '^node3 +Ready +.* 192\.0\.2\.13 +<none> '
N=$(k get node node2 -o json)
expect_eq "Ready condition: KubeletReady" "True KubeletReady kubelet is posting ready status" \
	"$(json '[" ".join([c["status"], c["reason"], c["message"]]) for c in j["status"]["conditions"] if c["type"] == "Ready"][0]' <<<"$N")"
expect_eq "conditions in the kubelet's order, Ready last" '["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]' \
	"$(json '[x["type"] for x in j["status"]["conditions"]]' <<<"$N")"
expect_eq "addresses: InternalIP and Hostname" "InternalIP=192.0.2.11 Hostname" \
	"$(json '" ".join(a["type"] + ("=" + a["address"] if a["type"] == "InternalIP" else "") for a in j["status"]["addresses"])' <<<"$N")"
expect_eq "capacity: cpu, memory (Ki), pods 110; allocatable the same" "cpu memory pods 110 True True" \
	"$(json '" ".join(sorted(j["status"]["capacity"]) + [j["status"]["capacity"]["pods"], str(j["status"]["capacity"]["memory"].endswith(("Ki", "Mi", "Gi"))), str(j["status"]["capacity"] == j["status"]["allocatable"])])' <<<"$N")"
expect_eq "nodeInfo: kubeletVersion, linux" "v1.33.0-portico linux" \
	"$(json 'j["status"]["nodeInfo"]["kubeletVersion"] + " " + j["status"]["nodeInfo"]["operatingSystem"]' <<<"$N")"
expect_eq "labels: kubernetes.io/hostname and os" "linux" "$(json 'j["metadata"]["labels"]["kubernetes.io/os"]' <<<"$N")"

# ---- the node lease ------------------------------------------------------------------------------
L1=$(k get lease -n kube-node-lease node2 -o json)
expect_eq "lease: holder node2, 40 s, owned by the Node" "node2 40 Node/node2 $(json 'j["metadata"]["uid"]' <<<"$N")" \
	"$(json '" ".join([j["spec"]["holderIdentity"], str(j["spec"]["leaseDurationSeconds"])] + [o["kind"] + "/" + o["name"] + " " + o["uid"] for o in j["metadata"].get("ownerReferences", [])])' <<<"$L1")"
R1=$(json 'j["spec"]["renewTime"]' <<<"$L1")
expect_match "renewTime is a MicroTime" "$R1" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'
renewed() { [ "$(k get lease -n kube-node-lease node2 -o jsonpath='{.spec.renewTime}')" != "$R1" ]; }
retry_until 15 renewed || true
R2=$(k get lease -n kube-node-lease node2 -o jsonpath='{.spec.renewTime}')
expect_eq "the lease is renewed within 15 s (renewTime advances)" yes "$([[ "$R2" > "$R1" ]] && echo yes || echo "no: $R1 -> $R2")"

# ---- pod CIDRs -----------------------------------------------------------------------------------
retry_until $T has_cidr node2 || true
retry_until $T has_cidr node3 || true
C2=$(k get node node2 -o jsonpath='{.spec.podCIDR} {.spec.podCIDRs[0]}')
C3=$(k get node node3 -o jsonpath='{.spec.podCIDR} {.spec.podCIDRs[0]}')
expect_match "node2: a /24 of 10.42.0.0/16, podCIDRs[0] the same" "$C2" '^10\.42\.([0-9]+)\.0/24 10\.42\.\1\.0/24$'
expect_match "node3: a /24 of 10.42.0.0/16" "$C3" '^10\.42\.([0-9]+)\.0/24 10\.42\.\1\.0/24$'
expect_eq "the two podCIDRs differ" yes "$([ "${C2% *}" != "${C3% *}" ] && echo yes || echo "no: both $C2")"

# ---- an agent restart keeps the Node and its podCIDR -----------------------------------------------
agent_stop node2
agent_start node2
sleep 2
retry_until $T is_ready node2 || true
expect_eq "node2 Ready again after the restart" True "$(ready_of node2)"
expect_eq "node2 keeps its podCIDR" "$C2" "$(k get node node2 -o jsonpath='{.spec.podCIDR} {.spec.podCIDRs[0]}')"
expect_eq "still three nodes (the server's own and the two agents')" 3 "$(k get nodes --no-headers | wc -l)"

# ---- a dead agent: NotReady after the grace period -------------------------------------------------
kill -KILL "${AGENT_PID[node3]}"
wait "${AGENT_PID[node3]}" 2>/dev/null || true
# the grace period runs from the last renewal, which may be up to 10 s before the kill
LAST=$(date -d "$(k get lease -n kube-node-lease node3 -o jsonpath='{.spec.renewTime}')" +%s)
unknown() { [ "$(ready_of node3)" = Unknown ]; }
retry_until 45 unknown || true
TOOK=$(($(date +%s) - LAST))
expect_match "node3 NotReady after its agent died" "$(k get nodes --no-headers)" '^node3 +NotReady'
expect_eq "node3: not before the 20 s grace period (from its last renewal)" yes "$([ $TOOK -ge 19 ] && echo yes || echo "no: after $TOOK s")"
expect_eq "node2 stays Ready" True "$(ready_of node2)"

# ---- a node whose agent comes back is Ready again -------------------------------------------------
agent_start node3
retry_until $T is_ready node3 || true
expect_eq "node3 Ready again once its agent is back" True "$(ready_of node3)"
expect_eq "node3 keeps its podCIDR" "$C3" "$(k get node node3 -o jsonpath='{.spec.podCIDR} {.spec.podCIDRs[0]}')"

agent_stop node2
agent_stop node3
