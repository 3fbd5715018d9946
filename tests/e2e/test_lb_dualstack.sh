#!/bin/bash
# The `pool` provider with IPv4 and IPv6 pools on a dual-stack server: a RequireDualStack Service
# gets one address of each family, an IPv6-only Service an IPv6 one, PreferDualStack with the IPv6
# pool exhausted still gets its IPv4 address, RequireDualStack then waits with AllocationFailed;
# a requested IPv6 address and one of a family the Service does not have.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
server_start server --service-cidr 10.43.0.0/16,fd00:43::/112

T=30
ingress() { k get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
has_ingress() { [ -n "$(ingress "$1")" ]; }
events_of() {
	k get events --field-selector "involvedObject.kind=Service,involvedObject.name=$1" \
		--sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}'
}
has_event() { events_of "$2" | grep -qF -- "$1"; }
svc() { # svc NAME POLICY FAMILIES-json [annotations-json]
	k create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Service","metadata":{"name":"'$1'","annotations":'"${4:-{\}}"'},"spec":{"type":"LoadBalancer","ipFamilyPolicy":"'$2'","ipFamilies":'"$3"',"ports":[{"port":80}]}}'
}

k create configmap portico-lb -n kube-system --from-literal=pools="198.51.100.0/29
2001:db8:100::-2001:db8:100::1" >/dev/null

svc dual RequireDualStack '["IPv4","IPv6"]'
retry_until $T has_ingress dual || true
expect_eq "RequireDualStack: one address per family, primary first" "198.51.100.1 2001:db8:100::" "$(ingress dual)"
svc six SingleStack '["IPv6"]'
retry_until $T has_ingress six || true
expect_eq "IPv6 single stack" "2001:db8:100::1" "$(ingress six)"
expect_match "kubectl shows both addresses" "$(k get svc dual --no-headers)" '198\.51\.100\.1,2001:db8:100::'
svc prefer PreferDualStack '["IPv4","IPv6"]'
retry_until $T has_ingress prefer || true
sleep 1
expect_eq "PreferDualStack, IPv6 pool exhausted: the IPv4 address" "198.51.100.2" "$(ingress prefer)"
svc req6 RequireDualStack '["IPv4","IPv6"]'
retry_until $T has_event AllocationFailed req6 || true
expect_contains "RequireDualStack, IPv6 exhausted: AllocationFailed" "$(events_of req6)" "no available IPs in the IPv6 pools"
expect_eq "and <pending>" "" "$(ingress req6)"
k delete svc six >/dev/null
retry_until $T has_ingress req6 || true
expect_eq "the released IPv6 address goes to the waiting RequireDualStack Service" "198.51.100.3 2001:db8:100::1" "$(ingress req6)"
expect_eq "PreferDualStack keeps what it has" "198.51.100.2" "$(ingress prefer)"
svc v4only SingleStack '["IPv4"]' '{"portico.io/load-balancer-ips":"2001:db8:100::1"}'
retry_until $T has_event AllocationFailed v4only || true
expect_contains "an IPv6 address asked for an IPv4 Service" "$(events_of v4only)" "2001:db8:100::1 does not match the service's IP families"
