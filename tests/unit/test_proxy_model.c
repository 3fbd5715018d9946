/* The proxy's model: frontends of each Service type, skipped Services, port matching between a
 * Service and its slices, KEP-1669 endpoint choice (ready, else serving+terminating, never not
 * ready), Local policies, affinity, source ranges, health check port, trigger time, equality. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "harness.h"
#include "proxy/proxy_model.h"

static const proxy_model_cfg_t CFG = { .node_name = "node-a" };

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	proxy_parse_ip4(s, &a);
	return a;
}

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fprintf(stderr, "bad fixture JSON: %s: %s\n", e.text, s);
	return j;
}

/* an endpoint entry: address, ready/serving/terminating as "1"/"0"/"-" (absent), node */
static char *ep(const char *addr, char r, char s, char t, const char *node)
{
	static char buf[8][512];
	static int k;
	char cond[128] = "";
	char *out = buf[k++ % 8];
	int n = 0;

	if (r != '-')
		n += snprintf(cond + n, sizeof(cond) - (size_t)n, "%s\"ready\":%s", n ? "," : "", r == '1' ? "true" : "false");
	if (s != '-')
		n += snprintf(cond + n, sizeof(cond) - (size_t)n, "%s\"serving\":%s", n ? "," : "", s == '1' ? "true" : "false");
	if (t != '-')
		n += snprintf(cond + n, sizeof(cond) - (size_t)n, "%s\"terminating\":%s", n ? "," : "",
			      t == '1' ? "true" : "false");
	snprintf(out, 512, "{\"addresses\":[\"%s\"],\"conditions\":{%s}%s%s%s}", addr, cond, node ? ",\"nodeName\":\"" : "",
		 node ? node : "", node ? "\"" : "");
	return out;
}

static json_t *slice(const char *ports, const char *eps)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"web-abc\",\"namespace\":\"ns\",\"labels\":{\"kubernetes.io/service-name\":\"web\"},"
		 "\"annotations\":{\"endpoints.kubernetes.io/last-change-trigger-time\":\"2024-05-01T10:00:00Z\"}},"
		 "\"addressType\":\"IPv4\",\"ports\":%s,\"endpoints\":[%s]}",
		 ports, eps);
	return J(buf);
}

static int model(const char *svc_json, json_t **slices, size_t n, proxy_svcport_t **ret, size_t *ret_n)
{
	json_t *svc = J(svc_json);
	int rc = proxy_model_service(svc, (const json_t *const *)slices, n, &CFG, ret, ret_n);

	json_decref(svc);
	return rc;
}

#define SVC_CLUSTER "{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"ClusterIP\"," \
	"\"clusterIP\":\"10.43.0.20\",\"clusterIPs\":[\"10.43.0.20\"],\"ports\":[{\"name\":\"http\",\"port\":80," \
	"\"protocol\":\"TCP\",\"targetPort\":8080},{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}"

