#!/bin/bash
# bench/proxy/run.sh: the service proxy's data plane against a kube-proxy-iptables-shaped ruleset,
# side by side in one run, inside network namespaces of its own (nothing touches the machine's).
#   1. programming: a one-Service change with 100, 1,000, 10,000 Services x 5 endpoints installed
#      (targets < 5 ms) and a full sync at 10,000 (target < 1 s), through proxy_nft directly
#      (bench/proxy/proxy_bench.c: no API server in the figure); iptables-restore of the same
#      Services (whole table, and kube-proxy's --noflush partial restore of one Service).
#   2. TCP connect latency to the last Service with 10 and 10,000 installed, direct to the endpoint,
#      and through the iptables ruleset.
#   3. throughput through a ClusterIP vs direct (iperf3, target >= 95 %).
# Needs root, iptables-restore, iperf3 (scripts/deps.sh bench) and a built tree (make).
if [ "${PROXY_BENCH_IN_SANDBOX:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench/proxy: must run as root" >&2; exit 1; }
	export PROXY_BENCH_IN_SANDBOX=1
	exec unshare --pid --fork --kill-child --net --mount --mount-proc bash "$0" "$@"
fi
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-20}
SIZES=${SIZES:-"100 1000 10000"}
B=build/bench
mkdir -p "$B"
[ -f build/obj/proxy/proxy_nft.o ] || { echo "bench/proxy: build first (make)" >&2; exit 1; }
CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Isrc"
gcc $CFLAGS -o $B/proxy_bench bench/proxy/proxy_bench.c build/obj/proxy/proxy_nft.o build/obj/proxy/proxy_model.o \
	build/obj/core/log.o $(pkg-config --libs libmnl libnftnl jansson)
gcc $CFLAGS -o $B/connlat bench/proxy/connlat.c

mount --make-rprivate /
mkdir -p /run/netns
mount -t tmpfs tmpfs /run/netns
ip link set lo up
W=$(mktemp -d /tmp/proxy-bench.XXXXXX)
PIDS=""
trap 'kill $PIDS 2>/dev/null; rm -rf "$W"' EXIT

now_ns() { date +%s%N; }
ms_since() { echo "scale=1; ($(now_ns) - $1) / 1000000" | bc; }

