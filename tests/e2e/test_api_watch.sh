#!/bin/bash
# Watches through kubectl: `get svc -w` shows a Service created and deleted after the watch began,
# and --output-watch-events labels them ADDED and DELETED. Also a ConfigMap watch with a label
# selector, which must not show objects that do not match. Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

svc_json() {
	printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"%s"},"spec":{"selector":{"app":"%s"},"ports":[{"port":%s}]}}' "$1" "$1" "$2"
}

watches() {
	local w1=$WORK/watch-plain-$KV.out w2=$WORK/watch-events-$KV.out w3=$WORK/watch-cm-$KV.out
	local a=wa-$KV b=wb-$KV

	k_bg "$w1" get svc -w
	local p1=$BG_PID
	k_bg "$w2" get svc --watch --output-watch-events
	local p2=$BG_PID
	k_bg "$w3" get cm -w -l watched=yes -o name
	local p3=$BG_PID
	# Wait for the initial lists, so what follows arrives as watch events.
	wait_file_contains 20 "$w1" kubernetes || _fail "get svc -w printed its initial list" "$(cat "$w1")"
	wait_file_contains 20 "$w2" kubernetes || _fail "get svc -w --output-watch-events printed its initial list" "$(cat "$w2")"
	sleep 1

	expect_eq "create svc $a" "service/$a created" "$(svc_json "$a" 80 | k create -f - 2>&1)"
	expect_eq "create svc $b" "service/$b created" "$(svc_json "$b" 81 | k create -f - 2>&1)"
	expect_ok "create matching configmap" k create -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"seen-'"$KV"'","labels":{"watched":"yes"}}}'
	expect_ok "create non-matching configmap" k create configmap "unseen-$KV"
	wait_file_contains 20 "$w1" "$a" || true
	expect_contains "delete svc $a" "$(k delete svc "$a" 2>&1)" "service \"$a\" deleted"
	# Wait until the deletion shows as a second line for $a (or time out and let the checks speak).
	retry_until 20 lines_at_least 2 "$w1" "^$a " || true
	retry_until 20 grep -qE "^DELETED +$a " "$w2" || true
	retry_until 20 grep -q "seen-$KV" "$w3" || true
	sleep 1
	kill "$p1" "$p2" "$p3" 2>/dev/null || true
	wait "$p1" "$p2" "$p3" 2>/dev/null || true

	local out
	out=$(cat "$w1")
	expect_match "get -w: header" "$out" '^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$'
	expect_match "get -w: initial list has kubernetes" "$out" '^kubernetes +ClusterIP +10\.43\.0\.1 +<none> +443/TCP '
	expect_match "get -w: created $a appears" "$out" "^$a +ClusterIP +10\\.43\\.[0-9.]+ +<none> +80/TCP "
	expect_match "get -w: created $b appears" "$out" "^$b +ClusterIP +10\\.43\\.[0-9.]+ +<none> +81/TCP "
	expect_eq "get -w: deleted $a reported (a second line)" 2 "$(grep -c "^$a " <<<"$out")"
	expect_eq "get -w: $b reported once" 1 "$(grep -c "^$b " <<<"$out")"

	out=$(cat "$w2")
	expect_match "watch events: header" "$out" '^EVENT +NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE$'
	expect_match "watch events: initial ADDED kubernetes" "$out" '^ADDED +kubernetes +ClusterIP +10\.43\.0\.1 '
	expect_eq "watch events for $a" "ADDED $a|DELETED $a" "$(awk -v n="$a" '$2 == n {print $1, $2}' <<<"$out" | paste -sd '|')"
	expect_eq "watch events for $b" "ADDED $b" "$(awk -v n="$b" '$2 == n {print $1, $2}' <<<"$out" | paste -sd '|')"

	out=$(cat "$w3")
	expect_contains "label-selected watch shows the match" "$out" "configmap/seen-$KV"
	expect_not_contains "label-selected watch hides the rest" "$out" "unseen-$KV"
	k delete svc "$b" >/dev/null
}

each_kubectl watches

# A watch from a resourceVersion replays what happened after it (curl, raw watch events).
rv=$(k get svc kubernetes -o jsonpath='{.metadata.resourceVersion}')
expect_eq "create svc replay" "service/replay created" \
	"$(svc_json replay 90 | k create -f - 2>&1)"
out=$(api GET "/api/v1/namespaces/default/services?watch=1&resourceVersion=$rv&timeoutSeconds=2")
expect_eq "watch with timeoutSeconds ends with 200" 200 "$(http_code "$out")"
expect_match "watch replays ADDED replay" "$(http_body "$out")" '^\{"type":"ADDED","object":\{.*"name":"replay"'