static void test_cluster_ip(void)
{
	json_t *sl = slice("[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":5353,\"protocol\":\"UDP\"}]",
			   "{\"addresses\":[\"10.42.1.5\"],\"conditions\":{\"ready\":true}},"
			   "{\"addresses\":[\"10.42.1.3\"]}");
	proxy_svcport_t *v = NULL;
	size_t n = 0;

	CHECK_INT(model(SVC_CLUSTER, &sl, 1, &v, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(v[0].key, "ns/web:http/TCP");
		CHECK_INT(v[0].proto, PROXY_PROTO_TCP);
		CHECK_INT(v[0].port, 80);
		CHECK(v[0].cluster_ip.v4 == ip("10.43.0.20"));
		CHECK_INT(v[0].node_port, 0);
		CHECK_INT(v[0].n_all, 2);
		/* sorted by address; absent ready reads as ready */
		CHECK(v[0].all[0].addr.v4 == ip("10.42.1.3"));
		CHECK_INT(v[0].all[0].port, 8080);
		CHECK(v[0].all[1].addr.v4 == ip("10.42.1.5"));
		CHECK_STR(v[1].key, "ns/web:dns/UDP");
		CHECK_INT(v[1].proto, PROXY_PROTO_UDP);
		CHECK_INT(v[1].all[0].port, 5353);
		CHECK_INT(v[0].affinity_sec, 0);
		CHECK(!v[0].etp_local && !v[0].itp_local);
		CHECK(v[0].trigger_ns == 1714557600LL * 1000000000LL);
	}
	proxy_svcports_free(v, n);
	json_decref(sl);
}

static void test_skipped(void)
{
	proxy_svcport_t *v = NULL;
	size_t n = 7;

	CHECK_INT(model("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"ExternalName\","
			"\"externalName\":\"example.com\",\"ports\":[{\"port\":80}]}}",
			NULL, 0, &v, &n),
		  0);
	CHECK_INT(n, 0);
	CHECK(v == NULL);
	CHECK_INT(model("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"None\","
			"\"ports\":[{\"port\":80}]}}",
			NULL, 0, &v, &n),
		  0);
	CHECK_INT(n, 0);
	/* an IPv6-only Service has nothing for the IPv4 table */
	CHECK_INT(model("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"fd00::1\","
			"\"clusterIPs\":[\"fd00::1\"],\"ports\":[{\"port\":80}]}}",
			NULL, 0, &v, &n),
		  0);
	CHECK_INT(n, 0);
	/* unknown protocol ports are skipped, the others kept */
	CHECK_INT(model("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"10.43.0.9\","
			"\"ports\":[{\"port\":80,\"protocol\":\"ICMP\"},{\"port\":81}]}}",
			NULL, 0, &v, &n),
		  0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(v[0].port, 81);
		CHECK_INT(v[0].n_all, 0); /* no slices: no endpoints (the data plane rejects) */
		CHECK_STR(v[0].key, "ns/x:/TCP");
	}
	proxy_svcports_free(v, n);
}

static void test_cluster_dns_skipped(void)
{
	proxy_model_cfg_t cfg = { .node_name = "node-a", .cluster_dns = { .v4 = ip("10.43.0.10") } };
	json_t *svc = J("{\"metadata\":{\"name\":\"kube-dns\",\"namespace\":\"kube-system\"},\"spec\":{\"clusterIP\":"
			"\"10.43.0.10\",\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}");
	proxy_svcport_t *v = NULL;
	size_t n = 9;

	CHECK_INT(proxy_model_service(svc, NULL, 0, &cfg, &v, &n), 0);
	CHECK_INT(n, 0);
	json_decref(svc);
}

static void test_kep1669(void)
{
	char eps[2048];
	json_t *sl;
	proxy_svcport_t *v = NULL;
	size_t n = 0;
	const char *ports = "[{\"name\":\"http\",\"port\":8080}]";

	/* ready ones win; terminating and not-ready ones are left out */
	snprintf(eps, sizeof(eps), "%s,%s,%s", ep("10.42.0.1", '1', '1', '0', "node-a"), ep("10.42.0.2", '0', '1', '1', "node-a"),
		 ep("10.42.0.3", '0', '0', '0', "node-b"));
	sl = slice(ports, eps);
	CHECK_INT(model(SVC_CLUSTER, &sl, 1, &v, &n), 0);
	CHECK_INT(n, 2); /* the dns port has no slice port: still a port, without endpoints */
	if (n >= 1) {
		CHECK_INT(v[0].n_all, 1);
		CHECK(v[0].all[0].addr.v4 == ip("10.42.0.1"));
	}
	proxy_svcports_free(v, n);
	json_decref(sl);

	/* no ready one: the serving and terminating ones */
	snprintf(eps, sizeof(eps), "%s,%s,%s", ep("10.42.0.1", '0', '0', '1', "node-a"), ep("10.42.0.2", '0', '1', '1', "node-b"),
		 ep("10.42.0.3", '0', '0', '0', "node-b"));
	sl = slice(ports, eps);
	CHECK_INT(model(SVC_CLUSTER, &sl, 1, &v, &n), 0);
	if (n >= 1) {
		CHECK_INT(v[0].n_all, 1);
		CHECK(v[0].n_all == 1 && v[0].all[0].addr.v4 == ip("10.42.0.2"));
		CHECK_INT(v[0].n_local, 0); /* the local one is not serving */
	}
	proxy_svcports_free(v, n);
	json_decref(sl);

	/* serving defaults to ready: a terminating, not-ready endpoint without serving is never used */
	snprintf(eps, sizeof(eps), "%s", ep("10.42.0.1", '0', '-', '1', "node-a"));
	sl = slice(ports, eps);
	CHECK_INT(model(SVC_CLUSTER, &sl, 1, &v, &n), 0);
	if (n >= 1)
		CHECK_INT(v[0].n_all, 0);
	proxy_svcports_free(v, n);
	json_decref(sl);

	/* only not-ready ones: none */
	snprintf(eps, sizeof(eps), "%s,%s", ep("10.42.0.1", '0', '0', '0', NULL), ep("10.42.0.2", '0', '0', '-', NULL));
	sl = slice(ports, eps);
	CHECK_INT(model(SVC_CLUSTER, &sl, 1, &v, &n), 0);
	if (n >= 1)
		CHECK_INT(v[0].n_all, 0);
	proxy_svcports_free(v, n);
	json_decref(sl);
}

static void test_local_sets(void)
{
	char eps[2048];
	json_t *sl;
	proxy_svcport_t *v = NULL;
	size_t n = 0;

	/* local: node-a's ready ones; if none ready locally, local serving-terminating ones */
	snprintf(eps, sizeof(eps), "%s,%s,%s,%s", ep("10.42.0.1", '1', '1', '0', "node-b"), ep("10.42.0.2", '0', '1', '1', "node-a"),
		 ep("10.42.0.3", '1', '-', '-', "node-b"), ep("10.42.0.4", '0', '0', '0', "node-a"));
	sl = slice("[{\"name\":\"http\",\"port\":8080}]", eps);
	CHECK_INT(model("{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"LoadBalancer\","
			"\"clusterIP\":\"10.43.0.20\",\"externalTrafficPolicy\":\"Local\",\"internalTrafficPolicy\":\"Local\","
			"\"healthCheckNodePort\":32000,\"loadBalancerSourceRanges\":[\"198.51.100.0/24\",\"203.0.113.7/32\","
			"\"192.0.2.9/16\"],\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]},"
			"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.10\"},{\"ip\":\"198.51.100.11\","
			"\"ipMode\":\"Proxy\"},{\"hostname\":\"lb.example.com\"}]}}}",
			&sl, 1, &v, &n),
		  0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK(v[0].etp_local && v[0].itp_local);
		CHECK_INT(v[0].hc_node_port, 32000);
		CHECK_INT(v[0].node_port, 30080);
		CHECK_INT(v[0].n_lb, 1); /* ipMode Proxy and hostnames are not captured */
		CHECK(v[0].lb_ips[0].v4 == ip("198.51.100.10"));
		CHECK_INT(v[0].n_ranges, 3);
		CHECK(v[0].src_ranges[1].addr.v4 == ip("203.0.113.7") && v[0].src_ranges[1].mask.v4 == 0xffffffffu);
		CHECK(v[0].src_ranges[2].addr.v4 == ip("192.0.0.0") && v[0].src_ranges[2].mask.v4 == ip("255.255.0.0"));
		CHECK_INT(v[0].n_all, 2);
		CHECK_INT(v[0].n_local, 1);
		CHECK(v[0].n_local == 1 && v[0].local[0].addr.v4 == ip("10.42.0.2"));
		CHECK_INT(v[0].n_local_ready, 0); /* the health check counts ready ones only */
		CHECK(v[0].all[0].local == false);
		CHECK(v[0].all[0].has_node); /* a known node: hairpin entries only for the local ones */
	}
	proxy_svcports_free(v, n);
	json_decref(sl);

	/* eTP Local on a ClusterIP-only Service means nothing; no health check port on a NodePort */
	sl = slice("[{\"name\":\"http\",\"port\":8080}]", ep("10.42.0.9", '1', '1', '0', "node-a"));
	CHECK_INT(model("{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"10.43.0.20\","
			"\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]}}",
			&sl, 1, &v, &n),
		  0);
	if (n == 1) {
		CHECK(!v[0].etp_local);
		CHECK_INT(v[0].node_port, 0); /* a ClusterIP Service's stray nodePort is ignored */
		CHECK_INT(v[0].n_local_ready, 1);
	}
	proxy_svcports_free(v, n);
	CHECK_INT(model("{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"NodePort\",\"clusterIP\":"
			"\"10.43.0.20\",\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":32000,\"externalIPs\":"
			"[\"192.0.2.50\",\"bogus\"],\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]}}",
			&sl, 1, &v, &n),
		  0);
	if (n == 1) {
		CHECK(v[0].etp_local);
		CHECK_INT(v[0].hc_node_port, 0);
		CHECK_INT(v[0].n_ext, 1);
		CHECK(v[0].ext_ips[0].v4 == ip("192.0.2.50"));
		CHECK_INT(v[0].n_lb, 0); /* not a LoadBalancer: status is not read */
	}
	proxy_svcports_free(v, n);
	json_decref(sl);
}

static void test_affinity(void)
{
	proxy_svcport_t *v = NULL;
	size_t n = 0;

	CHECK_INT(model("{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"10.43.0.21\","
			"\"sessionAffinity\":\"ClientIP\",\"ports\":[{\"port\":80}]}}",
			NULL, 0, &v, &n),
		  0);
	if (n == 1)
		CHECK_INT(v[0].affinity_sec, PROXY_AFFINITY_DEFAULT_SEC);
	proxy_svcports_free(v, n);
	CHECK_INT(model("{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"10.43.0.21\","
			"\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":7}},"
			"\"ports\":[{\"port\":80}]}}",
			NULL, 0, &v, &n),
		  0);
	if (n == 1)
		CHECK_INT(v[0].affinity_sec, 7);
	proxy_svcports_free(v, n);
}

