#!/bin/bash
# kubectl's write paths and managedFields: `kubectl apply --server-side` (create, no-op re-apply,
# a change, conflicts naming the manager, --force-conflicts, --show-managed-fields), the apply
# request checks over curl, and client-side `kubectl apply -f` (create, unchanged on a second run,
# removing a port from the file removes it, the upgrade to server-side apply). Run once with each
# kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

# svc_file FILE NAME NS TARGETPORT [EXTRA_PORT]: a Service manifest
svc_file() {
	{
		printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n' "$2" "$3"
		printf 'spec:\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: %s\n' "$4"
		[ -n "${5:-}" ] && printf '  - name: extra\n    port: %s\n    targetPort: %s\n' "$5" "$5"
		:
	} >"$1"
}

rv() { k get svc "$1" -n "$2" -o jsonpath='{.metadata.resourceVersion}'; }
tport() { k get svc "$1" -n "$2" -o jsonpath='{.spec.ports[0].targetPort}'; }

# managers NAME NS: "manager/operation" lines of metadata.managedFields
managers() {
	k get svc "$1" -n "$2" -o json --show-managed-fields | json '"\n".join(e["manager"] + "/" + e["operation"] for e in j["metadata"]["managedFields"])'
}

# owned NAME NS MANAGER: the fieldsV1 of MANAGER's entry, as sorted JSON
owned() {
	k get svc "$1" -n "$2" -o json --show-managed-fields | json "[e[\"fieldsV1\"] for e in j[\"metadata\"][\"managedFields\"] if e[\"manager\"] == \"$3\"][0]"
}

PORT80='k:{\"port\":80,\"protocol\":\"TCP\"}'

server_side() {
	local ns=ssa-$KV f=$WORK/ssa-$KV.yaml out rv1
	k create namespace "$ns" >/dev/null

	# ---- create, then a no-op re-apply
	svc_file "$f" web "$ns" 8080
	expect_eq "apply --server-side creates" "service/web serverside-applied" "$(k apply --server-side -f "$f" 2>&1)"
	expect_eq "created with targetPort" "8080" "$(tport web "$ns")"
	rv1=$(rv web "$ns")
	expect_eq "re-apply prints serverside-applied" "service/web serverside-applied" \
		"$(k apply --server-side -f "$f" 2>&1)"
	expect_eq "re-apply is a no-op (same resourceVersion)" "$rv1" "$(rv web "$ns")"
	expect_eq "managers after apply" "kubectl/Apply" "$(managers web "$ns")"
	out=$(owned web "$ns" kubectl)
	expect_eq "kubectl owns what it applied" \
		"{\"f:spec\": {\"f:ports\": {\"$PORT80\": {\".\": {}, \"f:name\": {}, \"f:port\": {}, \"f:targetPort\": {}}}, \"f:selector\": {}}}" \
		"$out"

	# ---- --show-managed-fields shows the entries; plain -o yaml hides them
	out=$(k get svc web -n "$ns" -o yaml --show-managed-fields)
	expect_contains "show-managed-fields: manager" "$out" "manager: kubectl"
	expect_contains "show-managed-fields: operation" "$out" "operation: Apply"
	expect_contains "show-managed-fields: fieldsType" "$out" "fieldsType: FieldsV1"
	expect_contains "show-managed-fields: keyed port" "$out" "$(printf 'k:{"port":80,"protocol":"TCP"}:')"
	expect_not_contains "-o yaml hides managedFields" "$(k get svc web -n "$ns" -o yaml)" "managedFields"

	# ---- a change applies
	svc_file "$f" web "$ns" 9090
	expect_eq "changed apply" "service/web serverside-applied" "$(k apply --server-side -f "$f" 2>&1)"
	expect_eq "targetPort changed" "9090" "$(tport web "$ns")"
	[ "$(rv web "$ns")" != "$rv1" ] && expect_eq "resourceVersion moved" moved moved ||
		expect_eq "resourceVersion moved" moved same

	# ---- another manager with a different value conflicts, naming kubectl
	svc_file "$f" web "$ns" 7070
	expect_fail "conflict with another applier" \
		'Apply failed with 1 conflict: conflict with "kubectl": .spec.ports[port=80,protocol="TCP"].targetPort' \
		k apply --server-side --field-manager=other -f "$f"
	expect_contains "kubectl's hint follows" "$OUT" "Please review the fields above--they currently have other managers."
	expect_eq "value unchanged after the conflict" "9090" "$(tport web "$ns")"
	expect_eq "--force-conflicts wins" "service/web serverside-applied" \
		"$(k apply --server-side --field-manager=other --force-conflicts -f "$f" 2>&1)"
	expect_eq "forced value" "7070" "$(tport web "$ns")"
	out=$(owned web "$ns" other)
	expect_contains "other owns targetPort now" "$out" '"f:targetPort": {}'
	expect_not_contains "kubectl lost targetPort" "$(owned web "$ns" kubectl)" "f:targetPort"

	# ---- removing a port from the applied file removes it
	svc_file "$f" web2 "$ns" 8080 8443
	k apply --server-side -f "$f" >/dev/null
	expect_eq "two ports applied" "80 8443" "$(k get svc web2 -n "$ns" -o jsonpath='{.spec.ports[*].port}')"
	svc_file "$f" web2 "$ns" 8080
	k apply --server-side -f "$f" >/dev/null
	expect_eq "port dropped from the file is pruned" "80" "$(k get svc web2 -n "$ns" -o jsonpath='{.spec.ports[*].port}')"
}

