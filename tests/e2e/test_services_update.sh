#!/bin/bash
# Service updates as kube-apiserver does them: re-applying or replacing the same YAML keeps the
# allocated ClusterIP and NodePorts, a changed clusterIP is refused as immutable, type changes with
# kubectl patch (merge and strategic) allocate and release ClusterIPs and NodePorts and the released
# values can be requested again, status.loadBalancer changes only through the status subresource,
# and a delete releases everything and deletes the Endpoints object of the same name.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

norm() { tr -s ' ' | sed 's/ $//'; }
# kout ARGS...: kubectl ARGS, combined output, whether it fails or not.
kout() { k "$@" 2>&1 || true; }
mk() { kout create -f - <<<"$1"; }
# alloc NAME: "clusterIP nodePort..." of a Service
alloc() { k get svc "$1" -o jsonpath='{.spec.clusterIP}{range .spec.ports[*]} {.nodePort}{end}'; }
# spec_keys NAME: the sorted keys of .spec
spec_keys() { k get svc "$1" -o json | json '" ".join(sorted(j["spec"]))'; }
in_range_np() { [ "$1" -ge 30000 ] && [ "$1" -le 32767 ]; } 2>/dev/null
in_range_ip() { [[ $1 =~ ^10\.43\.[0-9]+\.[0-9]+$ ]] && [ "$1" != 10.43.0.1 ]; }
expect_true() { # expect_true DESC CMD...
	local d=$1
	shift
	CHECKS=$((CHECKS + 1))
	if "$@"; then _ok "$d"; else _fail "$d" "false: $*"; fi
}

