/* The EndpointSlice controller's pure part: slice packing and minimal churn, port resolution (named
 * ports), conditions, placeholders, address types, and the legacy Endpoints mirror. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "controllers/eps_reconcile.h"
#include "harness.h"

static json_t *svc_new(const char *name, const char *ports_json)
{
	json_t *ports = json_loads(ports_json, 0, NULL);
	json_t *s = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:{s:s}, s:o, s:s, s:[s], s:[s]}}",
			      "apiVersion", "v1", "kind", "Service", "metadata", "name", name, "namespace", "default",
			      "uid", "svc-uid-1", "labels", "team", "blue", "spec", "selector", "app", name, "ports",
			      ports, "clusterIP", "10.43.0.10", "clusterIPs", "10.43.0.10", "ipFamilies", "IPv4");
	return s;
}

/* A pod of app `app` with IP ip (NULL for none), Ready or not, and one container port named "http"
 * on cport (0 for no named port). */
static json_t *pod_new(const char *name, const char *app, const char *ip, bool ready, int cport)
{
	json_t *p = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:[]}]}, s:{s:s, s:[{s:s, s:s}]}}",
			      "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace", "default", "uid",
			      name, "labels", "app", app, "spec", "nodeName", "node-1", "containers", "name", "c",
			      "ports", "status", "phase", "Running", "conditions", "type", "Ready", "status",
			      ready ? "True" : "False");
	if (ip) {
		json_object_set_new(json_object_get(p, "status"), "podIP", json_string(ip));
		json_object_set_new(json_object_get(p, "status"), "podIPs", json_pack("[{s:s}]", "ip", ip));
	}
	if (cport)
		json_array_append_new(json_object_get(json_array_get(json_object_get(json_object_get(p, "spec"),
										     "containers"), 0), "ports"),
				      json_pack("{s:s, s:i, s:s}", "name", "http", "containerPort", cport, "protocol", "TCP"));
	return p;
}

static json_t *pods_n(int n, const char *app, bool ready)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		char name[32], ip[32];
		snprintf(name, sizeof(name), "%s-%03d", app, i);
		snprintf(ip, sizeof(ip), "10.42.%d.%d", i / 200, i % 200 + 2);
		json_array_append_new(a, pod_new(name, app, ip, ready, 8080));
	}
	return a;
}

/* What the server would store for the plan's creates: names and resourceVersions assigned. */
static json_t *apply_plan(const json_t *existing, const eps_plan_t *p)
{
	static int seq;
	json_t *out = json_array(), *s;
	size_t i, j;

	json_array_foreach(existing, i, s) {
		const char *name = json_string_value(json_object_get(json_object_get(s, "metadata"), "name"));
		bool gone = false;
		json_t *u;
		json_array_foreach(p->remove, j, u)
			if (strcmp(json_string_value(json_object_get(json_object_get(u, "metadata"), "name")), name) == 0)
				gone = true;
		json_array_foreach(p->update, j, u)
			if (strcmp(json_string_value(json_object_get(json_object_get(u, "metadata"), "name")), name) == 0)
				gone = true;
		if (!gone)
			json_array_append(out, s);
	}
	json_array_foreach(p->update, i, s)
		json_array_append_new(out, json_deep_copy(s));
	json_array_foreach(p->create, i, s) {
		json_t *c = json_deep_copy(s), *md = json_object_get(c, "metadata");
		char name[64], rv[16];
		snprintf(name, sizeof(name), "%s%05d", json_string_value(json_object_get(md, "generateName")), ++seq);
		snprintf(rv, sizeof(rv), "%d", seq);
		json_object_set_new(md, "name", json_string(name));
		json_object_set_new(md, "resourceVersion", json_string(rv));
		json_object_del(md, "generateName");
		json_array_append_new(out, c);
	}
	return out;
}

static const json_t *ep_by_pod(const json_t *slice, const char *pod)
{
	const json_t *e;
	size_t i;
	json_array_foreach(json_object_get(slice, "endpoints"), i, e)
		if (strcmp(json_string_value(json_object_get(json_object_get(e, "targetRef"), "name")), pod) == 0)
			return e;
	return NULL;
}

static bool cond(const json_t *ep, const char *c)
{
	return json_is_true(json_object_get(json_object_get(ep, "conditions"), c));
}

