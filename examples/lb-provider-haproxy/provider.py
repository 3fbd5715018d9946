#!/usr/bin/python3
"""An example infrastructure provider for Portico's `webhook` load-balancer provider.

It speaks the protocol of docs/loadbalancers.md (JSON over HTTPS, bearer token) and plays "the
cloud": it hands out virtual IPs from its own pool and runs Debian's HAProxy, in the network
namespace it is started in, with one TCP frontend per Service port on the VIP, forwarding to every
node's NodePort. For externalTrafficPolicy Local Services the backends are health-checked through
the Service's healthCheckNodePort (HTTP 200 from the nodes that have ready endpoints), as cloud
load balancers do.

The VIPs are served through an AnyIP route (`ip route add local POOL dev lo`, with
net.ipv4.ip_nonlocal_bind=1) set up at start, so clients only need a route for the pool towards
this namespace. State (VIP per Service) is kept in STATE_DIR/state.json, so a restarted provider
answers with the same addresses. Python 3 standard library only; not production code.

  provider.py --listen 192.0.2.50:8443 --cert server.crt --key server.key \
              --token-file token --pool 198.51.100.128/28 --state-dir /var/lib/lb-provider
"""
import argparse
import hmac
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20
LOCK = threading.Lock()


def log(msg):
    print("lb-provider: " + msg, file=sys.stderr, flush=True)


class Cloud:
    """The provider's state: one load balancer per Service uid, and the HAProxy that runs them."""

    def __init__(self, args):
        self.args = args
        self.pool = ipaddress.ip_network(args.pool)
        self.state_file = os.path.join(args.state_dir, "state.json")
        self.cfg_file = os.path.join(args.state_dir, "haproxy.cfg")
        self.pid_file = os.path.join(args.state_dir, "haproxy.pid")
        try:
            with open(self.state_file) as f:
                self.lbs = json.load(f)
        except FileNotFoundError:
            self.lbs = {}

    def save(self):
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.lbs, f, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    def pick_vip(self, svc):
        used = {lb["vip"] for uid, lb in self.lbs.items() if uid != svc["uid"]}
        for want in svc.get("requestedIPs") or []:
            a = ipaddress.ip_address(want)
            if a.version != self.pool.version:
                continue
            if a not in self.pool:
                raise ValueError("requested address %s is not in this cloud's pool" % want)
            if want in used:
                raise ValueError("requested address %s is in use" % want)
            return want
        cur = self.lbs.get(svc["uid"], {}).get("vip")
        if cur:
            return cur
        for a in self.pool.hosts():
            if str(a) not in used:
                return str(a)
        raise ValueError("the cloud's address pool is exhausted")

    def haproxy_running(self):
        try:
            with open(self.pid_file) as f:
                return any(os.path.exists("/proc/" + p) for p in f.read().split())
        except FileNotFoundError:
            return False

    def ensure(self, svc, nodes):
        vip = self.pick_vip(svc)
        old = self.lbs.get(svc["uid"])
        self.lbs[svc["uid"]] = {
            "vip": vip,
            "service": "%s/%s" % (svc["namespace"], svc["name"]),
            "ports": svc.get("ports") or [],
            "healthCheckNodePort": svc.get("healthCheckNodePort"),
            "local": svc.get("externalTrafficPolicy") == "Local",
            "nodes": nodes or [],
        }
        # the controller re-ensures every load balancer periodically: reload HAProxy only when
        # something changed (or it is not running)
        if self.lbs[svc["uid"]] != old or not self.haproxy_running():
            self.apply()
        return {"ingress": [{"ip": vip}]}

    def update(self, svc, nodes):
        lb = self.lbs.get(svc["uid"])
        if not lb:
            return self.ensure(svc, nodes)
        lb["nodes"] = nodes or []
        self.apply()
        return {"ingress": [{"ip": lb["vip"]}]}

    def delete(self, svc):
        if self.lbs.pop(svc["uid"], None) is not None:
            self.apply()
        return {}

    def haproxy_config(self):
        out = [
            "global",
            "    maxconn 4096",
            "defaults",
            "    mode tcp",
            "    timeout connect 2s",
            "    timeout client 30s",
            "    timeout server 30s",
            "    default-server inter 1s fall 2 rise 1",
        ]
        for uid in sorted(self.lbs):
            lb = self.lbs[uid]
            for p in lb["ports"]:
                if p.get("protocol", "TCP") != "TCP" or not p.get("nodePort"):
                    continue  # HAProxy balances TCP; without NodePorts there is nothing to reach
                name = "%s-%d" % (uid, p["port"])
                vip = lb["vip"]
                bind = ("[%s]" % vip) if ":" in vip else vip
                out += ["", "# %s port %d" % (lb["service"], p["port"]), "frontend f-" + name,
                        "    bind %s:%d" % (bind, p["port"]), "    default_backend b-" + name,
                        "backend b-" + name, "    balance roundrobin"]
                if lb["local"] and lb.get("healthCheckNodePort"):
                    out += ["    option httpchk GET /healthz", "    http-check expect status 200"]
                for n in lb["nodes"]:
                    for addr in n.get("addresses", [])[:1]:
                        host = ("[%s]" % addr) if ":" in addr else addr
                        check = " check"
                        if lb["local"] and lb.get("healthCheckNodePort"):
                            check = " check port %d" % lb["healthCheckNodePort"]
                        out.append("    server %s %s:%d%s" % (n["name"], host, p["nodePort"], check))
        return "\n".join(out) + "\n"

    def apply(self):
        """Writes the state and the HAProxy configuration, then (re)starts HAProxy."""
        self.save()
        tmp = self.cfg_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.haproxy_config())
        os.replace(tmp, self.cfg_file)
        cmd = [self.args.haproxy, "-q", "-f", self.cfg_file, "-p", self.pid_file, "-D"]
        old = []
        try:
            with open(self.pid_file) as f:
                old = [p for p in f.read().split() if os.path.exists("/proc/" + p)]
        except FileNotFoundError:
            pass
        if "frontend " not in self.haproxy_config():
            # HAProxy refuses to run without a listener: no load balancer left, no HAProxy
            for p in old:
                os.kill(int(p), signal.SIGUSR1)  # soft stop
            if os.path.exists(self.pid_file):
                os.unlink(self.pid_file)
            return
        if old:
            cmd += ["-sf"] + old  # soft reload: old processes finish their connections
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("haproxy: " + (r.stderr.strip() or "exit %d" % r.returncode))


