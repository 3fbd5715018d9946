/* The load-balancer address allocator: first free address, requested addresses and their errors,
 * sharing rules, exhaustion and release, pool changes, IPv6 and dual stack, rebuild. */
#include <errno.h>
#include <sys/socket.h>

#include "harness.h"
#include "lib/lb_pool.h"

static lb_pool_t *pool_with(const char *const *lines)
{
	lb_range_t r[8];
	size_t n = 0;
	lb_pool_t *p;
	char err[128];

	for (; lines[n]; n++)
		if (lb_range_parse(lines[n], &r[n], err, sizeof(err)) < 0)
			return NULL;
	if (lb_pool_new(&p) < 0)
		return NULL;
	lb_pool_set_ranges(p, r, n);
	return p;
}

/* req KEY SHARE PORT [PROTO]: a one-port IPv4 request */
static lb_request_t req(const char *key, const char *share, int port, const char *proto)
{
	lb_request_t r;

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.share = share;
	r.nports = 1;
	r.ports[0].port = port;
	snprintf(r.ports[0].proto, sizeof(r.ports[0].proto), "%s", proto ? proto : "TCP");
	r.families[0] = AF_INET;
	return r;
}

static void want(lb_request_t *r, const char *ip)
{
	lb_addr_parse(ip, &r->requested[r->nrequested++]);
}

/* assign and format the first address; "" on error (err and rc left for the caller) */
static int got_rc;
static char got_err[256];
static const char *assign(lb_pool_t *p, const lb_request_t *r)
{
	static char buf[128];
	lb_addr_t a[LB_POOL_MAX_IPS];
	size_t n = 0;

	buf[0] = '\0';
	got_err[0] = '\0';
	got_rc = lb_pool_assign(p, r, a, &n, got_err, sizeof(got_err));
	if (got_rc == 0) {
		size_t off = 0;
		for (size_t i = 0; i < n; i++) {
			char one[64];
			lb_addr_format(&a[i], one, sizeof(one));
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "", one);
		}
	}
	return buf;
}

