#!/bin/bash
# TLS and authentication: the data dir's secrets are 0600, the serving cert verifies against the CA
# for the node IP and 127.0.0.1, only /healthz /livez /readyz /version are anonymous, the admin
# token and the admin client cert work, a client cert from another CA and a wrong token do not.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

for f in ca.key server.key admin.key admin-token node-token kubeconfig state.db; do
	if [ -e "$SERVER_DATA/$f" ]; then
		expect_eq "$f is mode 0600" 600 "$(stat -c %a "$SERVER_DATA/$f")"
	else
		expect_eq "$f exists" "present" "missing"
	fi
done
expect_eq "every file in the data dir is 0600" "" \
	"$(find "$SERVER_DATA" -maxdepth 1 -type f ! -perm 0600 -printf '%f %m\n')"
expect_eq "data dir is 0700" 700 "$(stat -c %a "$SERVER_DATA")"
expect_eq "kubeconfig points at the node IP" "https://192.0.2.10:6443" "$SERVER_URL"

for p in /healthz /livez /readyz; do
	out=$(api_anon GET "$p")
	expect_eq "anonymous $p: 200 ok" "ok|200" "$(paste -sd '|' <<<"$out")"
done
out=$(api_anon GET /version)
expect_eq "anonymous /version: 200" 200 "$(http_code "$out")"
expect_match "/version has gitVersion" "$(http_body "$out" | json 'j["gitVersion"]' 2>&1)" '^v1\.[0-9]+\.[0-9]+'
expect_eq "/version major" "1" "$(http_body "$out" | json 'j["major"]' 2>&1)"

for p in /api /apis /api/v1/namespaces /openapi/v2 /metrics; do
	out=$(api_anon GET "$p")
	expect_eq "anonymous $p: 401" 401 "$(http_code "$out")"
done
expect_eq "401 is a Status" "Status Failure Unauthorized 401" \
	"$(http_body "$out" | json 'j["kind"]+" "+j["status"]+" "+j["reason"]+" "+str(j["code"])' 2>&1)"

out=$(api GET /api)
expect_eq "admin token: /api 200" 200 "$(http_code "$out")"
expect_eq "admin token: /api lists v1" '["v1"]' "$(http_body "$out" | json 'j["versions"]' 2>&1)"
out=$(api GET /api/v1/namespaces/default)
expect_eq "admin token: get namespace default" "200 default" \
	"$(http_code "$out") $(http_body "$out" | json 'j["metadata"]["name"]' 2>&1)"
out=$(api_anon GET /api -H "Authorization: Bearer $(cat "$SERVER_DATA/admin-token")x")
expect_eq "admin token with a byte more: 401" 401 "$(http_code "$out")"
out=$(api_anon GET /api -H "Authorization: Basic YWRtaW46YWRtaW4=")
expect_eq "basic auth: 401" 401 "$(http_code "$out")"

# The admin client certificate from the kubeconfig, used by curl.
kc() { "$KUBECTL" config view --raw -o jsonpath="{.users[0].user.$1}" | base64 -d; }
kc client-certificate-data >"$WORK/admin.crt"
kc client-key-data >"$WORK/admin.key"
out=$(api_anon GET /api --cert "$WORK/admin.crt" --key "$WORK/admin.key")
expect_eq "admin client cert: /api 200" 200 "$(http_code "$out")"
expect_match "admin cert subject" "$(openssl x509 -in "$WORK/admin.crt" -noout -subject)" \
	'O ?= ?system:masters.*CN ?= ?admin|CN ?= ?admin.*O ?= ?system:masters'

# A client cert with the same subject from a CA of our own must be refused.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/O=system:masters/CN=admin" -keyout "$WORK/rogue.key" -out "$WORK/rogue.crt" 2>/dev/null
out=$(api_anon GET /api --cert "$WORK/rogue.crt" --key "$WORK/rogue.key" 2>/dev/null || true)
CHECKS=$((CHECKS + 1))
case $(http_code "$out") in
200) _fail "client cert from another CA is refused" "got 200" ;;
*) _ok "client cert from another CA is refused ($(http_code "$out"))" ;;
esac

# The serving certificate verifies for the node IP (above, with --cacert) and for 127.0.0.1.
out=$(on server curl -sS --max-time 10 --cacert "$WORK/ca.crt" -o /dev/null -w '%{http_code}' \
	https://127.0.0.1:6443/healthz 2>&1 || true)
expect_eq "serving cert valid for 127.0.0.1" 200 "$out"
on client openssl s_client -connect 192.0.2.10:6443 </dev/null 2>/dev/null | openssl x509 >"$WORK/served.crt" 2>&1 || true
expect_match "served cert issued by the CA" "$(openssl verify -CAfile "$WORK/ca.crt" "$WORK/served.crt" 2>&1)" ': OK$'
expect_fail "plain HTTP is not served" "" \
	on client curl -sS --max-time 5 -o /dev/null --fail http://192.0.2.10:6443/version
expect_ok "TLS 1.2 clients are served" \
	on client curl -sS --max-time 5 --fail --cacert "$WORK/ca.crt" --tls-max 1.2 https://192.0.2.10:6443/version
expect_ok "TLS 1.3 clients are served" \
	on client curl -sS --max-time 5 --fail --cacert "$WORK/ca.crt" --tlsv1.3 https://192.0.2.10:6443/version

# kubectl with the admin token only (no client cert), and with a wrong one.
{
	echo "apiVersion: v1"
	echo "kind: Config"
	echo "clusters: [{name: c, cluster: {server: \"$SERVER_URL\", certificate-authority: \"$WORK/ca.crt\"}}]"
	echo "users: [{name: u, user: {token: \"$(cat "$SERVER_DATA/admin-token")\"}}, {name: nobody, user: {token: bogus}}]"
	echo "contexts: [{name: x, context: {cluster: c, user: u}}, {name: anon, context: {cluster: c, user: nobody}}]"
	echo "current-context: x"
} >"$WORK/token.kubeconfig"
tls_kubectl() {
	expect_eq "kubectl with the admin token" "default" \
		"$(k --kubeconfig "$WORK/token.kubeconfig" get ns default -o jsonpath='{.metadata.name}' 2>&1)"
	expect_fail "kubectl with a wrong token" "error: You must be logged in to the server (Unauthorized)" \
		k --kubeconfig "$WORK/token.kubeconfig" --context anon get ns
}
each_kubectl tls_kubectl

# Without --node-ip the server advertises its first non-loopback IPv4 address, and 127.0.0.1 where
# it has none; the kubeconfig works either way.
server_stop
SERVER_NO_NODE_IP=1 server_start server
expect_eq "kubeconfig without --node-ip" "https://192.0.2.10:6443" "$SERVER_URL"
expect_eq "kubectl with it" "kubernetes" "$(k get svc kubernetes -o jsonpath='{.metadata.name}' 2>&1)"
server_stop
ip netns add solo
ip -n solo link set lo up
NODE_IP[solo]=127.0.0.1
SERVER_NO_NODE_IP=1 server_start solo
expect_eq "kubeconfig on a node with only loopback" "https://127.0.0.1:6443" "$SERVER_URL"
CLIENT_NODE=solo
expect_eq "kubectl through 127.0.0.1" "kubernetes" "$(k get svc kubernetes -o jsonpath='{.metadata.name}' 2>&1)"
