/* The load-balancer controller's decisions: which Services are handled and how (upstream's
 * wantsLoadBalancer / needsCleanup), the allocator request, node eligibility, ingress lists,
 * finalizer and status edits, the back-off, fingerprints, and the webhook protocol's JSON. */
#include <errno.h>
#include <sys/socket.h>

#include "controllers/lb_logic.h"
#include "harness.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fprintf(stderr, "bad test JSON: %s: %s\n", e.text, s);
	return j;
}

static void test_predicates(void)
{
	json_t *lb = J("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"type\":\"LoadBalancer\"}}");
	json_t *ours = J("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"type\":\"LoadBalancer\",\"loadBalancerClass\":\"portico.io/lb\"}}");
	json_t *other = J("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"type\":\"LoadBalancer\",\"loadBalancerClass\":\"example.com/lb\"}}");
	json_t *cip = J("{\"metadata\":{\"name\":\"a\"},\"spec\":{\"type\":\"ClusterIP\"}}");
	json_t *cipfin = J("{\"metadata\":{\"name\":\"a\",\"finalizers\":[\"x\",\"service.kubernetes.io/load-balancer-cleanup\"]},"
			   "\"spec\":{\"type\":\"ClusterIP\"}}");
	json_t *del = J("{\"metadata\":{\"name\":\"a\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\","
			"\"finalizers\":[\"service.kubernetes.io/load-balancer-cleanup\"]},\"spec\":{\"type\":\"LoadBalancer\"}}");
	json_t *delnofin = J("{\"metadata\":{\"name\":\"a\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},"
			     "\"spec\":{\"type\":\"LoadBalancer\"}}");

	CHECK(lb_svc_ours(lb) && lb_svc_wants_lb(lb) && !lb_svc_needs_cleanup(lb));
	CHECK(lb_svc_ours(ours) && lb_svc_wants_lb(ours));
	CHECK(!lb_svc_ours(other) && !lb_svc_wants_lb(other)); /* another class: left alone */
	CHECK(!lb_svc_wants_lb(cip) && !lb_svc_needs_cleanup(cip));
	CHECK(lb_svc_has_finalizer(cipfin) && lb_svc_needs_cleanup(cipfin)); /* type change away */
	CHECK(lb_svc_needs_cleanup(del));
	CHECK(!lb_svc_needs_cleanup(delnofin));
	CHECK(!lb_svc_local(lb));
	json_decref(lb);
	json_decref(ours);
	json_decref(other);
	json_decref(cip);
	json_decref(cipfin);
	json_decref(del);
	json_decref(delnofin);
}