static void test_five_ready_pods(void)
{
	json_t *svc = svc_new("web", "[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]");
	json_t *pods = pods_n(5, "web", true), *none = json_array(), *stored;
	eps_plan_t p;
	const json_t *s, *md;

	CHECK_INT(eps_reconcile(svc, pods, none, "2024-01-01T00:00:00Z", 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 1);
	CHECK_INT(json_array_size(p.update), 0);
	CHECK_INT(json_array_size(p.remove), 0);
	s = json_array_get(p.create, 0);
	md = json_object_get(s, "metadata");
	CHECK_STR(json_string_value(json_object_get(md, "generateName")), "web-");
	CHECK_STR(json_string_value(json_object_get(s, "addressType")), "IPv4");
	CHECK_INT(json_array_size(json_object_get(s, "endpoints")), 5);
	CHECK_STR(json_string_value(json_object_get(json_object_get(md, "labels"), EPS_LABEL_SERVICE_NAME)), "web");
	CHECK_STR(json_string_value(json_object_get(json_object_get(md, "labels"), EPS_LABEL_MANAGED_BY)),
		  "endpointslice-controller.k8s.io");
	CHECK_STR(json_string_value(json_object_get(json_object_get(md, "labels"), "team")), "blue");
	CHECK(json_object_get(json_object_get(md, "labels"), EPS_LABEL_HEADLESS) == NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(md, "annotations"), EPS_ANNOT_TRIGGER)),
		  "2024-01-01T00:00:00Z");
	{
		const json_t *ref = json_array_get(json_object_get(md, "ownerReferences"), 0);
		CHECK_STR(json_string_value(json_object_get(ref, "kind")), "Service");
		CHECK_STR(json_string_value(json_object_get(ref, "uid")), "svc-uid-1");
		CHECK(json_is_true(json_object_get(ref, "controller")));
	}
	{
		const json_t *port = json_array_get(json_object_get(s, "ports"), 0);
		CHECK_STR(json_string_value(json_object_get(port, "name")), "http");
		CHECK_INT(json_integer_value(json_object_get(port, "port")), 8080);
		CHECK_STR(json_string_value(json_object_get(port, "protocol")), "TCP");
	}
	{
		const json_t *e = ep_by_pod(s, "web-002");
		CHECK(e != NULL);
		CHECK_STR(json_string_value(json_array_get(json_object_get(e, "addresses"), 0)), "10.42.0.4");
		CHECK(cond(e, "ready") && cond(e, "serving") && !cond(e, "terminating"));
		CHECK_STR(json_string_value(json_object_get(e, "nodeName")), "node-1");
		CHECK_STR(json_string_value(json_object_get(json_object_get(e, "targetRef"), "kind")), "Pod");
		CHECK(json_object_get(e, "hostname") == NULL);
	}
	/* the world as the server stores it: nothing more to do */
	stored = apply_plan(none, &p);
	eps_plan_clear(&p);
	CHECK_INT(eps_reconcile(svc, pods, stored, "2024-01-01T00:00:01Z", 0, &p), 0);
	CHECK_INT(eps_plan_size(&p), 0);
	eps_plan_clear(&p);

	/* readiness flip: the same slice is updated in place, one endpoint says ready=false */
	json_object_set_new(json_array_get(json_object_get(json_object_get(json_array_get(pods, 3), "status"),
							   "conditions"), 0), "status", json_string("False"));
	CHECK_INT(eps_reconcile(svc, pods, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 0);
	CHECK_INT(json_array_size(p.remove), 0);
	CHECK_INT(json_array_size(p.update), 1);
	s = json_array_get(p.update, 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(s, "metadata"), "name")),
		  json_string_value(json_object_get(json_object_get(json_array_get(stored, 0), "metadata"), "name")));
	CHECK(!cond(ep_by_pod(s, "web-003"), "ready"));
	CHECK(!cond(ep_by_pod(s, "web-003"), "serving"));
	CHECK(cond(ep_by_pod(s, "web-002"), "ready"));
	CHECK(json_object_get(json_object_get(json_object_get(s, "metadata"), "annotations"), EPS_ANNOT_TRIGGER) == NULL);
	eps_plan_clear(&p);

	json_decref(stored);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_packing_and_churn(void)
{
	json_t *svc = svc_new("big", "[{\"name\":\"http\",\"port\":80,\"targetPort\":8080}]");
	json_t *pods = pods_n(250, "big", true), *none = json_array(), *stored, *s;
	eps_plan_t p;
	size_t i, total = 0, small = 0;

	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 3);
	json_array_foreach(p.create, i, s) {
		CHECK(json_array_size(json_object_get(s, "endpoints")) <= 100);
		total += json_array_size(json_object_get(s, "endpoints"));
		if (json_array_size(json_object_get(s, "endpoints")) == 50)
			small++;
	}
	CHECK_INT(total, 250);
	CHECK_INT(small, 1);
	stored = apply_plan(none, &p);
	eps_plan_clear(&p);

	/* one pod gone: only its slice changes, nothing is repacked */
	json_array_remove(pods, 10);
	CHECK_INT(eps_reconcile(svc, pods, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 0);
	CHECK_INT(json_array_size(p.remove), 0);
	CHECK_INT(json_array_size(p.update), 1);
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.update, 0), "endpoints")), 99);
	{
		json_t *next = apply_plan(stored, &p);
		json_decref(stored);
		stored = next;
	}
	eps_plan_clear(&p);

	/* one new pod: into the slice that ends up closest to full, i.e. the 99 one (100 after) */
	json_array_append_new(pods, pod_new("big-new", "big", "10.42.9.9", true, 8080));
	CHECK_INT(eps_reconcile(svc, pods, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 0);
	CHECK_INT(json_array_size(p.update), 1);
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.update, 0), "endpoints")), 100);
	CHECK(ep_by_pod(json_array_get(p.update, 0), "big-new") != NULL);
	eps_plan_clear(&p);

	/* every pod gone: the slices go, one empty placeholder replaces them (as an update, not a create) */
	CHECK_INT(eps_reconcile(svc, none, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 0);
	CHECK_INT(json_array_size(p.update), 1);
	CHECK_INT(json_array_size(p.remove), 2);
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.update, 0), "endpoints")), 0);
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.update, 0), "ports")), 0);
	{
		json_t *next = apply_plan(stored, &p);
		json_decref(stored);
		stored = next;
	}
	eps_plan_clear(&p);
	CHECK_INT(json_array_size(stored), 1);
	/* and the placeholder stays as it is */
	CHECK_INT(eps_reconcile(svc, none, stored, NULL, 0, &p), 0);
	CHECK_INT(eps_plan_size(&p), 0);
	eps_plan_clear(&p);

	json_decref(stored);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_placeholder_for_no_pods(void)
{
	json_t *svc = svc_new("empty", "[{\"port\":80}]"), *none = json_array(), *pods = json_array();
	eps_plan_t p;

	/* pods without an IP, or finished, do not count */
	json_array_append_new(pods, pod_new("noip", "empty", NULL, true, 0));
	json_array_append_new(pods, pod_new("done", "empty", "10.42.0.9", false, 0));
	json_object_set_new(json_object_get(json_array_get(pods, 1), "status"), "phase", json_string("Succeeded"));
	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 1);
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.create, 0), "endpoints")), 0);
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.create, 0), "ports")), 0);
	eps_plan_clear(&p);
	json_decref(svc);
	json_decref(none);
	json_decref(pods);
}