# ---- re-applying the same YAML keeps what was allocated
reapply() {
	local n=web-$KV f=$WORK/web-$KV.yaml before out
	cat >"$f" <<-EOF
	apiVersion: v1
	kind: Service
	metadata:
	  name: $n
	spec:
	  type: NodePort
	  selector: {app: web}
	  ports:
	  - {name: http, port: 80, targetPort: 8080}
	  - {name: https, port: 443}
	EOF
	expect_eq "apply creates" "service/$n created" "$(kout apply -f "$f")"
	before=$(alloc "$n")
	expect_match "ClusterIP and two NodePorts allocated" "$before" '^10\.43\.[0-9]+\.[0-9]+ 3[0-2][0-9]{3} 3[0-2][0-9]{3}$'
	expect_eq "apply again: unchanged" "service/$n unchanged" "$(kout apply -f "$f")"
	expect_eq "apply again keeps the allocations" "$before" "$(alloc "$n")"
	sed -i 's/targetPort: 8080/targetPort: 8081/' "$f"
	expect_eq "apply a changed YAML" "service/$n configured" "$(kout apply -f "$f")"
	expect_eq "apply of a change keeps the allocations" "$before 8081" \
		"$(alloc "$n") $(k get svc "$n" -o jsonpath='{.spec.ports[0].targetPort}')"
	expect_eq "replace the same YAML" "service/$n replaced" "$(kout replace -f "$f")"
	expect_eq "replace keeps the ClusterIP and NodePorts" "$before" "$(alloc "$n")"

	# clusterIP is immutable: patch (merge, strategic) and a replace with another address
	local ip=${before%% *} other=10.43.0.$((${KV//-/} % 100 + 150))
	expect_eq "merge patch of clusterIP refused" \
		"The Service \"$n\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"$other\"}: may not change once set" \
		"$(kout patch svc "$n" --type=merge -p '{"spec":{"clusterIP":"'"$other"'"}}')"
	expect_eq "strategic patch of clusterIP and clusterIPs refused" \
		"The Service \"$n\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"$other\"}: may not change once set" \
		"$(kout patch svc "$n" -p '{"spec":{"clusterIP":"'"$other"'","clusterIPs":["'"$other"'"]}}')"
	sed "s/^  type: NodePort/  type: NodePort\n  clusterIP: $other/" "$f" >"$f.ip"
	expect_eq "replace with another clusterIP refused" \
		"The Service \"$n\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"$other\"}: may not change once set" \
		"$(kout replace -f "$f.ip")"
	expect_eq "refused updates changed nothing" "$before" "$(alloc "$n")"
	sed "s/^  type: NodePort/  type: NodePort\n  clusterIP: $ip/" "$f" >"$f.same"
	expect_eq "replace naming the same clusterIP" "service/$n replaced" "$(kout replace -f "$f.same")"
	expect_eq "the address another update refused is still free" "service/free-$KV created" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"free-'"$KV"'"},"spec":{"clusterIP":"'"$other"'","ports":[{"port":1}]}}')"
}
each_kubectl reapply

# ---- type changes
types() {
	local n=t-$KV ip ip2 np np2 out
	expect_eq "create ClusterIP" "service/$n created" "$(kout create service clusterip "$n" --tcp=80)"
	ip=$(k get svc "$n" -o jsonpath='{.spec.clusterIP}')

	expect_eq "ClusterIP -> NodePort (merge)" "service/$n patched" "$(kout patch svc "$n" --type=merge -p '{"spec":{"type":"NodePort"}}')"
	np=$(k get svc "$n" -o jsonpath='{.spec.ports[0].nodePort}')
	expect_true "a nodePort appears, inside 30000-32767 ($np)" in_range_np "$np"
	expect_eq "NodePort keeps the ClusterIP, gains externalTrafficPolicy" "NodePort $ip Cluster" \
		"$(k get svc "$n" -o jsonpath='{.spec.type} {.spec.clusterIP} {.spec.externalTrafficPolicy}')"

	expect_eq "NodePort -> ClusterIP (strategic)" "service/$n patched" "$(kout patch svc "$n" -p '{"spec":{"type":"ClusterIP"}}')"
	expect_eq "node ports and externalTrafficPolicy dropped" \
		"clusterIP clusterIPs internalTrafficPolicy ipFamilies ipFamilyPolicy ports selector sessionAffinity type|[{\"name\":\"80\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":80}]|$ip" \
		"$(spec_keys "$n")|$(k get svc "$n" -o jsonpath='{.spec.ports}')|$(k get svc "$n" -o jsonpath='{.spec.clusterIP}')"
	# the released nodePort can be requested again at once
	expect_eq "released nodePort requested by another Service" "service/np-$KV created" \
		"$(kout create service nodeport "np-$KV" --tcp=81 --node-port="$np")"

	expect_eq "ClusterIP -> LoadBalancer (strategic)" "service/$n patched" "$(kout patch svc "$n" -p '{"spec":{"type":"LoadBalancer"}}')"
	np2=$(k get svc "$n" -o jsonpath='{.spec.ports[0].nodePort}')
	expect_true "LoadBalancer got a new nodePort ($np2, $np is taken)" test "$np2" != "$np" -a "$np2" -ge 30000 -a "$np2" -le 32767
	expect_eq "LoadBalancer defaults" "true Cluster $ip" \
		"$(k get svc "$n" -o jsonpath='{.spec.allocateLoadBalancerNodePorts} {.spec.externalTrafficPolicy} {.spec.clusterIP}')"
	expect_match "LoadBalancer row: EXTERNAL-IP pending" "$(k get svc "$n" --no-headers | norm)" \
		"^$n LoadBalancer $ip <pending> 80:$np2/TCP [0-9]+[smhd]\$"

	out=$(kout patch svc "$n" --type=merge -p '{"spec":{"type":"ExternalName","externalName":"ext.example.com"}}')
	expect_eq "LoadBalancer -> ExternalName (merge)" "service/$n patched" "$out"
	expect_eq "ClusterIP, IP families, node ports and LB fields dropped" \
		"externalName internalTrafficPolicy ports selector sessionAffinity type|[{\"name\":\"80\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":80}]" \
		"$(spec_keys "$n")|$(k get svc "$n" -o jsonpath='{.spec.ports}')"
	expect_match "ExternalName row" "$(k get svc "$n" --no-headers | norm)" \
		"^$n ExternalName <none> ext.example.com 80/TCP [0-9]+[smhd]\$"
	expect_eq "released ClusterIP requested by another Service" "service/ip-$KV created" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"ip-'"$KV"'"},"spec":{"type":"NodePort","clusterIP":"'"$ip"'","ports":[{"port":80,"nodePort":'"$np2"'}]}}')"
	expect_eq "...with the released LoadBalancer nodePort" "$ip $np2" "$(alloc "ip-$KV")"

	out=$(kout patch svc "$n" --type=merge -p '{"spec":{"type":"ClusterIP","externalName":null}}')
	expect_eq "ExternalName -> ClusterIP (merge)" "service/$n patched" "$out"
	ip2=$(k get svc "$n" -o jsonpath='{.spec.clusterIP}')
	expect_true "a new ClusterIP is allocated ($ip2)" in_range_ip "$ip2"
	expect_true "...not the one now held by another Service" test "$ip2" != "$ip"
	expect_eq "back to ClusterIP: defaults again" \
		"clusterIP clusterIPs internalTrafficPolicy ipFamilies ipFamilyPolicy ports selector sessionAffinity type|[\"$ip2\"] [\"IPv4\"] SingleStack" \
		"$(spec_keys "$n")|$(k get svc "$n" -o jsonpath='{.spec.clusterIPs} {.spec.ipFamilies} {.spec.ipFamilyPolicy}')"

	# a type change that also requests a nodePort already in use is refused and changes nothing
	expect_eq "-> NodePort with a nodePort in use" \
		"The Service \"$n\" is invalid: spec.ports[0].nodePort: Invalid value: $np2: provided port is already allocated" \
		"$(kout patch svc "$n" --type=merge -p '{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":'"$np2"'}]}}')"
	expect_eq "the refused patch changed nothing" "ClusterIP $ip2" \
		"$(k get svc "$n" -o jsonpath='{.spec.type} {.spec.clusterIP}{.spec.ports[0].nodePort}')"
}
each_kubectl types