static void test_request(void)
{
	json_t *s = J("{\"metadata\":{\"annotations\":{\"portico.io/allow-shared-ip\":\"k\","
		      "\"portico.io/load-balancer-ips\":\" 198.51.100.5 , 2001:db8::5\"}},"
		      "\"spec\":{\"loadBalancerIP\":\"198.51.100.9\",\"ipFamilies\":[\"IPv6\",\"IPv4\"],"
		      "\"ipFamilyPolicy\":\"RequireDualStack\",\"ports\":[{\"port\":80},{\"port\":53,\"protocol\":\"UDP\"}]}}");
	lb_request_t r;
	char err[128], buf[64];

	CHECK_INT(lb_svc_request(s, "ns/a", &r, err, sizeof(err)), 0);
	CHECK_STR(r.key, "ns/a");
	CHECK_STR(r.share, "k");
	CHECK_INT(r.nports, 2);
	CHECK_STR(r.ports[0].proto, "TCP");
	CHECK_INT(r.ports[1].port, 53);
	CHECK_STR(r.ports[1].proto, "UDP");
	CHECK_INT(r.families[0], AF_INET6);
	CHECK_INT(r.families[1], AF_INET);
	CHECK(r.require_all_families);
	CHECK_INT(r.nrequested, 2); /* the annotation wins over spec.loadBalancerIP */
	lb_addr_format(&r.requested[0], buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.5");
	json_decref(s);

	s = J("{\"metadata\":{},\"spec\":{\"loadBalancerIP\":\"198.51.100.9\"}}");
	CHECK_INT(lb_svc_request(s, "ns/a", &r, err, sizeof(err)), 0);
	CHECK_INT(r.nrequested, 1);
	CHECK_INT(r.families[0], AF_INET); /* no ipFamilies: IPv4 */
	CHECK(r.share == NULL);
	json_decref(s);

	s = J("{\"metadata\":{\"annotations\":{\"portico.io/load-balancer-ips\":\"198.51.100.5,198.51.100.6\"}},\"spec\":{}}");
	CHECK_INT(lb_svc_request(s, "ns/a", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "at most one IPv4 address may be requested");
	json_decref(s);
	s = J("{\"metadata\":{\"annotations\":{\"portico.io/load-balancer-ips\":\"198.51.100.500\"}},\"spec\":{}}");
	CHECK_INT(lb_svc_request(s, "ns/a", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "invalid address \"198.51.100.500\"");
	json_decref(s);
	s = J("{\"metadata\":{},\"spec\":{\"loadBalancerIP\":\"x\\u0001\"}}");
	CHECK_INT(lb_svc_request(s, "ns/a", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "invalid address \"x?\"");
	json_decref(s);
}

static const char *NODES = "{"
	"\"b\":{\"metadata\":{\"name\":\"b\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
	"  \"addresses\":[{\"type\":\"Hostname\",\"address\":\"b\"},{\"type\":\"InternalIP\",\"address\":\"192.0.2.22\"}]}},"
	"\"a\":{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
	"  \"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.21\"}]}},"
	"\"x\":{\"metadata\":{\"name\":\"x\",\"labels\":{\"node.kubernetes.io/exclude-from-external-load-balancers\":\"\"}},"
	"  \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.23\"}]}},"
	"\"n\":{\"metadata\":{\"name\":\"n\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}],"
	"  \"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.0.2.24\"}]}},"
	"\"e\":{\"metadata\":{\"name\":\"e\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
	"  \"addresses\":[{\"type\":\"ExternalIP\",\"address\":\"203.0.113.1\"}]}}"
	"}";

static void test_nodes(void)
{
	json_t *nodes = J(NODES), *slices, *local, *el, *ing;
	char *s;

	el = lb_nodes_eligible(nodes, NULL);
	s = json_dumps(el, JSON_COMPACT);
	/* sorted; excluded, NotReady and address-less nodes left out */
	CHECK_STR(s, "[{\"name\":\"a\",\"addresses\":[\"192.0.2.21\"],\"readyEndpoints\":0},"
		     "{\"name\":\"b\",\"addresses\":[\"192.0.2.22\"],\"readyEndpoints\":0}]");
	free(s);
	ing = lb_ingress_from_nodes(el, false);
	s = json_dumps(ing, JSON_COMPACT);
	CHECK_STR(s, "[{\"ip\":\"192.0.2.21\",\"ipMode\":\"VIP\"},{\"ip\":\"192.0.2.22\",\"ipMode\":\"VIP\"}]");
	free(s);
	json_decref(ing);
	ing = lb_ingress_from_nodes(el, true);
	CHECK_INT(json_array_size(ing), 0); /* Local without endpoints: none */
	json_decref(ing);
	json_decref(el);

	slices = J("[{\"endpoints\":[{\"nodeName\":\"b\",\"conditions\":{\"ready\":true}},{\"nodeName\":\"b\"},"
		   "{\"nodeName\":\"a\",\"conditions\":{\"ready\":false}},{\"addresses\":[\"10.42.0.5\"]}]},"
		   "{\"endpoints\":[{\"nodeName\":\"x\",\"conditions\":{\"ready\":true}}]}]");
	local = lb_local_endpoints(slices);
	s = json_dumps(local, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"b\":2,\"x\":1}");
	free(s);
	el = lb_nodes_eligible(nodes, local);
	ing = lb_ingress_from_nodes(el, true);
	s = json_dumps(ing, JSON_COMPACT);
	CHECK_STR(s, "[{\"ip\":\"192.0.2.22\",\"ipMode\":\"VIP\"}]"); /* only b: x is excluded */
	free(s);
	json_decref(ing);
	json_decref(el);
	json_decref(local);
	json_decref(slices);
	json_decref(nodes);
}

static void test_ingress_edits(void)
{
	json_t *a = J("[{\"ip\":\"198.51.100.1\",\"ipMode\":\"VIP\"},{\"hostname\":\"lb.example\"}]");
	json_t *b = J("[{\"hostname\":\"lb.example\"},{\"ip\":\"198.51.100.1\"}]");
	json_t *c = J("[{\"ip\":\"198.51.100.2\"}]");
	json_t *svc = J("{\"metadata\":{\"name\":\"a\",\"finalizers\":[\"x\"]},\"spec\":{},\"status\":{\"loadBalancer\":{}}}");
	json_t *w, *w2, *e;
	lb_addr_t addrs[2];
	char *s;

	CHECK(lb_ingress_equal(a, b));
	CHECK(!lb_ingress_equal(a, c));
	CHECK(lb_ingress_equal(NULL, json_array_get(c, 5)));
	CHECK(!lb_ingress_equal(NULL, c));
	CHECK(lb_svc_ingress(svc) == NULL);
	w = lb_svc_with_finalizer(svc, true);
	w2 = lb_svc_with_finalizer(w, true);
	s = json_dumps(json_object_get(json_object_get(w2, "metadata"), "finalizers"), JSON_COMPACT);
	CHECK_STR(s, "[\"x\",\"service.kubernetes.io/load-balancer-cleanup\"]"); /* once */
	free(s);
	CHECK(lb_svc_has_finalizer(w2));
	json_decref(w2);
	w2 = lb_svc_with_finalizer(w, false);
	CHECK(!lb_svc_has_finalizer(w2));
	s = json_dumps(json_object_get(json_object_get(w2, "metadata"), "finalizers"), JSON_COMPACT);
	CHECK_STR(s, "[\"x\"]"); /* others kept */
	free(s);
	json_decref(w2);
	lb_addr_parse("198.51.100.7", &addrs[0]);
	lb_addr_parse("2001:db8::7", &addrs[1]);
	e = lb_ingress_from_addrs(addrs, 2);
	w2 = lb_svc_with_ingress(w, e);
	CHECK(lb_ingress_equal(lb_svc_ingress(w2), e));
	s = json_dumps(lb_svc_ingress(w2), JSON_COMPACT);
	CHECK_STR(s, "[{\"ip\":\"198.51.100.7\",\"ipMode\":\"VIP\"},{\"ip\":\"2001:db8::7\",\"ipMode\":\"VIP\"}]");
	free(s);
	json_decref(w);
	w = lb_svc_with_ingress(w2, NULL);
	s = json_dumps(json_object_get(w, "status"), JSON_COMPACT);
	CHECK_STR(s, "{\"loadBalancer\":{}}");
	free(s);
	json_decref(w);
	json_decref(w2);
	json_decref(e);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(svc);
}

static void test_backoff(void)
{
	CHECK_INT(lb_backoff_ms(1), 5000);
	CHECK_INT(lb_backoff_ms(2), 10000);
	CHECK_INT(lb_backoff_ms(3), 20000);
	CHECK_INT(lb_backoff_ms(6), 160000);
	CHECK_INT(lb_backoff_ms(7), 300000);
	CHECK_INT(lb_backoff_ms(100), 300000);
	CHECK_INT(lb_backoff_ms(0), 5000);
}

static void test_fingerprints(void)
{
	json_t *a = J("{\"metadata\":{\"uid\":\"u1\",\"resourceVersion\":\"5\"},\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80}]}}");
	json_t *b = J("{\"metadata\":{\"uid\":\"u1\",\"resourceVersion\":\"9\",\"finalizers\":[\"f\"]},"
		      "\"spec\":{\"ports\":[{\"port\":80}],\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.2.3.4\"}]}}}");
	json_t *c = J("{\"metadata\":{\"uid\":\"u1\"},\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":81}]}}");
	json_t *d = J("{\"metadata\":{\"uid\":\"u1\",\"annotations\":{\"portico.io/allow-shared-ip\":\"k\"}},"
		      "\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80}]}}");
	json_t *e = J("{\"metadata\":{\"uid\":\"u2\"},\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80}]}}");

	/* status, finalizers, resourceVersion and key order do not count */
	CHECK(lb_fp_service(a) == lb_fp_service(b));
	CHECK(lb_fp_service(a) != lb_fp_service(c)); /* spec */
	CHECK(lb_fp_service(a) != lb_fp_service(d)); /* annotations */
	CHECK(lb_fp_service(a) != lb_fp_service(e)); /* uid: a new Service of the same name */
	CHECK(lb_fp_json(NULL) == lb_fp_json(json_object_get(a, "nothing")));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	json_decref(e);
}

static void test_webhook_request(void)
{
	json_t *svc = J("{\"metadata\":{\"namespace\":\"ns\",\"name\":\"web\",\"uid\":\"u1\","
			"\"annotations\":{\"portico.io/allow-shared-ip\":\"k\",\"portico.io/load-balancer-ips\":\"198.51.100.7\"}},"
			"\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":31000,"
			"\"ipFamilies\":[\"IPv4\"],\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080},"
			"{\"port\":53,\"protocol\":\"UDP\"}]}}");
	json_t *nodes = J("[{\"name\":\"a\",\"addresses\":[\"192.0.2.21\"],\"readyEndpoints\":1}]");
	json_t *r = lb_webhook_request("ensure", svc, nodes);
	char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

	CHECK_STR(s, "{\"apiVersion\":\"lb.portico.io/v1\",\"kind\":\"LoadBalancerRequest\","
		     "\"nodes\":[{\"addresses\":[\"192.0.2.21\"],\"name\":\"a\",\"readyEndpoints\":1}],\"operation\":\"ensure\","
		     "\"service\":{\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":31000,\"ipFamilies\":[\"IPv4\"],"
		     "\"name\":\"web\",\"namespace\":\"ns\",\"ports\":[{\"name\":\"http\",\"nodePort\":30080,\"port\":80,"
		     "\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}],\"requestedIPs\":[\"198.51.100.7\"],"
		     "\"sharingKey\":\"k\",\"uid\":\"u1\"}}");
	free(s);
	json_decref(r);
	r = lb_webhook_request("delete", svc, NULL);
	CHECK(json_object_get(r, "nodes") == NULL);
	CHECK_STR(json_string_value(json_object_get(r, "operation")), "delete");
	json_decref(r);
	json_decref(svc);
	json_decref(nodes);
}

static void test_webhook_reply(void)
{
	json_t *ok = J("{\"ingress\":[{\"ip\":\"198.51.100.7\"},{\"hostname\":\"lb.example\"}]}");
	json_t *bad = J("{\"ingress\":[{\"ip\":\"not-an-ip\"}]}");
	json_t *notlist = J("{\"ingress\":{}}");
	json_t *errb = J("{\"error\":\"quota \\u0007exceeded\"}");
	json_t *ing = NULL;
	char err[256];
	char *s;

	CHECK_INT(lb_webhook_reply("ensure", 200, ok, &ing, err, sizeof(err)), 0);
	s = json_dumps(ing, JSON_COMPACT);
	CHECK_STR(s, "[{\"ip\":\"198.51.100.7\",\"ipMode\":\"VIP\"},{\"hostname\":\"lb.example\"}]");
	free(s);
	json_decref(ing);
	CHECK_INT(lb_webhook_reply("ensure", 200, bad, &ing, err, sizeof(err)), -EPROTO);
	CHECK_STR(err, "malformed provider reply: ingress point 0 has no valid ip or hostname");
	CHECK_INT(lb_webhook_reply("ensure", 200, notlist, &ing, err, sizeof(err)), -EPROTO);
	CHECK_STR(err, "malformed provider reply: no ingress list");
	CHECK_INT(lb_webhook_reply("ensure", 200, NULL, &ing, err, sizeof(err)), -EPROTO);
	CHECK_INT(lb_webhook_reply("ensure", 503, errb, &ing, err, sizeof(err)), -EIO);
	CHECK_STR(err, "provider answered HTTP 503: quota ?exceeded"); /* sanitised */
	CHECK_INT(lb_webhook_reply("ensure", 401, NULL, &ing, err, sizeof(err)), -EIO);
	CHECK_STR(err, "provider answered HTTP 401");
	CHECK_INT(lb_webhook_reply("ensure", -ECONNREFUSED, NULL, &ing, err, sizeof(err)), -EIO);
	CHECK_STR(err, "provider unreachable: Connection refused");
	ing = (json_t *)1;
	CHECK_INT(lb_webhook_reply("delete", 204, NULL, &ing, err, sizeof(err)), 0);
	CHECK(ing == NULL);
	CHECK_INT(lb_webhook_reply("update", 200, errb, &ing, err, sizeof(err)), 0); /* update may omit ingress */
	CHECK(ing == NULL);
	json_decref(ok);
	json_decref(bad);
	json_decref(notlist);
	json_decref(errb);
}

int main(void)
{
	TEST_RUN(test_predicates);
	TEST_RUN(test_request);
	TEST_RUN(test_nodes);
	TEST_RUN(test_ingress_edits);
	TEST_RUN(test_backoff);
	TEST_RUN(test_fingerprints);
	TEST_RUN(test_webhook_request);
	TEST_RUN(test_webhook_reply);
	TEST_DONE();
}
