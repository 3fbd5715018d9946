/* ClusterIP / NodePort allocation through svc_admit(): exhausting a /28, upstream's 422 and 500
 * messages, the dynamic band first, type changes allocating and releasing, interleaved ("concurrent")
 * transactions, and the start-up repair after a simulated crash. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/service.h"

static json_t *J(const char *s)
{
	char *d = strdup(s);
	json_error_t e;
	json_t *v;

	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(d, 0, &e);
	if (!v)
		fprintf(stderr, "  bad test JSON: %s: %s\n", e.text, s);
	free(d);
	return v;
}

static svc_alloc_t *mk(const char *cidrs, const char *ports)
{
	svc_config_t cfg;
	svc_alloc_t *a = NULL;

	CHECK_INT(svc_config_init(&cfg, cidrs, ports), 0);
	CHECK_INT(svc_alloc_new(&cfg, &a), 0);
	svc_alloc_seed(a, 42);
	return a;
}

static json_t *spec(json_t *svc)
{
	return json_object_get(svc, "spec");
}

static const char *sget(json_t *svc, const char *k)
{
	return json_string_value(json_object_get(spec(svc), k));
}

static long long node_port(json_t *svc, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(json_object_get(spec(svc), "ports"), i), "nodePort"));
}

static uint32_t used(svc_alloc_t *a, int pool)
{
	uint32_t u, n;

	svc_alloc_usage(a, pool, &u, &n);
	return u;
}

/* Create and commit at once; returns the stored object (caller frees) or NULL (errs filled). */
static json_t *create(svc_alloc_t *a, const char *body, json_t *errs, int *ret)
{
	json_t *svc = J(body);
	svc_txn_t *t = NULL;
	int r = svc_admit(a, svc, NULL, errs, &t);

	if (ret)
		*ret = r;
	if (r < 0) {
		json_decref(svc);
		return NULL;
	}
	svc_txn_commit(a, t);
	return svc;
}

static json_t *update(svc_alloc_t *a, json_t *old, const char *body, json_t *errs, int *ret)
{
	json_t *svc = J(body);
	svc_txn_t *t = NULL;
	int r = svc_admit(a, svc, old, errs, &t);

	if (ret)
		*ret = r;
	if (r < 0) {
		json_decref(svc);
		return NULL;
	}
	svc_txn_commit(a, t);
	return svc;
}

static const char *cause(json_t *errs, size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(errs, i), k));
}

static void test_config(void)
{
	svc_config_t c;
	char ip[64];

	CHECK_INT(svc_config_init(&c, NULL, NULL), 0);
	CHECK_STR(c.cidr[0].str, "10.43.0.0/16");
	CHECK_INT(c.n_cidrs, 1);
	CHECK_INT(c.port_base, 30000);
	CHECK_INT(c.port_size, 2768);
	svc_config_first_ip(&c, 0, ip, sizeof(ip));
	CHECK_STR(ip, "10.43.0.1");
	CHECK_INT(svc_config_init(&c, "10.43.0.7/16,fd00:43::/112", "30000+99"), 0);
	CHECK_STR(c.cidr[0].str, "10.43.0.0/16"); /* host bits masked, as net.ParseCIDR */
	CHECK_STR(c.cidr[1].str, "fd00:43::/112");
	CHECK_INT(c.n_cidrs, 2);
	CHECK_INT(c.port_size, 100);
	svc_config_first_ip(&c, 1, ip, sizeof(ip));
	CHECK_STR(ip, "fd00:43::1");
	CHECK_INT(svc_config_init(&c, "10.0.0.0/8", NULL), -EINVAL);   /* too large: mask >= 12 */
	CHECK_INT(svc_config_init(&c, "fd00::/64", NULL), -EINVAL);    /* mask >= 108 */
	CHECK_INT(svc_config_init(&c, "10.43.0.0/16,10.44.0.0/16", NULL), -EINVAL); /* one per family */
	CHECK_INT(svc_config_init(&c, "10.43.0.0", NULL), -EINVAL);
	CHECK_INT(svc_config_init(&c, NULL, "32767-30000"), -EINVAL);
	CHECK_INT(svc_config_init(&c, NULL, "30000-70000"), -EINVAL);
}