# gen_ipt N EPS [EP_IP] [partial SVC]: a kube-proxy iptables-mode nat table (KUBE-SERVICES,
# KUBE-SVC-*, KUBE-SEP-* with statistic probabilities, mark-for-masquerade), or the --noflush
# partial restore kube-proxy sends when one Service changes (KUBE-SERVICES rewritten whole).
gen_ipt() {
	python3 - "$@" <<'EOF'
import sys
n, eps = int(sys.argv[1]), int(sys.argv[2])
fixed = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
partial = int(sys.argv[5]) if len(sys.argv) > 5 else None
out = ["*nat"]
def vip(i): return "10.43.%d.%d" % (1 + i // 250, i % 250 + 1)
def ep(i, k):
    if fixed: return fixed
    e = i * eps + k
    return "10.42.%d.%d" % ((e // 250) % 250, e % 250 + 1)
svcs = [partial] if partial is not None else range(n)
out.append(":KUBE-SERVICES - [0:0]")
if partial is None:
    out += [":KUBE-MARK-MASQ - [0:0]", ":KUBE-POSTROUTING - [0:0]"]
for i in svcs:
    out.append(":KUBE-SVC-%08X - [0:0]" % i)
    for k in range(eps):
        out.append(":KUBE-SEP-%08X%02X - [0:0]" % (i, k))
if partial is None:
    out += ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
            "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
            "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
            "-A KUBE-POSTROUTING -j MASQUERADE --random-fully",
            "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000"]
for i in range(n):
    out.append('-A KUBE-SERVICES -m comment --comment "bench/s%d:http cluster IP" -d %s/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-%08X' % (i, vip(i), i))
for i in svcs:
    out.append('-A KUBE-SVC-%08X -m comment --comment "bench/s%d:http cluster IP" ! -s 10.42.0.0/16 -d %s/32 -p tcp -m tcp --dport 80 -j KUBE-MARK-MASQ' % (i, i, vip(i)))
    for k in range(eps):
        left = eps - k
        prob = "" if left == 1 else " -m statistic --mode random --probability %.11f" % (1.0 / left)
        out.append('-A KUBE-SVC-%08X -m comment --comment "bench/s%d:http -> %s:8080"%s -j KUBE-SEP-%08X%02X' % (i, i, ep(i, k), prob, i, k))
        out.append('-A KUBE-SEP-%08X%02X -s %s/32 -j KUBE-MARK-MASQ' % (i, k, ep(i, k)))
        out.append('-A KUBE-SEP-%08X%02X -p tcp -m tcp -j DNAT --to-destination %s:8080' % (i, k, ep(i, k)))
out.append("COMMIT")
print("\n".join(out))
EOF
}

# ns_pair NAME: namespaces NAME-cli (the node, where the rules live) and NAME-srv (the endpoint,
# 10.42.0.2, running netexec on 8080 and iperf3 on 5201), and NAME-pod (10.42.1.2) behind NAME-cli
ns_pair() {
	local c=$1-cli s=$1-srv
	ip netns add $c
	ip netns add $s
	ip -n $c link set lo up
	ip -n $s link set lo up
	ip -n $c link add veth0 type veth peer name eth0 netns $s
	ip -n $c addr add 10.42.0.1/24 dev veth0
	ip -n $c link set veth0 up
	ip -n $s addr add 10.42.0.2/24 dev eth0
	ip -n $s link set eth0 up
	ip -n $s route add default via 10.42.0.1
	ip -n $c route add 10.43.0.0/16 dev veth0
	# NAME-pod (10.42.1.2): a client routed through NAME-cli, as a pod reaches a Service
	ip netns add $1-pod
	ip -n $1-pod link set lo up
	ip -n $c link add veth1 type veth peer name eth0 netns $1-pod
	ip -n $c addr add 10.42.1.1/24 dev veth1
	ip -n $c link set veth1 up
	ip -n $1-pod addr add 10.42.1.2/24 dev eth0
	ip -n $1-pod link set eth0 up
	ip -n $1-pod route add default via 10.42.1.1
	ip netns exec $c sysctl -qw net.ipv4.ip_forward=1
	HOSTNAME=srv ip netns exec $s build/portico netexec --http-port 8080 --udp-port 8081 >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	ip netns exec $s iperf3 -s -p 5201 -D >/dev/null 2>&1
}
last_vip() { local i=$(($1 - 1)); echo "10.43.$((1 + i / 250)).$((i % 250 + 1))"; }

# ---- 1. programming ----------------------------------------------------------------------------------
declare -A NFT_FULL NFT_CHG NFT_ADD NFT_DEL NFT_EL NFT_CPU NFT_P90 IPT_FULL IPT_PART
for n in $SIZES; do
	ip netns add prog-$n
	read -r full chg add del el fails cpu p90 <<<"$(ip netns exec prog-$n $B/proxy_bench time "$n" 5 "$ROUNDS")"
	NFT_FULL[$n]=$full NFT_CHG[$n]=$chg NFT_ADD[$n]=$add NFT_DEL[$n]=$del NFT_EL[$n]=$el NFT_CPU[$n]=$cpu NFT_P90[$n]=$p90
	[ "$fails" = 0 ] || echo "bench/proxy: $fails failed transactions at $n" >&2
	ip netns add ipt-$n
	gen_ipt "$n" 5 >"$W/full-$n.txt"
	gen_ipt "$n" 5 - partial $((n / 2)) >"$W/part-$n.txt"
	t0=$(now_ns)
	ip netns exec ipt-$n iptables-restore <"$W/full-$n.txt"
	IPT_FULL[$n]=$(ms_since "$t0")
	t0=$(now_ns)
	ip netns exec ipt-$n iptables-restore --noflush <"$W/part-$n.txt"
	IPT_PART[$n]=$(ms_since "$t0")
	ip netns del ipt-$n
	ip netns del prog-$n
done

# ---- 2. connect latency -----------------------------------------------------------------------------
CONNECTS=${CONNECTS:-5000}
lat() { # lat NS ADDR PORT -> "median p99"
	local out
	out=$(ip netns exec "$1" $B/connlat "$2" "$3" "$CONNECTS") || { echo "bench/proxy: connects to $2:$3 failed: $out" >&2; }
	echo "${out% *}"
}
wait_http() { local i; for i in $(seq 50); do ip netns exec "$1" curl -s --max-time 1 -o /dev/null "http://$2/hostname" && return 0; sleep 0.1; done; return 1; }
declare -A LAT
ns_pair lat
wait_http lat-cli 10.42.0.2:8080 || { echo "bench/proxy: netexec did not start" >&2; exit 1; }
LAT[direct]=$(lat lat-cli 10.42.0.2 8080)
for n in 10 10000; do
	ip netns exec lat-cli $B/proxy_bench load $n 5 10.42.0.2 >"$W/load.out" &
	LP=$!
	for i in $(seq 300); do grep -q loaded "$W/load.out" 2>/dev/null && break; sleep 0.1; done
	wait_http lat-cli "$(last_vip $n)" || echo "bench/proxy: ClusterIP $(last_vip $n) does not answer" >&2
	LAT[nft-$n]=$(lat lat-cli "$(last_vip $n)" 80)
	kill $LP
	wait $LP || true
done
ip netns exec lat-cli nft delete table ip portico
for n in 10 10000; do
	gen_ipt $n 5 10.42.0.2 >"$W/lat-ipt.txt"
	ip netns exec lat-cli iptables-restore <"$W/lat-ipt.txt"
	wait_http lat-cli "$(last_vip $n)" || echo "bench/proxy: iptables ClusterIP does not answer" >&2
	LAT[ipt-$n]=$(lat lat-cli "$(last_vip $n)" 80)
done
ip netns exec lat-cli iptables -t nat -F
ip netns exec lat-cli iptables -t nat -X

# ---- 3. throughput ----------------------------------------------------------------------------------
# from the pod namespace through the node namespace (forwarded, DNAT in prerouting) to the endpoint
bps() { ip netns exec lat-pod iperf3 -c "$1" -p 5201 -t "${IPERF_SECONDS:-3}" -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])'; }
PROXY_BENCH_SVC_PORT=5201 PROXY_BENCH_EP_PORT=5201 ip netns exec lat-cli $B/proxy_bench load 10 1 10.42.0.2 >"$W/load.out" &
LP=$!
for i in $(seq 100); do grep -q loaded "$W/load.out" 2>/dev/null && break; sleep 0.1; done
# alternate, and take the median of each: the machine is shared, single runs swing by tens of %
D=() S=()
for i in 1 2 3; do
	D+=("$(bps 10.42.0.2)")
	S+=("$(bps 10.43.1.1)")
done
med3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
DIRECT_BPS=$(med3 "${D[@]}")
SVC_BPS=$(med3 "${S[@]}")
kill $LP
wait $LP || true

# ---- the table ----------------------------------------------------------------------------------
r() { echo "scale=1; $1 / $2" | bc; }
echo
echo "service proxy data plane ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(iptables -V))"
echo
printf '%-44s %12s %12s %10s\n' "programming (ms)" "portico nft" "iptables" "ratio"
for n in $SIZES; do
	printf '%-44s %12s %12s %9sx\n' "one-Service change, $n Services x 5" "${NFT_CHG[$n]}" "${IPT_PART[$n]}" "$(r "${IPT_PART[$n]}" "${NFT_CHG[$n]}")"
	printf '%-44s %12s\n' "  (p90 of the change)" "${NFT_P90[$n]}"
	printf '%-44s %12s\n' "  a Service added / removed" "${NFT_ADD[$n]} / ${NFT_DEL[$n]}"
	printf '%-44s %12s %12s %9sx\n' "full sync, $n Services x 5 (${NFT_EL[$n]} elements)" "${NFT_FULL[$n]}" "${IPT_FULL[$n]}" "$(r "${IPT_FULL[$n]}" "${NFT_FULL[$n]}")"
	printf '%-44s %12s\n' "  (CPU time of the full sync, user+sys)" "${NFT_CPU[$n]}"
done
echo
printf '%-44s %12s %12s\n' "TCP connect latency (us, median p99)" "median" "p99"
for k in direct nft-10 nft-10000 ipt-10 ipt-10000; do
	read -r med p99 <<<"${LAT[$k]}"
	printf '%-44s %12s %12s\n' "$k" "$med" "$p99"
done
echo
printf '%-44s %12.2f\n' "throughput pod -> endpoint direct (Gbit/s)" "$(echo "$DIRECT_BPS / 1000000000" | bc -l)"
printf '%-44s %12.2f %11.1f%%\n' "throughput pod -> ClusterIP (Gbit/s)" "$(echo "$SVC_BPS / 1000000000" | bc -l)" "$(echo "100 * $SVC_BPS / $DIRECT_BPS" | bc -l)"