client_side() {
	local ns=csa-$KV f=$WORK/csa-$KV.yaml rv1 out
	k create namespace "$ns" >/dev/null

	svc_file "$f" web "$ns" 8080 8443
	expect_eq "apply -f creates" "service/web created" "$(k apply -f "$f" 2>&1)"
	rv1=$(rv web "$ns")
	expect_eq "apply -f again" "service/web unchanged" "$(k apply -f "$f" 2>&1)"
	expect_eq "unchanged keeps resourceVersion" "$rv1" "$(rv web "$ns")"
	expect_eq "client-side manager" "kubectl-client-side-apply/Update" "$(managers web "$ns")"
	out=$(owned web "$ns" kubectl-client-side-apply)
	expect_contains "owns the last-applied annotation" "$out" '"f:kubectl.kubernetes.io/last-applied-configuration": {}'
	expect_contains "owns the ports list" "$out" "\"$PORT80\": {\".\": {}"

	# ---- removing a port from the file removes it (strategic merge patch with $setElementOrder)
	svc_file "$f" web "$ns" 8080
	expect_eq "apply -f with a port removed" "service/web configured" "$(k apply -f "$f" 2>&1)"
	expect_eq "port removed" "80" "$(k get svc web -n "$ns" -o jsonpath='{.spec.ports[*].port}')"
	expect_not_contains "removed port no longer owned" "$(owned web "$ns" kubectl-client-side-apply)" '"port\":8443'

	# ---- server-side apply by another manager with a different value conflicts with client-side apply
	svc_file "$f" web "$ns" 9090
	expect_fail "server-side apply conflicts with client-side apply" \
		'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.ports[port=80,protocol="TCP"].targetPort' \
		k apply --server-side --field-manager=other -f "$f"
	expect_eq "--force-conflicts takes it" "service/web serverside-applied" \
		"$(k apply --server-side --field-manager=other --force-conflicts -f "$f" 2>&1)"
	expect_eq "forced value" "9090" "$(tport web "$ns")"

	# ---- kubectl's own upgrade from client-side to server-side apply takes over without conflicts
	# (upstream's lastAppliedManager: fields the last-applied annotation still matches are kubectl's)
	svc_file "$f" web3 "$ns" 8080
	k apply -f "$f" >/dev/null
	svc_file "$f" web3 "$ns" 8181
	expect_eq "apply --server-side after apply -f" "service/web3 serverside-applied" \
		"$(k apply --server-side -f "$f" 2>&1)"
	expect_eq "upgraded value" "8181" "$(tport web3 "$ns")"
	expect_contains "the annotation follows the server-side apply" \
		"$(k get svc web3 -n "$ns" -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}')" \
		'"targetPort":8181'
}

each_kubectl server_side
each_kubectl client_side

# ---- the apply request checks (curl, as a controller would send them)
body='{"apiVersion":"v1","kind":"Service","metadata":{"name":"raw"},"spec":{"ports":[{"port":80,"targetPort":80}]}}'
out=$(api PATCH /api/v1/namespaces/default/services/raw -H 'Content-Type: application/apply-patch+yaml' --data "$body")
expect_eq "apply without fieldManager: 422" 422 "$(http_code "$out")"
expect_eq "apply without fieldManager: message" \
	'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' \
	"$(http_body "$out" | json 'j["message"]')"
out=$(api PATCH '/api/v1/namespaces/default/services/raw?fieldManager=ctl' -H 'Content-Type: application/apply-patch+yaml' --data "$body")
expect_eq "apply creates: 201" 201 "$(http_code "$out")"
out=$(api PATCH '/api/v1/namespaces/default/services/raw?fieldManager=ctl' -H 'Content-Type: application/apply-patch+yaml' \
	--data '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"raw"}}')
expect_eq "apply of another kind: 400" 400 "$(http_code "$out")"
expect_eq "apply of another kind: message" "invalid object type: /v1, Kind=Pod" "$(http_body "$out" | json 'j["message"]')"
out=$(api PATCH '/api/v1/namespaces/default/services/raw?fieldManager=ctl2' -H 'Content-Type: application/apply-patch+yaml' \
	--data '{"apiVersion":"v1","kind":"Service","metadata":{"name":"raw"},"spec":{"ports":[{"port":80,"targetPort":81}]}}')
expect_eq "conflict: 409" 409 "$(http_code "$out")"
expect_eq "conflict: cause" \
	'[{"field": ".spec.ports[port=80,protocol=\"TCP\"].targetPort", "message": "conflict with \"ctl\"", "reason": "FieldManagerConflict"}]' \
	"$(http_body "$out" | json 'j["details"]["causes"]')"
out=$(api PATCH '/api/v1/namespaces/default/services/raw?fieldManager=x&force=true' \
	-H 'Content-Type: application/merge-patch+json' --data '{}')
expect_eq "force on a non-apply patch: 422" 422 "$(http_code "$out")"
