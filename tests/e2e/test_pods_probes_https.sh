#!/bin/bash
# HTTPS probes (issue 6), as the kubelet runs them: httpGet with scheme HTTPS speaks TLS without
# verifying the certificate, so a readiness probe at netexec's --https-port (a self-signed cert)
# passes and the pod becomes Ready, a liveness probe there never restarts the container, and the
# same port serves the pod's handlers over TLS to curl too. An HTTPS probe at a port serving plain
# HTTP fails the TLS handshake: the pod stays NotReady and the Unhealthy event carries the
# kubelet's wording (Readiness probe failed: Get "https://IP:PORT/healthz": ...).
. "$(dirname "$0")/lib.sh"
lab_init
cluster_up 2
T=60

cat >"$WORK/pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: ready-https}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080", "--https-port=8443"]
    readinessProbe:
      httpGet:
        path: /healthz
        port: 8443
        scheme: HTTPS
        httpHeaders: [{name: X-Probe, value: "yes"}]
      periodSeconds: 1
    livenessProbe:
      httpGet: {path: /healthz, port: 8443, scheme: HTTPS}
      periodSeconds: 1
      failureThreshold: 3
---
apiVersion: v1
kind: Pod
metadata: {name: https-at-http}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: netexec
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: ["netexec", "--http-port=8080"]
    readinessProbe:
      httpGet: {path: /healthz, port: 8080, scheme: HTTPS}
      periodSeconds: 1
YAML
expect_ok "create the pods with HTTPS probes" k apply -f "$WORK/pods.yaml"

ready_is() { [ "$(pod_field "$1" '{.status.conditions[?(@.type=="Ready")].status}')" = "$2" ]; }
cstat() { pod_field "$1" "{.status.containerStatuses[?(@.name==\"$2\")].$3}"; }
ev() { k get events --field-selector "involvedObject.name=$1" -o jsonpath='{range .items[*]}{.type} {.reason} {.message}{"\n"}{end}' 2>/dev/null; }

retry_until $T ready_is ready-https True || true
expect_eq "HTTPS readiness at netexec's --https-port: Ready" True "$(pod_field ready-https '{.status.conditions[?(@.type=="Ready")].status}')"
expect_eq "container ready" true "$(cstat ready-https netexec ready)"
IP=$(pod_field ready-https '{.status.podIP}')
NODE=$(pod_field ready-https '{.spec.nodeName}')
expect_eq "netexec over TLS answers /hostname (curl -k from the pod's node)" ready-https \
	"$(on "$NODE" curl -sk --max-time 5 "https://$IP:8443/hostname")"
expect_match "the certificate is self-signed, so a verifying client refuses it" \
	"$(on "$NODE" curl -s --max-time 5 -o /dev/null -w '%{http_code}' "https://$IP:8443/hostname"; echo " rc=$?")" 'rc=60$'
sleep 3 # several probe periods of the HTTPS liveness probe
expect_eq "HTTPS liveness on the serving port never restarts" 0 "$(cstat ready-https netexec restartCount)"
expect_eq "still Ready after several HTTPS probe periods" True "$(pod_field ready-https '{.status.conditions[?(@.type=="Ready")].status}')"
# before netexec listens a probe may find the port closed (the kubelet's too); nothing else may fail
expect_eq "no HTTPS probe failure beyond the start-up's refused connects" "" \
	"$(ev ready-https | grep Unhealthy | grep -v ': connect: connection refused$' || true)"

running() { [ -n "$(cstat https-at-http netexec state.running.startedAt)" ]; }
retry_until $T running || true
HIP=$(pod_field https-at-http '{.status.podIP}')
# (a probe before netexec listens finds the port closed: that event is not the one looked for)
tls_event() { ev https-at-http | grep 'Warning Unhealthy Readiness probe failed: ' | grep -v ': connect: connection refused$'; }
retry_until 30 tls_event || true
MSG=$(tls_event | head -n 1 || true)
log "event: $MSG"
# Go's client: "server gave HTTP response" when the server answers the ClientHello with an HTTP
# status line, "first record does not look like a TLS handshake" for a reply without one (libevent
# answers what it parses as an HTTP/0.9 request with a bare body), a deadline when the server
# waits for a request line that never ends, EOF when it hangs up: which one depends on the random
# bytes of the ClientHello (a newline in them ends libevent's request line)
expect_match "an HTTPS probe at a plain HTTP port: the kubelet's probe-failure event" "$MSG" \
	"^Warning Unhealthy Readiness probe failed: Get \"https://$HIP:8080/healthz\": (http: server gave HTTP response to HTTPS client|tls: first record does not look like a TLS handshake|context deadline exceeded \\(Client.Timeout exceeded while awaiting headers\\)|EOF)\$"
expect_eq "TLS handshake fails: never Ready, still running" "False true" \
	"$(pod_field https-at-http '{.status.conditions[?(@.type=="Ready")].status}') $(running && echo true || echo false)"
expect_eq "the plain port does serve HTTP (the probe's failure is the scheme)" ok \
	"$(on "$(pod_field https-at-http '{.spec.nodeName}')" curl -s --max-time 5 "http://$HIP:8080/healthz")"
