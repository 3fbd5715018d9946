#!/bin/bash
# The everyday kubectl verbs against a portico server, from a second lab node across the bridge:
# namespaces, create -f (JSON and YAML), get -o yaml|json|wide|name, label, annotate, selectors,
# chunked lists, delete, and the NotFound message. Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

norm() { tr -s ' ' | sed 's/ $//'; }

basics() {
	local ns=team-$KV svc=web-$KV f out

	# ---- the namespaces a fresh server creates, and a new one
	out=$(k get namespaces)
	expect_eq "get ns header" "NAME STATUS AGE" "$(head -n 1 <<<"$out" | norm)"
	for n in default kube-system kube-public kube-node-lease; do
		expect_match "namespace $n is Active" "$out" "^$n +Active +[0-9]+[smhd]"
	done
	expect_eq "create namespace" "namespace/$ns created" "$(k create namespace "$ns" 2>&1)"
	expect_eq "new namespace is Active" "Active" "$(k get ns "$ns" -o jsonpath='{.status.phase}')"
	expect_fail "create namespace twice" "Error from server (AlreadyExists): namespaces \"$ns\" already exists" \
		k create namespace "$ns"

	# ---- the built-in kubernetes Service
	out=$(k get svc kubernetes -n default -o wide)
	expect_eq "get svc -o wide header" "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR" \
		"$(head -n 1 <<<"$out" | norm)"
	expect_match "kubernetes service row" "$(tail -n +2 <<<"$out" | norm)" \
		'^kubernetes ClusterIP 10\.43\.0\.1 <none> 443/TCP [0-9]+[smhd] <none>$'

	# ---- create -f JSON: a Service
	f=$WORK/svc-$KV.json
	cat >"$f" <<-EOF
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"name": "$svc", "namespace": "$ns", "labels": {"app": "web"}},
	 "spec": {"selector": {"app": "web"},
	          "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}
	EOF
	expect_eq "create -f service.json" "service/$svc created" "$(k create -f "$f" 2>&1)"
	expect_fail "create the same service again" \
		"Error from server (AlreadyExists): error when creating \"$f\": services \"$svc\" already exists" \
		k create -f "$f"

	out=$(k get svc "$svc" -n "$ns" -o json)
	local ip
	ip=$(json 'j["spec"]["clusterIP"]' <<<"$out")
	expect_match "clusterIP allocated from 10.43.0.0/16" "$ip" '^10\.43\.[0-9]+\.[0-9]+$'
	expect_eq "clusterIPs[0] is clusterIP" "$ip" "$(json 'j["spec"]["clusterIPs"][0]' <<<"$out")"
	expect_eq "type defaults to ClusterIP" "ClusterIP" "$(json 'j["spec"]["type"]' <<<"$out")"
	expect_eq "sessionAffinity defaults to None" "None" "$(json 'j["spec"].get("sessionAffinity")' <<<"$out")"
	expect_eq "port kept" '[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]' \
		"$(json 'j["spec"]["ports"]' <<<"$out")"
	expect_eq "kind and apiVersion" "Service v1" "$(json 'j["kind"] + " " + j["apiVersion"]' <<<"$out")"
	expect_match "uid set" "$(json 'j["metadata"]["uid"]' <<<"$out")" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
	expect_match "resourceVersion set" "$(json 'j["metadata"]["resourceVersion"]' <<<"$out")" '^[0-9]+$'
	expect_match "creationTimestamp RFC 3339" "$(json 'j["metadata"]["creationTimestamp"]' <<<"$out")" \
		'^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'

	out=$(k get svc "$svc" -n "$ns" -o yaml)
	expect_contains "get -o yaml: apiVersion" "$out" "apiVersion: v1"
	expect_contains "get -o yaml: kind" "$out" "kind: Service"
	expect_contains "get -o yaml: name" "$out" "  name: $svc"
	expect_contains "get -o yaml: clusterIP" "$out" "  clusterIP: $ip"
	expect_contains "get -o yaml: targetPort" "$out" "targetPort: 8080"

	out=$(k get svc -n "$ns" -o wide)
	expect_eq "get svc -o wide in a namespace" \
		"NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR|$svc ClusterIP $ip <none> 80/TCP AGE app=web" \
		"$(norm <<<"$out" | sed -E 's/ [0-9]+[smhd] / AGE /' | paste -sd '|')"
	out=$(k get svc -n "$ns")
	expect_eq "get svc (default columns)" \
		"NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE|$svc ClusterIP $ip <none> 80/TCP AGE" \
		"$(norm <<<"$out" | sed -E 's/ [0-9]+[smhd]$/ AGE/' | paste -sd '|')"

	# ---- create -f YAML: a ConfigMap (and a second one, for lists)
	f=$WORK/cm-$KV.yaml
	cat >"$f" <<-EOF
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: cfg
	  namespace: $ns
	  labels:
	    app: web
	data:
	  key1: value1
	  multi: |
	    line one
	    line two
	EOF
	expect_eq "create -f configmap.yaml" "configmap/cfg created" "$(k create -f "$f" 2>&1)"
	expect_eq "create configmap from literal" "configmap/cfg2 created" \
		"$(k create configmap cfg2 -n "$ns" --from-literal=a=b 2>&1)"
	expect_eq "configmap data round trip" '{"key1": "value1", "multi": "line one\nline two\n"}' \
		"$(k get cm cfg -n "$ns" -o json | json 'j["data"]')"
	out=$(k get cm -n "$ns")
	expect_eq "get cm header" "NAME DATA AGE" "$(head -n 1 <<<"$out" | norm)"
	expect_match "get cm row" "$(norm <<<"$out")" '^cfg 2 [0-9]+[smhd]$'
	expect_eq "get svc,cm -o name" "service/$svc configmap/cfg configmap/cfg2" \
		"$(k get svc,cm -n "$ns" -o name | paste -sd ' ')"
	expect_eq "list in chunks of 1 (limit/continue)" "configmap/cfg configmap/cfg2" \
		"$(k get cm -n "$ns" --chunk-size=1 -o name | paste -sd ' ')"

	# ---- label, annotate, selectors
	expect_eq "label" "service/$svc labeled" "$(k label svc "$svc" -n "$ns" tier=frontend 2>&1)"
	expect_eq "label selector" "service/$svc" "$(k get svc -n "$ns" -l tier=frontend -o name)"
	expect_eq "label selector, no match" "" "$(k get svc -n "$ns" -l tier=backend -o name)"
	expect_eq "set-based selector" "configmap/cfg" "$(k get cm -n "$ns" -l 'app in (web),!tier' -o name)"
	expect_eq "field selector" "configmap/cfg2" \
		"$(k get cm -n "$ns" --field-selector metadata.name=cfg2 -o name)"
	expect_eq "get --show-labels" "app=web,tier=frontend" \
		"$(k get svc "$svc" -n "$ns" --show-labels --no-headers | awk '{print $NF}')"
	expect_eq "annotate" "service/$svc annotated" "$(k annotate svc "$svc" -n "$ns" note=hello 2>&1)"
	expect_eq "annotation stored" "hello" \
		"$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.annotations.note}')"
	expect_eq "label removal" "service/$svc unlabeled" "$(k label svc "$svc" -n "$ns" tier- 2>&1)"
	expect_eq "label gone" '{"app": "web"}' "$(k get svc "$svc" -n "$ns" -o json | json 'j["metadata"]["labels"]')"
	expect_eq "clusterIP unchanged by label/annotate" "$ip" \
		"$(k get svc "$svc" -n "$ns" -o jsonpath='{.spec.clusterIP}')"

	# ---- all namespaces
	out=$(k get svc -A)
	expect_eq "get svc -A header" "NAMESPACE NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE" \
		"$(head -n 1 <<<"$out" | norm)"
	expect_match "get svc -A lists kubernetes" "$(norm <<<"$out")" '^default kubernetes ClusterIP 10\.43\.0\.1 '
	expect_match "get svc -A lists ours" "$(norm <<<"$out")" "^$ns $svc ClusterIP "

	# ---- delete, and NotFound
	expect_contains "delete svc" "$(k delete svc "$svc" -n "$ns" 2>&1)" "service \"$svc\" deleted"
	expect_fail "get deleted svc" "Error from server (NotFound): services \"$svc\" not found" \
		k get svc "$svc" -n "$ns"
	expect_fail "get svc nope" 'Error from server (NotFound): services "nope" not found' \
		k get svc nope -n "$ns"
	expect_fail "delete svc nope" 'Error from server (NotFound): services "nope" not found' \
		k delete svc nope -n "$ns"
	expect_contains "delete -f configmap.yaml" "$(k delete -f "$f" 2>&1)" 'configmap "cfg" deleted'
	expect_fail "unknown resource type" 'the server doesn'"'"'t have a resource type "widgets"' \
		k get widgets
	expect_fail "namespace that does not exist" 'namespaces "nope" not found' \
		k create configmap x -n nope --from-literal=a=b

	# ---- deleting a namespace: acknowledged, then gone or Terminating
	expect_contains "delete namespace" "$(k delete namespace "$ns" --wait=false 2>&1)" "namespace \"$ns\" deleted"
	out=$(k get ns "$ns" -o jsonpath='{.status.phase}' 2>&1 || true)
	CHECKS=$((CHECKS + 1))
	case $out in
	Terminating | *"namespaces \"$ns\" not found"*) _ok "deleted namespace is Terminating or gone" ;;
	*) _fail "deleted namespace is Terminating or gone" "got: $out" ;;
	esac
}

each_kubectl basics

# kubectl version talks to /version
expect_match "kubectl version shows the server" "$(k version 2>&1)" '^Server Version: v1\.[0-9]+\.[0-9]+'
