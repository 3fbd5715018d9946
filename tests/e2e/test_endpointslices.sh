#!/bin/bash
# EndpointSlices and Endpoints from Services and Pods (the controller manager inside portico server).
# The test plays the node: it creates Pods with kubectl and sets their IPs and Ready conditions through
# the pods/status subresource. Checks: a Service over 5 ready Pods gets one managed slice with 5
# endpoints and a matching v1 Endpoints (kubectl get ep, describe svc); a readiness flip updates the
# same slice in place; a deleted Pod leaves; a named targetPort resolves per Pod; a Service without a
# selector and its hand-made slice are left alone; a headless Service names endpoints by hostname;
# the kubernetes Service lists this server on 6443;
# deleting a Service deletes its slices and Endpoints (done by the controller: no garbage collector yet).
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
server_start server

T=30 # seconds to wait for the controller

# pod NAME APP PORTNAME PORT: a Pod on node-a with one container port (PORTNAME "" for an unnamed one)
pod() {
	local ports
	if [ -n "$3" ]; then ports='{"name":"'$3'","containerPort":'$4'}'; else ports='{"containerPort":'$4'}'; fi
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"'$1'","labels":{"app":"'$2'"}},"spec":{"nodeName":"node-a","containers":[{"name":"c","image":"busybox","ports":['"$ports"']}]}}'
}

# pod_status NAME IP READY(True|False): what a kubelet would report
pod_status() {
	k patch pod "$1" --subresource=status --type=merge \
		-p '{"status":{"phase":"Running","podIP":"'$2'","podIPs":[{"ip":"'$2'"}],"conditions":[{"type":"Ready","status":"'$3'"}]}}' >/dev/null
}

slices_json() { k get endpointslices -l "kubernetes.io/service-name=$1" -o json; }

# slices_eval SERVICE EXPR: EXPR over the list of the Service's slices (`j`)
slices_eval() { slices_json "$1" | json "$2"; }

wait_eval() { # wait_eval SECONDS SERVICE EXPR EXPECTED
	local end=$((SECONDS + $1))
	while :; do
		[ "$(slices_eval "$2" "$3" 2>/dev/null)" = "$4" ] && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.3
	done
}

ENDPOINTS='sorted(a for s in j["items"] for e in (s.get("endpoints") or []) for a in e["addresses"])'
READY='sorted(e["targetRef"]["name"] + "=" + str(e["conditions"]["ready"]).lower() for s in j["items"] for e in (s.get("endpoints") or []))'

# ---- a Service over 5 ready Pods ----------------------------------------------------------------
expect_ok "create service web" k create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"team":"blue"}},"spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080}]}}'
for i in 1 2 3 4 5; do
	pod "web-$i" web http 8080
	pod_status "web-$i" "10.42.0.1$i" True
done
pod other-1 other http 8080
pod_status other-1 10.42.0.99 True
wait_eval $T web "$ENDPOINTS" '["10.42.0.11", "10.42.0.12", "10.42.0.13", "10.42.0.14", "10.42.0.15"]' || true
out=$(slices_json web)
expect_eq "web: one slice" 1 "$(json 'len(j["items"])' <<<"$out")"
expect_eq "web: its 5 pod IPs" '["10.42.0.11", "10.42.0.12", "10.42.0.13", "10.42.0.14", "10.42.0.15"]' "$(json "$ENDPOINTS" <<<"$out")"
expect_eq "web: all ready" '["web-1=true", "web-2=true", "web-3=true", "web-4=true", "web-5=true"]' "$(json "$READY" <<<"$out")"
expect_eq "web: port resolved" '[{"name": "http", "port": 8080, "protocol": "TCP"}]' "$(json 'j["items"][0]["ports"]' <<<"$out")"
expect_eq "web: managed-by label" endpointslice-controller.k8s.io "$(json 'j["items"][0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]' <<<"$out")"
expect_eq "web: service labels copied" blue "$(json 'j["items"][0]["metadata"]["labels"]["team"]' <<<"$out")"
expect_eq "web: owned by the Service" "Service/web/True" "$(json '"/".join(str(r[f]) for r in j["items"][0]["metadata"]["ownerReferences"] for f in ("kind", "name", "controller"))' <<<"$out")"
expect_match "web: named after the service" "$(json 'j["items"][0]["metadata"]["name"]' <<<"$out")" '^web-[a-z0-9]{5}$'
expect_eq "web: addressType" IPv4 "$(json 'j["items"][0]["addressType"]' <<<"$out")"
expect_eq "web: nodeName and targetRef" "node-a Pod" "$(json 'j["items"][0]["endpoints"][0]["nodeName"] + " " + j["items"][0]["endpoints"][0]["targetRef"]["kind"]' <<<"$out")"
expect_eq "web: trigger time annotation" true "$(json '"endpoints.kubernetes.io/last-change-trigger-time" in j["items"][0]["metadata"].get("annotations", {})' <<<"$out")"
SLICE=$(json 'j["items"][0]["metadata"]["name"]' <<<"$out")
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get ep web -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null | wc -w)\" = 5 ]" || true
expect_match "kubectl get ep web" "$(k get ep web --no-headers)" '^web +10\.42\.0\.11:8080,10\.42\.0\.12:8080,10\.42\.0\.13:8080 \+ 2 more\.\.\. '

