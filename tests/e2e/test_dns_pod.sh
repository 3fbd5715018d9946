#!/bin/bash
# Cluster DNS from inside a pod (issue 8): glibc's resolver in a pod's own namespaces, reading the
# resolv.conf the agent wrote for it (nameserver 10.43.0.10, search <ns>.svc.cluster.local
# svc.cluster.local cluster.local, ndots:5), resolves short names through the search path:
# `getent hosts web` and `getent hosts web.default` give web's ClusterIP under its full name, a name
# in another namespace (`kube-dns.kube-system`) resolves, an unknown name does not, and an
# ExternalName Service resolves to its CNAME target's address, which a fake upstream resolver in the
# lab serves (nothing leaves the lab). Checked twice: getent run as the pod's own container (a
# busybox pod running `sh -c getent...`), and getent entered into a long-running pod's network and
# mount namespaces (nsenter), so a wrong resolv.conf or an unreachable 10.43.0.10 shows in both.
. "$(dirname "$0")/lib.sh"
lab_init
T=90
DNS=10.43.0.10

# The nodes' upstream resolver (lib.sh lab_upstream: www.example.test A 192.0.2.80).
lab_upstream

cluster_up 2

k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: www.example.test}
---
apiVersion: v1
kind: Pod
metadata: {name: dnsclient, namespace: default}
spec:
  containers:
  - {name: c, image: busybox, command: ["sleep", "3600"]}
EOF
CIP=$(k get service web -o jsonpath='{.spec.clusterIP}')
expect_match "web has a ClusterIP" "$CIP" '^10\.43\.[0-9]+\.[0-9]+$'
answers() { # every agent answers web and ext already
	local n
	for n in node1 node2; do
		[ "$(on "$n" dig +short +time=1 +tries=1 @$DNS web.default.svc.cluster.local A)" = "$CIP" ] || return 1
		on "$n" dig +short +time=1 +tries=1 @$DNS ext.default.svc.cluster.local A | grep -qx 192.0.2.80 || return 1
	done
}
retry_until 20 answers || log "the agents do not answer web and ext yet"

# ---- getent as the pod's own container --------------------------------------------------------------
pod_done() {
	local ph
	ph=$(pod_field "$1" '{.status.phase}')
	[ "$ph" = Succeeded ] || [ "$ph" = Failed ]
}
# glibc's getent (on the node's PATH; the busybox image's sh runs it): one line per name, "-" when
# it does not resolve
k run lookup --image=busybox --restart=Never -- sh -c \
	'cat /etc/resolv.conf; for n in web web.default kube-dns.kube-system nosuch ext; do getent hosts $n || echo "- $n"; done' >/dev/null
retry_until $T pod_done lookup || log "pod lookup not finished: $(pod_field lookup '{.status.phase}')"
OUT=$(k logs lookup 2>&1 || true)
log "pod lookup printed:
$OUT"
expect_eq "the lookup pod succeeded" Succeeded "$(pod_field lookup '{.status.phase}')"
expect_contains "its resolv.conf names the cluster DNS" "$OUT" "nameserver $DNS"
expect_contains "... and the search path of namespace default" "$OUT" "search default.svc.cluster.local svc.cluster.local cluster.local"
expect_match "getent hosts web: the ClusterIP, through the search path" "$OUT" "^${CIP//./\\.} +web\\.default\\.svc\\.cluster\\.local\$"
expect_eq "getent hosts web.default: the same (second search domain)" 2 \
	"$(grep -cE "^${CIP//./\\.} +web\\.default\\.svc\\.cluster\\.local\$" <<<"$OUT")"
expect_match "getent hosts kube-dns.kube-system: $DNS" "$OUT" "^${DNS//./\\.} +kube-dns\\.kube-system\\.svc\\.cluster\\.local\$"
expect_match "getent hosts nosuch: not found" "$OUT" '^- nosuch$'
expect_match "getent hosts ext (ExternalName): the target's address from upstream" "$OUT" \
	'^192\.0\.2\.80 +www\.example\.test( |$)'

# ---- getent entered into a running pod's namespaces ----------------------------------------------
retry_until $T pod_ready dnsclient || log "pod dnsclient not ready: $(pod_field dnsclient '{.status.phase}')"
P=$(container_pid dnsclient '^sleep 3600' || true)
expect_match "the dnsclient pod's sleep process" "$P" '^[0-9]+$'
if [ -n "$P" ]; then
	inpod() { nsenter --target "$P" --net --mount "$@"; }
	expect_contains "the pod's mount namespace has its own resolv.conf" "$(inpod cat /etc/resolv.conf)" "nameserver $DNS"
	expect_eq "getent hosts web (in the pod's namespaces)" "$CIP web.default.svc.cluster.local" \
		"$(inpod getent hosts web | xargs)"
	expect_eq "getent hosts web.default (in the pod's namespaces)" "$CIP web.default.svc.cluster.local" \
		"$(inpod getent hosts web.default | xargs)"
	expect_eq "getent ahostsv4 web.default.svc.cluster.local (the full name, no search)" "$CIP" \
		"$(inpod getent ahostsv4 web.default.svc.cluster.local | awk '{print $1}' | sort -u)"
	rc=0
	inpod getent hosts nosuch >/dev/null 2>&1 || rc=$?
	expect_eq "getent hosts nosuch exits 2 (not found)" 2 "$rc"
	expect_match "getent hosts ext (in the pod's namespaces): the CNAME target's address" \
		"$(inpod getent hosts ext | xargs)" '^192\.0\.2\.80 www\.example\.test'
fi
expect_contains "the ExternalName target was asked upstream, in the lab" "$(cat "$UPLOG")" "www.example.test 1"
# the pod's resolver asked the cluster DNS, not the upstream, for the search-path names
expect_not_contains "search-path names never reached the upstream" "$(cat "$UPLOG")" "cluster.local"

expect_ok "kubectl delete pod dnsclient lookup" k delete pod dnsclient lookup --wait=false
