#!/bin/bash
# Service creation as kube-apiserver does it: `kubectl create service clusterip|nodeport|loadbalancer|
# externalname` (protobuf bodies) and `kubectl create -f` manifests get upstream's defaults, a ClusterIP
# from 10.43.0.0/16 and NodePorts from 30000-32767, and `kubectl get svc` rows as upstream prints them.
# Invalid manifests are refused with upstream's `The Service "x" is invalid: ...` messages, one line
# for one error and a bullet list for several. Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server --disable-agent # no Node: a new LoadBalancer stays <pending> (no provider has nodes)
CLIENT_NODE=client

norm() { tr -s ' ' | sed 's/ $//'; }

# shape NAME: the stored spec as JSON (sorted keys), allocated values replaced by placeholders once
# checked: clusterIP/clusterIPs by "<IP>" (inside 10.43.0.0/16, clusterIPs == [clusterIP]), every
# nodePort by "<NP>" (inside 30000-32767). A value that breaks those rules is left as it is, so the
# comparison with the expected shape fails and shows it.
shape() {
	k get svc "$1" -o json | "$PY" -c '
import ipaddress, json, sys
s = json.load(sys.stdin)["spec"]
ip = s.get("clusterIP")
if ip not in (None, "None") and ipaddress.ip_address(ip) in ipaddress.ip_network("10.43.0.0/16") \
		and s.get("clusterIPs") == [ip]:
	s["clusterIP"], s["clusterIPs"] = "<IP>", ["<IP>"]
for p in s.get("ports", []):
	if "nodePort" in p and 30000 <= p["nodePort"] <= 32767:
		p["nodePort"] = "<NP>"
print(json.dumps(s, sort_keys=True))'
}

# kout ARGS...: kubectl ARGS, combined output, whether it fails or not.
kout() { k "$@" 2>&1 || true; }
# mk JSON: kubectl create -f - with the manifest on stdin.
mk() { kout create -f - <<<"$1"; }

ip_of() { k get svc "$1" -o jsonpath='{.spec.clusterIP}'; }

