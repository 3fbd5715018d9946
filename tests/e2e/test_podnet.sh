#!/bin/bash
# The pod network (src/agent/podnet.c) driven through `portico podnet` inside lab nodes: sandboxes
# (netns, veth with hairpin on the portico0 bridge, eth0 address and default route), pod-to-pod on a
# node and across nodes through host-gw routes, masquerade to an address outside the cluster, the
# restart of the agent's side (a new podnet_new on the same data dir) adopting live sandboxes without
# disturbing a connection, rollback of a failed create, concurrent creates, and delete.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node n1 192.0.2.11
lab_node n2 192.0.2.12
lab_node ext 192.0.2.50 # outside the cluster's CIDRs: it has no route to any pod

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
D1=$WORK/n1-data
D2=$WORK/n2-data
pn1() { on n1 "$PORTICO" podnet --data-dir "$D1" --pod-cidr 10.42.1.0/24 --node-ip 192.0.2.11 "$@"; }
pn2() { on n2 "$PORTICO" podnet --data-dir "$D2" --pod-cidr 10.42.2.0/24 --node-ip 192.0.2.12 "$@"; }
# inpod DATA UID CMD...: CMD inside the pod's network namespace.
inpod() {
	local d=$1 u=$2
	shift 2
	nsenter --net="$d/netns/$u" "$@"
}
# field OUTPUT UID KEY: KEY=value from the line of `podnet create|get` for UID.
field() { awk -v u="$2" -v k="$3" '$1 == u { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }' <<<"$1"; }