expect_match "kubectl describe svc web shows endpoints" "$(k describe svc web)" '^Endpoints: +10\.42\.0\.11:8080,10\.42\.0\.12:8080,10\.42\.0\.13:8080 \+ 2 more'

# ---- readiness flip: the same slice, updated in place ------------------------------------------
pod_status web-3 10.42.0.13 False
wait_eval $T web "$READY" '["web-1=true", "web-2=true", "web-3=false", "web-4=true", "web-5=true"]' || true
out=$(slices_json web)
expect_eq "flip: web-3 not ready" '["web-1=true", "web-2=true", "web-3=false", "web-4=true", "web-5=true"]' "$(json "$READY" <<<"$out")"
expect_eq "flip: serving follows Ready" false "$(json '[e for e in j["items"][0]["endpoints"] if e["targetRef"]["name"] == "web-3"][0]["conditions"]["serving"]' <<<"$out")"
expect_eq "flip: same slice" "$SLICE" "$(json 'j["items"][0]["metadata"]["name"]' <<<"$out")"
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get ep web -o jsonpath='{.subsets[*].notReadyAddresses[*].ip}' | grep -q 10.42.0.13" || true
expect_eq "flip: Endpoints notReadyAddresses" 10.42.0.13 "$(k get ep web -o jsonpath='{.subsets[*].notReadyAddresses[*].ip}')"
expect_eq "flip: Endpoints addresses" "10.42.0.11 10.42.0.12 10.42.0.14 10.42.0.15" "$(k get ep web -o jsonpath='{.subsets[*].addresses[*].ip}')"

# ---- a terminating Pod: serving but not ready; once gone, it leaves ----------------------------------
COND='[str(e["conditions"]["ready"]) + "/" + str(e["conditions"]["serving"]) + "/" + str(e["conditions"]["terminating"]) for s in j["items"] for e in s["endpoints"] if e["targetRef"]["name"] == "web-5"]'
expect_ok "delete pod web-5 (graceful: no kubelet confirms it)" k delete pod web-5 --wait=false
wait_eval $T web "$COND" '["False/True/True"]' || true
expect_eq "web-5 terminating: ready=false serving=true terminating=true" '["False/True/True"]' "$(slices_eval web "$COND")"
expect_ok "force delete pod web-5" k delete pod web-5 --grace-period=0 --force
wait_eval $T web "$ENDPOINTS" '["10.42.0.11", "10.42.0.12", "10.42.0.13", "10.42.0.14"]' || true
expect_eq "web-5 gone from the slice" '["10.42.0.11", "10.42.0.12", "10.42.0.13", "10.42.0.14"]' "$(slices_eval web "$ENDPOINTS")"

# ---- a named targetPort resolves per Pod ---------------------------------------------------------
expect_ok "create service named" k create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"named"},"spec":{"selector":{"app":"named"},"ports":[{"name":"web","port":80,"targetPort":"http"}]}}'
pod n1 named http 8080
pod n2 named http 9090
pod n3 named "" 7070
pod_status n1 10.42.1.1 True
pod_status n2 10.42.1.2 True
pod_status n3 10.42.1.3 True
PORTMAP='sorted(str((s.get("ports") or [{}])[0].get("port")) + ":" + ",".join(sorted(e["targetRef"]["name"] for e in (s.get("endpoints") or []))) for s in j["items"])'
wait_eval $T named "$PORTMAP" '["8080:n1", "9090:n2", "None:n3"]' || true
expect_eq "named: one slice per resolved port; n3 lacks the port (no ports)" '["8080:n1", "9090:n2", "None:n3"]' "$(slices_eval named "$PORTMAP")"
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get ep named -o jsonpath='{.subsets[*].ports[*].port}' | grep -q 9090" || true
expect_eq "named: Endpoints leave n3 out" "10.42.1.1:8080 10.42.1.2:9090" \
	"$(k get ep named -o json | json '" ".join(sorted(a["ip"] + ":" + str(s["ports"][0]["port"]) for s in j["subsets"] for a in s["addresses"]))')"

