#!/bin/bash
# kubectl delete and its wait-for-deletion watch (--wait, --timeout, a finalizer that holds the
# object, --cascade=background|orphan|foreground, --dry-run=server, -l, --all, --force), and
# get -w / --output-watch-events / --watch-only on Deployments and a single named object.
# Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

cm() { printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","labels":{"grp":"%s"}%s}}' "$1" "$2" "${3:-}"; }
exists() { k get "$1" -n "$2" -o name >/dev/null 2>&1; }

deleting() {
	local ns=del-$KV out rc pid t0

	expect_eq "create namespace" "namespace/$ns created" "$(k create namespace "$ns" 2>&1)"
	for n in a b c d; do
		expect_eq "create cm $n" "configmap/$n created" "$(cm "$n" "$([ $n = d ] && echo two || echo one)" | k create -n "$ns" -f - 2>&1)"
	done

	# ---- plain delete (kubectl waits for it to be gone), several at once, not found
	expect_eq "delete" "configmap \"a\" deleted" "$(k delete cm a -n "$ns" 2>&1)"
	expect_fail "deleted is gone" "Error from server (NotFound): configmaps \"a\" not found" k get cm a -n "$ns"
	expect_fail "delete again: NotFound" "Error from server (NotFound): configmaps \"a\" not found" k delete cm a -n "$ns"
	expect_eq "delete --ignore-not-found" "" "$(k delete cm a -n "$ns" --ignore-not-found 2>&1)"
	expect_eq "delete --dry-run=server" "configmap \"b\" deleted (server dry run)" "$(k delete cm b -n "$ns" --dry-run=server 2>&1)"
	expect_eq "dry run kept it" "configmap/b" "$(k get cm b -n "$ns" -o name 2>&1 || true)"
	exists cm/b "$ns" || cm b one | k create -n "$ns" -f - >/dev/null # go on after a failure above
	expect_eq "delete -l" "configmap \"d\" deleted" "$(k delete cm -l grp=two -n "$ns" 2>&1)"
	expect_eq "delete two by name" "configmap \"b\" deleted|configmap \"c\" deleted" \
		"$(k delete cm b c -n "$ns" 2>&1 | paste -sd '|')"
	expect_eq "delete --all when nothing is left" "No resources found" "$(k delete cm --all -n "$ns" 2>&1)"

	# ---- a finalizer holds the object: --wait=false returns, the default waits and times out
	expect_ok "create a held configmap" k create -n "$ns" -f - <<<"$(cm held x ',"finalizers":["example.com/hold"]')"
	expect_eq "delete --wait=false returns at once" "configmap \"held\" deleted" \
		"$(k delete cm held -n "$ns" --wait=false 2>&1)"
	out=$(k get cm held -n "$ns" -o json)
	expect_eq "held: deletionTimestamp set, finalizer kept" "True [\"example.com/hold\"]" \
		"$(json 'str(bool(j["metadata"].get("deletionTimestamp"))) + " " + json.dumps(j["metadata"].get("finalizers"))' <<<"$out")"
	rc=0
	t0=$SECONDS
	out=$(k delete cm held -n "$ns" --timeout=3s 2>&1 | grep -Ev '^[EWI][0-9]{4} ') || rc=$?
	expect_eq "delete --timeout=3s on a held object: kubectl gives up" \
		"1|configmap \"held\" deleted|error: timed out waiting for the condition on configmaps/held" \
		"$rc|$(paste -sd '|' <<<"$out")"
	expect_eq "...after about 3 s" "True" "$([ $((SECONDS - t0)) -ge 3 ] && [ $((SECONDS - t0)) -le 15 ] && echo True || echo False)"
	# The waiting delete must return once the finalizer goes, through its watch.
	k_bg "$WORK/del-$KV.out" delete cm held -n "$ns" --timeout=60s
	pid=$BG_PID
	sleep 2
	expect_eq "still waiting while held" "running" "$(kill -0 "$pid" 2>/dev/null && echo running || echo exited)"
	expect_eq "remove the finalizer" "configmap/held patched" \
		"$(k patch cm held -n "$ns" --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]' 2>&1)"
	rc=0
	t0=$SECONDS
	wait "$pid" || rc=$?
	expect_eq "the waiting delete returns 0 once the object is gone" "0 configmap \"held\" deleted" \
		"$rc $(cat "$WORK/del-$KV.out")"
	expect_eq "...promptly (watch, not a poll of minutes)" "True" "$([ $((SECONDS - t0)) -le 5 ] && echo True || echo False)"
	expect_fail "held object is gone" "not found" k get cm held -n "$ns"

	# ---- --cascade on a Deployment (no ReplicaSets yet: every policy must still delete it)
	local p
	for p in background orphan foreground; do
		expect_ok "create deployment d-$p" k create deployment "d-$p" -n "$ns" --image=registry.example/x:1
		rc=0
		# upstream: Orphan and Foreground add a finalizer that the garbage collector removes at once
		# (there are no dependents), so each of these returns within a second or two.
		out=$(K_TIMEOUT=20 k delete deploy "d-$p" -n "$ns" --cascade=$p --timeout=8s 2>&1 | grep -Ev '^[EWI][0-9]{4} ') || rc=$?
		expect_eq "delete --cascade=$p" "0 deployment.apps \"d-$p\" deleted" "$rc $out"
		expect_fail "d-$p gone" "not found" k get deploy "d-$p" -n "$ns"
	done

	# ---- pods: unbound ones go at once; --force --grace-period=0
	expect_ok "run a pod" k run p1 -n "$ns" --image=registry.example/x:1
	expect_eq "delete an unbound pod" "pod \"p1\" deleted" "$(k delete pod p1 -n "$ns" --timeout=20s 2>&1)"
	expect_ok "run another pod" k run p2 -n "$ns" --image=registry.example/x:1
	out=$(k delete pod p2 -n "$ns" --force --grace-period=0 2>&1)
	expect_contains "delete --force warns" "$out" "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated."
	expect_contains "delete --force" "$out" "pod \"p2\" force deleted"
	expect_fail "force-deleted pod gone" "not found" k get pod p2 -n "$ns"

	# ---- delete -f
	cm fromfile f >"$WORK/cm-$KV.json"
	expect_eq "create -f file" "configmap/fromfile created" "$(k create -n "$ns" -f "$WORK/cm-$KV.json" 2>&1)"
	expect_eq "delete -f file" "configmap \"fromfile\" deleted" "$(k delete -n "$ns" -f "$WORK/cm-$KV.json" 2>&1)"
}

watching() {
	local ns=watch-$KV w1=$WORK/w-deploy-$KV.out w2=$WORK/w-one-$KV.out w3=$WORK/w-json-$KV.out out
	expect_eq "create namespace" "namespace/$ns created" "$(k create namespace "$ns" 2>&1)"
	expect_ok "create deployment old" k create deployment old -n "$ns" --image=registry.example/x:1

	k_bg "$w1" get deploy -n "$ns" -w --output-watch-events
	local p1=$BG_PID
	wait_file_contains 20 "$w1" old || _fail "get deploy -w printed the existing deployment" "$(cat "$w1")"
	expect_ok "create service one" k create service clusterip one -n "$ns" --tcp=80
	local p2
	k_bg "$w2" get svc one -n "$ns" -w -o name
	p2=$BG_PID
	k_bg "$w3" get cm -n "$ns" -w --watch-only -o json
	local p3=$BG_PID
	sleep 2
	expect_ok "create deployment new" k create deployment new -n "$ns" --image=registry.example/x:1 --replicas=2
	expect_ok "relabel deployment new" k label deploy new -n "$ns" stage=two
	expect_ok "label service one" k label svc one -n "$ns" seen=yes
	expect_ok "create a configmap" k create configmap cm1 -n "$ns" --from-literal=k=v
	expect_ok "delete deployment new" k delete deploy new -n "$ns"
	expect_ok "delete service one" k delete svc one -n "$ns" --wait=false
	retry_until 20 grep -qE '^DELETED +new ' "$w1" || true
	retry_until 20 test "$(grep -c 'service/one' "$w2")" -ge 3 || true
	retry_until 20 grep -q '"cm1"' "$w3" || true
	sleep 1
	kill "$p1" "$p2" "$p3" 2>/dev/null || true
	wait "$p1" "$p2" "$p3" 2>/dev/null || true

	out=$(cat "$w1")
	expect_match "watch deploy: header" "$out" '^EVENT +NAME +READY +UP-TO-DATE +AVAILABLE +AGE$'
	# The Deployment controller's status writes add MODIFIED events: fold repeats.
	expect_eq "watch deploy: events in order" "ADDED old|ADDED new|MODIFIED new|DELETED new" \
		"$(awk 'NR > 1 && !($1 == "MODIFIED" && $2 == "old") {print $1, $2}' <<<"$out" | uniq | paste -sd '|')"
	expect_match "watch deploy: the new row" "$out" '^ADDED +new +0/2 +[0-2] +0 +[0-9]+s$'
	out=$(cat "$w2")
	expect_eq "watch one service by name: initial, label, delete" "service/one|service/one|service/one" \
		"$(paste -sd '|' <<<"$out")"
	out=$(cat "$w3")
	expect_eq "watch --watch-only -o json: only the new configmap" "cm1 {\"k\": \"v\"}" \
		"$("$PY" -c '
import json, sys
d = json.JSONDecoder(); s = sys.stdin.read().strip(); i = 0; out = []
while i < len(s):
    o, i = d.raw_decode(s, i)
    out.append(o["metadata"]["name"] + " " + json.dumps(o["data"]))
    while i < len(s) and s[i].isspace(): i += 1
print("|".join(out))' <<<"$out" 2>&1)"
}

each_kubectl deleting
each_kubectl watching