/* A /28 holds 14 Service IPs: not the network (.0) nor the broadcast (.15) address. */
static void test_exhaust_slash28(void)
{
	svc_alloc_t *a = mk("10.43.0.0/28", NULL);
	json_t *errs = json_array(), *svcs[15] = { 0 };
	bool seen[16] = { 0 };
	int r;

	svcs[0] = create(a, "{'spec':{'clusterIP':'10.43.0.1','ports':[{'port':443}]}}", errs, &r); /* kubernetes */
	CHECK_INT(r, 0);
	for (int i = 1; i < 14; i++) {
		svcs[i] = create(a, "{'spec':{'ports':[{'port':80}]}}", errs, &r);
		CHECK_INT(r, 0);
	}
	for (int i = 0; i < 14; i++) {
		struct in_addr in;
		const char *ip = svcs[i] ? sget(svcs[i], "clusterIP") : "";

		CHECK(inet_pton(AF_INET, ip, &in) == 1);
		uint32_t host = ntohl(in.s_addr) & 0xff;
		CHECK(host >= 1 && host <= 14);
		CHECK(!seen[host]);
		seen[host] = true;
		CHECK_STR(json_string_value(json_array_get(json_object_get(spec(svcs[i]), "clusterIPs"), 0)), ip);
	}
	CHECK_INT(used(a, 0), 14);
	svcs[14] = create(a, "{'spec':{'ports':[{'port':80}]}}", errs, &r);
	CHECK_INT(r, SVC_E_INTERNAL);
	CHECK_STR(svc_alloc_errmsg(a), "failed to allocate a serviceIP: range is full");
	CHECK_INT(json_array_size(errs), 0);
	CHECK_INT(used(a, 0), 14);
	/* delete one: its IP comes back */
	svc_alloc_release(a, svcs[5]);
	CHECK_INT(used(a, 0), 13);
	svcs[14] = create(a, "{'spec':{'ports':[{'port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_STR(sget(svcs[14], "clusterIP"), sget(svcs[5], "clusterIP"));
	for (int i = 0; i < 15; i++)
		json_decref(svcs[i]);
	json_decref(errs);
	svc_alloc_free(a);
}

static void test_requested_ip_errors(void)
{
	static const struct {
		const char *ip, *msg;
	} rows[] = {
		{ "10.43.0.10", "Invalid value: []string{\"10.43.0.10\"}: failed to allocate IP 10.43.0.10: provided IP is "
				"already allocated" },
		{ "10.44.0.1", "Invalid value: []string{\"10.44.0.1\"}: failed to allocate IP 10.44.0.1: the provided IP "
			       "(10.44.0.1) is not in the valid range. The range of valid IPs is 10.43.0.0/16" },
		{ "10.43.0.0", "Invalid value: []string{\"10.43.0.0\"}: failed to allocate IP 10.43.0.0: the provided IP "
			       "(10.43.0.0) is not in the valid range. The range of valid IPs is 10.43.0.0/16" },
		{ "10.43.255.255", "Invalid value: []string{\"10.43.255.255\"}: failed to allocate IP 10.43.255.255: the "
				   "provided IP (10.43.255.255) is not in the valid range. The range of valid IPs is 10.43.0.0/16" },
	};
	svc_alloc_t *a = mk(NULL, NULL);
	json_t *errs = json_array(), *first;
	int r;

	first = create(a, "{'spec':{'clusterIP':'10.43.0.10','ports':[{'port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char body[128];

		json_array_clear(errs);
		snprintf(body, sizeof(body), "{'spec':{'clusterIP':'%s','ports':[{'port':80}]}}", rows[i].ip);
		CHECK(create(a, body, errs, &r) == NULL);
		CHECK_INT(r, -EINVAL);
		CHECK_INT(json_array_size(errs), 1);
		CHECK_STR(cause(errs, 0, "field"), "spec.clusterIPs");
		CHECK_STR(cause(errs, 0, "message"), rows[i].msg);
	}
	CHECK_INT(used(a, 0), 1);
	json_decref(first);
	json_decref(errs);
	svc_alloc_free(a);
}

/* calculateRangeOffset: a /24 has a static band of 16 (.1-.16), used only once .17-.254 are taken. */
static void test_dynamic_band_first(void)
{
	svc_alloc_t *a = mk("10.43.0.0/24", "30000-30099");
	svc_txn_t *t;
	int low = 0;

	for (int i = 0; i < 254; i++) {
		json_t *svc = J("{'spec':{'type':'NodePort','ports':[{'port':80}]}}"), *errs = json_array();
		struct in_addr in;
		uint32_t host;
		long long np;

		CHECK_INT(i < 100 ? svc_admit(a, svc, NULL, errs, &t) : 0, 0);
		if (i >= 100) { /* ports ran out (100 of them); keep going with ClusterIPs only */
			json_object_set_new(spec(svc), "type", json_string("ClusterIP"));
			CHECK_INT(svc_admit(a, svc, NULL, errs, &t), 0);
		}
		svc_txn_commit(a, t);
		CHECK(inet_pton(AF_INET, sget(svc, "clusterIP"), &in) == 1);
		host = ntohl(in.s_addr) & 0xff;
		if (i < 238)
			CHECK(host >= 17);
		else
			low += host <= 16;
		np = i < 100 ? node_port(svc, 0) : 0;
		/* ports: 100 values, static band 16 (min), so 30016.. first */
		if (i < 84)
			CHECK(np >= 30016 && np <= 30099);
		else if (i < 100)
			CHECK(np >= 30000 && np < 30016);
		json_decref(svc);
		json_decref(errs);
	}
	CHECK_INT(low, 16);
	svc_alloc_free(a);

	/* the defaults: 256 of a /16, 86 of 30000-32767 */
	a = mk(NULL, NULL);
	for (int i = 0; i < 500; i++) {
		json_t *svc = J("{'spec':{'type':'NodePort','ports':[{'port':80}]}}"), *errs = json_array();
		struct in_addr in;

		CHECK_INT(svc_admit(a, svc, NULL, errs, &t), 0);
		svc_txn_commit(a, t);
		CHECK(inet_pton(AF_INET, sget(svc, "clusterIP"), &in) == 1);
		CHECK((ntohl(in.s_addr) & 0xffff) > 256);
		CHECK(node_port(svc, 0) >= 30086);
		json_decref(svc);
		json_decref(errs);
	}
	svc_alloc_free(a);
}

static void test_node_ports(void)
{
	svc_alloc_t *a = mk(NULL, "30000-30015");
	json_t *errs = json_array(), *s1, *s2, *s3;
	int r;

	/* TCP and UDP on one service port share a nodePort (upstream initNodePorts) */
	s1 = create(a, "{'spec':{'type':'NodePort','ports':[{'name':'t','port':53,'protocol':'TCP'},"
		       "{'name':'u','port':53,'protocol':'UDP'},{'name':'h','port':80,'nodePort':30001}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK(node_port(s1, 0) != 0);
	CHECK_INT(node_port(s1, 0), node_port(s1, 1));
	CHECK_INT(node_port(s1, 2), 30001);
	CHECK_INT(used(a, 2), 2);

	json_array_clear(errs);
	CHECK(create(a, "{'spec':{'type':'NodePort','ports':[{'port':80,'nodePort':30001}]}}", errs, &r) == NULL);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(cause(errs, 0, "field"), "spec.ports[0].nodePort");
	CHECK_STR(cause(errs, 0, "message"), "Invalid value: 30001: provided port is already allocated");

	json_array_clear(errs);
	CHECK(create(a, "{'spec':{'type':'NodePort','ports':[{'port':80,'nodePort':80}]}}", errs, &r) == NULL);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(cause(errs, 0, "field"), "spec.ports[0].nodePort");
	CHECK_STR(cause(errs, 0, "message"),
		  "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-30015");
	CHECK_INT(used(a, 0), 1); /* the failed creates gave their IPs back */

	/* LoadBalancer + Local: a healthCheckNodePort too; allocateLoadBalancerNodePorts false: none */
	json_array_clear(errs);
	s2 = create(a, "{'spec':{'type':'LoadBalancer','externalTrafficPolicy':'Local','ports':[{'port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK(node_port(s2, 0) >= 30000);
	CHECK(json_integer_value(json_object_get(spec(s2), "healthCheckNodePort")) >= 30000);
	CHECK(json_integer_value(json_object_get(spec(s2), "healthCheckNodePort")) != node_port(s2, 0));
	CHECK_INT(used(a, 2), 4);
	s3 = create(a, "{'spec':{'type':'LoadBalancer','allocateLoadBalancerNodePorts':false,'ports':[{'port':80}]}}",
		    errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(node_port(s3, 0), 0);
	CHECK(json_object_get(spec(s3), "healthCheckNodePort") == NULL);
	CHECK_INT(used(a, 2), 4);

	/* fill the range: 12 left */
	for (int i = 0; i < 12; i++) {
		json_t *s = create(a, "{'spec':{'type':'NodePort','ports':[{'port':80}]}}", errs, &r);

		CHECK_INT(r, 0);
		json_decref(s);
	}
	CHECK(create(a, "{'spec':{'type':'NodePort','ports':[{'port':80}]}}", errs, &r) == NULL);
	CHECK_INT(r, SVC_E_INTERNAL);
	CHECK_STR(svc_alloc_errmsg(a), "failed to allocate a nodePort: range is full");
	CHECK(create(a, "{'spec':{'type':'LoadBalancer','externalTrafficPolicy':'Local','allocateLoadBalancerNodePorts':false,"
		     "'ports':[{'port':80}]}}", errs, &r) == NULL);
	CHECK_INT(r, SVC_E_INTERNAL);
	CHECK_STR(svc_alloc_errmsg(a), "failed to allocate a HealthCheck NodePort 0: range is full");
	CHECK_INT(used(a, 2), 16);

	/* delete releases everything the Service holds */
	svc_alloc_release(a, s2);
	CHECK_INT(used(a, 2), 14);
	json_decref(s1);
	json_decref(s2);
	json_decref(s3);
	json_decref(errs);
	svc_alloc_free(a);
}

/* Each step is an update of the previous object; the allocator's counts tell what is held. */
static void test_type_changes(void)
{
	svc_alloc_t *a = mk(NULL, NULL);
	json_t *errs = json_array(), *s, *n;
	char ip[64];
	long long np;
	int r;

	s = create(a, "{'metadata':{'name':'s'},'spec':{'ports':[{'name':'h','port':80}],'selector':{'app':'a'}}}", errs, &r);
	CHECK_INT(r, 0);
	snprintf(ip, sizeof(ip), "%s", sget(s, "clusterIP"));
	CHECK_STR(sget(s, "ipFamilyPolicy"), "SingleStack");
	CHECK_STR(json_string_value(json_array_get(json_object_get(spec(s), "ipFamilies"), 0)), "IPv4");

	/* re-applying the same manifest keeps the IP */
	n = update(a, s, "{'metadata':{'name':'s'},'spec':{'ports':[{'name':'h','port':80}],'selector':{'app':'a'}}}",
		   errs, &r);
	CHECK_INT(r, 0);
	CHECK_STR(sget(n, "clusterIP"), ip);
	CHECK_INT(used(a, 0), 1);
	json_decref(s);
	s = n;

	/* ClusterIP -> NodePort allocates a nodePort; re-applying keeps it */
	n = update(a, s, "{'spec':{'type':'NodePort','ports':[{'name':'h','port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	np = node_port(n, 0);
	CHECK(np >= 30000);
	CHECK_STR(sget(n, "externalTrafficPolicy"), "Cluster");
	CHECK_INT(used(a, 2), 1);
	json_decref(s);
	s = n;
	n = update(a, s, "{'spec':{'type':'NodePort','ports':[{'name':'h','port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(node_port(n, 0), np);
	CHECK_STR(sget(n, "clusterIP"), ip);
	CHECK_INT(used(a, 2), 1);
	json_decref(s);
	s = n;

	/* -> LoadBalancer Local: healthCheckNodePort allocated, nodePort kept */
	n = update(a, s, "{'spec':{'type':'LoadBalancer','externalTrafficPolicy':'Local','ports':[{'name':'h','port':80}]}}",
		   errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(node_port(n, 0), np);
	CHECK(json_integer_value(json_object_get(spec(n), "healthCheckNodePort")) >= 30000);
	CHECK_INT(used(a, 2), 2);
	json_decref(s);
	s = n;

	/* -> ClusterIP, sending back what it read: nodePorts, health check port, LB fields dropped; released */
	n = json_deep_copy(s);
	json_object_set_new(spec(n), "type", json_string("ClusterIP"));
	{
		svc_txn_t *t;

		CHECK_INT(svc_admit(a, n, s, errs, &t), 0);
		CHECK_INT(used(a, 2), 2); /* released only when the write is durable */
		svc_txn_commit(a, t);
	}
	CHECK_INT(used(a, 2), 0);
	CHECK_INT(node_port(n, 0), 0);
	CHECK(json_object_get(spec(n), "healthCheckNodePort") == NULL);
	CHECK(json_object_get(spec(n), "allocateLoadBalancerNodePorts") == NULL);
	CHECK(json_object_get(spec(n), "externalTrafficPolicy") == NULL);
	CHECK_STR(sget(n, "clusterIP"), ip);
	json_decref(s);
	s = n;

	/* -> ExternalName: the IP is released and the IP fields dropped */
	n = json_deep_copy(s);
	json_object_set_new(spec(n), "type", json_string("ExternalName"));
	json_object_set_new(spec(n), "externalName", json_string("example.com"));
	{
		svc_txn_t *t;

		CHECK_INT(svc_admit(a, n, s, errs, &t), 0);
		svc_txn_commit(a, t);
	}
	CHECK_INT(used(a, 0), 0);
	CHECK(json_object_get(spec(n), "clusterIP") == NULL);
	CHECK(json_object_get(spec(n), "clusterIPs") == NULL);
	CHECK(json_object_get(spec(n), "ipFamilies") == NULL);
	CHECK(json_object_get(spec(n), "ipFamilyPolicy") == NULL);
	json_decref(s);
	s = n;

	/* -> ClusterIP again: a fresh IP */
	n = update(a, s, "{'spec':{'type':'ClusterIP','ports':[{'name':'h','port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK(*sget(n, "clusterIP"));
	CHECK_INT(used(a, 0), 1);

	/* changing the IP is refused (the requested one is allocated, then rolled back) */
	json_decref(s);
	s = n;
	n = update(a, s, "{'spec':{'clusterIP':'10.43.7.7','clusterIPs':['10.43.7.7'],'ports':[{'name':'h','port':80}]}}",
		   errs, &r);
	CHECK(n == NULL);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(cause(errs, 0, "field"), "spec.clusterIPs[0]");
	CHECK_STR(cause(errs, 0, "message"), "Invalid value: []string{\"10.43.7.7\"}: may not change once set");
	CHECK_INT(used(a, 0), 1);
	json_array_clear(errs);

	/* status changes are ignored by the main resource */
	n = update(a, s, "{'spec':{'ports':[{'name':'h','port':80}]},'status':{'loadBalancer':{'ingress':[{'ip':'1.1.1.1'}]}}}",
		   errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(json_object_size(json_object_get(json_object_get(n, "status"), "loadBalancer")), 0);
	json_decref(n);

	/* delete */
	svc_alloc_release(a, s);
	CHECK_INT(used(a, 0), 0);
	json_decref(s);
	json_decref(errs);
	svc_alloc_free(a);
}

static void test_ip_families(void)
{
	svc_alloc_t *a = mk(NULL, NULL), *d = mk("10.43.0.0/16,fd00:43::/112", NULL);
	json_t *errs = json_array(), *s;
	int r;

	CHECK(create(a, "{'spec':{'ipFamilyPolicy':'RequireDualStack','ports':[{'port':80}],'selector':{'a':'b'}}}", errs,
		     &r) == NULL);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(cause(errs, 0, "field"), "spec.ipFamilyPolicy");
	CHECK_STR(cause(errs, 0, "message"),
		  "Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services");
	json_array_clear(errs);
	CHECK(create(a, "{'spec':{'clusterIP':'fd00::1','ports':[{'port':80}]}}", errs, &r) == NULL);
	CHECK_STR(cause(errs, 0, "field"), "spec.clusterIPs[0]");
	CHECK_STR(cause(errs, 0, "message"), "Invalid value: []string{\"fd00::1\"}: IPv6 is not configured on this cluster");
	json_array_clear(errs);
	CHECK(create(a, "{'spec':{'ipFamilies':['IPv6'],'ports':[{'port':80}]}}", errs, &r) == NULL);
	CHECK_STR(cause(errs, 0, "field"), "spec.ipFamilies[0]");
	CHECK_STR(cause(errs, 0, "message"), "Invalid value: \"IPv6\": not configured on this cluster");
	json_array_clear(errs);
	CHECK(create(a, "{'spec':{'ipFamilyPolicy':'SingleStack','ipFamilies':['IPv4','IPv6'],'ports':[{'port':80}]}}",
		     errs, &r) == NULL);
	CHECK_STR(cause(errs, 0, "field"), "spec.ipFamilyPolicy");
	CHECK_STR(cause(errs, 0, "message"), "Invalid value: \"SingleStack\": must be 'RequireDualStack' or "
					     "'PreferDualStack' when multiple IP families are specified");
	json_array_clear(errs);

	/* headless without selector: RequireDualStack, both families (upstream, even single-stack) */
	s = create(a, "{'spec':{'clusterIP':'None'}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_STR(sget(s, "ipFamilyPolicy"), "RequireDualStack");
	CHECK_INT(json_array_size(json_object_get(spec(s), "ipFamilies")), 2);
	CHECK_INT(used(a, 0), 0);
	json_decref(s);
	s = create(a, "{'spec':{'clusterIP':'None','selector':{'a':'b'}}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_STR(sget(s, "ipFamilyPolicy"), "SingleStack");
	json_decref(s);

	/* dual-stack cluster: PreferDualStack gets one IP of each */
	s = create(d, "{'spec':{'ipFamilyPolicy':'PreferDualStack','ports':[{'port':80}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(json_array_size(json_object_get(spec(s), "clusterIPs")), 2);
	CHECK(strncmp(json_string_value(json_array_get(json_object_get(spec(s), "clusterIPs"), 1)), "fd00:43::", 9) == 0);
	CHECK_INT(used(d, 0), 1);
	CHECK_INT(used(d, 1), 1);
	{
		/* downgrade by saying SingleStack: the secondary goes, released on commit */
		json_t *n = json_deep_copy(s);
		svc_txn_t *t;

		json_object_set_new(spec(n), "ipFamilyPolicy", json_string("SingleStack"));
		CHECK_INT(svc_admit(d, n, s, errs, &t), 0);
		svc_txn_commit(d, t);
		CHECK_INT(json_array_size(json_object_get(spec(n), "clusterIPs")), 1);
		CHECK_INT(json_array_size(json_object_get(spec(n), "ipFamilies")), 1);
		CHECK_INT(used(d, 1), 0);
		json_decref(n);
	}
	json_decref(s);
	json_decref(errs);
	svc_alloc_free(a);
	svc_alloc_free(d);
}

/* Several creates in flight at once (begun, their writes not yet durable): never the same value, and
 * rolled-back ones give theirs back. */
static void test_concurrent(void)
{
	enum { N = 200 };
	svc_alloc_t *a = mk("10.43.0.0/24", "30000-30299");
	json_t *svcs[N];
	svc_txn_t *txns[N];
	char seen[256] = { 0 };
	char seen_port[300] = { 0 };

	for (int i = 0; i < N; i++) {
		json_t *errs = json_array();

		svcs[i] = J("{'spec':{'type':'NodePort','ports':[{'port':80}]}}");
		CHECK_INT(svc_admit(a, svcs[i], NULL, errs, &txns[i]), 0);
		json_decref(errs);
	}
	for (int i = 0; i < N; i++) {
		struct in_addr in;
		uint32_t h;
		long long np = node_port(svcs[i], 0);

		CHECK(inet_pton(AF_INET, sget(svcs[i], "clusterIP"), &in) == 1);
		h = ntohl(in.s_addr) & 0xff;
		CHECK(!seen[h]);
		seen[h] = 1;
		CHECK(np >= 30000 && np < 30300 && !seen_port[np - 30000]);
		seen_port[np - 30000] = 1;
	}
	/* odd writes fail */
	for (int i = 0; i < N; i++) {
		if (i % 2)
			svc_txn_rollback(a, txns[i]);
		else
			svc_txn_commit(a, txns[i]);
	}
	CHECK_INT(used(a, 0), N / 2);
	CHECK_INT(used(a, 2), N / 2);
	for (int i = 0; i < N; i++)
		json_decref(svcs[i]);
	svc_alloc_free(a);
}

/* kill -9 at any moment: allocation state is rebuilt from the stored Services alone. Writes that were
 * in flight are either stored (their values come back) or not (their values are free). */
static void test_restart_repair(void)
{
	enum { N = 60 };
	svc_alloc_t *a = mk("10.43.0.0/24", "30000-30299"), *b;
	json_t *stored[N] = { 0 }, *errs = json_array();
	svc_txn_t *t = NULL, *lost[N] = { 0 };
	int n_stored = 0;
	unsigned want_ip = 0, want_port = 0;

	for (int i = 0; i < N; i++) {
		json_t *svc = J(i % 3 ? "{'spec':{'type':'NodePort','ports':[{'name':'a','port':80},{'name':'b','port':81}]}}"
				      : "{'spec':{'type':'LoadBalancer','externalTrafficPolicy':'Local','ports':[{'port':80}]}}");

		CHECK_INT(svc_admit(a, svc, NULL, errs, &t), 0);
		/* the crash: every 4th write never became durable, the txn never ended */
		if (i % 4 == 3) {
			lost[i] = t;
			json_decref(svc);
			continue;
		}
		svc_txn_commit(a, t);
		stored[n_stored++] = svc;
		want_ip++;
		want_port += 2; /* two nodePorts, or a nodePort and a health check port */
	}
	CHECK(used(a, 0) > want_ip); /* the lost writes still hold values in the dead process */
	for (int i = 0; i < N; i++)
		svc_txn_rollback(a, lost[i]); /* only to free the test's memory: that process is gone */
	svc_alloc_free(a);

	b = mk("10.43.0.0/24", "30000-30299");
	for (int i = 0; i < n_stored; i++)
		CHECK_INT(svc_alloc_rebuild_add(b, stored[i]), 0);
	CHECK_INT(used(b, 0), want_ip);
	CHECK_INT(used(b, 2), want_port);
	/* every stored value is taken: requesting one fails; and a new Service collides with nothing */
	for (int i = 0; i < n_stored; i++) {
		char body[160];
		int r;

		json_array_clear(errs);
		snprintf(body, sizeof(body), "{'spec':{'clusterIP':'%s','ports':[{'port':80}]}}", sget(stored[i], "clusterIP"));
		CHECK(create(b, body, errs, &r) == NULL);
		CHECK_INT(r, -EINVAL);
		snprintf(body, sizeof(body), "{'spec':{'type':'NodePort','ports':[{'port':80,'nodePort':%lld}]}}",
			 node_port(stored[i], 0));
		CHECK(create(b, body, errs, &r) == NULL);
		CHECK_INT(r, -EINVAL);
	}
	/* a second Service claiming a stored value, or one outside the range, is reported */
	CHECK_INT(svc_alloc_rebuild_add(b, stored[0]), -EEXIST);
	{
		json_t *odd = J("{'spec':{'type':'ClusterIP','clusterIP':'10.99.0.1','clusterIPs':['10.99.0.1']}}");

		CHECK_INT(svc_alloc_rebuild_add(b, odd), -ERANGE);
		json_decref(odd);
	}
	for (int i = 0; i < n_stored; i++)
		json_decref(stored[i]);
	json_decref(errs);
	svc_alloc_free(b);
}

/* Input of the wrong shape is a 422, never a crash or an allocation. */
static void test_bad_input(void)
{
	svc_alloc_t *a = mk(NULL, NULL);
	json_t *errs = json_array();
	int r;

	CHECK(create(a, "{'spec':{'type':'NodePort','ports':[{'port':'80'}]}}", errs, &r) == NULL);
	CHECK_INT(r, -EINVAL);
	CHECK_STR(cause(errs, 0, "field"), "spec.ports[0].port");
	CHECK_INT(used(a, 0), 0);
	json_array_clear(errs);
	CHECK(create(a, "{'spec':{'type':'NodePort','ports':[{'port':80},{'port':80}]}}", errs, &r) == NULL);
	CHECK_INT(r, -EINVAL);
	CHECK_INT(used(a, 0), 0);
	CHECK_INT(used(a, 2), 0);
	json_decref(errs);
	svc_alloc_free(a);
}

/* Upstream's 500s on the update path, and a failed write giving back exactly what it took. */
static void test_update_errors_and_rollback(void)
{
	svc_alloc_t *a = mk(NULL, NULL);
	json_t *errs = json_array(), *s, *n, *other;
	svc_txn_t *t;
	int r;

	s = create(a, "{'spec':{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':30010}]}}", errs, &r);
	CHECK_INT(r, 0);
	other = create(a, "{'spec':{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':30020}]}}", errs, &r);
	CHECK_INT(r, 0);

	/* two entries asking for one (protocol, nodePort): a plain Go error upstream */
	n = J("{'spec':{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':30011},"
	      "{'name':'b','port':81,'nodePort':30011}]}}");
	CHECK_INT(svc_admit(a, n, s, errs, &t), SVC_E_UNKNOWN);
	CHECK_STR(svc_alloc_errmsg(a), "duplicate nodePort: {TCP 30011}");
	CHECK_INT(used(a, 2), 2);
	json_decref(n);

	/* a requested health check port in use: InternalError */
	n = J("{'spec':{'type':'LoadBalancer','externalTrafficPolicy':'Local','healthCheckNodePort':30020,"
	      "'ports':[{'name':'a','port':80}]}}");
	CHECK_INT(svc_admit(a, n, s, errs, &t), SVC_E_INTERNAL);
	CHECK_STR(svc_alloc_errmsg(a), "failed to allocate requested HealthCheck NodePort 30020: provided port is already "
				       "allocated");
	CHECK_INT(used(a, 2), 2);
	json_decref(n);

	/* a valid update whose write fails: the new port goes back, the old one stays held */
	n = J("{'spec':{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':30012}]}}");
	CHECK_INT(svc_admit(a, n, s, errs, &t), 0);
	CHECK_INT(used(a, 2), 3);
	svc_txn_rollback(a, t);
	CHECK_INT(used(a, 2), 2);
	json_decref(n);
	CHECK_INT(json_array_size(errs), 0);

	/* caller's metadata errors: the whole admission is refused and nothing kept */
	json_array_append_new(errs, json_pack("{s:s}", "field", "metadata.name"));
	n = J("{'spec':{'type':'NodePort','ports':[{'name':'a','port':80}]}}");
	CHECK_INT(svc_admit(a, n, NULL, errs, &t), -EINVAL);
	CHECK_INT(used(a, 0), 2);
	CHECK_INT(used(a, 2), 2);
	json_decref(n);

	json_decref(s);
	json_decref(other);
	json_decref(errs);
	svc_alloc_free(a);
}

/* An ExternalName Service may carry nodePort values (validation allows it) but holds none. */
static void test_external_name_node_ports(void)
{
	svc_alloc_t *a = mk(NULL, NULL);
	json_t *errs = json_array(), *en, *np, *n;
	int r;

	np = create(a, "{'spec':{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':30005}]}}", errs, &r);
	CHECK_INT(r, 0);
	en = create(a, "{'spec':{'type':'ExternalName','externalName':'example.com','ports':[{'name':'a','port':80,"
		       "'nodePort':30006}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(used(a, 2), 1);
	/* deleting it must not free a port it never held */
	json_t *en2 = J("{'spec':{'type':'ExternalName','externalName':'x.com','ports':[{'port':80,'nodePort':30005}]}}");
	svc_alloc_release(a, en2);
	CHECK_INT(used(a, 2), 1);
	CHECK_INT(svc_alloc_rebuild_add(a, en2), 0); /* nothing to mark, no false "already allocated" */
	json_decref(en2);
	/* turning it into a NodePort allocates the value it carried */
	n = update(a, en, "{'spec':{'type':'NodePort','ports':[{'name':'a','port':80,'nodePort':30006}]}}", errs, &r);
	CHECK_INT(r, 0);
	CHECK_INT(used(a, 2), 2);
	json_decref(n);
	json_decref(en);
	json_decref(np);
	json_decref(errs);
	svc_alloc_free(a);
}

int main(void)
{
	TEST_RUN(test_config);
	TEST_RUN(test_exhaust_slash28);
	TEST_RUN(test_requested_ip_errors);
	TEST_RUN(test_dynamic_band_first);
	TEST_RUN(test_node_ports);
	TEST_RUN(test_type_changes);
	TEST_RUN(test_ip_families);
	TEST_RUN(test_concurrent);
	TEST_RUN(test_restart_repair);
	TEST_RUN(test_bad_input);
	TEST_RUN(test_update_errors_and_rollback);
	TEST_RUN(test_external_name_node_ports);
	TEST_DONE();
}
