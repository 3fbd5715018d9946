#!/usr/bin/env python3
"""bench/dns data: N Services (a tenth headless) with selector-less EndpointSlices of E endpoints each,
in 10 namespaces, as API objects (created through a running portico server), as an equivalent
zone file for NSD and Knot, and as a dnsperf query file (one A query per Service, shuffled).

  gen.py create SERVER_URL CA TOKEN N E THREADS   -> creates the objects, prints the rate
  gen.py zone N E FILE                           -> zone file for cluster.local
  gen.py queries N FILE                          -> dnsperf input
  gen.py proglat SERVER_URL CA TOKEN DNS_IP COUNT  -> API create (201) to first positive answer, ms
"""
import http.client, json, random, ssl, sys, threading, time, urllib.parse

NS = 10


def svc(i):
    ns, name = "ns-%d" % (i % NS), "svc-%d" % i
    headless = i % 10 == 0
    ip = None if headless else "10.43.%d.%d" % (1 + i // 250, 1 + i % 250)
    return ns, name, headless, ip


def ep_ip(i, k, e):
    n = i * e + k
    return "10.42.%d.%d" % (n // 250, 1 + n % 250)


def objects(n, e):
    for i in range(n):
        ns, name, headless, ip = svc(i)
        spec = {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}
        spec["clusterIP"] = "None" if headless else ip
        yield "/api/v1/namespaces/%s/services" % ns, {"apiVersion": "v1", "kind": "Service",
                                                      "metadata": {"name": name, "namespace": ns}, "spec": spec}
        eps = [{"addresses": [ep_ip(i, k, e)], "conditions": {"ready": True},
                **({"hostname": "h%d" % k} if headless else {})} for k in range(e)]
        yield "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" % ns, {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": name + "-1", "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "endpoints": eps}


def create(url, ca, token, n, e, threads):
    u = urllib.parse.urlparse(url)
    ctx = ssl.create_default_context(cafile=ca)
    todo = list(objects(n, e))
    # namespaces first
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
    hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    for k in range(NS):
        c.request("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace",
                                                             "metadata": {"name": "ns-%d" % k}}), hdr)
        c.getresponse().read()
    lock, errors, idx = threading.Lock(), [], [0]

    def worker():
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
        while True:
            with lock:
                if idx[0] >= len(todo):
                    return
                path, obj = todo[idx[0]]
                idx[0] += 1
            c.request("POST", path, json.dumps(obj), hdr)
            r = c.getresponse()
            body = r.read()
            if r.status not in (201, 409):
                errors.append("%s %d %s" % (path, r.status, body[:200]))

    t0 = time.time()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.time() - t0
    print("created %d objects in %.1f s (%.0f/s), %d errors" % (len(todo), dt, len(todo) / dt, len(errors)))
    for x in errors[:5]:
        print("  error:", x)
    return 1 if errors else 0


def zone(n, e, path):
    with open(path, "w") as f:
        f.write("$ORIGIN cluster.local.\n$TTL 5\n")
        f.write("@ IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5\n")
        f.write("@ IN NS ns.dns.cluster.local.\nns.dns IN A 10.43.0.10\n")
        f.write('dns-version IN TXT "1.1.0"\n')
        for i in range(n):
            ns, name, headless, ip = svc(i)
            owner = "%s.%s.svc" % (name, ns)
            if headless:
                for k in range(e):
                    f.write("%s IN A %s\n" % (owner, ep_ip(i, k, e)))
                    f.write("h%d.%s IN A %s\n" % (k, owner, ep_ip(i, k, e)))
                    f.write("_http._tcp.%s IN SRV 0 %d 80 h%d.%s.cluster.local.\n" % (owner, 100 // e, k, owner))
            else:
                f.write("%s IN A %s\n" % (owner, ip))
                f.write("_http._tcp.%s IN SRV 0 100 80 %s.cluster.local.\n" % (owner, owner))


def queries(n, path):
    names = ["svc-%d.ns-%d.svc.cluster.local A" % (i, i % NS) for i in range(n)]
    random.Random(8).shuffle(names)
    with open(path, "w") as f:
        f.write("\n".join(names) + "\n")


def proglat(url, ca, token, dns, count):
    import socket, struct
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    lat = []
    for i in range(count):
        name = "lat-%d" % i
        qname = b"".join(bytes([len(l)]) + l.encode() for l in ("%s.ns-0.svc.cluster.local" % name).split(".")) + b"\0"
        q = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
        c.request("POST", "/api/v1/namespaces/ns-0/services",
                  json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                              "spec": {"ports": [{"port": 80}]}}),
                  {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        t0 = time.monotonic()
        while True:
            s.sendto(q, (dns, 53))
            a = s.recv(4096)
            if struct.unpack(">H", a[6:8])[0] > 0 or time.monotonic() - t0 > 5:
                break
        lat.append((time.monotonic() - t0) * 1000)
        time.sleep(0.02)
    lat.sort()
    print("%.2f %.2f" % (lat[len(lat) // 2], lat[-1]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "create":
        sys.exit(create(sys.argv[2], sys.argv[3], open(sys.argv[4]).read().strip(), int(sys.argv[5]),
                        int(sys.argv[6]), int(sys.argv[7])))
    elif cmd == "zone":
        zone(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif cmd == "proglat":
        proglat(sys.argv[2], sys.argv[3], open(sys.argv[4]).read().strip(), sys.argv[5], int(sys.argv[6]))
    elif cmd == "queries":
        queries(int(sys.argv[2]), sys.argv[3])
