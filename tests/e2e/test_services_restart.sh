#!/bin/bash
# Allocation repair at start: ClusterIP and NodePort allocations are rebuilt from the stored Services.
# Create Services, kill -9 the server during a burst of concurrent creates, restart on the same data
# dir: every acknowledged Service is there, every stored ClusterIP and NodePort is unique, a create
# requesting any of them fails as already allocated, and unused values can still be had.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

kout() { k "$@" 2>&1 || true; }
mk() { kout create -f - <<<"$1"; }

expect_eq "create namespace burst" "namespace/burst created" "$(kout create namespace burst)"
expect_eq "create NodePort with a requested IP and port" "service/fixed created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"fixed"},"spec":{"type":"NodePort","clusterIP":"10.43.0.33","ports":[{"port":80,"nodePort":30033}]}}')"
expect_eq "create LoadBalancer" "service/lb created" "$(kout create service loadbalancer lb --tcp=80,443)"
expect_eq "create ClusterIP" "service/cip created" "$(kout create service clusterip cip --tcp=80)"
expect_eq "create headless" "service/hl created" "$(kout create service clusterip hl --clusterip=None)"
expect_eq "create ExternalName" "service/en created" "$(kout create service externalname en --external-name=x.example.com)"
# released before the crash: its values must be free after the restart
expect_eq "create a Service to delete" "service/gone created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"gone"},"spec":{"type":"NodePort","clusterIP":"10.43.0.44","ports":[{"port":80,"nodePort":30044}]}}')"
expect_eq "delete it" 'service "gone" deleted' "$(kout delete svc gone)"
expect_eq "type change before the crash: NodePort -> ClusterIP" "service/fixed patched" \
	"$(kout patch svc fixed -p '{"spec":{"type":"ClusterIP"}}')"

# ---- kill -9 during a burst of creates from three concurrent clients
ACKED=$WORK/acked
: >"$ACKED"
burst() { # burst ID: NodePort Services with two auto-allocated ports each, until a create fails
	set +eE
	trap - ERR EXIT
	local i out
	for i in $(seq 1 150); do
		out=$(api POST /api/v1/namespaces/burst/services -H 'Content-Type: application/json' --data-binary \
			'{"apiVersion":"v1","kind":"Service","metadata":{"name":"b'"$1-$i"'"},"spec":{"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":81}]}}' 2>/dev/null)
		[ "$(http_code "$out")" = 201 ] || break
		echo "b$1-$i" >>"$ACKED"
	done
}
loops=
for id in 1 2 3; do
	burst "$id" &
	loops="$loops $!"
done
BG_PIDS="${BG_PIDS:-}$loops"
retry_until 60 sh -c '[ "$(wc -l <"$1")" -ge 60 ]' _ "$ACKED" || true
server_kill9
for p in $loops; do wait "$p" 2>/dev/null || true; done
n_acked=$(wc -l <"$ACKED")
log "$n_acked creates acknowledged before kill -9"
CHECKS=$((CHECKS + 1))
if [ "$n_acked" -ge 60 ]; then _ok "at least 60 creates acknowledged before the kill ($n_acked)"
else _fail "at least 60 creates acknowledged before the kill" "only $n_acked"; fi

server_restart
expect_not_contains "no conflicting allocations found while rebuilding" "$(cat "$SERVER_LOG")" "while rebuilding allocations"

# every Service as "ns/name type clusterIP nodePort,nodePort"
k get svc -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.type} {.spec.clusterIP} {.spec.ports[*].nodePort}{"\n"}{end}' \
	| tr -s ' ' | sed 's/ $//' >"$WORK/stored"
have=$(grep '^burst/' "$WORK/stored" | cut -d' ' -f1 | cut -d/ -f2 | sort)
expect_eq "every acknowledged create survived kill -9" "" "$(comm -23 <(sort "$ACKED") <(printf '%s\n' "$have"))"
n_stored=$(wc -l <"$WORK/stored")
log "$n_stored Services stored"
ips=$(awk '$3 ~ /^10\.43\./ {print $3}' "$WORK/stored")
ports=$(awk '{for (i = 4; i <= NF; i++) print $i}' "$WORK/stored")
expect_eq "every burst Service has a ClusterIP and two NodePorts" "" \
	"$(grep '^burst/' "$WORK/stored" | grep -vE '^burst/b[0-9]+-[0-9]+ NodePort 10\.43\.[0-9]+\.[0-9]+ 3[0-2][0-9]{3} 3[0-2][0-9]{3}$' || true)"
