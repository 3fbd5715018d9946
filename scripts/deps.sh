#!/bin/sh
# Installs the Debian packages Portico's build, tests and benchmarks need; only those missing.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev git
libevent-dev libjansson-dev libsqlite3-dev libssl-dev libyaml-dev libmnl-dev libnftnl-dev libnetfilter-conntrack-dev openssl
iproute2 nftables curl python3 python3-kubernetes util-linux procps bind9-dnsutils busybox conntrack"
# bench/ compares against these (make bench, or scripts/deps.sh bench)
if [ "${1:-}" = bench ]; then PKGS="$PKGS nsd knot dnsperf haproxy iperf3 iptables"; fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
