#!/bin/bash
# portico netexec, the agnhost-netexec-like test server: started in one lab node, driven from
# another with curl (HTTP /hostname, /clientip, /echo, /healthz) and a small UDP client
# ("hostname", "echo X", "clientip"); --https-port serves the same handlers over TLS with a
# self-signed certificate (curl -k); it exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node pod 192.0.2.21
lab_node client 192.0.2.22

NX_LOG=$WORK/netexec.log
SERVER_LOGS+=("$NX_LOG")
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} HOSTNAME=web-0 \
	nsenter --net=/run/netns/pod "$PORTICO" netexec --http-port 8080 --udp-port 8081 --https-port 8443 >"$NX_LOG" 2>&1 &
NX_PID=$!
BG_PIDS="${BG_PIDS:-} $NX_PID"

get() { on client curl -sS --max-time 5 -w '\n%{http_code}' "http://192.0.2.21:8080$1"; }
healthy() { [ "$(on client curl -s --max-time 1 http://192.0.2.21:8080/healthz)" = ok ]; }
retry_until 10 healthy || die "netexec did not answer within 10 s; log: $(cat "$NX_LOG")"

OUT=$(get /hostname)
expect_eq "/hostname is the pod name (HOSTNAME)" "web-0
200" "$OUT"
OUT=$(get /clientip)
expect_match "/clientip is the peer address:port" "$OUT" '^192\.0\.2\.22:[0-9]+$'
expect_eq "/clientip answers 200" 200 "$(http_code "$OUT")"
OUT=$(get '/echo?msg=hello%20world%26more')
expect_eq "/echo returns the decoded msg" "hello world&more
200" "$OUT"
OUT=$(get '/echo')
expect_eq "/echo without msg is empty" "
200" "$OUT"
OUT=$(get /healthz)
expect_eq "/healthz" "ok
200" "$OUT"
expect_eq "unknown path: 404" 404 "$(http_code "$(get /nope)")"

# HTTPS: the same handlers over TLS; the certificate is self-signed (not verifiable)
gets() { on client curl -sSk --max-time 5 -w '\n%{http_code}' "https://192.0.2.21:8443$1"; }
expect_eq "HTTPS /hostname" "web-0
200" "$(gets /hostname)"
expect_match "HTTPS /clientip is the peer address:port" "$(gets /clientip)" '^192\.0\.2\.22:[0-9]+$'
expect_eq "HTTPS /echo" "tls
200" "$(gets '/echo?msg=tls')"
expect_eq "HTTPS unknown path: 404" 404 "$(http_code "$(gets /nope)")"
rc=0
on client curl -s --max-time 5 -o /dev/null "https://192.0.2.21:8443/hostname" || rc=$?
expect_eq "a verifying client refuses the self-signed certificate (curl 60)" 60 "$rc"
expect_eq "plain HTTP still on its own port" ok "$(on client curl -s --max-time 5 http://192.0.2.21:8080/healthz)"

# UDP: one datagram per command, the answer read back on the same socket.
udp() {
	on client "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.bind(("192.0.2.22", 0))
s.sendto(sys.argv[1].encode(), ("192.0.2.21", 8081))
try:
    print(s.recv(4096).decode())
except socket.timeout:
    print("<timeout>")
print(s.getsockname()[1])' "$1"
}
OUT=$(udp hostname)
expect_eq "UDP hostname" web-0 "$(head -n 1 <<<"$OUT")"
OUT=$(udp $'echo hi there\n')
expect_eq "UDP echo (trailing newline trimmed)" "hi there" "$(head -n 1 <<<"$OUT")"
OUT=$(udp clientip)
expect_eq "UDP clientip is the sender's address:port" "192.0.2.22:$(tail -n 1 <<<"$OUT")" "$(head -n 1 <<<"$OUT")"
OUT=$(udp bogus)
expect_eq "UDP: unknown commands get no answer" "<timeout>" "$(head -n 1 <<<"$OUT")"

# --http-port/--udp-port are honoured; bad values are refused
expect_fail "invalid --http-port is refused" "invalid --http-port" "$PORTICO" netexec --http-port 70000
expect_fail "invalid --https-port is refused" "invalid --https-port" "$PORTICO" netexec --https-port 0

# graceful exit on SIGTERM
kill -TERM "$NX_PID"
rc=0
for i in $(seq 50); do kill -0 "$NX_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$NX_PID" 2>/dev/null; then
	kill -KILL "$NX_PID"
	rc=killed
else
	wait "$NX_PID" || rc=$?
fi
expect_eq "netexec exits 0 within 5 s of SIGTERM" 0 "$rc"
