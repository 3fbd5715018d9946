#!/bin/bash
# kubectl's read paths over objects made for it: get with -o yaml|json|wide|name|custom-columns|
# jsonpath, --show-labels, -l, --field-selector spec.type=NodePort, -A, --sort-by; get all;
# describe service (its EndpointSlices by kubernetes.io/service-name, its events by the Service's
# uid); api-resources (short names) and explain service.spec.ports. Run once with each kubectl.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server --disable-agent # pods stay Pending: this test is about the columns
CLIENT_NODE=client

norm() { tr -s ' ' | sed 's/ $//'; }
noage() { norm | sed -E 's/ [0-9]+[smhd]( |$)/ AGE\1/g'; }

getting() {
	local ns=get-$KV out ipa ipb ipn uid np=30090
	[ "$KV" = 1-33 ] || np=30091

	expect_eq "create namespace" "namespace/$ns created" "$(k create namespace "$ns" 2>&1)"
	# Three Services, one create each (creation order beta, alpha, nodes matters for --sort-by below).
	expect_eq "create beta" "service/beta created" "$(k create -n "$ns" -f - 2>&1 <<<'{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "beta", "labels": {"tier": "back", "app": "shop"}}, "spec": {"selector": {"app": "beta"}, "ports": [{"name": "http", "port": 8080, "targetPort": "web"}]}}')"
	sleep 1 # distinct creationTimestamps
	expect_eq "create alpha" "service/alpha created" "$(k create -n "$ns" -f - 2>&1 <<<'{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "alpha", "labels": {"tier": "front", "app": "shop"}}, "spec": {"selector": {"app": "alpha"}, "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}}')"
	sleep 1
	expect_eq "create nodes" "service/nodes created" "$(k create -n "$ns" -f - 2>&1 <<<'{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nodes"}, "spec": {"type": "NodePort", "selector": {"app": "n"}, "ports": [{"port": 443, "nodePort": '"$np"'}]}}')"
	# A v1 List (what `kubectl get -o yaml` of several objects writes): kubectl validates a List's
	# items against /openapi/v2, which kube-apiserver serves.
	expect_eq "create -f of a v1 List" "configmap/l1 created|configmap/l2 created" \
		"$(k create -n "$ns" -f - 2>&1 <<<'{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"l1"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"l2"}}]}' | paste -sd '|')"
	ipa=$(k get svc alpha -n "$ns" -o jsonpath='{.spec.clusterIP}')
	ipb=$(k get svc beta -n "$ns" -o jsonpath='{.spec.clusterIP}')
	ipn=$(k get svc nodes -n "$ns" -o jsonpath='{.spec.clusterIP}')
	uid=$(k get svc alpha -n "$ns" -o jsonpath='{.metadata.uid}')

	# ---- the printers
	expect_eq "get svc (sorted by name, server order)" \
		"NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE|alpha ClusterIP $ipa <none> 80/TCP,53/UDP AGE|beta ClusterIP $ipb <none> 8080/TCP AGE|nodes NodePort $ipn <none> 443:$np/TCP AGE" \
		"$(k get svc -n "$ns" | noage | paste -sd '|')"
	expect_eq "get svc -o wide" \
		"NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR|alpha ClusterIP $ipa <none> 80/TCP,53/UDP AGE app=alpha" \
		"$(k get svc alpha -n "$ns" -o wide | noage | paste -sd '|')"
	expect_eq "get -o name" "service/alpha service/beta service/nodes" "$(k get svc -n "$ns" -o name | paste -sd ' ')"
	expect_eq "get -o custom-columns" "NAME PORT|alpha 80|beta 8080|nodes 443" \
		"$(k get svc -n "$ns" -o custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].port | norm | paste -sd '|')"
	expect_eq "get -o custom-columns with a missing field" "NAME NODEPORT|alpha <none>|nodes $np" \
		"$(k get svc alpha nodes -n "$ns" -o custom-columns='NAME:.metadata.name,NODEPORT:.spec.ports[0].nodePort' | norm | paste -sd '|')"
	expect_eq "get -o jsonpath over a list" "alpha=$ipa beta=$ipb nodes=$ipn " \
		"$(k get svc -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}={.spec.clusterIP} {end}')"
	expect_eq "get -o jsonpath with a filter" "53" \
		"$(k get svc alpha -n "$ns" -o jsonpath='{.spec.ports[?(@.name=="dns")].port}')"
	expect_eq "get -o jsonpath: the List kind" "List" "$(k get svc -n "$ns" -o jsonpath='{.kind}')"
	out=$(k get svc alpha -n "$ns" -o json)
	expect_eq "get -o json: the stored object" "Service v1 alpha $ns $uid" \
		"$(json '" ".join([j["kind"], j["apiVersion"], j["metadata"]["name"], j["metadata"]["namespace"], j["metadata"]["uid"]])' <<<"$out")"
	out=$(k get svc -n "$ns" -o json)
	expect_eq "get -o json (list): a List of three" "List 3" "$(json 'j["kind"] + " " + str(len(j["items"]))' <<<"$out")"
	out=$(k get svc alpha -n "$ns" -o yaml)
	expect_contains "get -o yaml: ports" "$out" "  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 80
  - name: dns
    port: 53
    protocol: UDP
    targetPort: 53"
	expect_contains "get -o yaml: labels" "$out" "  labels:
    app: shop
    tier: front"

	# ---- selection and sorting
	expect_eq "--show-labels" "alpha app=shop,tier=front|beta app=shop,tier=back|nodes <none>" \
		"$(k get svc -n "$ns" --show-labels --no-headers | awk '{print $1, $NF}' | paste -sd '|')"
	expect_eq "-l app=shop" "service/alpha service/beta" "$(k get svc -n "$ns" -l app=shop -o name | paste -sd ' ')"
	expect_eq "-l tier!=front" "service/beta service/nodes" "$(k get svc -n "$ns" -l 'tier!=front' -o name | paste -sd ' ')"
	expect_eq "-l 'tier in (front,middle)'" "service/alpha" "$(k get svc -n "$ns" -l 'tier in (front,middle)' -o name)"
	expect_eq "-l that matches nothing" "No resources found in $ns namespace." "$(k get svc -n "$ns" -l app=none 2>&1)"
	expect_eq "--field-selector spec.type=NodePort" "service/nodes" \
		"$(k get svc -n "$ns" --field-selector spec.type=NodePort -o name)"
	expect_eq "--field-selector spec.type!=NodePort" "service/alpha service/beta" \
		"$(k get svc -n "$ns" --field-selector spec.type!=NodePort -o name | paste -sd ' ')"
	expect_eq "--field-selector metadata.namespace across namespaces" "service/alpha service/beta service/nodes" \
		"$(k get svc -A --field-selector metadata.namespace="$ns" -o name | paste -sd ' ')"
	expect_eq "--field-selector spec.clusterIP" "service/beta" \
		"$(k get svc -n "$ns" --field-selector spec.clusterIP="$ipb" -o name)"
	expect_fail "--field-selector on an unsupported field: 400" \
		'Error from server (BadRequest): Unable to find "/v1, Resource=services" that match label selector "", field selector "spec.sessionAffinity=None": field label not supported: spec.sessionAffinity' \
		k get svc -n "$ns" --field-selector spec.sessionAffinity=None
	out=$(k get svc -A)
	expect_match "-A: header" "$out" '^NAMESPACE +NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$'
	expect_match "-A: default/kubernetes" "$out" '^default +kubernetes +ClusterIP +10\.43\.0\.1 +<none> +443/TCP +'
	expect_match "-A: ours" "$out" "^$ns +nodes +NodePort +$ipn +<none> +443:$np/TCP +"
	expect_eq "--sort-by=.metadata.name (reverse of creation order)" "alpha beta nodes" \
		"$(k get svc -n "$ns" --sort-by=.metadata.name --no-headers | awk '{print $1}' | paste -sd ' ')"
	expect_eq "--sort-by=.spec.ports[0].port" "alpha nodes beta" \
		"$(k get svc -n "$ns" --sort-by='.spec.ports[0].port' --no-headers | awk '{print $1}' | paste -sd ' ')"
	expect_eq "--sort-by=.metadata.creationTimestamp keeps creation order" "beta alpha nodes" \
		"$(k get svc -n "$ns" --sort-by=.metadata.creationTimestamp -o name | sed 's|service/||' | paste -sd ' ')"
	expect_eq "get two named objects" "service/beta service/alpha" "$(k get svc beta alpha -n "$ns" -o name | paste -sd ' ')"
	expect_eq "get svc/a,cm/b style" "service/alpha" "$(k get svc/alpha -n "$ns" -o name)"

	# ---- get all: the "all" category (services, pods, deployments here). kubectl expands the
	# category in discovery order, which upstream sorts by resource name (pods before services).
	expect_ok "create a deployment" k create deployment web -n "$ns" --image=registry.example/web:1 --replicas=2
	expect_ok "run a pod" k run solo -n "$ns" --image=registry.example/solo:1
	out=$(k get all -n "$ns" 2>&1)
	expect_match "get all: the pod" "$out" '^pod/solo +0/1 +Pending +0 +[0-9]+[smhd]$'
	expect_match "get all: a service" "$out" "^service/alpha +ClusterIP +$ipa +<none> +80/TCP,53/UDP +[0-9]+[smhd]\$"
	expect_match "get all: the deployment" "$out" '^deployment\.apps/web +0/2 +[0-2] +0 +[0-9]+[smhd]$'
	expect_not_contains "get all: no configmaps" "$out" "configmap/"
	# (the Deployment controller's pods web-HASH-XXXXX left out)
	expect_eq "get all -o name: in upstream's order" "pod/solo service/alpha service/beta service/nodes deployment.apps/web" \
		"$(k get all -n "$ns" -o name | grep -v '^pod/web-' | paste -sd ' ')"

	# ---- describe service: endpoints from a hand-made EndpointSlice, events by the Service's uid
	local now
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	expect_ok "create an EndpointSlice for alpha" k create -n "$ns" -f - <<-EOF
	{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
	 "metadata": {"name": "alpha-abc12", "labels": {"kubernetes.io/service-name": "alpha",
	              "endpointslice.kubernetes.io/managed-by": "e2e.example"}},
	 "addressType": "IPv4",
	 "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}],
	 "endpoints": [{"addresses": ["192.0.2.101"], "conditions": {"ready": true}},
	               {"addresses": ["192.0.2.102"], "conditions": {"ready": true}}]}
	EOF
	expect_ok "create an EndpointSlice for another service" k create -n "$ns" -f - <<-EOF
	{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
	 "metadata": {"name": "beta-xyz98", "labels": {"kubernetes.io/service-name": "beta", "endpointslice.kubernetes.io/managed-by": "e2e.example"}},
	 "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
	 "endpoints": [{"addresses": ["192.0.2.199"]}]}
	EOF
	expect_ok "create an Event about alpha (involvedObject with its uid)" k create -n "$ns" -f - <<-EOF
	{"apiVersion": "v1", "kind": "Event",
	 "metadata": {"name": "alpha.17a0000000000001"},
	 "involvedObject": {"apiVersion": "v1", "kind": "Service", "name": "alpha", "namespace": "$ns", "uid": "$uid"},
	 "reason": "EnsuringLoadBalancer", "message": "Ensuring load balancer", "type": "Normal",
	 "source": {"component": "service-controller"}, "count": 2,
	 "firstTimestamp": "$now", "lastTimestamp": "$now"}
	EOF
	expect_ok "create an Event about a former alpha (another uid)" k create -n "$ns" -f - <<-EOF
	{"apiVersion": "v1", "kind": "Event",
	 "metadata": {"name": "alpha.17a0000000000002"},
	 "involvedObject": {"apiVersion": "v1", "kind": "Service", "name": "alpha", "namespace": "$ns", "uid": "00000000-0000-0000-0000-000000000000"},
	 "reason": "Stale", "message": "about an older object of the same name", "type": "Warning",
	 "source": {"component": "service-controller"}, "count": 1,
	 "firstTimestamp": "$now", "lastTimestamp": "$now"}
	EOF
	out=$(k describe svc alpha -n "$ns" 2>&1)
	expect_eq "describe service: the fields" \
		"Name: alpha|Namespace: $ns|Labels: app=shop|tier=front|Annotations: <none>|Selector: app=alpha|Type: ClusterIP|IP Family Policy: SingleStack|IP Families: IPv4|IP: $ipa|IPs: $ipa|Port: http 80/TCP|TargetPort: 80/TCP|Endpoints: 192.0.2.101:80,192.0.2.102:80|Port: dns 53/UDP|TargetPort: 53/UDP|Endpoints: 192.0.2.101:53,192.0.2.102:53|Session Affinity: None|Internal Traffic Policy: Cluster" \
		"$(sed -n '/^Events:/q;p' <<<"$out" | norm | sed 's/^ //' | paste -sd '|')"
	expect_match "describe service: its event" "$out" '^ +Normal +EnsuringLoadBalancer +[0-9]+[smhd] \(x2 over [0-9]+[smhd]\) +service-controller +Ensuring load balancer$'
	expect_not_contains "describe service: not the event about another uid" "$out" "older object"
	expect_eq "the events describe asked for (field selector with the uid)" "event/alpha.17a0000000000001" \
		"$(k get events -n "$ns" --field-selector "involvedObject.name=alpha,involvedObject.namespace=$ns,involvedObject.kind=Service,involvedObject.uid=$uid" -o name)"
	out=$(k describe svc nodes -n "$ns" 2>&1)
	expect_match "describe NodePort service: NodePort line" "$out" "^NodePort: +<unset> +$np/TCP\$"
	expect_match "describe: no endpoints" "$out" '^Endpoints: +$'
	expect_match "describe: no events" "$out" '^Events: +<none>$'
	expect_eq "describe svc -l: both shop services" "2" "$(k describe svc -n "$ns" -l app=shop | grep -c '^Name:')"
	expect_fail "describe a missing service" "Error from server (NotFound): services \"nope\" not found" \
		k describe svc nope -n "$ns"
	# The EndpointSlice controller keeps its own (empty: no pods) slices beside ours.
	expect_eq "EndpointSlices by label kubernetes.io/service-name" "endpointslice.discovery.k8s.io/alpha-abc12" \
		"$(k get endpointslices -n "$ns" -l kubernetes.io/service-name=alpha,endpointslice.kubernetes.io/managed-by=e2e.example -o name)"
	out=$(k get endpointslices -n "$ns" -l endpointslice.kubernetes.io/managed-by=e2e.example)
	expect_eq "get endpointslices" "NAME ADDRESSTYPE PORTS ENDPOINTS AGE|alpha-abc12 IPv4 80,53 192.0.2.101,192.0.2.102 AGE|beta-xyz98 IPv4 8080 192.0.2.199 AGE" \
		"$(noage <<<"$out" | paste -sd '|')"
}

