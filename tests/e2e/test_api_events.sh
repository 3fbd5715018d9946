#!/bin/bash
# Events: one created with kubectl create -f, one POSTed with curl; `kubectl get events` lists them
# with upstream's columns, field selectors on involvedObject work (kubectl describe relies on them),
# and `kubectl describe svc` shows the Service's events. Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# kubectl describe finds events by involvedObject name, namespace, kind and uid.
uid=$(k get svc kubernetes -o jsonpath='{.metadata.uid}')
cat >"$WORK/ev1.yaml" <<EOF
apiVersion: v1
kind: Event
metadata:
  name: kubernetes.ev1
  namespace: default
involvedObject:
  apiVersion: v1
  kind: Service
  name: kubernetes
  namespace: default
  uid: $uid
reason: Testing
message: hello from kubectl
type: Normal
source:
  component: e2e-test
count: 3
firstTimestamp: "$now"
lastTimestamp: "$now"
EOF
expect_eq "create -f event.yaml" "event/kubernetes.ev1 created" "$(k create -f "$WORK/ev1.yaml" 2>&1)"

cat >"$WORK/ev2.json" <<EOF
{"apiVersion":"v1","kind":"Event","metadata":{"name":"other.ev2","namespace":"default"},
 "involvedObject":{"apiVersion":"v1","kind":"ConfigMap","name":"other","namespace":"default"},
 "reason":"Poked","message":"hello from curl","type":"Warning","source":{"component":"curl"},
 "count":1,"firstTimestamp":"$now","lastTimestamp":"$now"}
EOF
out=$(api POST /api/v1/namespaces/default/events -H 'Content-Type: application/json' --data-binary "@$WORK/ev2.json")
expect_eq "POST an event with curl: 201" 201 "$(http_code "$out")"
expect_eq "the created event is returned" "other.ev2 Warning" \
	"$(http_body "$out" | json 'j["metadata"]["name"]+" "+j["type"]' 2>&1)"

events() {
	local out
	out=$(k get events)
	expect_match "get events header" "$out" '^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$'
	expect_match "get events lists the kubectl event" "$out" '^[0-9]+[smhd] +Normal +Testing +service/kubernetes +hello from kubectl$'
	expect_match "get events lists the curl event" "$out" '^[0-9]+[smhd] +Warning +Poked +configmap/other +hello from curl$'
	out=$(k get events --field-selector involvedObject.kind=Service,involvedObject.name=kubernetes -o name)
	expect_eq "event field selector on involvedObject" "event/kubernetes.ev1" "$out"
	out=$(k get events --field-selector type=Warning -o name)
	expect_eq "event field selector on type" "event/other.ev2" "$out"
	out=$(k get events -A -o wide)
	expect_match "get events -A -o wide row" "$out" \
		'^default +[0-9]+[smhd] +Normal +Testing +service/kubernetes +e2e-test +hello from kubectl +[0-9]+[smhd] +3 +kubernetes\.ev1$'
	out=$(k describe svc kubernetes)
	expect_match "describe svc shows Name" "$out" '^Name: +kubernetes$'
	expect_match "describe svc shows its event" "$out" '^ +Normal +Testing +.*e2e-test +hello from kubectl$'
	out=$(k events 2>&1)
	expect_contains "kubectl events lists the event" "$out" "hello from kubectl"
}
each_kubectl events

expect_contains "delete event" "$(k delete event kubernetes.ev1 2>&1)" 'event "kubernetes.ev1" deleted'
expect_not_contains "deleted event gone from the list" "$(k get events 2>&1)" "hello from kubectl"