static void test_port_matching_and_dedup(void)
{
	json_t *sl[3];
	proxy_svcport_t *v = NULL;
	size_t n = 0;

	/* slice ports match by name and protocol; an address in two slices counts once (ready wins);
	 * IPv6 slices and bad addresses are ignored */
	sl[0] = slice("[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},{\"name\":\"http\",\"port\":9999,\"protocol\":\"UDP\"}]",
		      "{\"addresses\":[\"10.42.0.1\"],\"conditions\":{\"ready\":false}},{\"addresses\":[\"nope\"]}");
	sl[1] = slice("[{\"name\":\"http\",\"port\":8080}]", "{\"addresses\":[\"10.42.0.1\"],\"conditions\":{\"ready\":true}}");
	sl[2] = slice("[{\"name\":\"http\",\"port\":8080}]", "{\"addresses\":[\"10.42.0.7\"]}");
	json_object_set_new(sl[2], "addressType", json_string("IPv6"));
	CHECK_INT(model(SVC_CLUSTER, sl, 3, &v, &n), 0);
	if (n >= 1) {
		CHECK_INT(v[0].n_all, 1);
		CHECK(v[0].n_all == 1 && v[0].all[0].addr.v4 == ip("10.42.0.1") && v[0].all[0].port == 8080);
		CHECK(v[0].n_all == 1 && !v[0].all[0].has_node && !v[0].all[0].local);
	}
	proxy_svcports_free(v, n);
	json_decref(sl[0]);
	json_decref(sl[1]);
	json_decref(sl[2]);
}