static void test_named_ports(void)
{
	json_t *svc = svc_new("named", "[{\"name\":\"web\",\"port\":80,\"targetPort\":\"http\",\"protocol\":\"TCP\"}]");
	json_t *pods = json_array(), *none = json_array(), *s;
	eps_plan_t p;
	size_t i;
	int with8080 = 0, with9090 = 0, noports = 0;

	json_array_append_new(pods, pod_new("a", "named", "10.42.0.2", true, 8080));
	json_array_append_new(pods, pod_new("b", "named", "10.42.0.3", true, 8080));
	json_array_append_new(pods, pod_new("c", "named", "10.42.0.4", true, 9090));
	json_array_append_new(pods, pod_new("d", "named", "10.42.0.5", true, 0)); /* lacks "http" */

	CHECK_INT(eps_find_port(json_array_get(pods, 0), json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0)), 8080);
	CHECK_INT(eps_find_port(json_array_get(pods, 2), json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0)), 9090);
	CHECK(eps_find_port(json_array_get(pods, 3), json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0)) < 0);
	{
		json_t *udp = json_pack("{s:s, s:i, s:s, s:s}", "name", "dns", "port", 53, "targetPort", "http", "protocol", "UDP");
		json_t *num = json_pack("{s:i}", "port", 81);
		CHECK(eps_find_port(json_array_get(pods, 0), udp) < 0); /* name matches, protocol does not */
		CHECK_INT(eps_find_port(json_array_get(pods, 3), num), 81);  /* no targetPort: the port */
		json_decref(udp);
		json_decref(num);
	}

	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	/* one slice per port mapping; the pod lacking the name gets no port (upstream getEndpointPorts) */
	CHECK_INT(json_array_size(p.create), 3);
	json_array_foreach(p.create, i, s) {
		const json_t *ports = json_object_get(s, "ports");
		if (json_array_size(ports) == 0) {
			noports++;
			CHECK(ep_by_pod(s, "d") != NULL);
		} else if (json_integer_value(json_object_get(json_array_get(ports, 0), "port")) == 8080) {
			with8080++;
			CHECK_INT(json_array_size(json_object_get(s, "endpoints")), 2);
			CHECK(ep_by_pod(s, "a") && ep_by_pod(s, "b") && !ep_by_pod(s, "d"));
		} else if (json_integer_value(json_object_get(json_array_get(ports, 0), "port")) == 9090) {
			with9090++;
			CHECK(ep_by_pod(s, "c") != NULL);
		}
	}
	CHECK(with8080 == 1 && with9090 == 1 && noports == 1);
	eps_plan_clear(&p);

	/* the legacy Endpoints leave the pod without the port out */
	{
		json_t *ep = eps_endpoints_desired(svc, pods, NULL);
		const json_t *subsets = json_object_get(ep, "subsets");
		char *text = json_dumps(ep, JSON_COMPACT);
		CHECK_INT(json_array_size(subsets), 2);
		CHECK(text && strstr(text, "10.42.0.5") == NULL);
		free(text);
		json_decref(ep);
	}
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_conditions(void)
{
	json_t *svc = svc_new("c", "[{\"port\":80,\"targetPort\":8080}]"), *pods = json_array(), *none = json_array();
	eps_plan_t p;
	const json_t *s;

	json_array_append_new(pods, pod_new("ready", "c", "10.42.0.2", true, 0));
	json_array_append_new(pods, pod_new("unready", "c", "10.42.0.3", false, 0));
	json_array_append_new(pods, pod_new("term", "c", "10.42.0.4", true, 0));
	json_object_set_new(json_object_get(json_array_get(pods, 2), "metadata"), "deletionTimestamp",
			    json_string("2024-01-01T00:00:00Z"));
	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	s = json_array_get(p.create, 0);
	CHECK(cond(ep_by_pod(s, "ready"), "ready") && cond(ep_by_pod(s, "ready"), "serving"));
	CHECK(!cond(ep_by_pod(s, "unready"), "ready") && !cond(ep_by_pod(s, "unready"), "serving"));
	CHECK(!cond(ep_by_pod(s, "unready"), "terminating"));
	/* a terminating pod still serving: ready false, serving true, terminating true */
	CHECK(!cond(ep_by_pod(s, "term"), "ready") && cond(ep_by_pod(s, "term"), "serving") &&
	      cond(ep_by_pod(s, "term"), "terminating"));
	eps_plan_clear(&p);

	/* publishNotReadyAddresses makes every endpoint ready */
	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	s = json_array_get(p.create, 0);
	CHECK(cond(ep_by_pod(s, "unready"), "ready") && cond(ep_by_pod(s, "term"), "ready"));
	CHECK(!cond(ep_by_pod(s, "unready"), "serving"));
	eps_plan_clear(&p);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_hostname_and_headless(void)
{
	json_t *svc = svc_new("db", "[{\"port\":5432}]"), *pods = json_array(), *none = json_array();
	eps_plan_t p;
	const json_t *s;

	json_object_set_new(json_object_get(svc, "spec"), "clusterIP", json_string("None"));
	json_object_set_new(json_object_get(svc, "spec"), "clusterIPs", json_pack("[s]", "None"));
	json_array_append_new(pods, pod_new("db-0", "db", "10.42.0.2", true, 0));
	json_array_append_new(pods, pod_new("db-1", "db", "10.42.0.3", true, 0));
	json_object_set_new(json_object_get(json_array_get(pods, 0), "spec"), "hostname", json_string("db-0"));
	json_object_set_new(json_object_get(json_array_get(pods, 0), "spec"), "subdomain", json_string("db"));
	json_object_set_new(json_object_get(json_array_get(pods, 1), "spec"), "hostname", json_string("db-1"));
	json_object_set_new(json_object_get(json_array_get(pods, 1), "spec"), "subdomain", json_string("other"));
	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	s = json_array_get(p.create, 0);
	CHECK_STR(json_string_value(json_object_get(ep_by_pod(s, "db-0"), "hostname")), "db-0");
	CHECK(json_object_get(ep_by_pod(s, "db-1"), "hostname") == NULL);
	CHECK(json_object_get(json_object_get(json_object_get(s, "metadata"), "labels"), EPS_LABEL_HEADLESS) != NULL);
	eps_plan_clear(&p);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_address_types(void)
{
	json_t *svc = svc_new("dual", "[{\"port\":80}]"), *pods = json_array(), *none = json_array(), *stored, *s;
	eps_plan_t p;
	size_t i;
	int v4 = 0, v6 = 0;

	json_object_set_new(json_object_get(svc, "spec"), "ipFamilies", json_pack("[s,s]", "IPv4", "IPv6"));
	json_array_append_new(pods, pod_new("x", "dual", "10.42.0.2", true, 0));
	json_array_append_new(json_object_get(json_object_get(json_array_get(pods, 0), "status"), "podIPs"),
			      json_pack("{s:s}", "ip", "fd00:42:0:0::2"));
	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 2);
	json_array_foreach(p.create, i, s) {
		const char *t = json_string_value(json_object_get(s, "addressType"));
		const char *a = json_string_value(json_array_get(json_object_get(json_array_get(json_object_get(s, "endpoints"), 0), "addresses"), 0));
		if (strcmp(t, "IPv4") == 0) {
			v4++;
			CHECK_STR(a, "10.42.0.2");
		} else {
			v6++;
			CHECK_STR(a, "fd00:42::2"); /* normalized */
		}
	}
	CHECK(v4 == 1 && v6 == 1);
	stored = apply_plan(none, &p);
	eps_plan_clear(&p);

	/* back to IPv4 only: the IPv6 slice goes */
	json_object_set_new(json_object_get(svc, "spec"), "ipFamilies", json_pack("[s]", "IPv4"));
	CHECK_INT(eps_reconcile(svc, pods, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 0);
	CHECK_INT(json_array_size(p.update), 0);
	CHECK_INT(json_array_size(p.remove), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(p.remove, 0), "addressType")), "IPv6");
	eps_plan_clear(&p);

	/* a slice owned by an older Service of the same name is replaced in place (update, not create) */
	json_object_set_new(json_object_get(svc, "metadata"), "uid", json_string("svc-uid-2"));
	json_object_set_new(json_object_get(svc, "spec"), "ipFamilies", json_pack("[s,s]", "IPv4", "IPv6"));
	CHECK_INT(eps_reconcile(svc, pods, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.create), 2);
	CHECK_INT(json_array_size(p.update), 0);
	CHECK_INT(json_array_size(p.remove), 2); /* not ours: upstream's finalize only reuses owned slices */
	eps_plan_clear(&p);
	json_decref(stored);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_labels_follow_service(void)
{
	json_t *svc = svc_new("lab", "[{\"port\":80}]"), *pods = pods_n(2, "lab", true), *none = json_array(), *stored;
	eps_plan_t p;

	CHECK_INT(eps_reconcile(svc, pods, none, NULL, 0, &p), 0);
	stored = apply_plan(none, &p);
	eps_plan_clear(&p);
	json_object_set_new(json_object_get(json_object_get(svc, "metadata"), "labels"), "team", json_string("red"));
	CHECK_INT(eps_reconcile(svc, pods, stored, NULL, 0, &p), 0);
	CHECK_INT(json_array_size(p.update), 1);
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(json_array_get(p.update, 0), "metadata"), "labels"), "team")), "red");
	CHECK_INT(json_array_size(json_object_get(json_array_get(p.update, 0), "endpoints")), 2);
	eps_plan_clear(&p);
	json_decref(stored);
	json_decref(svc);
	json_decref(pods);
	json_decref(none);
}

