/* Unit tests of the layer-2 announcer's pure decisions (agent/announce.c): which Services and
 * Nodes count, the ranking, the election step, lease names. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "agent/announce.h"
#include "harness.h"

static json_t *js(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	if (!j)
		fprintf(stderr, "bad JSON in test: %s\n", s);
	return j;
}

static void test_provider(void)
{
	json_t *d;

	CHECK_INT(announce_provider_pool(NULL), 0);
	d = js("{\"provider\":\"pool\",\"pools\":\"198.51.100.0/28\"}");
	CHECK_INT(announce_provider_pool(d), 1);
	json_decref(d);
	d = js("{\"pools\":\" 198.51.100.0/28\\n\"}"); /* the default with pools */
	CHECK_INT(announce_provider_pool(d), 1);
	json_decref(d);
	d = js("{\"pools\":\" \\n\\t\"}");
	CHECK_INT(announce_provider_pool(d), 0);
	json_decref(d);
	d = js("{\"provider\":\"nodes\"}");
	CHECK_INT(announce_provider_pool(d), 0);
	json_decref(d);
	d = js("{}");
	CHECK_INT(announce_provider_pool(d), 0);
	json_decref(d);
	d = js("{\"provider\":\"pool\"}"); /* a pool provider without pools is invalid */
	CHECK_INT(announce_provider_pool(d), -EINVAL);
	json_decref(d);
	d = js("{\"provider\":\"bgp\"}");
	CHECK_INT(announce_provider_pool(d), -EINVAL);
	json_decref(d);
}

static void test_svc_wanted(void)
{
	static const struct {
		const char *json;
		bool want;
	} cases[] = {
		{ "{\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"}]}}}", true },
		{ "{\"spec\":{\"type\":\"LoadBalancer\",\"loadBalancerClass\":\"portico.io/lb\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"}]}}}", true },
		{ "{\"spec\":{\"type\":\"LoadBalancer\",\"loadBalancerClass\":\"example.com/other\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"}]}}}", false },
		{ "{\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{}}}", false },
		{ "{\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"hostname\":\"lb.example.com\"}]}}}", false },
		{ "{\"spec\":{\"type\":\"NodePort\"},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"}]}}}", false },
		{ "{\"spec\":{}}", false },
		{ "[]", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *s = js(cases[i].json);
		if (announce_svc_wanted(s) != cases[i].want)
			fprintf(stderr, "  case %zu\n", i);
		CHECK(announce_svc_wanted(s) == cases[i].want);
		json_decref(s);
	}
}

static void test_svc_ips(void)
{
	json_t *s = js("{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"},{\"hostname\":\"x\"},"
		       "{\"ip\":\"2001:db8::5\"},{\"ip\":\"bogus\"},{\"ip\":\"198.51.100.2\"},{\"ip\":\"198.51.100.3\"}]}}}");
	uint8_t v4[2][4], v6[2][16];
	size_t n4 = 9, n6 = 9;

	announce_svc_ips(s, v4, 2, &n4, v6, 2, &n6);
	CHECK_INT(n4, 2); /* capped at max4 */
	CHECK_INT(n6, 1);
	CHECK(memcmp(v4[0], "\xc6\x33\x64\x01", 4) == 0);
	CHECK(memcmp(v4[1], "\xc6\x33\x64\x02", 4) == 0);
	CHECK(v6[0][0] == 0x20 && v6[0][1] == 0x01 && v6[0][15] == 5);
	json_decref(s);
}