# ---- status.loadBalancer: only through the status subresource
# (its loadBalancerClass is one nothing here implements: the status is written by hand below, which
# Portico's own load-balancer controller would otherwise overwrite, as any cloud controller would)
expect_eq "create LoadBalancer lb" "service/lb created" "$(kout create -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"lb","labels":{"app":"lb"}},"spec":{"type":"LoadBalancer","loadBalancerClass":"example.com/by-hand","ports":[{"name":"80","port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"lb"}}}')"
lb_alloc=$(alloc lb)
expect_eq "merge patch of status on the main resource is ignored" "service/lb patched (no change)" \
	"$(kout patch svc lb --type=merge -p '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.9"}]}}}')"
expect_eq "status still empty" '{"loadBalancer":{}}' "$(k get svc lb -o jsonpath='{.status}')"
k get svc lb -o json | "$PY" -c '
import json, sys
j = json.load(sys.stdin)
j["status"] = {"loadBalancer": {"ingress": [{"ip": "198.51.100.8"}]}}
j["metadata"]["labels"]["put"] = "yes"
json.dump(j, sys.stdout)' >"$WORK/lb-put.json"
expect_eq "replace (PUT) with a status" "service/lb replaced" "$(kout replace -f "$WORK/lb-put.json")"
expect_eq "PUT: the label changed, the status did not" '{"loadBalancer":{}} yes' \
	"$(k get svc lb -o jsonpath='{.status} {.metadata.labels.put}')"
expect_eq "status subresource patch" "service/lb patched" \
	"$(kout patch svc lb --subresource=status --type=merge -p '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.7"}]}}}')"
expect_eq "status set" '{"loadBalancer":{"ingress":[{"ip":"198.51.100.7"}]}}' "$(k get svc lb -o jsonpath='{.status}')"
expect_match "EXTERNAL-IP shows the ingress IP" "$(k get svc lb --no-headers | norm)" \
	"^lb LoadBalancer ${lb_alloc%% *} 198\.51\.100\.7 80:${lb_alloc##* }/TCP [0-9]+[smhd]\$"
