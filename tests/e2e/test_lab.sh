#!/bin/bash
# The lab itself: two nodes on the bridge reach each other over TCP, the sandbox is not the
# machine's own network namespace, and the nodes see only their own lab addresses.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node n1 192.0.2.11
lab_node n2 192.0.2.12

expect_eq "n1 has its lab address" "192.0.2.11/24" \
	"$(ip -n n1 -o -4 addr show dev eth0 | awk '{print $4}')"
expect_eq "the sandbox has only lo" "lo" "$(ip -o link show | awk -F': ' '{print $2}')"
expect_eq "n2 routes 192.0.2.0/24 only" "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.12" \
	"$(ip -n n2 -4 route show | sed 's/ *$//')"

# TCP across the bridge: a one-shot listener in n2, a client in n1.
on n2 "$PY" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.12", 7777)); s.listen(1); s.settimeout(10)
c, a = s.accept(); c.sendall(("hello " + a[0]).encode()); c.close()' &
BG_PIDS="${BG_PIDS:-} $!"
got=
for i in $(seq 50); do
	got=$(on n1 "$PY" -c '
import socket
s = socket.create_connection(("192.0.2.12", 7777), timeout=2); print(s.recv(100).decode())' 2>/dev/null) && break
	sleep 0.1
done
expect_eq "n1 reaches n2 across the bridge" "hello 192.0.2.11" "$got"
expect_fail "nothing outside the lab is reachable" "unreachable" \
	on n1 "$PY" -c 'import socket; socket.create_connection(("198.51.100.1", 80), timeout=2)'