def make_handler(cloud, token):
    class Handler(BaseHTTPRequestHandler):
        server_version = "lb-provider-haproxy/1"

        def log_message(self, fmt, *a):
            log("%s %s" % (self.address_string(), fmt % a))

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            auth = self.headers.get("Authorization", "")
            if not hmac.compare_digest(auth.encode(), ("Bearer " + token).encode()):
                return self.reply(401, {"error": "unauthorized"})
            try:
                n = int(self.headers.get("Content-Length", "0"))
                if n < 0 or n > MAX_BODY:
                    return self.reply(413, {"error": "request too large"})
                req = json.loads(self.rfile.read(n))
                if req.get("apiVersion") != "lb.portico.io/v1" or req.get("kind") != "LoadBalancerRequest":
                    return self.reply(400, {"error": "not a lb.portico.io/v1 LoadBalancerRequest"})
                op, svc, nodes = req.get("operation"), req["service"], req.get("nodes")
                with LOCK:
                    if op == "ensure":
                        res = cloud.ensure(svc, nodes)
                    elif op == "update":
                        res = cloud.update(svc, nodes)
                    elif op == "delete":
                        res = cloud.delete(svc)
                    else:
                        return self.reply(400, {"error": "unknown operation"})
                log("%s %s/%s -> %s" % (op, svc.get("namespace"), svc.get("name"), json.dumps(res)))
                self.reply(200, res)
            except (ValueError, KeyError, TypeError) as e:
                self.reply(422, {"error": str(e)})
            except RuntimeError as e:
                self.reply(500, {"error": str(e)})

    return Handler


def setup_anyip(pool):
    """Lets HAProxy bind any address of the pool in this namespace."""
    fam = "-6" if pool.version == 6 else "-4"
    with open("/proc/sys/net/ipv%d/ip_nonlocal_bind" % (4 if pool.version == 4 else 6), "w") as f:
        f.write("1")
    subprocess.run(["ip", fam, "route", "replace", "local", str(pool), "dev", "lo"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", required=True, help="ADDRESS:PORT of the HTTPS API")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--pool", required=True, help="the cloud's VIP range, a CIDR")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    ap.add_argument("--no-anyip", action="store_true", help="do not add the AnyIP route for the pool")
    args = ap.parse_args()

    with open(args.token_file) as f:
        token = f.readline().strip()
    if not token:
        sys.exit("empty token file")
    os.makedirs(args.state_dir, mode=0o700, exist_ok=True)
    cloud = Cloud(args)
    if not args.no_anyip:
        setup_anyip(cloud.pool)
    if cloud.lbs:
        cloud.apply()  # the load balancers of a previous life
    host, _, port = args.listen.rpartition(":")
    httpd = ThreadingHTTPServer((host.strip("[]"), int(port)), make_handler(cloud, token))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    log("serving on https://%s, pool %s" % (args.listen, args.pool))
    httpd.serve_forever()


if __name__ == "__main__":
    main()
