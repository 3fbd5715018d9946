#!/bin/bash
# kubectl's in-place write paths on a Service: patch (strategic merge keyed on port, RFC 7386 merge,
# RFC 6902 JSON patch with its test-failure message), edit through an EDITOR script (a good edit, a
# no-op, an invalid one that kubectl reports and keeps a copy of), label and annotate (add,
# --overwrite, key-), set selector. Each asserts what kubectl prints and what the server then holds.
# Run once with each kubectl version.
. "$(dirname "$0")/lib.sh"
lab_init
lab_node server 192.0.2.10
lab_node client 192.0.2.20
server_start server
CLIENT_NODE=client

# ports NS NAME: the stored ports, as compact sorted JSON
ports() { k get svc "$2" -n "$1" -o json | json 'j["spec"]["ports"]'; }
labels() { k get "$2" -n "$1" -o json | json 'j["metadata"].get("labels")'; }

patching() {
	local ns=patch-$KV svc=web out ip rv
	expect_eq "create namespace" "namespace/$ns created" "$(k create namespace "$ns" 2>&1)"
	expect_eq "create service" "service/$svc created" "$(k create -n "$ns" -f - 2>&1 <<-EOF
	{"apiVersion": "v1", "kind": "Service",
	 "metadata": {"name": "$svc", "labels": {"app": "web"}},
	 "spec": {"selector": {"app": "web"},
	          "ports": [{"name": "http", "port": 80, "targetPort": 8080},
	                    {"name": "metrics", "port": 9100, "targetPort": 9100}]}}
	EOF
	)"
	ip=$(k get svc "$svc" -n "$ns" -o jsonpath='{.spec.clusterIP}')

	# ---- strategic merge (kubectl's default type): list items merge by their key, `port`
	expect_eq "patch (strategic): targetPort of port 80" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" -p '{"spec":{"ports":[{"port":80,"targetPort":9090}]}}' 2>&1)"
	expect_eq "strategic: only port 80 changed, name and port 9100 kept" \
		'[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090}, {"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100}]' \
		"$(ports "$ns" "$svc")"
	expect_eq "patch (strategic) again: no change" "service/$svc patched (no change)" \
		"$(k patch svc "$svc" -n "$ns" --type strategic -p '{"spec":{"ports":[{"port":80,"targetPort":9090}]}}' 2>&1)"
	expect_eq "patch (strategic): \$patch delete of port 9100" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" --type strategic -p '{"spec":{"ports":[{"port":9100,"$patch":"delete"}]}}' 2>&1)"
	expect_eq "strategic: port 9100 gone" '[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090}]' \
		"$(ports "$ns" "$svc")"
	expect_eq "patch (strategic): a new port is added, not replacing" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" -p '{"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}' 2>&1)"
	expect_eq "strategic: both ports" \
		'[{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}, {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090}]' \
		"$(ports "$ns" "$svc")"
	expect_eq "clusterIP kept across patches" "$ip" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.spec.clusterIP}')"
	expect_eq "patch -o jsonpath prints the patched object" "9090" \
		"$(k patch svc "$svc" -n "$ns" -p '{"metadata":{"annotations":{"a":"1"}}}' -o 'jsonpath={.spec.ports[?(@.port==80)].targetPort}' 2>&1)"
	rv=$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')
	# kubectl patch prints no dry-run suffix (that is kubectl's own choice); the server must not store.
	expect_eq "patch --dry-run=server" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" -p '{"spec":{"ports":[{"port":80,"targetPort":1}]}}' --dry-run=server 2>&1)"
	expect_eq "dry run stored nothing" "$rv 9090" \
		"$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion} {.spec.ports[?(@.port==80)].targetPort}')"

	# ---- merge patch: maps merge, null deletes, lists are replaced whole
	expect_eq "patch --type merge: labels" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" --type merge -p '{"metadata":{"labels":{"tier":"front","app":null}}}' 2>&1)"
	expect_eq "merge: label added, null removed one" '{"tier": "front"}' "$(labels "$ns" "svc/$svc")"
	expect_eq "patch --type merge: ports replaced whole" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" --type merge -p '{"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}' 2>&1)"
	expect_eq "merge: ports list replaced" '[{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}]' \
		"$(ports "$ns" "$svc")"

	# ---- JSON patch: add, replace, remove, and a failed test
	expect_eq "patch --type json: add a label" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" --type json -p '[{"op":"add","path":"/metadata/labels/env","value":"prod"}]' 2>&1)"
	expect_eq "patch --type json: add a port at the end, remove a label" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" --type json -p '[{"op":"add","path":"/spec/ports/-","value":{"name":"dns","port":53,"protocol":"UDP"}},{"op":"remove","path":"/metadata/labels/tier"}]' 2>&1)"
	expect_eq "json: labels" '{"env": "prod"}' "$(labels "$ns" "svc/$svc")"
	expect_eq "json: ports (targetPort defaulted to port)" \
		'[{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}, {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53}]' \
		"$(ports "$ns" "$svc")"
	expect_eq "patch --type json: test then replace" "service/$svc patched" \
		"$(k patch svc "$svc" -n "$ns" --type json -p '[{"op":"test","path":"/spec/ports/1/port","value":53},{"op":"replace","path":"/spec/ports/1/targetPort","value":5353}]' 2>&1)"
	expect_eq "json: replaced" "5353" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.spec.ports[1].targetPort}')"
	rv=$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')
	# kube-apiserver answers a patch that does not apply with errors.NewGenericServerResponse(422):
	# message "the server rejected our request due to an error in our request", no causes.
	expect_fail "patch --type json: failed test op" \
		'The request is invalid: the server rejected our request due to an error in our request' \
		k patch svc "$svc" -n "$ns" --type json -p '[{"op":"test","path":"/metadata/labels/env","value":"dev"},{"op":"remove","path":"/metadata/labels/env"}]'
	expect_fail "patch --type json: remove of a missing path" \
		'The request is invalid: the server rejected our request due to an error in our request' \
		k patch svc "$svc" -n "$ns" --type json -p '[{"op":"remove","path":"/metadata/labels/nope"}]'
	expect_fail "patch --type json: not a JSON patch" \
		'Error from server (BadRequest)' \
		k patch svc "$svc" -n "$ns" --type json -p '{"op":"remove"}'
	expect_eq "failed patches stored nothing" "$rv" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')"
	expect_fail "patch into an invalid object: 422 with the field" \
		"The Service \"$svc\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive" \
		k patch svc "$svc" -n "$ns" --type json -p '[{"op":"replace","path":"/spec/ports/0/port","value":0}]'
	expect_fail "patch of a missing object" "Error from server (NotFound): services \"nope\" not found" \
		k patch svc nope -n "$ns" -p '{"metadata":{"labels":{"a":"b"}}}'

	# ---- edit through an EDITOR script
	local ed=$WORK/editor-$KV.sh tmp=$WORK/tmp-$KV
	mkdir -p "$tmp"
	printf '#!/bin/sh\nsed -i -e "s/targetPort: 8443/targetPort: 8444/" -e "s/^  labels:/  labels:\\n    edited: \\"yes\\"/" "$1"\n' >"$ed"
	chmod +x "$ed"
	expect_eq "edit: targetPort and a label" "service/$svc edited" \
		"$(EDITOR=$ed KUBE_EDITOR=$ed TMPDIR=$tmp k edit svc "$svc" -n "$ns" 2>&1)"
	expect_eq "edit: stored" '8444 {"edited": "yes", "env": "prod"}' \
		"$(k get svc "$svc" -n "$ns" -o jsonpath='{.spec.ports[0].targetPort}') $(labels "$ns" "svc/$svc")"
	printf '#!/bin/sh\ntrue\n' >"$ed"
	expect_eq "edit that changes nothing" "Edit cancelled, no changes made." \
		"$(EDITOR=$ed KUBE_EDITOR=$ed TMPDIR=$tmp k edit svc "$svc" -n "$ns" 2>&1)"
	rv=$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')
	printf '#!/bin/sh\nsed -i "s/port: 443$/port: 70000/" "$1"\n' >"$ed"
	local rc=0
	out=$(EDITOR=$ed KUBE_EDITOR=$ed TMPDIR=$tmp k edit svc "$svc" -n "$ns" -o yaml 2>&1) || rc=$?
	expect_eq "invalid edit: kubectl fails" 1 "$rc"
	expect_contains "invalid edit: kubectl names the invalid object" "$out" "error: services \"$svc\" is invalid"
	expect_contains "invalid edit: edit cancelled" "$out" "error: Edit cancelled, no valid changes were saved."
	local copy
	copy=$(sed -n 's/^A copy of your changes has been stored to "\(.*\)"$/\1/p' <<<"$out")
	expect_match "invalid edit: a copy is kept" "$copy" "^$tmp/kubectl[^/]*-edit-[0-9]+\\.yaml\$"
	[ -n "$copy" ] || copy=/nonexistent
	expect_contains "the copy carries the server's 422 cause" "$(cat "$copy" 2>&1)" \
		'# * spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'
	expect_contains "the copy carries the edit" "$(cat "$copy" 2>&1)" "port: 70000"
	expect_eq "invalid edit stored nothing" "$rv" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')"

	# ---- label and annotate
	expect_eq "label: add" "service/$svc labeled" "$(k label svc "$svc" -n "$ns" color=blue 2>&1)"
	expect_fail "label: existing key without --overwrite" \
		"error: 'color' already has a value (blue), and --overwrite is false" \
		k label svc "$svc" -n "$ns" color=red
	expect_eq "label --overwrite" "service/$svc labeled" "$(k label svc "$svc" -n "$ns" color=red --overwrite 2>&1)"
	expect_eq "label overwritten" "red" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.labels.color}')"
	expect_eq "label: remove with key-" "service/$svc unlabeled" "$(k label svc "$svc" -n "$ns" color- 2>&1)"
	expect_eq "label removed" '{"edited": "yes", "env": "prod"}' "$(labels "$ns" "svc/$svc")"
	expect_eq "label --resource-version (current)" "service/$svc labeled" \
		"$(k label svc "$svc" -n "$ns" rv=ok --resource-version="$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.resourceVersion}')" 2>&1)"
	expect_fail "label --resource-version (stale): Conflict" \
		"Error from server (Conflict): Operation cannot be fulfilled on services \"$svc\": the object has been modified; please apply your changes to the latest version and try again" \
		k label svc "$svc" -n "$ns" stale=yes --resource-version=1
	expect_eq "label -l across objects" "service/$svc labeled" \
		"$(k label svc -n "$ns" -l env=prod sel=yes 2>&1)"
	expect_eq "label --list" "edited=yes env=prod rv=ok sel=yes" \
		"$(k label svc "$svc" -n "$ns" --list 2>&1 | sort | paste -sd ' ')"
	expect_eq "label a namespace (cluster scoped)" "namespace/$ns labeled" "$(k label ns "$ns" owner=e2e 2>&1)"
	expect_eq "namespace label stored" "e2e" "$(k get ns "$ns" -o jsonpath='{.metadata.labels.owner}')"

	expect_eq "annotate: add" "service/$svc annotated" "$(k annotate svc "$svc" -n "$ns" note=first 2>&1)"
	expect_fail "annotate: existing key without --overwrite" \
		"error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (first)" \
		k annotate svc "$svc" -n "$ns" note=second
	expect_eq "annotate --overwrite" "service/$svc annotated" "$(k annotate svc "$svc" -n "$ns" --overwrite note=second 2>&1)"
	expect_eq "annotation overwritten" "second" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.metadata.annotations.note}')"
	expect_eq "annotate: a key with a prefix and a multi-line value" "service/$svc annotated" \
		"$(k annotate svc "$svc" -n "$ns" "example.com/text=line one