static void test_endpoints_mirror(void)
{
	json_t *svc = svc_new("m", "[{\"name\":\"b\",\"port\":81,\"targetPort\":8081},{\"name\":\"a\",\"port\":80,\"targetPort\":8080}]");
	json_t *pods = json_array(), *ep, *again;
	const json_t *sub;

	json_array_append_new(pods, pod_new("p2", "m", "10.42.0.3", true, 0));
	json_array_append_new(pods, pod_new("p1", "m", "10.42.0.2", true, 0));
	json_array_append_new(pods, pod_new("p3", "m", "10.42.0.4", false, 0));
	json_array_append_new(pods, pod_new("p4", "m", NULL, true, 0));
	json_array_append_new(pods, pod_new("p5", "m", "10.42.0.6", true, 0));
	json_object_set_new(json_object_get(json_array_get(pods, 4), "metadata"), "deletionTimestamp",
			    json_string("2024-01-01T00:00:00Z"));
	ep = eps_endpoints_desired(svc, pods, "2024-01-01T00:00:00Z");
	CHECK(ep != NULL);
	CHECK_STR(json_string_value(json_object_get(ep, "kind")), "Endpoints");
	CHECK_STR(json_string_value(json_object_get(json_object_get(ep, "metadata"), "name")), "m");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(ep, "metadata"), "labels"), "team")), "blue");
	CHECK_INT(json_array_size(json_object_get(ep, "subsets")), 1);
	sub = json_array_get(json_object_get(ep, "subsets"), 0);
	CHECK_INT(json_array_size(json_object_get(sub, "addresses")), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(sub, "addresses"), 0), "ip")), "10.42.0.2");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(sub, "addresses"), 1), "ip")), "10.42.0.3");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(sub, "addresses"), 0), "targetRef"), "name")), "p1");
	CHECK_INT(json_array_size(json_object_get(sub, "notReadyAddresses")), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(sub, "notReadyAddresses"), 0), "ip")), "10.42.0.4");
	CHECK_INT(json_array_size(json_object_get(sub, "ports")), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(sub, "ports"), 0), "name")), "a");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(sub, "ports"), 0), "port")), 8080);
	/* equality ignores the trigger annotation and metadata the server adds */
	again = eps_endpoints_desired(svc, pods, "2025-01-01T00:00:00Z");
	json_object_set_new(json_object_get(again, "metadata"), "resourceVersion", json_string("7"));
	CHECK(eps_endpoints_equal(again, ep));
	json_object_set_new(json_object_get(json_array_get(pods, 2), "status"), "phase", json_string("Failed"));
	json_decref(again);
	again = eps_endpoints_desired(svc, pods, NULL);
	CHECK(!eps_endpoints_equal(again, ep));
	json_decref(again);

	/* publishNotReadyAddresses: all addresses ready, terminating ones included */
	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
	json_decref(ep);
	ep = eps_endpoints_desired(svc, pods, NULL);
	sub = json_array_get(json_object_get(ep, "subsets"), 0);
	CHECK_INT(json_array_size(json_object_get(sub, "addresses")), 3);
	CHECK(json_object_get(sub, "notReadyAddresses") == NULL);
	json_decref(ep);

	/* no pods: no subsets */
	{
		json_t *none = json_array();
		ep = eps_endpoints_desired(svc, none, NULL);
		CHECK(json_object_get(ep, "subsets") == NULL);
		json_decref(ep);
		json_decref(none);
	}
	json_decref(svc);
	json_decref(pods);
}

static void test_selector(void)
{
	json_t *svc = svc_new("s", "[{\"port\":80}]");
	CHECK(eps_service_has_selector(svc));
	json_object_del(json_object_get(svc, "spec"), "selector");
	CHECK(!eps_service_has_selector(svc));
	json_object_set_new(json_object_get(svc, "spec"), "selector", json_object());
	CHECK(!eps_service_has_selector(svc));
	json_decref(svc);
}

int main(void)
{
	TEST_RUN(test_five_ready_pods);
	TEST_RUN(test_packing_and_churn);
	TEST_RUN(test_placeholder_for_no_pods);
	TEST_RUN(test_named_ports);
	TEST_RUN(test_conditions);
	TEST_RUN(test_hostname_and_headless);
	TEST_RUN(test_address_types);
	TEST_RUN(test_labels_follow_service);
	TEST_RUN(test_endpoints_mirror);
	TEST_RUN(test_selector);
	TEST_DONE();
}