expect_eq "status patch may not change the spec" "service/lb patched" \
	"$(kout patch svc lb --subresource=status --type=merge -p '{"spec":{"type":"ClusterIP"},"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.7"},{"hostname":"lb.example.com"}]}}}')"
expect_eq "spec unchanged, status updated" "LoadBalancer $lb_alloc|198.51.100.7,lb.example.com" \
	"$(k get svc lb -o jsonpath='{.spec.type} ')$(alloc lb)|$(k get svc lb --no-headers | norm | cut -d' ' -f4)"
expect_eq "a spec update keeps the status" "service/lb labeled|198.51.100.7" \
	"$(kout label svc lb more=1)|$(k get svc lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}')"

# ---- delete releases everything and takes the Endpoints object along. A selectorless Service, so
# the endpoints controller leaves its Endpoints to us.
expect_eq "create selectorless NodePort Service plain" "service/plain created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"plain"},"spec":{"type":"NodePort","ports":[{"port":80}]}}')"
plain=$(alloc plain)
expect_eq "create Endpoints plain by hand" "endpoints/plain created" "$(mk '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"plain"},
  "subsets":[{"addresses":[{"ip":"192.0.2.50"}],"ports":[{"port":80}]}]}')"
expect_eq "create unrelated Endpoints" "endpoints/other created" "$(mk '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"other"}}')"
expect_match "Endpoints row" "$(k get endpoints plain --no-headers | norm)" '^plain 192\.0\.2\.50:80 [0-9]+[smhd]$'
expect_eq "delete the Service" 'service "plain" deleted' "$(kout delete svc plain)"
# the Endpoints delete is queued when the Service delete commits: allow it a moment
retry_until 5 eval '! k get endpoints plain' || true
expect_eq "its Endpoints object went with it" 'Error from server (NotFound): endpoints "plain" not found' \
	"$(kout get endpoints plain)"
expect_eq "other Endpoints kept" "endpoints/other" "$(k get endpoints other -o name)"
expect_eq "re-create requesting the released ClusterIP and nodePort" "service/plain2 created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"plain2"},"spec":{"type":"NodePort","clusterIP":"'"${plain%% *}"'","ports":[{"port":80,"nodePort":'"${plain##* }"'}]}}')"
expect_eq "...and got them" "$plain" "$(alloc plain2)"
expect_eq "delete lb" 'service "lb" deleted' "$(kout delete svc lb)"
expect_eq "re-create requesting lb's ClusterIP and nodePort" "service/lb2 created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"lb2"},"spec":{"type":"LoadBalancer","clusterIP":"'"${lb_alloc%% *}"'","ports":[{"port":80,"nodePort":'"${lb_alloc##* }"'}]}}')"
expect_eq "...and got them" "$lb_alloc" "$(alloc lb2)"

# ---- dry runs hold nothing and release nothing
expect_eq "a dry-run create does not hold values" "service/dry created (server dry run)" \
	"$(kout create service nodeport dry --tcp=80 --node-port=30070 --dry-run=server)"
expect_eq "...so the same nodePort is free" "service/dry created" "$(kout create service nodeport dry --tcp=80 --node-port=30070)"
# dryRun as a query parameter: kubectl sends it in the DeleteOptions body, which the server does not
# read yet (reported)
out=$(api DELETE '/api/v1/namespaces/default/services/dry?dryRun=All')
expect_eq "a dry-run delete answers 200" "200" "$(http_code "$out")"
expect_eq "...and leaves the Service" "service/dry" "$(k get svc dry -o name)"
expect_eq "...and its nodePort taken" \
	'error: failed to create NodePort service: Service "dry2" is invalid: spec.ports[0].nodePort: Invalid value: 30070: provided port is already allocated' \
	"$(kout create service nodeport dry2 --tcp=80 --node-port=30070)"
