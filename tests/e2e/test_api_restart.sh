#!/bin/bash
# Restart persistence. A clean stop and start on the same data dir keeps every object with the same
# uid and resourceVersion, and the same CA: the old kubeconfig still works. Then kill -9 in the
# middle of a stream of creates: after a restart every create the server acknowledged is there.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

meta() { # meta KIND NAME [NS]: "uid rv" plus clusterIP for services
	k get "$1" "$2" ${3:+-n "$3"} -o jsonpath='{.metadata.uid} {.metadata.resourceVersion}{" "}{.spec.clusterIP}'
}

expect_eq "create namespace" "namespace/keep created" "$(k create namespace keep 2>&1)"
expect_eq "create service" "service/keep-svc created" "$(k create -f - 2>&1 <<'EOF'
{"apiVersion":"v1","kind":"Service","metadata":{"name":"keep-svc","namespace":"keep","labels":{"a":"b"}},
 "spec":{"selector":{"app":"keep"},"ports":[{"port":8080,"protocol":"UDP"}]}}
EOF
)"
expect_eq "create configmap" "configmap/keep-cm created" \
	"$(k create configmap keep-cm -n keep --from-literal=answer=42 2>&1)"
expect_ok "annotate (an update)" k annotate svc keep-svc -n keep twice=yes

declare -A BEFORE
BEFORE[ns]=$(meta namespace keep)
BEFORE[svc]=$(meta svc keep-svc keep)
BEFORE[cm]=$(meta cm keep-cm keep)
BEFORE[kubernetes]=$(meta svc kubernetes default)
BEFORE[default]=$(meta namespace default)
cp "$KUBECONFIG" "$WORK/kubeconfig.before"
ca_before=$(sha256sum <"$SERVER_DATA/ca.crt")
max_rv=$(k get --raw /api/v1/namespaces/keep/configmaps | json 'j["metadata"]["resourceVersion"]')

server_stop
server_restart
export KUBECONFIG=$WORK/kubeconfig.before

after_restart() {
	expect_eq "namespace keep: same uid and resourceVersion" "${BEFORE[ns]}" "$(meta namespace keep)"
	expect_eq "service: same uid, resourceVersion and clusterIP" "${BEFORE[svc]}" "$(meta svc keep-svc keep)"
	expect_eq "configmap: same uid and resourceVersion" "${BEFORE[cm]}" "$(meta cm keep-cm keep)"
	expect_eq "kubernetes service: same uid and resourceVersion" "${BEFORE[kubernetes]}" "$(meta svc kubernetes default)"
	expect_eq "default namespace: same uid and resourceVersion" "${BEFORE[default]}" "$(meta namespace default)"
	expect_eq "service spec kept" '8080/UDP app=keep twice=yes b' \
		"$(k get svc keep-svc -n keep -o jsonpath='{.spec.ports[0].port}/{.spec.ports[0].protocol} app={.spec.selector.app} twice={.metadata.annotations.twice} {.metadata.labels.a}')"
	expect_eq "configmap data kept" "42" "$(k get cm keep-cm -n keep -o jsonpath='{.data.answer}')"
	expect_eq "still exactly one kubernetes service" "1" \
		"$(k get svc -A --field-selector metadata.name=kubernetes -o name | wc -l)"
}
each_kubectl after_restart

expect_eq "same CA after restart" "$ca_before" "$(sha256sum <"$SERVER_DATA/ca.crt")"
expect_eq "kubeconfig CA unchanged" \
	"$(grep certificate-authority-data "$WORK/kubeconfig.before")" \
	"$(grep certificate-authority-data "$SERVER_DATA/kubeconfig")"
expect_eq "create after restart" "service/new-svc created" "$(k create -f - 2>&1 <<'EOF'
{"apiVersion":"v1","kind":"Service","metadata":{"name":"new-svc","namespace":"keep"},"spec":{"ports":[{"port":1}]}}
EOF
)"
new=$(meta svc new-svc keep)
read -r _ new_rv new_ip <<<"$new"
CHECKS=$((CHECKS + 1))
if [ "${new_rv:-0}" -gt "${max_rv:-0}" ] 2>/dev/null; then _ok "resourceVersion grows across restarts ($max_rv -> $new_rv)"
else _fail "resourceVersion grows across restarts" "before restart list rv $max_rv, new object rv '$new_rv'"; fi
old_ip=$(awk '{print $3}' <<<"${BEFORE[svc]}")
CHECKS=$((CHECKS + 1))
if [ -n "$new_ip" ] && [ "$new_ip" != "$old_ip" ] && [ "$new_ip" != 10.43.0.1 ]; then _ok "clusterIP allocations survive restart ($new_ip)"
else _fail "clusterIP allocations survive restart" "new $new_ip, existing $old_ip and 10.43.0.1"; fi

# ---- kill -9 during a stream of creates
expect_eq "create namespace crash" "namespace/crash created" "$(k create namespace crash 2>&1)"
ACKED=$WORK/acked
: >"$ACKED"
(
	set +eE
	trap - ERR EXIT
	for i in $(seq 1 2000); do
		out=$(api POST /api/v1/namespaces/crash/configmaps -H 'Content-Type: application/json' \
			--data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c-'"$i"'"},"data":{"i":"'"$i"'"}}' 2>/dev/null)
		[ "$(http_code "$out")" = 201 ] || break
		echo "c-$i" >>"$ACKED"
	done
) &
loop=$!
BG_PIDS="${BG_PIDS:-} $loop"
retry_until 30 lines_at_least 40 "$ACKED" . || true
server_kill9
wait "$loop" 2>/dev/null || true
n_acked=$(wc -l <"$ACKED")
log "$n_acked creates acknowledged before kill -9"
CHECKS=$((CHECKS + 1))
if [ "$n_acked" -ge 40 ]; then _ok "at least 40 creates acknowledged before the kill ($n_acked)"
else _fail "at least 40 creates acknowledged before the kill" "only $n_acked"; fi

server_restart
have=$(k get cm -n crash -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort)
missing=$(comm -23 <(sort "$ACKED") <(printf '%s\n' "$have"))
expect_eq "every acknowledged create survived kill -9" "" "$missing"
expect_eq "acknowledged objects have their data" "7" "$(k get cm c-7 -n crash -o jsonpath='{.data.i}')"
expect_eq "objects from before the first restart survived too" "${BEFORE[svc]}" "$(meta svc keep-svc keep)"
expect_eq "the server works after kill -9" "configmap/after created" \
	"$(k create configmap after -n crash 2>&1)"