# A TCP server answering each line with "<peer address> <line>", one thread per connection.
cat >"$WORK/tcp.py" <<'EOF'
import socket, sys, threading, time, os
def serve(host, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(16)
    def conn(c, a):
        f = c.makefile("rwb")
        for line in f:
            f.write(("%s %s\n" % (a[0], line.decode().strip())).encode()); f.flush()
    while True:
        c, a = s.accept()
        threading.Thread(target=conn, args=(c, a), daemon=True).start()
def ask(host, port, msg):
    c = socket.create_connection((host, int(port)), timeout=3)
    c.sendall((msg + "\n").encode()); print(c.makefile().readline().strip())
def long(host, port, gofile):
    # one connection: a line now, another once gofile exists (after the restart)
    c = socket.create_connection((host, int(port)), timeout=3); f = c.makefile("rw")
    f.write("before\n"); f.flush(); print(f.readline().strip(), flush=True)
    end = time.time() + 60
    while not os.path.exists(gofile) and time.time() < end: time.sleep(0.05)
    f.write("after\n"); f.flush(); print(f.readline().strip(), flush=True)
{"serve": serve, "ask": ask, "long": long}[sys.argv[1]](*sys.argv[2:])
EOF
# ours NODE: the node's routes tagged with podnet's protocol (80)
ours() { ip -n "$1" -4 route show | grep 'proto 80' | sed 's/ *$//' || true; }
# ask_from DATA UID HOST PORT: one question from inside a pod, retried while the server starts.
ask_from() {
	local i out
	for i in $(seq 30); do
		out=$(inpod "$1" "$2" timeout 5 "$PY" "$WORK/tcp.py" ask "$3" "$4" hello 2>/dev/null) && { echo "$out"; return 0; }
		sleep 0.1
	done
	return 1
}

UA=aaaaaaaa-0001-4000-8000-000000000001
UB=bbbbbbbb-0002-4000-8000-000000000002
UC=cccccccc-0003-4000-8000-000000000003

log "---- two sandboxes on node 1, created concurrently"
expect_ok "create two sandboxes on n1" pn1 create "$UA" "$UB"
C1=$OUT
IPA=$(field "$C1" "$UA" ip)
IPB=$(field "$C1" "$UB" ip)
expect_match "pod A has an address of n1's podCIDR" "$IPA" '^10\.42\.1\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$'
expect_match "pod B has an address of n1's podCIDR" "$IPB" '^10\.42\.1\.[0-9]+$'
CHECKS=$((CHECKS + 1))
if [ -n "$IPA" ] && [ "$IPA" != "$IPB" ]; then _ok "the two pods have different addresses"; else _fail "the two pods have different addresses" "$C1"; fi
expect_eq "gateway is the podCIDR's first address" "10.42.1.1" "$(field "$C1" "$UA" gateway)"
HA=$(field "$C1" "$UA" host_if)
HB=$(field "$C1" "$UB" host_if)
expect_eq "host veth name from the uid" "ptaaaaaaaa0001" "$HA"
expect_eq "netns file under the data dir" "$D1/netns/$UA" "$(field "$C1" "$UA" netns)"
expect_eq "IPAM record holds the uid" "$UA" "$(cat "$D1/ipam/$IPA")"
expect_eq "the bridge holds the gateway" "10.42.1.1/24" "$(ip -n n1 -o -4 addr show dev portico0 | awk '{print $4}')"
expect_eq "pod A: eth0 address" "$IPA/24" "$(inpod "$D1" "$UA" ip -o -4 addr show dev eth0 | awk '{print $4}')"
expect_contains "pod A: default route via the gateway" "$(inpod "$D1" "$UA" ip -4 route show default)" "default via 10.42.1.1 dev eth0"
expect_contains "pod A: lo is up" "$(inpod "$D1" "$UA" ip -o link show lo)" ",UP"
expect_eq "pod A: only lo and eth0" "lo eth0" "$(inpod "$D1" "$UA" ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); printf "%s%s", s, $2; s=" "}')"
expect_contains "host veth of A: on portico0 with hairpin" "$(ip -n n1 -d link show "$HA")" "master portico0"
expect_contains "host veth of A: hairpin on" "$(ip -n n1 -d link show "$HA")" "hairpin on"
expect_contains "host veth of B: hairpin on" "$(ip -n n1 -d link show "$HB")" "hairpin on"
expect_eq "ip_forward on n1" "1" "$(on n1 cat /proc/sys/net/ipv4/ip_forward)"
expect_eq "bridge-nf-call-iptables on n1" "1" "$(on n1 cat /proc/sys/net/bridge/bridge-nf-call-iptables)"
expect_eq "the agent's own namespace is untouched by the pod's setup" "lo" "$(ip -o link show | awk -F': ' '{print $2}')"

expect_ok "pod A pings the gateway" inpod "$D1" "$UA" busybox ping -c 1 -W 2 10.42.1.1
expect_ok "pod A pings pod B" inpod "$D1" "$UA" busybox ping -c 1 -W 2 "$IPB"
inpod "$D1" "$UB" "$PY" "$WORK/tcp.py" serve 0.0.0.0 7001 &
BG_PIDS="${BG_PIDS:-} $!"
expect_eq "pod A reaches pod B over TCP with its own address" "$IPA hello" "$(ask_from "$D1" "$UA" "$IPB" 7001)"

log "---- a pod on node 2 and host-gw routes between the nodes"
expect_ok "create a sandbox on n2" pn2 create "$UC"
IPC=$(field "$OUT" "$UC" ip)
expect_match "pod C has an address of n2's podCIDR" "$IPC" '^10\.42\.2\.[0-9]+$'
expect_ok "n1 routes to n2's podCIDR (own podCIDR skipped)" pn1 routes 10.42.2.0/24=192.0.2.12 10.42.1.0/24=192.0.2.11
expect_ok "n2 routes to n1's podCIDR" pn2 routes 10.42.1.0/24=192.0.2.11 10.42.2.0/24=192.0.2.12
expect_eq "n1's pod routes" "10.42.2.0/24 via 192.0.2.12 dev eth0 proto 80" "$(ours n1)"
expect_eq "n1 has no route for its own podCIDR but the bridge's" "10.42.1.0/24 dev portico0 proto kernel scope link src 10.42.1.1" \
	"$(ip -n n1 -4 route show 10.42.1.0/24 | sed 's/ *$//')"
inpod "$D2" "$UC" "$PY" "$WORK/tcp.py" serve 0.0.0.0 7002 &
BG_PIDS="${BG_PIDS:-} $!"
expect_eq "pod A on n1 reaches pod C on n2 by IP, unmasqueraded" "$IPA hello" "$(ask_from "$D1" "$UA" "$IPC" 7002)"
expect_eq "and back: pod C reaches pod B" "$IPC hello" "$(ask_from "$D2" "$UC" "$IPB" 7001)"
# Routes are replaced as a set: a changed gateway, then a removed route.
expect_ok "change n1's route" pn1 routes 10.42.2.0/24=192.0.2.13
expect_eq "the route follows" "10.42.2.0/24 via 192.0.2.13 dev eth0 proto 80" "$(ours n1)"
expect_ok "no routes" pn1 routes
expect_eq "the route is gone" "" "$(ours n1)"
expect_fail "a bad route is refused" "Invalid argument" pn1 routes 10.42.2.0/33=192.0.2.12
expect_ok "restore n1's route" pn1 routes 10.42.2.0/24=192.0.2.12
ip -n n1 route add 10.99.0.0/16 via 192.0.2.12
expect_ok "routes again" pn1 routes 10.42.2.0/24=192.0.2.12
expect_contains "someone else's route is left alone" "$(ip -n n1 -4 route show)" "10.99.0.0/16 via 192.0.2.12"

log "---- masquerade to outside the cluster"
on ext "$PY" "$WORK/tcp.py" serve 192.0.2.50 7003 &
BG_PIDS="${BG_PIDS:-} $!"
expect_eq "pod A reaches a lab address outside the cluster as the node" "192.0.2.11 hello" "$(ask_from "$D1" "$UA" 192.0.2.50 7003)"
expect_eq "pod C too, as its node" "192.0.2.12 hello" "$(ask_from "$D2" "$UC" 192.0.2.50 7003)"
NFT=$(on n1 nft list table ip portico-pods)
expect_match "the masquerade rule" "$NFT" 'ip saddr 10\.42\.1\.0/24 ip daddr != 10\.42\.0\.0/16 ip daddr != 10\.43\.0\.0/16 counter packets [1-9][0-9]* bytes [0-9]+ masquerade'
expect_contains "in a nat postrouting chain" "$NFT" "type nat hook postrouting priority srcnat"

log "---- hairpin: a pod reaches itself through a DNAT on its node (a Service, as the proxy will do it)"
inpod "$D1" "$UA" "$PY" "$WORK/tcp.py" serve 0.0.0.0 7004 &
BG_PIDS="${BG_PIDS:-} $!"
# The frame comes in on A's bridge port and, DNATed back to A in the bridge (bridge-nf-call-iptables),
# must leave by that same port: only hairpin mode allows it. The source is masqueraded to the bridge
# address so the reply comes back through the node, as kube-proxy does for hairpin traffic.
on n1 nft -f - <<EOF
table ip hairpin-test {
	chain pre { type nat hook prerouting priority dstnat; ip daddr 10.43.0.99 tcp dport 80 dnat to $IPA:7004; }
	chain post { type nat hook postrouting priority srcnat; ip saddr $IPA ip daddr $IPA masquerade; }
}
EOF
expect_eq "pod A reaches itself through the node's DNAT" "10.42.1.1 hello" "$(ask_from "$D1" "$UA" 10.43.0.99 80)"
ip -n n1 link set dev "$HA" type bridge_slave hairpin off
expect_fail "not without hairpin (so the check above means something)" "" \
	inpod "$D1" "$UA" timeout 5 "$PY" "$WORK/tcp.py" ask 10.43.0.99 80 hello
expect_ok "create of the existing sandbox puts hairpin back" pn1 create "$UA"
expect_contains "hairpin is on again" "$(ip -n n1 -d link show "$HA")" "hairpin on"
expect_eq "with hairpin back on, it does again" "10.42.1.1 hello" "$(ask_from "$D1" "$UA" 10.43.0.99 80)"
on n1 nft delete table ip hairpin-test

log "---- restart: a new podnet_new on the same data dir adopts the sandboxes"
rm -f "$WORK/go"
inpod "$D1" "$UA" timeout 60 "$PY" "$WORK/tcp.py" long 192.0.2.50 7003 "$WORK/go" >"$WORK/long-ext.out" 2>&1 &
LONG1=$!
inpod "$D1" "$UA" timeout 60 "$PY" "$WORK/tcp.py" long "$IPB" 7001 "$WORK/go" >"$WORK/long-pod.out" 2>&1 &
LONG2=$!
BG_PIDS="${BG_PIDS:-} $LONG1 $LONG2"
retry_until 10 grep -q before "$WORK/long-ext.out" || true
retry_until 10 grep -q before "$WORK/long-pod.out" || true
MAC_BEFORE=$(ip -n n1 -o link show portico0 | grep -o 'link/ether [^ ]*')
IFX_BEFORE=$(ip -n n1 -o link show "$HA" | cut -d: -f1)
NS_BEFORE=$(inpod "$D1" "$UA" readlink /proc/self/ns/net)
expect_ok "init again (bridge, sysctls, masquerade table replaced)" pn1 init
expect_ok "create of an existing sandbox is idempotent" pn1 create "$UA"
expect_eq "same address after the restart" "$IPA" "$(field "$OUT" "$UA" ip)"
expect_eq "the same host veth (not recreated)" "$IFX_BEFORE" "$(ip -n n1 -o link show "$HA" | cut -d: -f1)"
expect_eq "the same namespace (not recreated)" "$NS_BEFORE" "$(inpod "$D1" "$UA" readlink /proc/self/ns/net)"
expect_ok "get after the restart" pn1 get "$UB"
expect_eq "get gives B's address" "$IPB" "$(field "$OUT" "$UB" ip)"
expect_eq "list after the restart" "$(printf '%s\n%s' "$UA" "$UB")" "$(pn1 list | sort)"
expect_eq "the bridge kept its address (pods' ARP caches stay right)" "$MAC_BEFORE" "$(ip -n n1 -o link show portico0 | grep -o 'link/ether [^ ]*')"
expect_eq "the masquerade table has one rule" "1" "$(on n1 nft list table ip portico-pods | grep -c masquerade)"
touch "$WORK/go"
wait "$LONG1" "$LONG2" || true
expect_eq "a NATed connection from before the restart still works" "$(printf '192.0.2.11 before\n192.0.2.11 after')" "$(cat "$WORK/long-ext.out")"
expect_eq "a pod-to-pod connection from before the restart still works" "$(printf '%s before\n%s after' "$IPA" "$IPA")" "$(cat "$WORK/long-pod.out")"

log "---- concurrency: creates in threads of one process and in two processes"
UIDS=()
for i in 1 2 3 4 5 6; do UIDS+=("dddddddd-00$i-4000-8000-00000000000$i"); done
pn1 create "${UIDS[@]:0:3}" >"$WORK/c1.out" 2>&1 &
P1=$!
pn1 create "${UIDS[@]:3:3}" >"$WORK/c2.out" 2>&1 &
P2=$!
rc1=0 rc2=0
wait $P1 || rc1=$?
wait $P2 || rc2=$?
expect_eq "two processes creating three sandboxes each both succeed" "0 0" "$rc1 $rc2"
ALL=$(cat "$WORK/c1.out" "$WORK/c2.out")
ADDRS=$(printf '%s\n%s\n%s\n' "$ALL" "$UA $IPA" "$UB $IPB" | awk '{print $2}' | sed 's/^ip=//' | sort)
expect_eq "eight sandboxes, eight distinct addresses" "8" "$(sort -u <<<"$ADDRS" | grep -c '^10\.42\.1\.')"
expect_eq "eight IPAM records" "8" "$(ls "$D1/ipam" | grep -c '^10\.42\.1\.')"
expect_eq "eight bridge ports with hairpin on" "8" "$(ip -n n1 -d link show master portico0 | grep -c 'hairpin on')"
IP6=$(field "$ALL" "${UIDS[5]}" ip)
expect_ok "a concurrently created pod reaches pod B" inpod "$D1" "${UIDS[5]}" busybox ping -c 1 -W 2 "$IPB"
expect_ok "and the gateway" inpod "$D1" "${UIDS[0]}" busybox ping -c 1 -W 2 10.42.1.1

log "---- a failed create leaves nothing behind"
UF=ffffffff-0009-4000-8000-000000000009
ip -n n1 link add ptffffffff0009 type bridge # takes the host veth's name: the veth create fails
expect_fail "create fails when the host veth name is taken" "File exists" pn1 create "$UF"
expect_eq "no IPAM record left" "8" "$(ls "$D1/ipam" | grep -c '^10\.42\.1\.')"
expect_eq "no netns file left" "" "$(ls "$D1/netns" | grep "$UF" || true)"
expect_contains "the other link is untouched" "$(ip -n n1 -d -o link show ptffffffff0009)" "bridge forward_delay"
expect_fail "get of a failed create" "No such file" pn1 get "$UF"
expect_fail "an invalid uid is refused" "Invalid argument" pn1 create "../etc"
ip -n n1 link del ptffffffff0009
expect_ok "the same uid works once the name is free" pn1 create "$UF"
expect_ok "and is deleted" pn1 delete "$UF"

log "---- delete"
expect_ok "delete pod B" pn1 delete "$UB"
expect_eq "B's IPAM record is gone" "" "$(ls "$D1/ipam" | grep -x "$IPB" || true)"
expect_eq "B's netns file is gone" "" "$(ls "$D1/netns" | grep "$UB" || true)"
expect_eq "B's host veth is gone" "" "$(ip -n n1 -o link show | grep "$HB" || true)"
expect_eq "B's netns is unmounted" "" "$(grep "$UB" /proc/self/mountinfo || true)"
expect_fail "get of a deleted sandbox" "No such file" pn1 get "$UB"
expect_ok "delete is idempotent" pn1 delete "$UB"
expect_fail "pod A no longer reaches B's address" "" inpod "$D1" "$UA" busybox ping -c 1 -W 1 "$IPB"
expect_ok "pod A still reaches the gateway" inpod "$D1" "$UA" busybox ping -c 1 -W 2 10.42.1.1
# B's address is free again, A's is not: fill the range and look.
expect_ok "delete the rest on n1 but A" pn1 delete "${UIDS[@]}"
expect_eq "only A's record is left" "$IPA" "$(ls "$D1/ipam")"
MANY=()
for i in $(seq 1 252); do MANY+=("$(printf 'eeeeeeee-%04d-4000-8000-000000000000' "$i")"); done
expect_ok "252 more sandboxes fill n1's /24" pn1 create "${MANY[@]}"
expect_eq "253 records (.2-.254), A's among them once" "253 1" \
	"$(ls "$D1/ipam" | wc -l) $(grep -lx "$UA" "$D1"/ipam/* | wc -l)"
expect_eq "A's address was not handed out again" "" "$(grep -x "ip=$IPA" <<<"$(tr ' ' '\n' <<<"$OUT")" || true)"
expect_fail "the podCIDR is exhausted" "No space left" pn1 create ffffffff-0010-4000-8000-000000000010
expect_ok "delete them" pn1 delete "${MANY[@]}"
expect_eq "A is all that is left" "$UA" "$(pn1 list)"
expect_eq "one bridge port left" "1" "$(ip -n n1 -o link show master portico0 | wc -l)"
expect_eq "one netns mount left" "1" "$(grep -c "$D1/netns/" /proc/self/mountinfo)"

log "---- a node registered anew with another podCIDR on the same data dir"
expect_ok "n2 starts with 10.42.3.0/24" on n2 "$PORTICO" podnet --data-dir "$D2" --pod-cidr 10.42.3.0/24 init
expect_contains "the old record is ignored with a warning" "$OUT" "ipam: ignoring $D2/ipam/$IPC: not an address this node hands out"
expect_eq "the bridge holds only the new gateway" "10.42.3.1/24" "$(ip -n n2 -o -4 addr show dev portico0 | awk '{print $4}')"
expect_eq "the old pod's sandbox was removed with a warning" "" "$(ls "$D2/netns")"
expect_contains "which was logged" "$OUT" "removed the sandbox of $UC"
expect_eq "the masquerade rule follows the new podCIDR" "1" "$(on n2 nft list table ip portico-pods | grep -c 'ip saddr 10.42.3.0/24')"
