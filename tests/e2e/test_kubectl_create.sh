#!/bin/bash
# kubectl's generators and the objects the server then holds: create service clusterip|nodeport|
# loadbalancer|externalname, create deployment (replicas, labels app=NAME, a command), run (a Pod),
# expose of a deployment, a pod and a service (--port, --target-port, --type, --name, --protocol,
# --selector), and scale through the deployments/scale subresource. Run once with each kubectl.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
# kubectl's view of objects no node acts on (pods stay Pending): no agent in the server
server_start server --disable-agent
CLIENT_NODE=client

# sj NS KIND/NAME EXPR: a Python expression over the stored object (see lib.sh's json)
sj() { k get "$2" -n "$1" -o json | json "$3"; }

creating() {
	local ns=mk-$KV out ip np=30080
	[ "$KV" = 1-33 ] || np=30081 # nodePorts are cluster-wide

	expect_eq "create namespace" "namespace/$ns created" "$(k create namespace "$ns" 2>&1)"

	# ---- create service: the four types
	expect_eq "create service clusterip" "service/cs created" \
		"$(k create service clusterip cs -n "$ns" --tcp=5678:8080 --tcp=9090 2>&1)"
	expect_eq "clusterip: ports named PORT-TARGET" \
		'[{"name": "5678-8080", "port": 5678, "protocol": "TCP", "targetPort": 8080}, {"name": "9090", "port": 9090, "protocol": "TCP", "targetPort": 9090}]' \
		"$(sj "$ns" svc/cs 'j["spec"]["ports"]')"
	expect_eq "clusterip: type, selector and labels app=NAME" 'ClusterIP {"app": "cs"} {"app": "cs"}' \
		"$(sj "$ns" svc/cs 'j["spec"]["type"] + " " + json.dumps(j["spec"]["selector"]) + " " + json.dumps(j["metadata"]["labels"])')"
	ip=$(k get svc cs -n "$ns" -o jsonpath='{.spec.clusterIP}')
	expect_match "clusterip: an address allocated" "$ip" '^10\.43\.[0-9]+\.[0-9]+$'
	expect_eq "create service clusterip --clusterip=None (headless)" "service/headless created" \
		"$(k create service clusterip headless -n "$ns" --clusterip=None 2>&1)"
	expect_eq "headless: clusterIP None, clusterIPs [None]" 'None ["None"]' \
		"$(sj "$ns" svc/headless 'j["spec"]["clusterIP"] + " " + json.dumps(j["spec"]["clusterIPs"])')"

	expect_eq "create service nodeport --node-port" "service/np created" \
		"$(k create service nodeport np -n "$ns" --tcp=80:8080 --node-port=$np 2>&1)"
	expect_eq "nodeport: type and port" \
		'NodePort [{"name": "80-8080", "nodePort": '"$np"', "port": 80, "protocol": "TCP", "targetPort": 8080}] Cluster' \
		"$(sj "$ns" svc/np 'j["spec"]["type"] + " " + json.dumps(j["spec"]["ports"], sort_keys=True) + " " + j["spec"]["externalTrafficPolicy"]')"
	expect_fail "create service nodeport: the same nodePort again" \
		"error: failed to create NodePort service: Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: $np: provided port is already allocated" \
		k create service nodeport np2 -n "$ns" --tcp=81 --node-port=$np

	expect_eq "create service loadbalancer" "service/lb created" \
		"$(k create service loadbalancer lb -n "$ns" --tcp=443:8443 2>&1)"
	expect_eq "loadbalancer: type, a nodePort allocated, allocateLoadBalancerNodePorts" "LoadBalancer True True" \
		"$(sj "$ns" svc/lb 'j["spec"]["type"] + " " + str(30000 <= j["spec"]["ports"][0]["nodePort"] <= 32767) + " " + str(j["spec"]["allocateLoadBalancerNodePorts"])')"
	out=$(k get svc lb -n "$ns" --no-headers)
	expect_match "loadbalancer row: EXTERNAL-IP <pending>, PORT(S) 443:NODEPORT/TCP" "$out" \
		'^lb +LoadBalancer +10\.43\.[0-9.]+ +<pending> +443:3[0-9]{4}/TCP +[0-9]+[smhd]$'

	expect_eq "create service externalname" "service/ext created" \
		"$(k create service externalname ext -n "$ns" --external-name=db.example.com 2>&1)"
	expect_eq "externalname: no clusterIP" 'ExternalName db.example.com None' \
		"$(sj "$ns" svc/ext 'j["spec"]["type"] + " " + j["spec"]["externalName"] + " " + str(j["spec"].get("clusterIP"))')"
	out=$(k get svc ext -n "$ns" --no-headers)
	expect_match "externalname row" "$out" '^ext +ExternalName +<none> +db\.example\.com +<none> +[0-9]+[smhd]$'
	expect_fail "create -f: externalName not a DNS name (the server validates)" \
		'The Service "ext2" is invalid: spec.externalName: Invalid value: "not_a_dns!"' \
		k create -n "$ns" -f - <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"ext2"},"spec":{"type":"ExternalName","externalName":"not_a_dns!"}}'
	expect_eq "create service --dry-run=server stores nothing" "service/dry created (server dry run)|" \
		"$(k create service clusterip dry -n "$ns" --tcp=1 --dry-run=server 2>&1)|$(k get svc dry -n "$ns" -o name 2>/dev/null || true)"

	# ---- create deployment
	expect_eq "create deployment --replicas -- CMD" "deployment.apps/web created" \
		"$(k create deployment web -n "$ns" --image=registry.example/nginx:1.27 --replicas=3 --port=8080 -- sleep 3600 2>&1)"
	expect_eq "deployment: labels, replicas, selector" '{"app": "web"} 3 {"matchLabels": {"app": "web"}}' \
		"$(sj "$ns" deploy/web 'json.dumps(j["metadata"]["labels"]) + " " + str(j["spec"]["replicas"]) + " " + json.dumps(j["spec"]["selector"])')"
	expect_eq "deployment: template labels and container" \
		'{"app": "web"} [{"command": ["sleep", "3600"], "image": "registry.example/nginx:1.27", "name": "nginx", "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]' \
		"$(sj "$ns" deploy/web 'json.dumps(j["spec"]["template"]["metadata"]["labels"]) + " " + json.dumps([{x: c[x] for x in ("name", "image", "command", "ports")} for c in j["spec"]["template"]["spec"]["containers"]], sort_keys=True)')"
	expect_eq "deployment: upstream defaults" \
		'RollingUpdate 25% 25% 10 600 Always ClusterFirst 30 IfNotPresent' \
		"$(sj "$ns" deploy/web '(lambda s, t: " ".join(str(x) for x in (s["strategy"]["type"], s["strategy"]["rollingUpdate"]["maxSurge"], s["strategy"]["rollingUpdate"]["maxUnavailable"], s["revisionHistoryLimit"], s["progressDeadlineSeconds"], t["restartPolicy"], t["dnsPolicy"], t["terminationGracePeriodSeconds"], t["containers"][0]["imagePullPolicy"])))(j["spec"], j["spec"]["template"]["spec"])')"
	expect_eq "deployment: generation 1" "1" "$(k get deploy web -n "$ns" -o jsonpath='{.metadata.generation}')"
	out=$(k get deploy -n "$ns" -o wide)
	# UP-TO-DATE depends on how far the Deployment controller got; nothing becomes ready (no agent).
	expect_match "get deploy -o wide" \
		"$(tr -s ' ' <<<"$out" | sed -E 's/ [0-9]+[smhd] / AGE /' | paste -sd '|')" \
		'^NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR\|web 0/3 [0-3] 0 AGE nginx registry\.example/nginx:1\.27 app=web$'
	expect_fail "create deployment: invalid image name is fine, invalid replicas is not" \
		'error: failed to create deployment: Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' \
		k create deployment bad -n "$ns" --image=x --replicas=-1

	# ---- scale: the deployments/scale subresource
	expect_eq "scale deploy/web --replicas=5" "deployment.apps/web scaled" \
		"$(k scale deploy/web -n "$ns" --replicas=5 2>&1)"
	expect_eq "scale: spec.replicas stored" "5" "$(k get deploy/web -n "$ns" -o jsonpath='{.spec.replicas}')"
	expect_eq "scale: generation bumped" "2" "$(k get deploy web -n "$ns" -o jsonpath='{.metadata.generation}')"
	expect_fail "scale --current-replicas mismatch" "Expected replicas to be 2, was 5" \
		k scale deploy web -n "$ns" --current-replicas=2 --replicas=1
	expect_eq "scale --current-replicas match" "deployment.apps/web scaled" \
		"$(k scale deploy web -n "$ns" --current-replicas=5 --replicas=0 2>&1)"
	expect_eq "scale to 0 stored" "0" "$(k get deploy/web -n "$ns" -o jsonpath='{.spec.replicas}')"
	expect_fail "scale --resource-version stale (kubectl compares the Scale's)" "error: Expected resource version to be 1, was" \
		k scale deploy web -n "$ns" --resource-version=1 --replicas=4
	expect_fail "scale to a negative count" "--replicas=COUNT" \
		k scale deploy web -n "$ns" --replicas=-3
	# The Scale (autoscaling/v1) mirrors spec.replicas, status.replicas and the selector as a string.
	local want
	want=$(k get deploy web -n "$ns" -o jsonpath='{.spec.replicas}')
	out=$(k get deploy web -n "$ns" --subresource=scale -o json)
	expect_eq "get --subresource=scale: the Scale object" \
		"autoscaling/v1 Scale web $want" \
		"$(json 'j["apiVersion"] + " " + j["kind"] + " " + j["metadata"]["name"] + " " + str(j["spec"].get("replicas", 0))' <<<"$out" 2>&1)"
	# status.replicas is the Deployment's (its controller keeps writing it): compare at one revision.
	local i d sc
	for i in 1 2 3 4 5; do
		d=$(http_body "$(api GET "/apis/apps/v1/namespaces/$ns/deployments/web")")
		sc=$(http_body "$(api GET "/apis/apps/v1/namespaces/$ns/deployments/web/scale")")
		[ "$(json 'j["metadata"]["resourceVersion"]' <<<"$d")" = "$(json 'j["metadata"].get("resourceVersion")' <<<"$sc")" ] && break
	done
	expect_eq "GET .../scale: status.replicas (an integer) and the selector string" \
		"{\"replicas\": $(json 'j.get("status", {}).get("replicas", 0)' <<<"$d"), \"selector\": \"app=web\"}" \
		"$(json 'j["status"]' <<<"$sc")"
	out=$(api PUT "/apis/apps/v1/namespaces/$ns/deployments/web/scale" -H "Content-Type:" \
		--data-binary '{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"'"$ns"'"},"spec":{"replicas":4}}')
	expect_eq "PUT .../scale without a Content-Type (as client-go's scale client sends it): 200 and a Scale" \
		"200 Scale 4" "$(http_code "$out") $(http_body "$out" | json 'j["kind"] + " " + str(j["spec"]["replicas"])' 2>&1)"
	out=$(api PATCH "/apis/apps/v1/namespaces/$ns/deployments/web/scale" -H 'Content-Type: application/merge-patch+json' \
		--data-binary '{"spec":{"replicas":6}}')
	expect_eq "PATCH .../scale answers a Scale" "200 autoscaling/v1 Scale 6" \
		"$(http_code "$out") $(http_body "$out" | json 'j["apiVersion"] + " " + j["kind"] + " " + str(j["spec"]["replicas"])' 2>&1)"
	expect_eq "scale patch stored" "6" "$(k get deploy/web -n "$ns" -o jsonpath='{.spec.replicas}')"
	expect_eq "scale --replicas=2 again" "deployment.apps/web scaled" "$(k scale deployment web -n "$ns" --replicas=2 2>&1)"
	expect_fail "scale of a service: no scale subresource (404)" \
		"Error from server (NotFound): the server could not find the requested resource" k scale svc cs -n "$ns" --replicas=2
	expect_eq "patch --subresource=scale: kubectl names the returned Scale" "scale.autoscaling/web patched" \
		"$(k patch deploy web -n "$ns" --subresource=scale --type merge -p '{"spec":{"replicas":7}}' 2>&1)"
	expect_eq "scale patch stored" "7" "$(k get deploy/web -n "$ns" -o jsonpath='{.spec.replicas}')"

	# ---- run: a Pod
	expect_eq "run" "pod/pod1 created" \
		"$(k run pod1 -n "$ns" --image=registry.example/busybox:1.36 --labels=app=p,tier=x --port=8080 --env=A=b -- sleep 100 2>&1)"
	expect_eq "run: stored container" \
		'[{"args": ["sleep", "100"], "env": [{"name": "A", "value": "b"}], "image": "registry.example/busybox:1.36", "name": "pod1", "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]' \
		"$(sj "$ns" pod/pod1 'json.dumps([{x: c[x] for x in ("name", "image", "args", "env", "ports")} for c in j["spec"]["containers"]], sort_keys=True)')"
	expect_eq "run: labels, restartPolicy, phase" '{"app": "p", "tier": "x"} Always Pending' \
		"$(sj "$ns" pod/pod1 'json.dumps(j["metadata"]["labels"]) + " " + j["spec"]["restartPolicy"] + " " + j.get("status", {}).get("phase", "-")')"
	expect_eq "run --command --restart=Never" "pod/pod2 created" \
		"$(k run pod2 -n "$ns" --image=registry.example/busybox --restart=Never --command -- /bin/sh -c 'echo hi' 2>&1)"
	expect_eq "run --command: command, not args; default label run=NAME" '["/bin/sh", "-c", "echo hi"] Never {"run": "pod2"}' \
		"$(sj "$ns" pod/pod2 'json.dumps(j["spec"]["containers"][0]["command"]) + " " + j["spec"]["restartPolicy"] + " " + json.dumps(j["metadata"]["labels"])')"
	out=$(k get pods -n "$ns")
	expect_match "get pods: pod1 Pending" "$out" '^pod1 +0/1 +Pending +0 +[0-9]+[smhd]$'
	expect_fail "run: invalid name" 'Invalid value: "Bad_Name"' \
		k run Bad_Name -n "$ns" --image=x

	# ---- expose
	expect_eq "expose deployment --port --target-port --name" "service/web-svc exposed" \
		"$(k expose deployment web -n "$ns" --port=80 --target-port=8080 --name=web-svc 2>&1)"
	expect_eq "expose deployment: selector from matchLabels, labels copied, one port" \
		'{"app": "web"} {"app": "web"} [{"port": 80, "protocol": "TCP", "targetPort": 8080}] ClusterIP' \
		"$(sj "$ns" svc/web-svc 'json.dumps(j["spec"]["selector"]) + " " + json.dumps(j["metadata"]["labels"]) + " " + json.dumps(j["spec"]["ports"]) + " " + j["spec"]["type"]')"
	expect_eq "expose deployment without --port: the container port" "service/web exposed" \
		"$(k expose deploy/web -n "$ns" 2>&1)"
	expect_eq "expose deployment: port from the template" '[{"port": 8080, "protocol": "TCP", "targetPort": 8080}]' \
		"$(sj "$ns" svc/web 'j["spec"]["ports"]')"
	expect_eq "expose pod --type=NodePort --protocol=UDP" "service/pod-svc exposed" \
		"$(k expose pod pod1 -n "$ns" --port=444 --type=NodePort --protocol=UDP --name=pod-svc 2>&1)"
	expect_eq "expose pod: selector from the pod's labels, nodePort allocated" \
		'{"app": "p", "tier": "x"} NodePort UDP 444 444 True' \
		"$(sj "$ns" svc/pod-svc '(lambda p: json.dumps(j["spec"]["selector"]) + " " + j["spec"]["type"] + " " + p["protocol"] + " " + str(p["port"]) + " " + str(p["targetPort"]) + " " + str(30000 <= p["nodePort"] <= 32767))(j["spec"]["ports"][0])')"
	expect_eq "expose pod without --name: the pod's name and port" "service/pod1 exposed" \
		"$(k expose pod pod1 -n "$ns" 2>&1)"
	expect_eq "expose pod: port 8080" '[{"port": 8080, "protocol": "TCP", "targetPort": 8080}]' \
		"$(sj "$ns" svc/pod1 'j["spec"]["ports"]')"
	expect_eq "expose service --selector --type=LoadBalancer" "service/cs-lb exposed" \
		"$(k expose service cs -n "$ns" --name=cs-lb --port=8443 --target-port=https --selector=app=other --type=LoadBalancer 2>&1)"
	expect_eq "expose service: the given selector and a named targetPort" \
		'{"app": "other"} LoadBalancer [8443, "https", "TCP"]' \
		"$(sj "$ns" svc/cs-lb '(lambda p: json.dumps(j["spec"]["selector"]) + " " + j["spec"]["type"] + " " + json.dumps([p["port"], p["targetPort"], p["protocol"]]))(j["spec"]["ports"][0])')"
	expect_eq "expose service without --port: all its ports" "service/cs-copy exposed" \
		"$(k expose svc cs -n "$ns" --name=cs-copy 2>&1)"
	# kubectl names the ports port-N and targets the port itself (client-side generation)
	expect_eq "expose service: its ports, its selector" \
		'[{"name": "port-1", "port": 5678, "protocol": "TCP", "targetPort": 5678}, {"name": "port-2", "port": 9090, "protocol": "TCP", "targetPort": 9090}] {"app": "cs"}' \
		"$(sj "$ns" svc/cs-copy 'json.dumps(j["spec"]["ports"], sort_keys=True) + " " + json.dumps(j["spec"]["selector"])')"
	expect_eq "expose --cluster-ip=None --session-affinity=ClientIP" "service/pod-headless exposed" \
		"$(k expose pod pod1 -n "$ns" --name=pod-headless --port=1234 --cluster-ip=None --session-affinity=ClientIP 2>&1)"
	expect_eq "expose: headless with ClientIP affinity (timeout defaulted)" 'None ClientIP 10800' \
		"$(sj "$ns" svc/pod-headless 'j["spec"]["clusterIP"] + " " + j["spec"]["sessionAffinity"] + " " + str(j["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"])')"
	expect_eq "create a pod without labels" "pod/bare created" "$(k create -n "$ns" -f - 2>&1 <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare"},"spec":{"containers":[{"name":"c","image":"x"}]}}')"
	expect_fail "expose of a pod without labels" "couldn't retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed" \
		k expose pod bare -n "$ns" --port=1
	expect_fail "expose: the name taken" "Error from server (AlreadyExists): services \"web-svc\" already exists" \
		k expose deployment web -n "$ns" --port=80 --name=web-svc
}

each_kubectl creating
