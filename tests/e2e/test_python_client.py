#!/usr/bin/python3
"""Debian's python3-kubernetes client against a portico server: load the kubeconfig, list
namespaces, create and read a Service and a ConfigMap, errors as ApiException, and a watch that
sees ADDED and DELETED for a Service created and deleted from another thread.

Runs inside a lab: tests/run.sh starts it through tests/e2e/run_py.sh, which sets KUBECONFIG."""
import json
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

checks = 0
fails = 0


def expect(desc, cond, detail=""):
    global checks, fails
    checks += 1
    if cond:
        print(f"ok - {desc}", flush=True)
    else:
        fails += 1
        print(f"FAIL - {desc}", flush=True)
        if detail:
            print(f"    {detail}", flush=True)


def expect_eq(desc, want, got):
    expect(desc, want == got, f"expected {want!r}, got {got!r}")


def api_error(fn, *args, **kwargs):
    """Call fn; return the ApiException it raised, or None."""
    try:
        fn(*args, **kwargs)
    except ApiException as e:
        return e
    return None


def message(e):
    """The message of the Status in an ApiException's body."""
    try:
        return json.loads(e.body)["message"]
    except Exception:
        return e and e.body


def main():
    config.load_kube_config()
    v1 = client.CoreV1Api()

    names = sorted(n.metadata.name for n in v1.list_namespace().items)
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        expect(f"namespace {ns} listed", ns in names, f"got {names}")
    ns = v1.read_namespace("default")
    expect_eq("default namespace is Active", "Active", ns.status.phase)

    # A Service.
    svc = client.V1Service(
        metadata=client.V1ObjectMeta(name="py-svc", labels={"made-by": "python"}),
        spec=client.V1ServiceSpec(
            selector={"app": "py"},
            ports=[client.V1ServicePort(name="http", port=80, target_port=8080)]))
    created = v1.create_namespaced_service("default", svc)
    expect_eq("created service name", "py-svc", created.metadata.name)
    expect_eq("created service has kind and apiVersion", ("Service", "v1"), (created.kind, created.api_version))
    expect("created service has a clusterIP in 10.43.0.0/16",
           (created.spec.cluster_ip or "").startswith("10.43."), f"got {created.spec.cluster_ip!r}")
    expect_eq("protocol defaulted", "TCP", created.spec.ports[0].protocol)
    expect_eq("type defaulted", "ClusterIP", created.spec.type)
    got = v1.read_namespaced_service("py-svc", "default")
    expect_eq("read back: same uid", created.metadata.uid, got.metadata.uid)
    expect_eq("read back: targetPort", 8080, got.spec.ports[0].target_port)
    listed = v1.list_namespaced_service("default", label_selector="made-by=python")
    expect_eq("list with label selector", ["py-svc"], [s.metadata.name for s in listed.items])
    listed = v1.list_service_for_all_namespaces(field_selector="metadata.name=kubernetes")
    expect_eq("list all namespaces with field selector", ["default/kubernetes"],
              [f"{s.metadata.namespace}/{s.metadata.name}" for s in listed.items])

    # A ConfigMap, with an update.
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"), data={"a": "1"})
    created = v1.create_namespaced_config_map("default", cm)
    expect_eq("created configmap data", {"a": "1"}, created.data)
    created.data["b"] = "2"
    updated = v1.replace_namespaced_config_map("py-cm", "default", created)
    expect_eq("updated configmap data", {"a": "1", "b": "2"}, updated.data)
    expect("update bumps resourceVersion",
           int(updated.metadata.resource_version) > int(created.metadata.resource_version),
           f"{created.metadata.resource_version} -> {updated.metadata.resource_version}")
    stale = api_error(v1.replace_namespaced_config_map, "py-cm", "default", created)
    expect_eq("update with a stale resourceVersion: 409", 409, stale and stale.status)

    # Errors.
    e = api_error(v1.read_namespaced_service, "nope", "default")
    expect_eq("missing service: 404", 404, e and e.status)
    expect_eq("404 message", 'services "nope" not found', message(e))
    bad = client.V1Service(metadata=client.V1ObjectMeta(name="bad"),
                           spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=0, target_port=8080)]))
    e = api_error(v1.create_namespaced_service, "default", bad)
    expect_eq("invalid service: 422", 422, e and e.status)
    expect_eq("422 message", 'Service "bad" is invalid: spec.ports[0].port: Invalid value: 0: '
              'must be between 1 and 65535, inclusive', message(e))
    e = api_error(v1.create_namespaced_config_map, "default", cm)
    expect_eq("duplicate configmap: 409", 409, e and e.status)

    # A watch sees a Service created and deleted by another thread.
    start_rv = v1.list_namespaced_service("default").metadata.resource_version
    errors = []

    def churn():
        try:
            time.sleep(1)
            v1.create_namespaced_service("default", client.V1Service(
                metadata=client.V1ObjectMeta(name="py-watch"),
                spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=81)])))
            time.sleep(0.5)
            v1.delete_namespaced_service("py-watch", "default")
        except Exception as ex:  # reported by the main thread
            errors.append(repr(ex))

    t = threading.Thread(target=churn)
    t.start()
    seen = []
    kinds = set()
    w = watch.Watch()
    deadline = time.time() + 20
    for ev in w.stream(v1.list_namespaced_service, "default", resource_version=start_rv,
                       timeout_seconds=15):
        obj = ev["object"]
        seen.append((ev["type"], obj.metadata.name))
        raw = ev.get("raw_object") or {}
        kinds.add((raw.get("kind"), raw.get("apiVersion")))
        if (ev["type"], obj.metadata.name) == ("DELETED", "py-watch") or time.time() > deadline:
            w.stop()
    t.join()
    expect_eq("watch thread had no errors", [], errors)
    expect_eq("watch event objects carry kind and apiVersion", {("Service", "v1")}, kinds)
    mine = [s for s in seen if s[1] == "py-watch"]
    expect_eq("watch saw ADDED then DELETED", [("ADDED", "py-watch"), ("DELETED", "py-watch")], mine)

    # Clean up, through the API.
    v1.delete_namespaced_service("py-svc", "default")
    v1.delete_namespaced_config_map("py-cm", "default")
    e = api_error(v1.read_namespaced_config_map, "py-cm", "default")
    expect_eq("deleted configmap: 404", 404, e and e.status)


if __name__ == "__main__":
    try:
        main()
    except Exception as ex:
        fails += 1
        print(f"FAIL - unexpected exception: {ex!r}", flush=True)
        import traceback
        traceback.print_exc()
    print(f"python client: {checks - fails if fails <= checks else 0} of {checks} checks passed", flush=True)
    sys.exit(1 if fails or checks == 0 else 0)