each_kubectl getting

# ---- discovery-driven verbs: once is enough (no per-version names)
discovery() {
	local out
	out=$(k api-resources 2>&1)
	expect_match "api-resources header" "$out" '^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$'
	local r
	for r in "services svc v1 true Service" "endpoints ep v1 true Endpoints" "pods po v1 true Pod" \
		"namespaces ns v1 false Namespace" "nodes no v1 false Node" "events ev v1 true Event" \
		"configmaps cm v1 true ConfigMap" "deployments deploy apps/v1 true Deployment" \
		"endpointslices discovery.k8s.io/v1 true EndpointSlice" "leases coordination.k8s.io/v1 true Lease"; do
		expect_contains "api-resources: $r" "$(norm <<<"$out")" "$r"
	done
	expect_eq "api-resources --namespaced=false -o name" "namespaces nodes" \
		"$(k api-resources --namespaced=false -o name 2>&1 | paste -sd ' ')"
	expect_eq "api-resources --api-group=apps" "deployments deploy apps/v1 true Deployment" \
		"$(k api-resources --api-group=apps --no-headers 2>&1 | norm)"
	expect_eq "api-resources --categories=all -o name" "pods services deployments.apps" \
		"$(k api-resources --categories=all -o name 2>&1 | paste -sd ' ')"
	out=$(k api-resources -o wide 2>&1)
	expect_match "api-resources -o wide: verbs and categories of services" "$(norm <<<"$out")" \
		'^services svc v1 true Service create,delete,deletecollection,get,list,patch,update,watch all$'
	expect_eq "api-versions" "apps/v1 coordination.k8s.io/v1 discovery.k8s.io/v1 v1" \
		"$(k api-versions 2>&1 | grep -E '^(apps|coordination|discovery|v1)' | paste -sd ' ')"
	expect_eq "get by short names" "service/kubernetes" "$(k get svc -n default -o name)"

	out=$(k explain service.spec.ports 2>&1)
	expect_match "explain: KIND" "$out" '^KIND: +Service$'
	expect_match "explain: VERSION" "$out" '^VERSION: +v1$'
	expect_match "explain: FIELD" "$out" '^FIELD: +ports <\[\]ServicePort>$'
	expect_contains "explain: the port field" "$out" "  port	<integer> -required-"
	expect_contains "explain: targetPort" "$out" "  targetPort	<IntOrString>"
	expect_contains "explain: protocol enum" "$out" '  protocol	<string>
  enum: SCTP, TCP, UDP'
	out=$(k explain svc.spec.type 2>&1)
	expect_match "explain svc.spec.type: FIELD" "$out" '^FIELD: +type <string>$'
	out=$(k explain deployments.spec.replicas 2>&1)
	expect_match "explain deployments (apps): GROUP" "$out" '^GROUP: +apps$'
	expect_match "explain deployments.spec.replicas" "$out" '^FIELD: +replicas <integer>$'
	expect_fail "explain of a missing field" 'field "nope" does not exist' k explain service.spec.nope
	out=$(k explain service --recursive 2>&1)
	expect_contains "explain --recursive lists nested fields" "$out" "      nodePort	<integer>"
}
each_kubectl discovery