static void test_copy_equal(void)
{
	json_t *sl = slice("[{\"name\":\"http\",\"port\":8080}]", "{\"addresses\":[\"10.42.0.1\"]}");
	proxy_svcport_t *v = NULL, c;
	size_t n = 0;

	CHECK_INT(model(SVC_CLUSTER, &sl, 1, &v, &n), 0);
	if (n >= 1) {
		CHECK_INT(proxy_svcport_copy(&v[0], &c), 0);
		CHECK(proxy_svcport_equal(&v[0], &c));
		c.all[0].port = 1;
		CHECK(!proxy_svcport_equal(&v[0], &c));
		c.all[0].port = 8080;
		c.affinity_sec = 5;
		CHECK(!proxy_svcport_equal(&v[0], &c));
		proxy_svcport_clear(&c);
	}
	proxy_svcports_free(v, n);
	json_decref(sl);
}

static void test_parsers(void)
{
	proxy_cidr_t c;
	int64_t t;

	CHECK_INT(proxy_parse_cidr4("10.42.0.0/16", false, &c), 0);
	CHECK(c.addr.v4 == ip("10.42.0.0") && c.mask.v4 == ip("255.255.0.0"));
	CHECK(proxy_parse_cidr4("10.42.1.0/16", false, &c) < 0);
	CHECK_INT(proxy_parse_cidr4("10.42.1.0/16", true, &c), 0);
	CHECK(proxy_parse_cidr4("10.42.0.0/33", false, &c) < 0);
	CHECK(proxy_parse_cidr4("10.42.0.0", false, &c) < 0);
	CHECK(proxy_parse_cidr4("10.42.0.0/", false, &c) < 0);
	CHECK_INT(proxy_parse_cidr4("0.0.0.0/0", false, &c), 0);
	CHECK(c.mask.v4 == 0);
	CHECK_INT(proxy_parse_time("2024-05-01T10:00:00.5Z", &t), 0);
	CHECK(t == 1714557600LL * 1000000000LL + 500000000LL);
	CHECK(proxy_parse_time("2024-05-01T10:00:00+02:00", &t) < 0);
	CHECK(proxy_parse_time("yesterday", &t) < 0);
	CHECK(proxy_parse_time("", &t) < 0);
}