expect_eq "stored ClusterIPs are unique" "" "$(sort <<<"$ips" | uniq -d)"
expect_eq "stored NodePorts are unique" "" "$(sort <<<"$ports" | uniq -d)"
expect_eq "the Services from before the burst" "cip en fixed hl kubernetes lb" \
	"$(grep '^default/' "$WORK/stored" | cut -d' ' -f1 | cut -d/ -f2 | paste -sd ' ')"
expect_eq "fixed kept its ClusterIP and lost its NodePort" "default/fixed ClusterIP 10.43.0.33" \
	"$(grep '^default/fixed ' "$WORK/stored")"

# ---- every stored value is held: a create requesting it fails
# probe KIND VALUE...: one POST per value over one connection (there are hundreds), each requesting
# that ClusterIP (KIND ip) or NodePort (KIND port); prints every answer that is not upstream's 422
# "already allocated", so nothing is printed when all of them are held.
probe() {
	on "$CLIENT_NODE" "$PY" - "$SERVER_URL" "$WORK/ca.crt" "$(cat "$SERVER_DATA/admin-token")" "$@" <<-'EOF'
	import http.client, json, ssl, sys, urllib.parse
	url, ca, token, kind, values = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
	u = urllib.parse.urlsplit(url)
	conn = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca), timeout=30)
	for v in values:
	    if kind == "ip":
	        spec = {"clusterIP": v, "ports": [{"port": 80}]}
	        want = ('Service "probe" is invalid: spec.clusterIPs: Invalid value: []string{"%s"}: '
	                'failed to allocate IP %s: provided IP is already allocated' % (v, v))
	    else:
	        spec = {"type": "NodePort", "ports": [{"port": 80, "nodePort": int(v)}]}
	        want = ('Service "probe" is invalid: spec.ports[0].nodePort: Invalid value: %s: '
	                'provided port is already allocated' % v)
	    body = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "probe"}, "spec": spec})
	    conn.request("POST", "/api/v1/namespaces/default/services", body,
	                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
	    r = conn.getresponse()
	    got = json.loads(r.read())
	    if r.status != 422 or got.get("message") != want:
	        print(v, r.status, got.get("message"))
	EOF
}
expect_eq "a create requesting any stored ClusterIP ($(wc -w <<<"$ips") of them) fails as already allocated" "" \
	"$(probe ip $ips)"
expect_eq "a create requesting any stored NodePort ($(wc -w <<<"$ports") of them) fails as already allocated" "" \
	"$(probe port $ports)"
expect_eq "the same through kubectl" \
	'The Service "probe" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.33"}: failed to allocate IP 10.43.0.33: provided IP is already allocated' \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"probe"},"spec":{"clusterIP":"10.43.0.33","ports":[{"port":80}]}}')"
expect_fail "no probe was stored" 'Error from server (NotFound): services "probe" not found' k get svc probe

# ---- values that nobody holds are free: released before the crash, and never used
free_ip=10.43.255.$((RANDOM % 200 + 20))
while grep -qx "$free_ip" <<<"$ips"; do free_ip=10.43.255.$((RANDOM % 200 + 20)); done
expect_eq "create requesting an unused ClusterIP ($free_ip)" "service/free created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"free"},"spec":{"clusterIP":"'"$free_ip"'","ports":[{"port":80}]}}')"
expect_eq "create requesting the deleted Service's ClusterIP and NodePort" "service/gone2 created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"gone2"},"spec":{"type":"NodePort","clusterIP":"10.43.0.44","ports":[{"port":80,"nodePort":30044}]}}')"
expect_eq "create requesting the NodePort released by the type change" "service/np-again created" \
	"$(kout create service nodeport np-again --tcp=80 --node-port=30033)"
expect_eq "automatic allocation after the restart avoids stored values" "" \
	"$(kout create service nodeport auto --tcp=80,81 >/dev/null
	   a=$(k get svc auto -o jsonpath='{.spec.clusterIP} {.spec.ports[*].nodePort}')
	   for v in $a; do grep -qx "$v" <<<"$ips"$'\n'"$ports" && echo "$v reused"; done; true)"
