#!/usr/bin/env python3
"""bench/controllers: pod Ready change -> EndpointSlice updated, with S services x P pods.
Creates the Services and Pods (bound to one node, IPs and Ready set through pods/status as a kubelet
would), waits until every slice lists its pods ready, then flips the readiness of F pods, paced, and
times each flip from just before its pods/status PATCH is sent to the watch event of the slice that
shows the new state. Prints RESULT lines."""
import http.client, json, random, ssl, sys, threading, time, os

data, port, S, P, F, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
token = open(os.path.join(data, "admin-token")).read().strip()
ctx = ssl.create_default_context(cafile=os.path.join(data, "ca.crt"))
ctx.check_hostname = False
local = threading.local()

def conn():
    if not hasattr(local, "c"):
        local.c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    return local.c

def req(method, path, body=None, ctype="application/json"):
    for attempt in range(3):
        try:
            c = conn()
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
            r = c.getresponse()
            d = r.read()
            return r.status, d
        except (ConnectionError, http.client.HTTPException):
            del local.c
    raise SystemExit("request failed: %s %s" % (method, path))

def run_parallel(fn, items, n=16):
    it = iter(items); lock = threading.Lock(); errs = []
    def worker():
        while True:
            with lock:
                x = next(it, None)
            if x is None: return
            try: fn(x)
            except BaseException as e: errs.append(e); return
    ts = [threading.Thread(target=worker) for _ in range(n)]
    [t.start() for t in ts]; [t.join() for t in ts]
    if errs: raise errs[0]

def ip(s, p): return "10.%d.%d.%d" % (64 + s // 250, s % 250, p + 1)

def pod_status(s, p, ready):
    return {"status": {"phase": "Running", "podIP": ip(s, p), "podIPs": [{"ip": ip(s, p)}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}

def setup_svc(s):
    st, d = req("POST", "/api/v1/namespaces/default/services", {"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "svc-%d" % s}, "spec": {"selector": {"app": "svc-%d" % s}, "ports": [{"port": 80, "targetPort": 8080}]}})
    assert st == 201, d

def setup_pod(sp):
    s, p = sp
    name = "svc-%d-pod-%d" % (s, p)
    st, d = req("POST", "/api/v1/namespaces/default/pods", {"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "svc-%d" % s}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}})
    assert st == 201, d
    st, d = req("PATCH", "/api/v1/namespaces/default/pods/%s/status" % name, pod_status(s, p, True), "application/merge-patch+json")
    assert st == 200, d

def cpu_rss(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    cpu = (int(f[11]) + int(f[12])) / hz
    rss = [l.split()[1] for l in open("/proc/%d/status" % pid) if l.startswith("VmRSS:")][0]
    return cpu, int(rss)

pid = int(sys.argv[7])
t0 = time.monotonic(); c0, _ = cpu_rss(pid)
run_parallel(setup_svc, range(S))
run_parallel(setup_pod, [(s, p) for s in range(S) for p in range(P)])
# wait for every slice to list its pods ready
while True:
    st, d = req("GET", "/apis/discovery.k8s.io/v1/endpointslices?labelSelector=endpointslice.kubernetes.io%2Fmanaged-by%3Dendpointslice-controller.k8s.io")
    j = json.loads(d)
    ready = sum(1 for s in j["items"] for e in (s.get("endpoints") or []) if e["conditions"].get("ready"))
    if ready >= S * P: break
    if time.monotonic() - t0 > 600: raise SystemExit("slices not converged: %d ready of %d" % (ready, S * P))
    time.sleep(0.5)
rv = j["metadata"]["resourceVersion"]
t1 = time.monotonic(); c1, r1 = cpu_rss(pid)
print("RESULT phase=setup services=%d pods=%d seconds=%.1f server_cpu_s=%.1f rss_kib=%d" % (S, S * P, t1 - t0, c1 - c0, r1))
sys.stdout.flush()

# the watch: slice events, matched against the flips waiting for them
pending = {}   # pod name -> (want_ready, t_sent)
lat = []
lock = threading.Lock()
done = threading.Event()
def watch():
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=600)
    c.request("GET", "/apis/discovery.k8s.io/v1/endpointslices?watch=true&resourceVersion=" + rv,
              headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    buf = b""
    while not done.is_set():
        chunk = r.read1(65536)
        if not chunk: break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip(): continue
            now = time.monotonic()
            ev = json.loads(line)
            for e in (ev["object"].get("endpoints") or []):
                n = (e.get("targetRef") or {}).get("name")
                with lock:
                    w = pending.get(n)
                    if w and bool(e["conditions"].get("ready")) == w[0]:
                        lat.append(now - w[1]); del pending[n]
wt = threading.Thread(target=watch, daemon=True); wt.start()
time.sleep(1)
state = {}
c2, _ = cpu_rss(pid); t2 = time.monotonic()
for i in range(F):
    s, p = random.randrange(S), random.randrange(P)
    name = "svc-%d-pod-%d" % (s, p)
    with lock:
        if name in pending: continue
    want = not state.get(name, True)
    with lock:
        pending[name] = (want, time.monotonic())
    st, d = req("PATCH", "/api/v1/namespaces/default/pods/%s/status" % name, pod_status(s, p, want), "application/merge-patch+json")
    assert st == 200, d
    state[name] = want
    time.sleep(1.0 / rate)
end = time.monotonic() + 30
while time.monotonic() < end:
    with lock:
        if not pending: break
    time.sleep(0.05)
done.set()
t3 = time.monotonic(); c3, r3 = cpu_rss(pid)
lat.sort()
q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))] * 1000 if lat else float("nan")
print("RESULT phase=flips flips=%d measured=%d lost=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f seconds=%.1f server_cpu_s=%.2f rss_kib=%d"
      % (F, len(lat), len(pending), q(0.5), q(0.99), lat[-1] * 1000 if lat else float("nan"), t3 - t2, c3 - c2, r3))
sys.exit(1 if pending else 0)