static bool addr_is(const proxy_addr_t *a, const char *s)
{
	proxy_addr_t b;

	return proxy_parse_ip(s, AF_UNSPEC, &b) > 0 && proxy_addr_eq(a, &b);
}

/* A dual-stack LoadBalancer Service: each family's pass takes that family's ClusterIP, externalIPs,
 * ingress IPs, source ranges and slices only (kube-proxy's one proxier per family); an IPv4-only
 * Service has nothing in the IPv6 pass, whatever IPv6 frontends it names. */
static void test_families(void)
{
	static const char *svc = "{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\"},\"spec\":{\"type\":"
		"\"LoadBalancer\",\"clusterIP\":\"10.43.0.20\",\"clusterIPs\":[\"10.43.0.20\",\"fd00:43::20\"],"
		"\"externalIPs\":[\"192.0.2.7\",\"2001:db8::7\",\"::ffff:192.0.2.8\"],"
		"\"loadBalancerSourceRanges\":[\"203.0.113.0/24\",\"2001:db8:1::5/48\"],"
		"\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080}]},"
		"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"},{\"ip\":\"2001:db8:100::1\"}]}}}";
	json_t *sl[2];
	proxy_model_cfg_t c6 = { .node_name = "node-a", .family = AF_INET6 };
	proxy_svcport_t *v = NULL;
	size_t n = 0;
	json_t *j;

	sl[0] = slice("[{\"name\":\"http\",\"port\":8080}]", "{\"addresses\":[\"10.42.0.5\"]}");
	sl[1] = J("{\"metadata\":{\"name\":\"web-6\",\"namespace\":\"ns\",\"labels\":{\"kubernetes.io/service-name\":"
		  "\"web\"}},\"addressType\":\"IPv6\",\"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":["
		  "{\"addresses\":[\"fd00:42::9\"],\"nodeName\":\"node-a\"},{\"addresses\":[\"fd00:42::3\"]},"
		  "{\"addresses\":[\"10.42.0.6\"]}]}");
	CHECK_INT(model(svc, sl, 2, &v, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(v[0].family, AF_INET);
		CHECK(addr_is(&v[0].cluster_ip, "10.43.0.20"));
		CHECK_INT(v[0].n_ext, 1); /* an IPv4-mapped IPv6 address is neither */
		CHECK(addr_is(&v[0].ext_ips[0], "192.0.2.7"));
		CHECK_INT(v[0].n_lb, 1);
		CHECK(addr_is(&v[0].lb_ips[0], "198.51.100.1"));
		CHECK_INT(v[0].n_ranges, 1);
		CHECK_INT(v[0].n_all, 1);
		CHECK(v[0].n_all == 1 && addr_is(&v[0].all[0].addr, "10.42.0.5"));
	}
	proxy_svcports_free(v, n);
	j = J(svc);
	CHECK_INT(proxy_model_service(j, (const json_t *const *)sl, 2, &c6, &v, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(v[0].family, AF_INET6);
		CHECK_STR(v[0].key, "ns/web:http/TCP");
		CHECK(addr_is(&v[0].cluster_ip, "fd00:43::20"));
		CHECK_INT(v[0].node_port, 30080);
		CHECK(v[0].n_ext == 1 && addr_is(&v[0].ext_ips[0], "2001:db8::7"));
		CHECK(v[0].n_lb == 1 && addr_is(&v[0].lb_ips[0], "2001:db8:100::1"));
		/* host bits dropped, /48 mask */
		CHECK(v[0].n_ranges == 1 && addr_is(&v[0].src_ranges[0].addr, "2001:db8:1::") &&
		      addr_is(&v[0].src_ranges[0].mask, "ffff:ffff:ffff::"));
		/* the IPv6 slice only (its IPv4 address is no IPv6 endpoint), sorted */
		CHECK_INT(v[0].n_all, 2);
		CHECK(v[0].n_all == 2 && addr_is(&v[0].all[0].addr, "fd00:42::3") && addr_is(&v[0].all[1].addr, "fd00:42::9"));
		CHECK(v[0].n_all == 2 && !v[0].all[0].local && v[0].all[1].local);
	}
	proxy_svcports_free(v, n);
	json_decref(j);
	/* IPv4 only, with an IPv6 externalIP: nothing in the IPv6 pass (upstream skips a Service
	 * without a ClusterIP of the family) */
	j = J("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"NodePort\",\"clusterIP\":"
	      "\"10.43.0.9\",\"externalIPs\":[\"2001:db8::7\"],\"ports\":[{\"port\":80,\"nodePort\":30001}]}}");
	n = 5;
	CHECK_INT(proxy_model_service(j, NULL, 0, &c6, &v, &n), 0);
	CHECK_INT(n, 0);
	json_decref(j);
	/* a /0 range of the family allows everyone: no restriction */
	j = J("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":"
	      "[\"fd00:43::9\"],\"loadBalancerSourceRanges\":[\"2001:db8::/32\",\"::/0\"],\"ports\":[{\"port\":80}]}}");
	CHECK_INT(proxy_model_service(j, NULL, 0, &c6, &v, &n), 0);
	CHECK(n == 1 && v[0].n_ranges == 0);
	proxy_svcports_free(v, n);
	json_decref(j);
	json_decref(sl[0]);
	json_decref(sl[1]);
}

static void test_parsers6(void)
{
	proxy_addr_t a;
	proxy_cidr_t c;

	CHECK_INT(proxy_parse_ip("fd00::1", AF_UNSPEC, &a), AF_INET6);
	CHECK_INT(proxy_parse_ip("10.0.0.1", AF_UNSPEC, &a), AF_INET);
	CHECK(a.v4 == ip("10.0.0.1") && a.b[4] == 0 && a.b[15] == 0);
	CHECK(proxy_parse_ip("fd00::1", AF_INET, &a) < 0);
	CHECK(proxy_parse_ip("10.0.0.1", AF_INET6, &a) < 0);
	CHECK(proxy_parse_ip("::ffff:10.0.0.1", AF_UNSPEC, &a) < 0);
	CHECK(proxy_parse_ip("fd00::1%eth0", AF_UNSPEC, &a) < 0);
	CHECK_INT(proxy_parse_cidr("fd00:43::/112", AF_UNSPEC, false, &c), AF_INET6);
	CHECK(addr_is(&c.mask, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:0"));
	CHECK(proxy_parse_cidr("fd00:43::1/112", AF_UNSPEC, false, &c) < 0);
	CHECK_INT(proxy_parse_cidr("fd00:43::1/112", AF_UNSPEC, true, &c), AF_INET6);
	CHECK(addr_is(&c.addr, "fd00:43::"));
	CHECK_INT(proxy_parse_cidr("fd00::/61", AF_INET6, false, &c), AF_INET6);
	CHECK(c.mask.b[7] == 0xf8 && c.mask.b[8] == 0);
	CHECK(proxy_parse_cidr("fd00::/129", AF_UNSPEC, false, &c) < 0);
	CHECK(proxy_parse_cidr("10.0.0.0/33", AF_UNSPEC, false, &c) < 0);
	CHECK(proxy_parse_cidr("10.0.0.0/8", AF_INET6, false, &c) < 0);
}

int main(void)
{
	TEST_RUN(test_cluster_ip);
	TEST_RUN(test_skipped);
	TEST_RUN(test_cluster_dns_skipped);
	TEST_RUN(test_kep1669);
	TEST_RUN(test_local_sets);
	TEST_RUN(test_affinity);
	TEST_RUN(test_port_matching_and_dedup);
	TEST_RUN(test_copy_equal);
	TEST_RUN(test_parsers);
	TEST_RUN(test_families);
	TEST_RUN(test_parsers6);
	TEST_DONE();
}