line two" 2>&1)"
	expect_eq "multi-line annotation stored" '"line one\nline two"' \
		"$(k get svc "$svc" -n "$ns" -o json | json 'json.dumps(j["metadata"]["annotations"]["example.com/text"])')"
	expect_eq "annotate: remove with key-" "service/$svc annotated" "$(k annotate svc "$svc" -n "$ns" note- a- 2>&1)"
	expect_eq "annotations left" '{"example.com/text": "line one\nline two"}' \
		"$(k get svc "$svc" -n "$ns" -o json | json 'j["metadata"]["annotations"]')"
	expect_fail "annotate: invalid key" 'metadata.annotations: Invalid value: "bad key!"' \
		k annotate svc "$svc" -n "$ns" 'bad key!=x'

	# ---- set selector: replaces the whole selector
	expect_eq "set selector" "service/$svc selector updated" "$(k set selector svc "$svc" -n "$ns" app=other,tier=back 2>&1)"
	expect_eq "selector stored" '{"app": "other", "tier": "back"}' \
		"$(k get svc "$svc" -n "$ns" -o json | json 'j["spec"]["selector"]')"
	expect_eq "set selector: keys not named are dropped" "service/$svc selector updated" \
		"$(k set selector svc/"$svc" -n "$ns" role=db 2>&1)"
	expect_eq "selector replaced" '{"role": "db"}' \
		"$(k get svc "$svc" -n "$ns" -o json | json 'j["spec"]["selector"]')"
	expect_eq "set selector --dry-run=client -o yaml prints, stores nothing" "  selector:|    x: \"1\"|{\"role\": \"db\"}" \
		"$(k set selector svc "$svc" -n "$ns" x=1 --dry-run=client -o yaml | grep -A1 '^  selector:' | paste -sd '|')|$(k get svc "$svc" -n "$ns" -o json | json 'j["spec"]["selector"]')"
	expect_eq "get -o wide shows the new selector" "role=db" \
		"$(k get svc "$svc" -n "$ns" -o wide --no-headers | awk '{print $NF}')"
	expect_eq "clusterIP kept through it all" "$ip" "$(k get svc "$svc" -n "$ns" -o jsonpath='{.spec.clusterIP}')"
}

each_kubectl patching
