#!/bin/bash
# The exec runtime without an API server, driven by `portico runtime-test` (a test aid: each call is a
# short-lived "agent"): a pod in its own network namespace with hostname, resolv.conf and hosts of its
# own, env and args with Kubernetes semantics, CRI logs, restart policies and the back-off, SIGTERM /
# grace / SIGKILL, kill -9 of the agent and adoption without restarts, ErrImagePull, StartError, and
# exec in a container (status, output, time-out).
. "$(dirname "$0")/lib.sh"
lab_init

D=$WORK/data
mkdir -p "$D"
rt() { ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$PORTICO" runtime-test --data-dir "$D" "$@"; }
# jq-free JSON probes: python over the status array.
st() { rt status "$1"; }
field() { # field UID CONTAINER PY-EXPR (c is the containerStatus)
	rt status "$1" | "$PY" -c '
import json, sys
c = [x for x in json.load(sys.stdin) if x["name"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$2" "$3"
}
sup_pid() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["supervisorPid"])' "$D/pods/$1/status.json"; }
ctr_pid() { "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
print([c for c in s["containers"] if c["name"] == sys.argv[2]][0]["pid"])' "$D/pods/$1/status.json" "$2"; }

# A process that exited but is not reaped yet (orphans go to this sandbox's PID 1, the script) is gone.
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
alive() { ! gone "$1"; }

# Pod A's network from the pod network (portico podnet: bridge, veth, IPAM), as the agent will do it;
# pod B's a bare namespace.
podnet() { "$PORTICO" podnet --data-dir "$D" --pod-cidr 10.42.0.0/24 "$@"; }
podnet init >/dev/null
SB=$(podnet create uid-a)
IP_A=$(sed -n 's/.* ip=\([0-9.]*\) .*/\1/p' <<<"$SB")
NETNS_A=$(sed -n 's/.* netns=\([^ ]*\).*/\1/p' <<<"$SB")
[ -n "$IP_A" ] && [ -e "$NETNS_A" ] || die "podnet create: $SB"
log "pod A: $IP_A in $NETNS_A"
ip netns add pod-b
NODE_RESOLV=$(md5sum </etc/resolv.conf)
NODE_HOSTNAME=$(hostname)

cat >"$WORK/svcs.json" <<'EOF'
{"items":[{"metadata":{"name":"web-svc","namespace":"demo"},"spec":{"clusterIP":"10.43.0.20","ports":[
 {"name":"http","port":80,"protocol":"TCP"},{"name":"dns","port":53,"protocol":"UDP"}]}}]}
EOF
cat >"$WORK/pod-a.json" <<'EOF'
{"metadata":{"name":"web-0","namespace":"demo","uid":"uid-a"},
 "spec":{"restartPolicy":"Always","terminationGracePeriodSeconds":30,"hostname":"web-0","subdomain":"websub",
  "containers":[
   {"name":"main","image":"docker.io/library/busybox:1.36",
    "command":["sh","-c","echo args:$#:$1:$2; echo env:$GREETING:$MSG:$WEB_SVC_SERVICE_HOST:$WEB_SVC_PORT_53_UDP; echo host:$(hostname); cat /etc/resolv.conf; cat /etc/hosts; echo to-stderr >&2; exec sleep 100000","sh"],
    "args":["$(GREETING)","two words $$(GREETING)"],
    "env":[{"name":"GREETING","value":"hi"},{"name":"MSG","value":"m-$(GREETING)-$(UNDEFINED)"}]},
   {"name":"crash","image":"busybox","command":["sh","-c","echo run; exit 1"]},
   {"name":"trap","image":"busybox","command":["sh","-c","trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.2; done"]},
   {"name":"web","image":"registry.k8s.io/e2e-test-images/agnhost:2.53","args":["netexec","--http-port=8080","--udp-port=8081"]}
  ]}}
EOF
cat >"$WORK/pod-b.json" <<'EOF'
{"metadata":{"name":"once","namespace":"demo","uid":"uid-b"},
 "spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":1,
  "containers":[
   {"name":"fail","image":"busybox","command":["sh","-c","echo failing; exit 3"]},
   {"name":"wd","image":"busybox","workingDir":"/tmp","command":["pwd"]},
   {"name":"badimage","image":"example.com/team/no-such-image:1.0"},
   {"name":"nocmd","image":"docker.io/library/true:latest","command":["no-such-command-xyz"]},
   {"name":"sleeper","image":"busybox","command":["sleep","100000"]}
  ]}}
EOF

# ---- start pod A (the "agent" exits right after: the pod must not care) ---------------------------
expect_ok "runtime-test run starts pod A" rt run "$WORK/pod-a.json" --netns "$NETNS_A" --ip "$IP_A" \
	--services "$WORK/svcs.json"
SERVER_LOGS+=("$D/pods/uid-a/supervisor.log" "$D/pods/uid-b/supervisor.log")
running() { [ "$(field uid-a "$1" '"running" in c["state"]')" = True ]; }
retry_until 10 running main || die "main did not start: $(st uid-a); $(cat "$D/pods/uid-a/supervisor.log")"
retry_until 10 running web || die "web did not start: $(st uid-a)"
MAIN_LOG=$(rt log uid-a main)
expect_eq "main's log is run 0" "$D/pods/uid-a/logs/main/0.log" "$MAIN_LOG"
has_line() { grep -q -- "$2" "$1"; }
retry_until 10 has_line "$MAIN_LOG" "to-stderr" || true
LOGTXT=$(cat "$MAIN_LOG")
expect_contains "command + args (args \$(VAR)-expanded, \$\$ escaped)" "$LOGTXT" 'stdout F args:2:hi:two words $(GREETING)'
expect_contains "env expanded; undefined \$(X) left as is; service variables" "$LOGTXT" \
	'stdout F env:hi:m-hi-$(UNDEFINED):10.43.0.20:udp://10.43.0.20:53'
expect_contains "hostname is the pod's" "$LOGTXT" 'stdout F host:web-0'
expect_contains "resolv.conf: cluster DNS" "$LOGTXT" 'stdout F nameserver 10.43.0.10'
expect_contains "resolv.conf: search path" "$LOGTXT" 'stdout F search demo.svc.cluster.local svc.cluster.local cluster.local'
expect_contains "resolv.conf: ndots" "$LOGTXT" 'stdout F options ndots:5'
expect_contains "hosts: kubelet header" "$LOGTXT" 'stdout F # Kubernetes-managed hosts file.'
expect_contains "hosts: pod IP with FQDN (hostname+subdomain)" "$LOGTXT" \
	"$(printf 'stdout F %s\tweb-0.websub.demo.svc.cluster.local\tweb-0' "$IP_A")"
expect_contains "stderr lines tagged stderr" "$LOGTXT" 'stderr F to-stderr'
BAD=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z (stdout|stderr) [FP] ' "$MAIN_LOG" || true)
expect_eq "every log line is in the CRI format" 0 "$BAD"
expect_eq "the node's /etc/resolv.conf is unchanged" "$NODE_RESOLV" "$(md5sum </etc/resolv.conf)"
expect_eq "the node's hostname is unchanged" "$NODE_HOSTNAME" "$(hostname)"
expect_not_contains "the node's /etc/hosts is not the pod's" "$(cat /etc/hosts)" "web-0"

MAIN_PID=$(ctr_pid uid-a main)
expect_eq "main runs in the pod's network namespace" "$(stat -L -c 'net:[%i]' "$NETNS_A")" \
	"$(readlink "/proc/$MAIN_PID/ns/net")"
expect_eq "the supervisor shares it" "$(readlink "/proc/$MAIN_PID/ns/net")" "$(readlink "/proc/$(sup_pid uid-a)/ns/net")"
expect_eq "main's UTS namespace is not the node's" 1 "$([ "$(readlink "/proc/$MAIN_PID/ns/uts")" != "$(readlink /proc/self/ns/uts)" ] && echo 1)"
expect_eq "main's mount namespace is not the node's" 1 "$([ "$(readlink "/proc/$MAIN_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && echo 1)"
expect_eq "the supervisor is not a child of the agent (reparented)" 1 "$(awk '{print $4}' "/proc/$(sup_pid uid-a)/stat")"
# supervisors come from the spawner (src/agent/spawner.h), which leaves with the process that started it
expect_eq "the supervisor's command line names its pod directory" "portico supervise $D/pods/uid-a --lock-fd 3 --listen-fd 4" \
	"$(tr '\0' ' ' <"/proc/$(sup_pid uid-a)/cmdline" | sed 's/ *$//')"
no_spawner() { ! pgrep -f 'supervise --spawner' >/dev/null; }
retry_until 5 no_spawner || true
expect_eq "no spawner left once runtime-test has exited" "" "$(pgrep -af 'supervise --spawner' || true)"
expect_eq "imageID names the program" "portico:///bin/busybox" "$(field uid-a main 'c["imageID"]')"
expect_eq "containerID" "portico://uid-a/main/0" "$(field uid-a main 'c["containerID"]')"

# agnhost runs portico netexec, in the pod's netns, with the pod's hostname.
web_up() { [ "$(curl -s --max-time 1 "http://$IP_A:8080/hostname")" = web-0 ]; }
if retry_until 15 web_up; then
	_ok "agnhost netexec answers /hostname with the pod name on the pod IP (from the node, over the bridge)"
	CHECKS=$((CHECKS + 1))
else
	_fail "agnhost netexec did not answer" "$(cat "$(rt log uid-a web)")"
fi
expect_eq "the node's namespace does not have the pod's port" "000" \
	"$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/hostname || true)"

# ---- restart policy Always and the back-off ---------------------------------------------------------
# The kubelet restarts at once after the first exit, then waits 10 s, 20 s, ... (CrashLoopBackOff).
rc_is() { [ "$(field uid-a crash 'c["restartCount"]')" -ge "$1" ]; }
retry_until 10 rc_is 1 || _fail "crash was not restarted: $(st uid-a)"
retry_until 5 eval '[ "$(field uid-a crash "c[\"state\"].get(\"waiting\",{}).get(\"reason\",\"\")")" = CrashLoopBackOff ]' || true
expect_eq "crash waits in CrashLoopBackOff" "CrashLoopBackOff" "$(field uid-a crash 'c["state"]["waiting"]["reason"]')"
expect_eq "lastState is the exit" "1 Error" "$(field uid-a crash 'str(c["lastState"]["terminated"]["exitCode"]) + " " + c["lastState"]["terminated"]["reason"]')"
retry_until 20 rc_is 2 || true
expect_eq "restarted after the back-off (restartCount 2)" 2 "$(field uid-a crash 'c["restartCount"]')"
retry_until 5 eval '[ "$(field uid-a crash "c[\"state\"].get(\"waiting\",{}).get(\"reason\",\"\")")" = CrashLoopBackOff ]' || true
expect_eq "the back-off doubles; the message names container and pod" \
	"back-off 20s restarting failed container=crash pod=web-0_demo(uid-a)" "$(field uid-a crash 'c["state"]["waiting"]["message"]')"
# The runs' own timestamps (the CRI log lines): run 1 at once after run 0, run 2 10 s after run 1.
gap() { "$PY" -c '
import sys, datetime
def t(p):
    s = open(p).readline().split(" ")[0].rstrip("Z")
    d, f = (s.split(".") + ["0"])[:2]
    return datetime.datetime.fromisoformat(d).timestamp() + float("0." + f)
print("%.1f" % (t(sys.argv[2]) - t(sys.argv[1])))' "$D/pods/uid-a/logs/crash/$1.log" "$D/pods/uid-a/logs/crash/$2.log"; }
G01=$(gap 0 1)
G12=$(gap 1 2)
log "runs of crash: run 1 ${G01} s after run 0, run 2 ${G12} s after run 1"
expect_eq "first restart without back-off (< 2 s)" 1 "$("$PY" -c "print(1 if $G01 < 2 else 0)")"
expect_eq "second restart after the 10 s back-off (10..12.5 s)" 1 "$("$PY" -c "print(1 if 10 <= $G12 < 12.5 else 0)")"
CUR=$(rt log uid-a crash)
PREV=$(rt log uid-a crash --previous)
expect_eq "current log is the latest run's" "$D/pods/uid-a/logs/crash/2.log" "$CUR"
expect_eq "previous log is the run before" "$D/pods/uid-a/logs/crash/1.log" "$PREV"
expect_match "each run's output is in its own log" "$(cat "$PREV")" ' stdout F run$'

# ---- exec in a container -------------------------------------------------------------------------------
OUT=$(rt exec uid-a main 5000 sh -c 'echo out-$GREETING; echo err >&2; hostname; cat /etc/resolv.conf | head -1; exit 3')
expect_eq "exec: status, combined output, the container's env, hostname and files" "status=3
out-hi
err
web-0
nameserver 10.43.0.10" "$OUT"
S0=$SECONDS
OUT=$(rt exec uid-a main 700 sleep 30)
expect_eq "exec: killed at the time-out" "status=-110" "$OUT"
expect_eq "exec: the time-out is honoured (< 3 s)" 1 "$([ $((SECONDS - S0)) -lt 3 ] && echo 1)"
OUT=$(rt exec uid-a nosuch 700 true || true)
expect_eq "exec: unknown container" "status=-2" "$OUT"

# ---- kill -9 of the agent (and its process group); adoption without restarts ------------------------
setsid bash -c "exec $PORTICO runtime-test --data-dir $D run $WORK/pod-a.json --netns $NETNS_A --ip $IP_A --hold" \
	>"$WORK/hold.out" 2>&1 &
HOLD=$!
retry_until 5 grep -q '^change uid-a' "$WORK/hold.out" || _fail "the holding agent saw no change" "$(cat "$WORK/hold.out")"
PID_BEFORE=$(ctr_pid uid-a main)
RC_BEFORE=$(field uid-a main 'c["restartCount"]')
SUP_BEFORE=$(sup_pid uid-a)
kill -9 -- "-$HOLD" 2>/dev/null || kill -9 "$HOLD"
wait "$HOLD" 2>/dev/null || true
sleep 1
expect_eq "after kill -9 of the agent's group the supervisor lives" 1 "$(alive "$SUP_BEFORE" && echo 1)"
expect_eq "and main still runs" 1 "$(alive "$PID_BEFORE" && echo 1)"
expect_ok "a new agent adopts pod A" rt run "$WORK/pod-a.json" --netns "$NETNS_A" --ip "$IP_A"
expect_eq "adoption restarted nothing: same pid" "$PID_BEFORE" "$(ctr_pid uid-a main)"
expect_eq "adoption restarted nothing: same restartCount" "$RC_BEFORE" "$(field uid-a main 'c["restartCount"]')"
expect_eq "adoption restarted nothing: same supervisor" "$SUP_BEFORE" "$(sup_pid uid-a)"
expect_eq "list shows pod A running" "uid-a running" "$(rt list | grep uid-a)"

expect_eq "a container has only stdin (/dev/null), stdout and stderr open" "0 1 2" \
	"$(ls "/proc/$PID_BEFORE/fd" | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "its stdin is /dev/null" /dev/null "$(readlink "/proc/$PID_BEFORE/fd/0")"

# ---- killing one container (liveness): TERM, grace, KILL, restart -----------------------------------------
rt wait-change uid-a 10 >"$WORK/change.out" 2>&1 &
WC=$!
sleep 0.5
TRAP_PID=$(ctr_pid uid-a trap)
K0=$(date +%s.%N)
expect_ok "kill one container with a 2 s grace" rt kill uid-a trap 2
trap_restarted() { [ "$(field uid-a trap 'c["restartCount"]')" = 1 ] && running trap; }
retry_until 10 trap_restarted || true
K1=$(date +%s.%N)
expect_eq "the container trapping TERM was killed and restarted" 1 "$(field uid-a trap 'c["restartCount"]')"
expect_eq "its last state: SIGKILLed after the grace (137)" 137 "$(field uid-a trap 'c["lastState"]["terminated"]["exitCode"]')"
expect_eq "the grace period was honoured (>= 2 s)" 1 "$("$PY" -c "print(1 if $K1 - $K0 >= 2 else 0)")"
expect_contains "it got the TERM first" "$(cat "$(rt log uid-a trap --previous)")" "stdout F got TERM"
expect_eq "not the same process" 1 "$([ "$(ctr_pid uid-a trap)" != "$TRAP_PID" ] && echo 1)"
wait "$WC" || true
expect_match "the agent is told of the change (on_change)" "$(cat "$WORK/change.out")" '^change uid-a '

# ---- pod B: restartPolicy Never, ErrImagePull, StartError, workingDir -----------------------------------------
expect_ok "runtime-test run starts pod B" rt run "$WORK/pod-b.json" --netns /run/netns/pod-b --ip 10.42.0.6
b_settled() { [ "$(field uid-b fail '"terminated" in c["state"]')" = True ] && [ "$(field uid-b wd '"terminated" in c["state"]')" = True ]; }
retry_until 10 b_settled || true
sleep 2
expect_eq "Never: a failed container stays terminated (exit 3, Error)" "3 Error 0" \
	"$(field uid-b fail 'str(c["state"]["terminated"]["exitCode"]) + " " + c["state"]["terminated"]["reason"] + " " + str(c["restartCount"])')"
expect_eq "Never: a succeeded container is Completed" "0 Completed" \
	"$(field uid-b wd 'str(c["state"]["terminated"]["exitCode"]) + " " + c["state"]["terminated"]["reason"]')"
expect_contains "workingDir is the cwd" "$(cat "$(rt log uid-b wd)")" "stdout F /tmp"
expect_eq "unknown image: Waiting ErrImagePull" "ErrImagePull" "$(field uid-b badimage 'c["state"]["waiting"]["reason"]')"
expect_eq "with kubelet's message naming the image" \
	'failed to pull and unpack image "example.com/team/no-such-image:1.0": not found in the image map or on PATH' \
	"$(field uid-b badimage 'c["state"]["waiting"]["message"]')"
expect_eq "missing command: terminated StartError 128" "128 StartError" \
	"$(field uid-b nocmd 'str(c["state"]["terminated"]["exitCode"]) + " " + c["state"]["terminated"]["reason"]')"
expect_contains "StartError message has the exec error" "$(field uid-b nocmd 'c["state"]["terminated"]["message"]')" \
	'exec: "no-such-command-xyz": executable file not found in $PATH'
expect_eq "Never: no restart after StartError" 0 "$(field uid-b nocmd 'c["restartCount"]')"

# The image map: an entry makes the unknown image resolvable at the next pull retry (10 s back-off).
printf '# test map\nexample.com/team/no-such-image:*  @busybox\n' >"$D/image-map"
# (the retry is scheduled 10 s after the first failure; pod B started a few seconds ago)
retry_until 15 eval '[ "$(field uid-b badimage "\"running\" in c[\"state\"] or \"terminated\" in c[\"state\"]")" = True ]' || true
expect_eq "after the image map names it, the image resolves (busybox sh)" "portico:///bin/busybox" \
	"$(field uid-b badimage 'c["imageID"]')"

# ---- a supervisor that dies takes its containers along; the next run carries on its counts -------------
SUP_A=$(sup_pid uid-a)
MAIN_PID=$(ctr_pid uid-a main)
MAIN_RC=$(field uid-a main 'c["restartCount"]')
kill -9 "$SUP_A"
retry_until 5 gone "$MAIN_PID" || true
expect_eq "main died with its supervisor" 1 "$(gone "$MAIN_PID" && echo 1)"
expect_eq "shown as ContainerStatusUnknown" "ContainerStatusUnknown" "$(field uid-a main 'c["state"]["terminated"]["reason"]')"
expect_eq "list shows pod A stopped" "uid-a stopped" "$(rt list | grep uid-a)"
expect_ok "run again starts a new supervisor" rt run "$WORK/pod-a.json" --netns "$NETNS_A" --ip "$IP_A"
retry_until 10 running main || true
expect_eq "main restarted: restartCount carried on" $((MAIN_RC + 1)) "$(field uid-a main 'c["restartCount"]')"
expect_eq "a new log file for the new run" "$D/pods/uid-a/logs/main/$((MAIN_RC + 1)).log" "$(rt log uid-a main)"
retry_until 15 web_up || true
cp "$D/pods/uid-a/supervisor.log" "$WORK/supervisor-a0.log"
SERVER_LOGS+=("$WORK/supervisor-a0.log")

# ---- pod C: OnFailure, and a line longer than 16 KiB (CRI partial lines) ----------------------------------
cat >"$WORK/pod-c.json" <<'EOF'
{"metadata":{"name":"onfail","namespace":"demo","uid":"uid-c"},
 "spec":{"restartPolicy":"OnFailure","hostNetwork":true,
  "containers":[
   {"name":"hn","image":"busybox","command":["sh","-c","echo host:$(hostname); cat /etc/resolv.conf; cat /etc/hosts"]},
   {"name":"ok","image":"busybox","command":["sh","-c","head -c 20000 /dev/zero | tr '\\0' a; echo; echo done"]},
   {"name":"bad","image":"busybox","command":["sh","-c","exit 2"]}
  ]}}
EOF
expect_ok "runtime-test run starts pod C (hostNetwork: no network namespace of its own)" rt run "$WORK/pod-c.json"
SERVER_LOGS+=("$D/pods/uid-c/supervisor.log")
c_settled() { [ "$(field uid-c ok '"terminated" in c["state"]')" = True ] && [ "$(field uid-c bad 'c["restartCount"]')" -ge 1 ]; }
retry_until 10 c_settled || true
sleep 1
expect_eq "OnFailure: exit 0 is Completed and not restarted" "0 Completed 0" \
	"$(field uid-c ok 'str(c["state"]["terminated"]["exitCode"]) + " " + c["state"]["terminated"]["reason"] + " " + str(c["restartCount"])')"
expect_eq "OnFailure: exit 2 is restarted" 1 "$(field uid-c bad 'c["restartCount"]')"
OKLOG=$(rt log uid-c ok)
expect_eq "a 20000-byte line: a 16 KiB partial line, then the rest" "P 16384
F 3616
F 4" "$(awk '{print $3, length($0) - length($1) - length($2) - length($3) - 3}' "$OKLOG")"
HNLOG=$(cat "$(rt log uid-c hn)")
expect_contains "hostNetwork: the node's hostname" "$HNLOG" "stdout F host:$NODE_HOSTNAME"
expect_not_contains "hostNetwork + ClusterFirst: the node's resolv.conf" "$HNLOG" "nameserver 10.43.0.10"
expect_not_contains "hostNetwork: the node's /etc/hosts" "$HNLOG" "Kubernetes-managed"
expect_eq "stop pod C" "stopped uid-c" "$(rt stop uid-c 1 | cut -d' ' -f1-2)"

# ---- stop: SIGTERM, the grace period, SIGKILL; then remove -------------------------------------------------
MAIN_PID=$(ctr_pid uid-a main)
SUP_A=$(sup_pid uid-a)
OUT=$(rt stop uid-a 3)
expect_match "stop waits for the TERM-trapping container's grace (3 s)" "$OUT" '^stopped uid-a after (3|4|5)\.[0-9]+ s$'
expect_eq "the containers are gone" 1 "$(gone "$MAIN_PID" && echo 1)"
expect_eq "the supervisor is gone" 1 "$(gone "$SUP_A" && echo 1)"
expect_eq "list shows pod A stopped" "uid-a stopped" "$(rt list | grep uid-a)"
expect_eq "main's final state: terminated" True "$(field uid-a main '"terminated" in c["state"]')"
expect_eq "after the stop the agent's socket to the port is closed" "000" \
	"$(curl -s --max-time 1 -o /dev/null -w '%{http_code}' "http://$IP_A:8080/hostname" || true)"
OUT=$(rt stop uid-b 0)
expect_match "stop with grace 0 is immediate" "$OUT" '^stopped uid-b after 0\.[0-9]+ s$'
OUT=$(rt stop uid-b 5)
expect_match "stopping a stopped pod is done at once" "$OUT" '^stopped uid-b after 0\.[0-9]+ s$'
# Keep what the sanitizers may have said (supervisors, netexec) for the check at exit.
cp "$D/pods/uid-a/supervisor.log" "$WORK/supervisor-a.log"
cat "$D"/pods/uid-a/logs/web/*.log >"$WORK/web-a.log"
SERVER_LOGS+=("$WORK/supervisor-a.log" "$WORK/web-a.log")
expect_ok "remove pod A" rt remove uid-a
expect_eq "its directory is gone" 1 "$([ ! -e "$D/pods/uid-a" ] && echo 1)"
expect_ok "remove is idempotent" rt remove uid-a