static void test_first_free_and_keep(void)
{
	const char *l[] = { "198.51.100.0/29", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", NULL, 80, NULL), b = req("ns/b", NULL, 80, NULL);

	CHECK_STR(assign(p, &a), "198.51.100.1");
	CHECK_STR(assign(p, &b), "198.51.100.2");
	CHECK_STR(assign(p, &a), "198.51.100.1"); /* again: kept */
	CHECK_INT(lb_pool_release(p, "ns/a"), 1);
	CHECK_INT(lb_pool_release(p, "ns/a"), 0);
	lb_request_t c = req("ns/c", NULL, 80, NULL);
	CHECK_STR(assign(p, &c), "198.51.100.1"); /* the lowest free one */
	lb_pool_free(p);
	lb_pool_free(NULL);
}

static void test_requested(void)
{
	const char *l[] = { "198.51.100.0/28", "2001:db8::/125", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", NULL, 80, NULL), b = req("ns/b", NULL, 443, NULL), c = req("ns/c", NULL, 80, NULL);

	want(&a, "198.51.100.10");
	CHECK_STR(assign(p, &a), "198.51.100.10");
	want(&b, "198.51.100.10");
	CHECK_STR(assign(p, &b), "");
	CHECK_INT(got_rc, -EADDRINUSE);
	CHECK_STR(got_err, "198.51.100.10 is already in use by ns/a");
	want(&c, "203.0.113.1");
	CHECK_STR(assign(p, &c), "");
	CHECK_INT(got_rc, -EADDRNOTAVAIL);
	CHECK_STR(got_err, "203.0.113.1 is not in a configured pool");
	/* the network address of a /28 is not in the pool */
	lb_request_t d = req("ns/d", NULL, 80, NULL);
	want(&d, "198.51.100.0");
	CHECK_STR(assign(p, &d), "");
	CHECK_INT(got_rc, -EADDRNOTAVAIL);
	/* an IPv6 address for an IPv4-only Service */
	lb_request_t g = req("ns/g", NULL, 80, NULL);
	want(&g, "2001:db8::6");
	CHECK_STR(assign(p, &g), "");
	CHECK_INT(got_rc, -EADDRNOTAVAIL);
	CHECK_STR(got_err, "2001:db8::6 does not match the service's IP families");
	/* dual stack by request */
	lb_request_t e = req("ns/e", NULL, 80, NULL);
	e.families[1] = AF_INET6;
	want(&e, "198.51.100.11");
	want(&e, "2001:db8::5");
	CHECK_STR(assign(p, &e), "198.51.100.11,2001:db8::5");
	/* changing the request moves the holding */
	e.nrequested = 0;
	want(&e, "198.51.100.12");
	CHECK_STR(assign(p, &e), "198.51.100.12");
	lb_addr_t x;
	lb_addr_parse("198.51.100.11", &x);
	CHECK_INT(lb_pool_holders(p, &x), 0);
	lb_addr_parse("2001:db8::5", &x);
	CHECK_INT(lb_pool_holders(p, &x), 0);
	/* a failed assignment changes nothing */
	lb_request_t f = req("ns/a", NULL, 80, NULL);
	want(&f, "198.51.100.12");
	CHECK_STR(assign(p, &f), "");
	lb_addr_parse("198.51.100.10", &x);
	CHECK_INT(lb_pool_holders(p, &x), 1);
	lb_pool_free(p);
}

static void test_sharing(void)
{
	const char *l[] = { "198.51.100.0/29", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", "k1", 80, NULL), b = req("ns/b", "k1", 443, NULL);
	lb_request_t c = req("ns/c", "k1", 80, NULL), d = req("ns/d", "k2", 8080, NULL), e = req("ns/e", NULL, 9090, NULL);
	lb_request_t u = req("ns/u", "k1", 80, "UDP");
	lb_addr_t x;

	CHECK_STR(assign(p, &a), "198.51.100.1");
	CHECK_STR(assign(p, &b), "198.51.100.1"); /* same key, other port: shared */
	CHECK_STR(assign(p, &c), "198.51.100.2"); /* same key, same port: not */
	CHECK_STR(assign(p, &u), "198.51.100.1"); /* same port, other protocol: shared */
	CHECK_STR(assign(p, &d), "198.51.100.3"); /* other key */
	CHECK_STR(assign(p, &e), "198.51.100.4"); /* no key */
	lb_addr_parse("198.51.100.1", &x);
	CHECK_INT(lb_pool_holders(p, &x), 3);
	/* requested shared address: only with the same key and disjoint ports */
	lb_request_t f = req("ns/f", "k1", 53, "UDP");
	want(&f, "198.51.100.1");
	CHECK_STR(assign(p, &f), "198.51.100.1");
	lb_request_t g = req("ns/g", "k1", 443, NULL);
	want(&g, "198.51.100.1");
	CHECK_STR(assign(p, &g), "");
	CHECK_INT(got_rc, -EADDRINUSE);
	CHECK(strstr(got_err, "different sharing key or overlapping ports") != NULL);
	lb_request_t h = req("ns/h", "k2", 7000, NULL);
	want(&h, "198.51.100.1");
	CHECK_STR(assign(p, &h), "");
	CHECK_INT(got_rc, -EADDRINUSE);
	lb_request_t i = req("ns/i", NULL, 7000, NULL);
	want(&i, "198.51.100.4"); /* held by e, which has no key */
	CHECK_STR(assign(p, &i), "");
	/* a holder changing its ports to clash: it moves, the other stays */
	b.ports[0].port = 80;
	CHECK_STR(assign(p, &b), "198.51.100.5"); /* .1 has a on 80, .2 has c on 80: a free one */
	lb_addr_parse("198.51.100.1", &x);
	CHECK_INT(lb_pool_holders(p, &x), 3); /* a, u, f */
	/* releasing one sharer keeps the address for the others */
	CHECK_INT(lb_pool_release(p, "ns/a"), 1);
	CHECK_INT(lb_pool_holders(p, &x), 2);
	lb_pool_free(p);
}

static void test_exhaustion(void)
{
	const char *l[] = { "198.51.100.0/30", "198.51.100.8-198.51.100.8", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", NULL, 80, NULL), b = req("ns/b", NULL, 80, NULL), c = req("ns/c", NULL, 80, NULL);
	lb_request_t d = req("ns/d", NULL, 80, NULL);

	CHECK_INT(lb_pool_free_count(p, AF_INET, 100), 3);
	CHECK_STR(assign(p, &a), "198.51.100.1");
	CHECK_STR(assign(p, &b), "198.51.100.2");
	CHECK_STR(assign(p, &c), "198.51.100.8");
	CHECK_INT(lb_pool_free_count(p, AF_INET, 100), 0);
	CHECK_STR(assign(p, &d), "");
	CHECK_INT(got_rc, -ENOSPC);
	CHECK_STR(got_err, "no available IPs in the IPv4 pools");
	lb_pool_release(p, "ns/b");
	CHECK_STR(assign(p, &d), "198.51.100.2");
	/* no IPv6 pool */
	lb_request_t v6 = req("ns/v6", NULL, 80, NULL);
	v6.families[0] = AF_INET6;
	CHECK_STR(assign(p, &v6), "");
	CHECK_INT(got_rc, -ENOSPC);
	CHECK(strstr(got_err, "no pool of the service's IP families") != NULL);
	lb_pool_free(p);
}

static void test_pool_change(void)
{
	const char *l[] = { "198.51.100.0/29", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", NULL, 80, NULL), b = req("ns/b", NULL, 80, NULL);
	lb_range_t r[2];
	char err[64];

	CHECK_STR(assign(p, &a), "198.51.100.1");
	CHECK_STR(assign(p, &b), "198.51.100.2");
	/* the pool moves: b keeps .2 (still inside), a gets a new one */
	lb_range_parse("198.51.100.2-198.51.100.3", &r[0], err, sizeof(err));
	lb_range_parse("198.51.100.64/30", &r[1], err, sizeof(err));
	CHECK_INT(lb_pool_set_ranges(p, r, 2), 0);
	CHECK_STR(assign(p, &b), "198.51.100.2");
	CHECK_STR(assign(p, &a), "198.51.100.3");
	lb_request_t c = req("ns/c", NULL, 80, NULL);
	CHECK_STR(assign(p, &c), "198.51.100.65");
	lb_pool_free(p);
}

static void test_ipv6_dual(void)
{
	const char *l[] = { "198.51.100.0/30", "2001:db8::/64", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", NULL, 80, NULL), b = req("ns/b", NULL, 80, NULL), c = req("ns/c", NULL, 80, NULL);
	lb_addr_t held[4];

	a.families[0] = AF_INET6;
	CHECK_STR(assign(p, &a), "2001:db8::");
	b.families[0] = AF_INET6;
	b.families[1] = AF_INET;
	CHECK_STR(assign(p, &b), "2001:db8::1,198.51.100.1");
	CHECK_INT(lb_pool_held(p, "ns/b", held, 4), 2);
	CHECK_INT(lb_pool_free_count(p, AF_INET6, 1000), 1000); /* saturated */
	/* IPv4 exhausted: PreferDualStack gets its IPv6 address, RequireDualStack nothing */
	lb_request_t d4 = req("ns/d4", NULL, 80, NULL);
	CHECK_STR(assign(p, &d4), "198.51.100.2"); /* the last IPv4 one of the /30 */
	lb_request_t pd = req("ns/pd", NULL, 80, NULL);
	pd.families[1] = AF_INET6;
	CHECK_STR(assign(p, &pd), "2001:db8::2");
	pd.require_all_families = true;
	lb_pool_release(p, "ns/pd");
	CHECK_STR(assign(p, &pd), "");
	CHECK_INT(got_rc, -ENOSPC);
	CHECK_STR(got_err, "no available IPs in the IPv4 pools");
	CHECK_INT(lb_pool_held(p, "ns/pd", held, 4), 0);
	/* PreferDualStack with only one family's pool left: the one it can get */
	const char *l4[] = { "198.51.100.0/30", NULL };
	lb_pool_t *p4 = pool_with(l4);
	c.families[1] = AF_INET6;
	CHECK_STR(assign(p4, &c), "198.51.100.1");
	c.require_all_families = true;
	CHECK_STR(assign(p4, &c), "");
	CHECK_INT(got_rc, -ENOSPC);
	CHECK_STR(got_err, "no available IPs: no IPv6 pool is configured");
	lb_pool_free(p);
	lb_pool_free(p4);
}

static void test_rebuild(void)
{
	const char *l[] = { "198.51.100.0/29", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("ns/a", "k", 80, NULL), b = req("ns/b", "k", 443, NULL), c = req("ns/c", NULL, 80, NULL);
	lb_request_t d = req("ns/d", NULL, 80, NULL), e = req("ns/e", NULL, 80, NULL);
	lb_addr_t x;

	lb_addr_parse("198.51.100.3", &x);
	CHECK(lb_pool_occupy(p, &a, &x));
	CHECK(lb_pool_occupy(p, &b, &x)); /* compatible sharer */
	CHECK(!lb_pool_occupy(p, &c, &x)); /* a conflicting claim loses */
	lb_addr_parse("203.0.113.9", &x);
	CHECK(!lb_pool_occupy(p, &d, &x)); /* outside the pools */
	/* the rebuilt holders keep their address; the others get fresh, unused ones */
	CHECK_STR(assign(p, &a), "198.51.100.3");
	CHECK_STR(assign(p, &b), "198.51.100.3");
	CHECK_STR(assign(p, &c), "198.51.100.1");
	CHECK_STR(assign(p, &d), "198.51.100.2");
	CHECK_STR(assign(p, &e), "198.51.100.4");
	lb_pool_clear(p);
	CHECK_INT(lb_pool_held(p, "ns/a", &x, 1), 0);
	lb_pool_free(p);
}

static void test_bad_key(void)
{
	const char *l[] = { "198.51.100.0/29", NULL };
	lb_pool_t *p = pool_with(l);
	lb_request_t a = req("", NULL, 80, NULL);

	CHECK_STR(assign(p, &a), "");
	CHECK_INT(got_rc, -EINVAL);
	lb_pool_free(p);
}

int main(void)
{
	TEST_RUN(test_first_free_and_keep);
	TEST_RUN(test_requested);
	TEST_RUN(test_sharing);
	TEST_RUN(test_exhaustion);
	TEST_RUN(test_pool_change);
	TEST_RUN(test_ipv6_dual);
	TEST_RUN(test_rebuild);
	TEST_RUN(test_bad_key);
	TEST_DONE();
}
