#!/bin/bash
# Invalid requests and the exact messages kubectl shows for them (kube-apiserver's wording), plus
# raw HTTP errors through curl: malformed JSON (400), no credentials (401), oversized body (413),
# wrong kind for the URL, unsupported media type. Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

mk() { # mk FILE CONTENT: a manifest file under the work dir; prints its path
	printf '%s\n' "$2" >"$WORK/$1"
	echo "$WORK/$1"
}

errors() {
	local f
	f=$(mk bad-port.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":0,"targetPort":8080}]}}')
	expect_fail "service port 0" \
		'The Service "bad" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive' \
		k create -f "$f"
	# Without a targetPort, defaulting copies port into it, and upstream reports both.
	f=$(mk bad-port2.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":0}]}}')
	expect_fail "service port 0, targetPort defaulted from it" \
		'The Service "bad" is invalid: 
* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive
* spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive' \
		k create -f "$f"
	f=$(mk big-port.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":70000,"targetPort":"http"}]}}')
	expect_fail "service port 70000" \
		'The Service "bad" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive' \
		k create -f "$f"
	f=$(mk no-ports.yaml 'apiVersion: v1
kind: Service
metadata:
  name: noports
spec:
  selector:
    app: x')
	expect_fail "service without ports" \
		'The Service "noports" is invalid: spec.ports: Required value' \
		k create -f "$f"
	f=$(mk bad-proto.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"ports":[{"port":80,"protocol":"XTP"}]}}')
	expect_fail "service protocol XTP" \
		'The Service "bad" is invalid: spec.ports[0].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"' \
		k create -f "$f"
	f=$(mk bad-name.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"Bad_Name"},"spec":{"ports":[{"port":80}]}}')
	expect_fail "service name not a DNS-1035 label" \
		"The Service \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character" \
		k create -f "$f"
	f=$(mk two-errors.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"two"},"spec":{"ports":[{"port":0,"targetPort":1},{"port":80,"protocol":"XTP"}]}}')
	expect_fail "two errors, listed" \
		'The Service "two" is invalid: 
* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive
* spec.ports[1].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"' \
		k create -f "$f"
	f=$(mk dup-port.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"dup"},"spec":{"ports":[{"name":"a","port":80},{"name":"a","port":81}]}}')
	expect_fail "duplicate port name" \
		'The Service "dup" is invalid: spec.ports[1].name: Duplicate value: "a"' \
		k create -f "$f"
	f=$(mk unknown-field.json '{"apiVersion":"v1","kind":"Service","metadata":{"name":"bogus"},"spec":{"bogus":1,"ports":[{"port":80}]}}')
	expect_fail "unknown field, --validate=strict (the default)" \
		'strict decoding error: unknown field "spec.bogus"' \
		k create -f "$f"
	expect_fail "unknown field: nothing was created" 'services "bogus" not found' k get svc bogus
	expect_eq "unknown field with --validate=false is dropped" "service/bogus created" \
		"$(k create -f "$f" --validate=false 2>&1)"
	k delete svc bogus >/dev/null 2>&1 || true
	f=$(mk bad-cm.json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad cm"},"data":{"k":"v"}}')
	expect_fail "configmap name not a DNS-1123 subdomain" \
		'The ConfigMap "bad cm" is invalid: metadata.name: Invalid value: "bad cm": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters' \
		k create -f "$f"
	f=$(mk cm-key.json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"badkey"},"data":{"a b":"v"}}')
	expect_fail "configmap key" \
		'The ConfigMap "badkey" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters' \
		k create -f "$f"
	expect_fail "update of immutable clusterIP" \
		'The Service "kubernetes" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.43.0.99"}: may not change once set' \
		k patch svc kubernetes --type=merge -p '{"spec":{"clusterIP":"10.43.0.99","clusterIPs":["10.43.0.99"]}}'
}

each_kubectl errors

# ---- raw HTTP through curl
SVC=/api/v1/namespaces/default/services
out=$(api POST "$SVC" -H 'Content-Type: application/json' --data-binary '{"kind": "Service", "apiVersion": ')
expect_eq "malformed JSON: 400" 400 "$(http_code "$out")"
body=$(http_body "$out")
expect_eq "malformed JSON: a Status" "Status v1 Failure BadRequest 400" \
	"$(json 'j["kind"]+" "+j["apiVersion"]+" "+j["status"]+" "+j["reason"]+" "+str(j["code"])' <<<"$body" 2>&1)"

out=$(api POST "$SVC" -H 'Content-Type: application/json' --data-binary '[1,2,3]')
expect_eq "a JSON array as object: 400" 400 "$(http_code "$out")"

out=$(api POST "$SVC" -H 'Content-Type: application/json' \
	--data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"wrongkind"}}')
expect_eq "a ConfigMap posted to services: 400" 400 "$(http_code "$out")"

out=$(api POST "$SVC" -H 'Content-Type: text/plain' --data-binary 'hello')
expect_eq "unsupported media type: 415" 415 "$(http_code "$out")"

out=$(api_anon GET /api/v1/namespaces)
expect_eq "no credentials: 401" 401 "$(http_code "$out")"
expect_eq "no credentials: a Status" "Status Unauthorized 401" \
	"$(http_body "$out" | json 'j["kind"]+" "+j["reason"]+" "+str(j["code"])' 2>&1)"
out=$(api_anon GET /api/v1/namespaces -H 'Authorization: Bearer 0000000000000000000000000000000000000000000000000000000000000000')
expect_eq "wrong token: 401" 401 "$(http_code "$out")"

# A body over kube-apiserver's 3 MiB limit: a ConfigMap of 4 MiB.
"$PY" -c '
import json
print(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge"}, "data": {"k": "x" * (4 << 20)}}))' >"$WORK/huge.json"
out=$(api POST /api/v1/namespaces/default/configmaps -H 'Content-Type: application/json' \
	--data-binary "@$WORK/huge.json" || true)
expect_eq "body over 3 MiB: 413" 413 "$(http_code "$out")"
out=$(api GET /api/v1/namespaces/default/configmaps/huge)
expect_eq "the oversized configmap was not stored" 404 "$(http_code "$out")"

out=$(api GET /api/v1/namespaces/default/services/nope)
expect_eq "GET a missing service: 404" 404 "$(http_code "$out")"
expect_eq "404 Status message" 'NotFound: services "nope" not found' \
	"$(http_body "$out" | json 'j["reason"]+": "+j["message"]' 2>&1)"
expect_eq "404 Status details" '{"kind": "services", "name": "nope"}' \
	"$(http_body "$out" | json 'j["details"]' 2>&1)"

out=$(api GET '/api/v1/namespaces/default/services?labelSelector=a%20in%20(' )
expect_eq "malformed label selector: 400" 400 "$(http_code "$out")"
out=$(api GET '/api/v1/namespaces/default/services?limit=x')
expect_eq "malformed limit: 400" 400 "$(http_code "$out")"

# The server is still healthy after all that.
expect_eq "server still answers" "kubernetes" "$(k get svc kubernetes -o jsonpath='{.metadata.name}')"