create_kinds() {
	local a=cip-$KV b=np-$KV c=lb-$KV d=en-$KV out ipa ipb ipc np rows

	# ---- kubectl create service: the four types
	expect_eq "create service clusterip" "service/$a created" "$(k create service clusterip "$a" --tcp=80:8080 2>&1)"
	expect_eq "create service nodeport --node-port" "service/$b created" \
		"$(k create service nodeport "$b" --tcp=80 --node-port=$((30000 + ${KV//-/} % 100)) 2>&1)"
	expect_eq "create service loadbalancer" "service/$c created" "$(k create service loadbalancer "$c" --tcp=443:8443,53 2>&1)"
	expect_eq "create service externalname" "service/$d created" \
		"$(k create service externalname "$d" --external-name=db.example.com 2>&1)"

	expect_eq "ClusterIP defaults" \
		'{"clusterIP": "<IP>", "clusterIPs": ["<IP>"], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": [{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}], "selector": {"app": "'"$a"'"}, "sessionAffinity": "None", "type": "ClusterIP"}' \
		"$(shape "$a")"
	expect_eq "NodePort defaults, requested nodePort kept" \
		'{"clusterIP": "<IP>", "clusterIPs": ["<IP>"], "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": [{"name": "80", "nodePort": "<NP>", "port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "'"$b"'"}, "sessionAffinity": "None", "type": "NodePort"}' \
		"$(shape "$b")"
	expect_eq "requested nodePort" "$((30000 + ${KV//-/} % 100))" \
		"$(k get svc "$b" -o jsonpath='{.spec.ports[0].nodePort}')"
	expect_eq "LoadBalancer defaults, a nodePort per port" \
		'{"allocateLoadBalancerNodePorts": true, "clusterIP": "<IP>", "clusterIPs": ["<IP>"], "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": [{"name": "443-8443", "nodePort": "<NP>", "port": 443, "protocol": "TCP", "targetPort": 8443}, {"name": "53", "nodePort": "<NP>", "port": 53, "protocol": "TCP", "targetPort": 53}], "selector": {"app": "'"$c"'"}, "sessionAffinity": "None", "type": "LoadBalancer"}' \
		"$(shape "$c")"
	expect_eq "ExternalName: no clusterIP, no IP families, no traffic policies" \
		'{"externalName": "db.example.com", "selector": {"app": "'"$d"'"}, "sessionAffinity": "None", "type": "ExternalName"}' \
		"$(shape "$d")"
	expect_eq "status of a new LoadBalancer is empty" '{"loadBalancer":{}}' \
		"$(k get svc "$c" -o jsonpath='{.status}')"

	ipa=$(ip_of "$a") ipb=$(ip_of "$b") ipc=$(ip_of "$c")
	CHECKS=$((CHECKS + 1))
	if [ "$(printf '%s\n' "$ipa" "$ipb" "$ipc" 10.43.0.1 | sort -u | wc -l)" = 4 ]; then _ok "ClusterIPs are distinct"
	else _fail "ClusterIPs are distinct" "$ipa $ipb $ipc (and 10.43.0.1)"; fi
	np=$(k get svc "$c" -o jsonpath='{.spec.ports[0].nodePort}:{.spec.ports[1].nodePort}')

	rows=$(k get svc "$a" "$b" "$c" "$d" | norm | sed -E 's/ [0-9]+[smhd]$/ AGE/' | paste -sd '|')
	expect_eq "get svc rows" \
		"NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE|$a ClusterIP $ipa <none> 80/TCP AGE|$b NodePort $ipb <none> 80:$((30000 + ${KV//-/} % 100))/TCP AGE|$c LoadBalancer $ipc <pending> 443:${np%:*}/TCP,53:${np#*:}/TCP AGE|$d ExternalName <none> db.example.com <none> AGE" \
		"$rows"

	# ---- headless, with and without a selector, and both clusterIP fields given
	out=$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"hl-'"$KV"'"},
	  "spec":{"clusterIP":"None","selector":{"app":"db"},"ports":[{"port":5432}]}}')
	expect_eq "create headless service" "service/hl-$KV created" "$out"
	expect_eq "headless with selector: single stack" \
		'{"clusterIP": "None", "clusterIPs": ["None"], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": [{"port": 5432, "protocol": "TCP", "targetPort": 5432}], "selector": {"app": "db"}, "sessionAffinity": "None", "type": "ClusterIP"}' \
		"$(shape "hl-$KV")"
	# upstream initIPFamilyFields: headless + selectorless defaults to RequireDualStack with both
	# families, even on a single-stack cluster
	out=$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"hls-'"$KV"'"},"spec":{"clusterIP":"None"}}')
	expect_eq "create headless selectorless service" "service/hls-$KV created" "$out"
	expect_eq "headless without selector: RequireDualStack" \
		'{"clusterIP": "None", "clusterIPs": ["None"], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "RequireDualStack", "sessionAffinity": "None", "type": "ClusterIP"}' \
		"$(shape "hls-$KV")"
	expect_match "headless rows" "$(k get svc "hl-$KV" "hls-$KV" --no-headers | norm)" \
		"^hls-$KV ClusterIP None <none> <none> [0-9]+[smhd]\$"
	expect_match "headless row with a port" "$(k get svc "hl-$KV" --no-headers | norm)" \
		"^hl-$KV ClusterIP None <none> 5432/TCP [0-9]+[smhd]\$"

	local want=10.43.0.$((${KV//-/} % 200))
	out=$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"both-'"$KV"'"},
	  "spec":{"clusterIP":"'"$want"'","clusterIPs":["'"$want"'"],"ipFamilies":["IPv4"],"ports":[{"port":80,"targetPort":"http"}]}}')
	expect_eq "create with clusterIP and clusterIPs" "service/both-$KV created" "$out"
	expect_eq "requested IP kept in both fields" "$want [\"$want\"] http" \
		"$(k get svc "both-$KV" -o jsonpath='{.spec.clusterIP} {.spec.clusterIPs} {.spec.ports[0].targetPort}')"
	out=$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"only-'"$KV"'"},
	  "spec":{"clusterIPs":["10.43.0.'"$((${KV//-/} % 200 + 50))"'"],"clusterIP":"10.43.0.'"$((${KV//-/} % 200 + 50))"'","type":"NodePort","ports":[{"port":80}]}}')
	expect_eq "create NodePort with both fields" "service/only-$KV created" "$out"
	expect_eq "clusterIP from the manifest" "10.43.0.$((${KV//-/} % 200 + 50))" "$(ip_of "only-$KV")"
	out=$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"mism-'"$KV"'"},
	  "spec":{"clusterIP":"10.43.202.1","clusterIPs":["10.43.202.2"],"ports":[{"port":80}]}}')
	expect_eq "clusterIP and clusterIPs[0] disagree" \
		'The Service "mism-'"$KV"'" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.202.2"}: first value must match `clusterIP`' \
		"$out"
}

each_kubectl create_kinds

# ---- invalid manifests: the server's messages as kubectl prints them
expect_eq "create a Service holding 10.43.0.99 and nodePort 30055" "service/holder created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"holder"},
	  "spec":{"type":"NodePort","clusterIP":"10.43.0.99","ports":[{"port":80,"nodePort":30055}]}}')"

invalid() {
	local s=bad-$KV
	expect_eq "bad name (kubectl create service)" \
		"error: failed to create ClusterIP service: Service \"Bad_$KV\" is invalid: metadata.name: Invalid value: \"Bad_$KV\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')" \
		"$(kout create service clusterip "Bad_$KV" --tcp=80)"
	expect_eq "bad name (create -f)" \
		"The Service \"9lives\" is invalid: metadata.name: Invalid value: \"9lives\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"9lives"},"spec":{"ports":[{"port":80}]}}')"
	expect_eq "duplicate port (two errors: a bullet list)" \
		"The Service \"$s\" is invalid: 
* spec.ports[1].name: Duplicate value: \"a\"
* spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"ports":[{"name":"a","port":80},{"name":"a","port":80,"targetPort":81}]}}')"
	expect_eq "same port, different protocol is fine" "service/udp-$KV created" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"udp-'"$KV"'"},"spec":{"ports":[{"name":"a","port":53},{"name":"b","port":53,"protocol":"UDP"}]}}')"
	expect_eq "nodePort on a ClusterIP service" \
		"The Service \"$s\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when \`type\` is 'ClusterIP'" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"ports":[{"port":80,"nodePort":30001}]}}')"
	expect_eq "requested ClusterIP outside the range" \
		"The Service \"$s\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.44.0.5\"}: failed to allocate IP 10.44.0.5: the provided IP (10.44.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/16" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"clusterIP":"10.44.0.5","ports":[{"port":80}]}}')"
	expect_eq "requested ClusterIP already in use" \
		"The Service \"$s\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.43.0.99\"}: failed to allocate IP 10.43.0.99: provided IP is already allocated" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"clusterIP":"10.43.0.99","ports":[{"port":80}]}}')"
	expect_eq "the kubernetes Service's IP is in use" \
		"The Service \"$s\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.43.0.1\"}: failed to allocate IP 10.43.0.1: provided IP is already allocated" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"clusterIP":"10.43.0.1","ports":[{"port":80}]}}')"
	expect_eq "requested nodePort already in use (create -f)" \
		"The Service \"$s\" is invalid: spec.ports[0].nodePort: Invalid value: 30055: provided port is already allocated" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"type":"NodePort","ports":[{"port":81,"nodePort":30055}]}}')"
	expect_eq "requested nodePort already in use (kubectl create service)" \
		"error: failed to create NodePort service: Service \"$s\" is invalid: spec.ports[0].nodePort: Invalid value: 30055: provided port is already allocated" \
		"$(kout create service nodeport "$s" --tcp=80 --node-port=30055)"
	expect_eq "nodePort outside the range" \
		"The Service \"$s\" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"type":"NodePort","ports":[{"port":81,"nodePort":29999}]}}')"
	expect_eq "ExternalName with a clusterIP" \
		"The Service \"$s\" is invalid: spec.clusterIPs: Forbidden: may not be set for ExternalName services" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"type":"ExternalName","externalName":"x.example.com","clusterIP":"10.43.0.77"}}')"
	expect_eq "ExternalName without a name" \
		"The Service \"$s\" is invalid: spec.externalName: Required value" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"type":"ExternalName"}}')"
	local t
	for t in 0 86401; do
		expect_eq "ClientIP affinity timeoutSeconds $t" \
			"The Service \"$s\" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: $t: must be greater than 0 and less than 86400" \
			"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":'"$t"'}},"ports":[{"port":80}]}}')"
	done
	expect_eq "ClientIP affinity defaults its timeout to 10800" "service/aff-$KV created" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"aff-'"$KV"'"},"spec":{"sessionAffinity":"ClientIP","ports":[{"port":80}]}}')"
	expect_eq "sessionAffinityConfig default" "ClientIP 10800" \
		"$(k get svc "aff-$KV" -o jsonpath='{.spec.sessionAffinity} {.spec.sessionAffinityConfig.clientIP.timeoutSeconds}')"
	expect_eq "loopback externalIP" \
		"The Service \"$s\" is invalid: spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"externalIPs":["127.0.0.1"],"ports":[{"port":80}]}}')"
	expect_eq "externalTrafficPolicy on a ClusterIP service" \
		"The Service \"$s\" is invalid: spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"externalTrafficPolicy":"Local","ports":[{"port":80}]}}')"
	expect_eq "several errors at once" \
		"The Service \"$s\" is invalid: 
* spec.ports[0].name: Required value
* spec.ports[1].name: Required value
* spec.ports[0].nodePort: Forbidden: may not be used when \`type\` is 'ClusterIP'
* spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}" \
		"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"'"$s"'"},"spec":{"ports":[{"port":80,"nodePort":30001},{"port":80}]}}')"
	expect_fail "nothing invalid was stored" "Error from server (NotFound): services \"$s\" not found" k get svc "$s"
}

each_kubectl invalid

# Every failed create above released what it had allocated: the requested values are still free.
expect_eq "refused requests leaked nothing" "service/after created" \
	"$(mk '{"apiVersion":"v1","kind":"Service","metadata":{"name":"after"},"spec":{"type":"NodePort","clusterIP":"10.43.0.77","ports":[{"port":80,"nodePort":30001}]}}')"
expect_eq "holder unchanged" "10.43.0.99 30055" \
	"$(k get svc holder -o jsonpath='{.spec.clusterIP} {.spec.ports[0].nodePort}')"
