#!/bin/bash
# Pods as local programs on two nodes (issue 6): a 4-replica netexec Deployment (agnhost image ->
# `portico netexec`) is spread over node1 (the server's in-process agent) and node2 (`portico
# agent`), every pod becomes Ready with an IP from its node's podCIDR and hostIP = its node's IP;
# pod-to-pod traffic crosses nodes by IP without masquerade (netexec /clientip shows the peer
# pod's address) in both directions, the node reaches its pods, and inside a pod /etc/resolv.conf,
# /etc/hosts and the hostname are the pod's own, as the kubelet writes them.
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60

cat >"$WORK/web.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: netexec
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: ["netexec", "--http-port=8080"]
        ports: [{containerPort: 8080}]
YAML
expect_ok "create a 4-replica netexec deployment" k apply -f "$WORK/web.yaml"
all_ready() {
	[ "$(k get pods -l app=web -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
		grep -c True)" = 4 ]
}
retry_until $T all_ready || true
PODS=$(k get pods -l app=web -o json)
expect_eq "4 pods Ready" "4" "$(json 'sum(1 for p in j["items"] if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", [])))' <<<"$PODS")"
expect_eq "Running, containers ready, no restarts" "Running True 0
Running True 0
Running True 0
Running True 0" \
	"$(json '"\n".join(" ".join([p["status"].get("phase", ""), str(all(c.get("ready") for c in p["status"].get("containerStatuses", [{}]))), str(sum(c.get("restartCount", 0) for c in p["status"].get("containerStatuses", [])))]) for p in j["items"])' <<<"$PODS")"
expect_eq "spread over both nodes" "node1 node2" \
	"$(json '" ".join(sorted(set(p["spec"].get("nodeName", "") for p in j["items"])))' <<<"$PODS")"
expect_eq "the deployment reports 4 ready replicas" 4 "$(k get deploy web -o jsonpath='{.status.readyReplicas}')"