# ---- a headless Service with hostnames: spec.hostname + spec.subdomain name each endpoint --------------
expect_ok "create headless service db" k create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"db"},"spec":{"clusterIP":"None","selector":{"app":"db"},"ports":[{"name":"pg","port":5432}]}}'
for i in 0 1; do
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db-'$i'","labels":{"app":"db"}},"spec":{"nodeName":"node-a","hostname":"db-'$i'","subdomain":"db","containers":[{"name":"c","image":"busybox","ports":[{"name":"pg","containerPort":5432}]}]}}'
	pod_status "db-$i" "10.42.0.6$i" True
done
# a pod whose subdomain names another service keeps no hostname (upstream: hostname only when
# spec.subdomain equals the Service's name)
k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db-x","labels":{"app":"db"}},"spec":{"nodeName":"node-a","hostname":"dbx","subdomain":"other","containers":[{"name":"c","image":"busybox","ports":[{"name":"pg","containerPort":5432}]}]}}'
pod_status db-x 10.42.0.69 True
HOSTS='sorted(e["targetRef"]["name"] + "=" + e.get("hostname", "-") for s in j["items"] for e in (s.get("endpoints") or []))'
wait_eval $T db "$HOSTS" '["db-0=db-0", "db-1=db-1", "db-x=-"]' || true
out=$(slices_json db)
expect_eq "headless: hostnames from spec.hostname with the matching subdomain" '["db-0=db-0", "db-1=db-1", "db-x=-"]' "$(json "$HOSTS" <<<"$out")"
expect_eq "headless: the slice carries the headless label" "" "$(json 'j["items"][0]["metadata"]["labels"].get("service.kubernetes.io/headless", "missing")' <<<"$out")"
expect_eq "headless: port resolved" '[{"name": "pg", "port": 5432, "protocol": "TCP"}]' "$(json 'j["items"][0]["ports"]' <<<"$out")"

# ---- a Service without a selector: its slices are the user's --------------------------------------
expect_ok "create service manual" k create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"manual"},"spec":{"ports":[{"port":80}]}}'
expect_ok "create its slice by hand" k create -f - <<<'{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"manual-1","labels":{"kubernetes.io/service-name":"manual"}},"addressType":"IPv4","endpoints":[{"addresses":["10.9.9.9"]}],"ports":[{"name":"","port":80,"protocol":"TCP"}]}'
RV=$(k get endpointslice manual-1 -o jsonpath='{.metadata.resourceVersion}')
sleep 3
expect_eq "manual: the hand-made slice untouched" "$RV ['10.9.9.9']" "$(k get endpointslice manual-1 -o jsonpath='{.metadata.resourceVersion} {.endpoints[*].addresses}' | tr '"' "'")"
expect_eq "manual: no other slice" manual-1 "$(slices_eval manual '" ".join(s["metadata"]["name"] for s in j["items"])')"
expect_fail "manual: no Endpoints made for it" NotFound k get ep manual

# ---- the kubernetes Service: this server on 6443 ----------------------------------------------------
retry_until $T bash -c "KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get endpointslice kubernetes" || true
expect_eq "kubernetes slice lists this server" '192.0.2.10 6443' \
	"$(k get endpointslice kubernetes -o jsonpath='{.endpoints[*].addresses[*]} {.ports[*].port}')"
expect_eq "kubernetes Endpoints" "192.0.2.10:6443" "$(k get ep kubernetes --no-headers | awk '{print $2}')"
expect_match "controller manager holds the leader lease" \
	"$(k get lease -n kube-system kube-controller-manager -o jsonpath='{.spec.holderIdentity}')" '_192\.0\.2\.10_'

# ---- deleting a Service deletes its slices and Endpoints ----------------------------------------------
expect_ok "delete service web" k delete svc web
retry_until $T bash -c "[ \"\$(KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get endpointslices -l kubernetes.io/service-name=web -o name | wc -l)\" = 0 ]" || true
expect_eq "web: slices gone" "" "$(k get endpointslices -l kubernetes.io/service-name=web -o name)"
retry_until $T bash -c "! KUBECONFIG=$KUBECONFIG nsenter --net=/run/netns/server $KUBECTL get ep web" || true
expect_fail "web: Endpoints gone" NotFound k get ep web
expect_eq "named: slices stay" 3 "$(slices_eval named 'len(j["items"])')"