static void test_node_eligible(void)
{
	json_t *n;

	n = js("{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	CHECK(announce_node_eligible(n));
	json_decref(n);
	n = js("{\"metadata\":{\"labels\":{\"node.kubernetes.io/exclude-from-external-load-balancers\":\"\"}},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	CHECK(!announce_node_eligible(n)); /* any value excludes */
	json_decref(n);
	n = js("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}");
	CHECK(!announce_node_eligible(n));
	json_decref(n);
	n = js("{\"status\":{}}");
	CHECK(!announce_node_eligible(n));
	json_decref(n);
}

static void test_slice_ready(void)
{
	json_t *s = js("{\"endpoints\":[{\"nodeName\":\"a\",\"conditions\":{\"ready\":false}},"
		       "{\"nodeName\":\"b\",\"conditions\":{}},{\"nodeName\":\"c\",\"conditions\":{\"ready\":true}},"
		       "{\"conditions\":{\"ready\":true}}]}");

	CHECK(!announce_slice_ready_on(s, "a"));
	CHECK(announce_slice_ready_on(s, "b")); /* unknown counts as ready */
	CHECK(announce_slice_ready_on(s, "c"));
	CHECK(!announce_slice_ready_on(s, "d"));
	CHECK(!announce_slice_ready_on(NULL, "a"));
	json_decref(s);
}

static void test_rank(void)
{
	const char *cands[] = { "n1", "n2", "n3", "n4" };
	int seen[4] = { 0 }, i, r;
	const char *first = NULL;

	/* every node computes the same order: the ranks are a permutation of 0..3 */
	for (i = 0; i < 4; i++) {
		r = announce_rank("default/web", cands[i], cands, 4, NULL);
		CHECK(r >= 0 && r < 4);
		if (r >= 0 && r < 4)
			seen[r]++;
		if (r == 0)
			first = cands[i];
	}
	for (i = 0; i < 4; i++)
		CHECK_INT(seen[i], 1);
	CHECK_INT(announce_rank("default/web", "n9", cands, 4, NULL), -1);
	/* leaving out the holder: the first of the others becomes 0 */
	for (i = 0; i < 4 && first; i++) {
		if (cands[i] == first)
			continue;
		r = announce_rank("default/web", cands[i], cands, 4, first);
		CHECK(r >= 0 && r < 3);
	}
	/* the order depends on the Service, so addresses spread over nodes */
	{
		int differs = 0;
		char key[32];
		for (i = 0; i < 20; i++) {
			snprintf(key, sizeof(key), "default/svc%d", i);
			if (announce_rank(key, "n1", cands, 4, NULL) != announce_rank("default/svc0", "n1", cands, 4, NULL))
				differs++;
		}
		CHECK(differs > 0);
	}
	CHECK(announce_rank_key("n1", "default/web") == announce_rank_key("n1", "default/web"));
	CHECK(announce_rank_key("n1", "default/web") != announce_rank_key("n2", "default/web"));
}

static announce_view_t base_view(void)
{
	announce_view_t v = { 0 };

	v.now_ms = 100000;
	v.candidate = true;
	v.lease_known = true;
	v.lease_exists = true;
	v.observed_ms = 100000;
	return v;
}

static void test_decide(void)
{
	announce_view_t v;
	bool on = true;

	/* not synced yet: nothing */
	v = base_view();
	v.lease_known = false;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
	CHECK(!on);

	/* no lease: the first candidate creates at once, the third after two staggers */
	v = base_view();
	v.lease_exists = false;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_CREATE);
	v.rank = 2;
	v.now_ms = v.observed_ms + 2 * ANNOUNCE_STAGGER_MS - 1;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
	v.now_ms++;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_CREATE);

	/* held by another, renewed recently: wait; expired after the lease duration (+ stagger) */
	v = base_view();
	v.now_ms = v.observed_ms + ANNOUNCE_LEASE_MS - 1;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
	CHECK(!on);
	v.now_ms++;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_TAKEOVER);
	v.rank = 1;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
	v.now_ms += ANNOUNCE_STAGGER_MS;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_TAKEOVER);

	/* released: taken at once by the first */
	v = base_view();
	v.holder_empty = true;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_TAKEOVER);

	/* ours: renew every ANNOUNCE_RENEW_MS; announce while the last good write is fresh */
	v = base_view();
	v.held_by_self = true;
	v.last_write_ms = v.now_ms - ANNOUNCE_RENEW_MS + 1;
	v.last_ok_ms = v.last_write_ms;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
	CHECK(on);
	v.now_ms += 1;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_RENEW);
	/* renewals failing: stop answering before anyone else may take over */
	v.now_ms = v.last_ok_ms + ANNOUNCE_LEASE_MS - ANNOUNCE_MARGIN_MS;
	announce_decide(&v, &on);
	CHECK(!on);
	/* ours by name after a restart but never written by this process: renew first, answer after */
	v = base_view();
	v.held_by_self = true;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_RENEW);
	CHECK(!on);

	/* no longer a candidate (excluded, no local endpoint): release ours, leave others alone */
	v = base_view();
	v.candidate = false;
	v.held_by_self = true;
	v.last_ok_ms = v.last_write_ms = v.now_ms;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_RELEASE);
	CHECK(!on);
	v.held_by_self = false;
	v.now_ms += 10 * ANNOUNCE_LEASE_MS;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
	v.lease_exists = false;
	CHECK_INT(announce_decide(&v, &on), ANNOUNCE_NONE);
}

static void test_failover_budget(void)
{
	/* The worst case from a dead holder's last renewal to a takeover by the first candidate, plus a
	 * tick of delay: it must leave room in the 2 s target for the write and the gratuitous ARP. */
	CHECK(ANNOUNCE_LEASE_MS + ANNOUNCE_TICK_MS < 1500);
	CHECK(ANNOUNCE_RENEW_MS * 3 <= ANNOUNCE_LEASE_MS);
	CHECK(ANNOUNCE_MARGIN_MS < ANNOUNCE_LEASE_MS - ANNOUNCE_RENEW_MS);
}

static void test_lease_name(void)
{
	char buf[64], small[12];

	CHECK_INT(announce_lease_name("default/web", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "portico-lb.default.web");
	CHECK_INT(announce_lease_name("a-b/c", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "portico-lb.a-b.c");
	CHECK_INT(announce_lease_name("a/b-c", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "portico-lb.a.b-c"); /* different from the one above */
	CHECK_INT(announce_lease_name("web", buf, sizeof(buf)), -EINVAL);
	CHECK_INT(announce_lease_name("default/web", small, sizeof(small)), -ENAMETOOLONG);
}

int main(void)
{
	TEST_RUN(test_provider);
	TEST_RUN(test_svc_wanted);
	TEST_RUN(test_svc_ips);
	TEST_RUN(test_node_eligible);
	TEST_RUN(test_slice_ready);
	TEST_RUN(test_rank);
	TEST_RUN(test_decide);
	TEST_RUN(test_failover_budget);
	TEST_RUN(test_lease_name);
	TEST_DONE();
}