CIDR1=$(k get node node1 -o jsonpath='{.spec.podCIDR}')
CIDR2=$(k get node node2 -o jsonpath='{.spec.podCIDR}')
in_cidr() { # IP CIDR (a /24)
	[ "${1%.*}" = "$(echo "${2%/*}" | cut -d. -f1-3)" ]
}
BAD=
while read -r name node ip hostip ips; do
	cidr=$CIDR1
	[ "$node" = node2 ] && cidr=$CIDR2
	in_cidr "$ip" "$cidr" || BAD="$BAD $name:$ip-not-in-$cidr"
	[ "$hostip" = "${NODE_IP[$node]}" ] || BAD="$BAD $name:hostIP=$hostip"
	[ "$ips" = "$ip" ] || BAD="$BAD $name:podIPs=$ips"
	[ "${ip##*.}" != 1 ] || BAD="$BAD $name:gateway-address"
done < <(json '"\n".join(" ".join([p["metadata"]["name"], p["spec"]["nodeName"], p["status"].get("podIP", "-"), p["status"].get("hostIP", "-"), ",".join(x["ip"] for x in p["status"].get("podIPs", []))]) for p in j["items"])' <<<"$PODS")
expect_eq "pod IPs from their node's podCIDR, hostIP the node's, podIPs = [podIP]" "" "$BAD"
expect_eq "4 distinct pod IPs" 4 "$(json 'len(set(p["status"].get("podIP") for p in j["items"]))' <<<"$PODS")"

# one pod on each node
P1=$(json '[p["metadata"]["name"] for p in j["items"] if p["spec"]["nodeName"] == "node1"][0]' <<<"$PODS")
P2=$(json '[p["metadata"]["name"] for p in j["items"] if p["spec"]["nodeName"] == "node2"][0]' <<<"$PODS")
IP1=$(pod_field "$P1" '{.status.podIP}')
IP2=$(pod_field "$P2" '{.status.podIP}')
log "node1: $P1 $IP1; node2: $P2 $IP2"

# ---- pod to pod, across nodes --------------------------------------------------------------------
expect_eq "node1 pod -> node2 pod by IP: /hostname is the pod's name" "$P2" \
	"$(in_pod "$P1" curl -s --max-time 5 "http://$IP2:8080/hostname" 2>&1 || true)"
expect_eq "node2 pod -> node1 pod by IP" "$P1" "$(in_pod "$P2" curl -s --max-time 5 "http://$IP1:8080/hostname" 2>&1 || true)"
expect_match "no masquerade between pods: the peer sees the client pod's IP" \
	"$(in_pod "$P1" curl -s --max-time 5 "http://$IP2:8080/clientip" 2>&1 || true)" "^${IP1//./\\.}:[0-9]+$"
expect_eq "a pod reaches itself by its own IP (hairpin)" "$P1" "$(in_pod "$P1" curl -s --max-time 5 "http://$IP1:8080/hostname" 2>&1 || true)"
expect_eq "node1 reaches its own pod" "$P1" "$(on node1 curl -s --max-time 5 "http://$IP1:8080/hostname" 2>&1 || true)"
expect_eq "node1 reaches node2's pod (host-gw route)" "$P2" "$(on node1 curl -s --max-time 5 "http://$IP2:8080/hostname" 2>&1 || true)"
expect_eq "netexec echo" "hello" "$(in_pod "$P2" curl -s --max-time 5 "http://$IP1:8080/echo?msg=hello" 2>&1 || true)"
expect_match "the pod's eth0 holds its IP" "$(in_pod "$P1" ip -4 -o addr show dev eth0 2>&1)" "inet ${IP1//./\\.}/"

# ---- resolv.conf, hosts, hostname inside a pod -----------------------------------------------------
PID=$(container_pid "$P2" 'netexec' || true)
expect_match "the netexec container runs in the pod's network namespace" "${PID:-none}" '^[0-9]+$'
if [ -n "$PID" ]; then
	RESOLV=$(nsenter --target "$PID" --mount cat /etc/resolv.conf 2>&1)
	expect_eq "resolv.conf: cluster DNS, search path, ndots:5" "nameserver 10.43.0.10
search default.svc.cluster.local svc.cluster.local cluster.local
options ndots:5" "$(grep -vE '^(#|$)' <<<"$RESOLV")"
	HOSTS=$(nsenter --target "$PID" --mount cat /etc/hosts 2>&1)
	expect_match "hosts: localhost" "$HOSTS" '^127\.0\.0\.1[[:space:]]+localhost'
	expect_match "hosts: the pod's IP and name" "$HOSTS" "^${IP2//./\\.}[[:space:]]+$P2\$"
	expect_not_contains "the node's own resolv.conf is not the pod's" "$(cat /etc/resolv.conf)" "10.43.0.10"
	expect_eq "hostname: the pod's name (its own UTS namespace)" "$P2" "$(nsenter --target "$PID" --uts hostname 2>&1)"
	expect_eq "the container's mount namespace is not the node's" yes \
		"$([ "$(readlink "/proc/$PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && echo yes || echo no)"
	expect_contains "service variables in the container's environment" "$(tr '\0' '\n' <"/proc/$PID/environ")" \
		"KUBERNETES_SERVICE_HOST=10.43.0.1"
fi
# the other pod's files are its own
PID1=$(container_pid "$P1" 'netexec' || true)
[ -n "$PID1" ] && expect_match "each pod has its own hosts file" "$(nsenter --target "$PID1" --mount cat /etc/hosts 2>&1)" \
	"^${IP1//./\\.}[[:space:]]+$P1\$"

# ---- scale down: pods go, their IPs and namespaces are released -------------------------------------
UID2=$(pod_field "$P2" '{.metadata.uid}')
expect_ok "scale to 0" k scale deployment web --replicas=0
none_left() { [ "$(k get pods -l app=web --no-headers 2>/dev/null | wc -l)" = 0 ]; }
retry_until 60 none_left || true
expect_eq "all pods gone" 0 "$(k get pods -l app=web --no-headers 2>/dev/null | wc -l)"
expect_eq "node2: the pod's netns file is gone" absent "$([ -e "$(agent_dir node2)/netns/$UID2" ] && echo present || echo absent)"
expect_eq "node2: its IP is released" absent "$([ -e "$(agent_dir node2)/ipam/$IP2" ] && echo present || echo absent)"
expect_eq "no netexec process is left on any node" 0 "$(pgrep -fc 'netexec --http-port=8080' || true)"
