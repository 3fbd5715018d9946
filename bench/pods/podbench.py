#!/usr/bin/env python3
"""bench/pods: create -> Ready latency of N netexec pods on one node (scheduler and agent included).
A watch on pods is opened first; each pod is timed from just before its POST to the watch event in
which its Ready condition is True. Then the agent's RSS and CPU time and the supervisors' total RSS.
Prints RESULT lines."""
import http.client, json, os, ssl, sys, threading, time

data, port, N, rate, agent_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
token = open(os.path.join(data, "admin-token")).read().strip()
ctx = ssl.create_default_context(cafile=os.path.join(data, "ca.crt"))
ctx.check_hostname = False
HOST = "192.0.2.10"
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

def req(method, path, body=None):
    c = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=60)
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=H)
    r = c.getresponse()
    d = r.read()
    c.close()
    return r.status, d

def cpu_rss(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    cpu = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    rss = [l.split()[1] for l in open("/proc/%d/status" % pid) if l.startswith("VmRSS:")][0]
    return cpu, int(rss)

def supervisors_rss():
    total, n = 0, 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
            # the spawner (`portico supervise --spawner FD`, src/agent/spawner.h) is not a pod's
            if len(cmd) > 2 and cmd[1] == b"supervise" and cmd[2] != b"--spawner":
                total += int([l.split()[1] for l in open("/proc/%s/status" % p) if l.startswith("VmRSS:")][0])
                n += 1
        except (OSError, IndexError):
            pass
    return n, total

# wait for the node: Ready with a podCIDR
deadline = time.monotonic() + 60
while True:
    st, d = req("GET", "/api/v1/nodes/bench")
    if st == 200:
        n = json.loads(d)
        if n.get("spec", {}).get("podCIDR") and any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", [])):
            break
    if time.monotonic() > deadline:
        raise SystemExit("node bench not Ready with a podCIDR within 60 s")
    time.sleep(0.1)
time.sleep(1) # the agent's network comes up on the podCIDR event

st, d = req("GET", "/api/v1/namespaces/default/pods")
rv = json.loads(d)["metadata"]["resourceVersion"]
sent, ready = {}, {}
done = threading.Event()

def watch():
    c = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=120)
    c.request("GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%s" % rv, headers=H)
    r = c.getresponse()
    buf = b""
    while not done.is_set():
        chunk = r.read1(65536) if hasattr(r, "read1") else r.read(1)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            ev = json.loads(line)
            o = ev["object"]
            name = o["metadata"]["name"]
            if name in ready:
                continue
            if any(c["type"] == "Ready" and c["status"] == "True" for c in o.get("status", {}).get("conditions", [])):
                ready[name] = time.monotonic()
                if len(ready) >= N:
                    done.set()

t = threading.Thread(target=watch, daemon=True)
t.start()
time.sleep(0.3)
a_cpu0, _ = cpu_rss(agent_pid)
t0 = time.monotonic()
for i in range(N):
    name = "bench-%03d" % i
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                     "args": ["netexec", "--http-port=8080"]}]}}
    sent[name] = time.monotonic()
    st, d = req("POST", "/api/v1/namespaces/default/pods", body)
    assert st == 201, d
    if rate > 0:
        time.sleep(max(0, t0 + (i + 1) / rate - time.monotonic()))
created = time.monotonic() - t0
done.wait(60)
missing = [n for n in sent if n not in ready]
lat = sorted((ready[n] - sent[n]) * 1000 for n in sent if n in ready)
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100 * len(lat) + 0.5)) - 1)] if lat else float("nan")
a_cpu1, a_rss = cpu_rss(agent_pid)
ns, srss = supervisors_rss()
if os.environ.get("BENCH_VERBOSE"):
    for n in sorted(sent):
        print("pod %s %.1f ms sent %.4f ready %.4f" % (n, (ready[n] - sent[n]) * 1000 if n in ready else -1, sent[n], ready.get(n, -1)))
print("RESULT phase=ready pods=%d ready=%d created_in_s=%.2f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f" %
      (N, len(lat), created, pct(50), pct(90), pct(99), lat[-1] if lat else float("nan")))
print("RESULT phase=resources agent_rss_kib=%d agent_cpu_s=%.2f supervisors=%d supervisors_rss_kib=%d" %
      (a_rss, a_cpu1 - a_cpu0, ns, srss))
if missing:
    print("bench/pods: %d pods never became Ready: %s" % (len(missing), " ".join(missing[:5])), file=sys.stderr)
    sys.exit(1)
