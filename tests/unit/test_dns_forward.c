/* The forwarder's pure parts: upstream reply checks (dns_msg), the answer cache (dns_cache), the
 * upstream list and resolv.conf parsing (dns_node), and the zone's relist generations and
 * ExternalName targets. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns_cache.h"
#include "dns/dns_msg.h"
#include "dns/dns_node.h"
#include "dns/dns_zone.h"
#include "harness.h"

/* a query for name/type with id, optionally with an OPT */
static size_t mkquery(uint8_t *out, uint16_t id, const char *name, uint16_t type, bool edns)
{
	uint8_t wire[DNS_NAME_MAX];
	int n = dns_name_from_str(name, false, wire);
	size_t len = 12;

	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 1; /* RD */
	out[5] = 1;
	out[11] = edns ? 1 : 0;
	memcpy(out + len, wire, (size_t)n);
	len += (size_t)n;
	out[len++] = (uint8_t)(type >> 8);
	out[len++] = (uint8_t)type;
	out[len++] = 0;
	out[len++] = 1;
	if (edns) {
		const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
		memcpy(out + len, opt, 11);
		len += 11;
	}
	return len;
}

/* An upstream reply: "example.test A" -> two A records (TTL ttl) and our OPT last. */
static size_t mkreply(uint8_t *out, uint16_t id, const char *qname, uint32_t ttl, bool with_opt, int rcode)
{
	size_t len = mkquery(out, id, qname, DNS_T_A, false);

	out[2] = 0x81;
	out[3] = (uint8_t)(0x80 | rcode);
	if (rcode == 0) {
		out[7] = 2;
		for (int i = 0; i < 2; i++) {
			const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16),
					       (uint8_t)(ttl >> 8), (uint8_t)ttl, 0, 4, 192, 0, 2, (uint8_t)(10 + i) };
			memcpy(out + len, rr, sizeof(rr));
			len += sizeof(rr);
		}
	} else {
		/* the SOA: TTL 60, MINIMUM 30 */
		const uint8_t soa[] = { 0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 60, 0, 28, 1, 'n', 0xc0, 12, 1, 'h', 0xc0, 12,
					0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 30 };
		out[9] = 1;
		memcpy(out + len, soa, sizeof(soa));
		len += sizeof(soa);
	}
	if (with_opt) {
		const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
		out[11] = 1;
		memcpy(out + len, opt, 11);
		len += 11;
	}
	return len;
}

static void test_msg_check(void)
{
	uint8_t m[512], name[DNS_NAME_MAX];
	dns_msg_info_t info;
	size_t len = mkreply(m, 7, "example.test", 300, true, 0);

	dns_name_from_str("EXAMPLE.test", true, name);
	CHECK_INT(dns_msg_check(m, len, name, DNS_T_A, DNS_C_IN, &info), 0);
	CHECK_INT(info.ttl, 300);
	CHECK_INT(info.ancount, 2);
	CHECK_INT(info.len, len - 11); /* the OPT is cut */
	CHECK_INT(dns_msg_strip(m, &info), len - 11);
	CHECK_INT(m[11], 0);
	/* another question, another type, a query (QR=0), trailing bytes, a truncated record */
	CHECK(dns_msg_check(m, len - 11, name, DNS_T_AAAA, DNS_C_IN, &info) < 0);
	dns_name_from_str("other.test", true, name);
	CHECK(dns_msg_check(m, len - 11, name, DNS_T_A, DNS_C_IN, &info) < 0);
	dns_name_from_str("example.test", true, name);
	m[2] &= 0x7f;
	CHECK(dns_msg_check(m, len - 11, name, DNS_T_A, DNS_C_IN, &info) < 0);
	m[2] |= 0x80;
	CHECK(dns_msg_check(m, len - 10, name, DNS_T_A, DNS_C_IN, &info) < 0);
	CHECK(dns_msg_check(m, len - 12, name, DNS_T_A, DNS_C_IN, &info) < 0);
	/* negative: min(SOA TTL 60, MINIMUM 30) */
	len = mkreply(m, 7, "example.test", 0, false, DNS_RCODE_NXDOMAIN);
	CHECK_INT(dns_msg_check(m, len, name, DNS_T_A, DNS_C_IN, &info), 0);
	CHECK_INT(info.ttl, 30);
	CHECK_INT(info.rcode, DNS_RCODE_NXDOMAIN);
	/* TC: never cached */
	len = mkreply(m, 7, "example.test", 300, false, 0);
	m[2] |= 0x02;
	CHECK_INT(dns_msg_check(m, len, name, DNS_T_A, DNS_C_IN, &info), 0);
	CHECK_INT(info.ttl, 0);
}

static void sa4(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

/* An upstream reply counts only with our id, from the upstream's address and port, for our question
 * (RFC 5452 s9.1); anything else is ignored and the query waits on for the real one. */
static void test_msg_match(void)
{
	uint8_t m[512], name[DNS_NAME_MAX];
	struct sockaddr_storage up, from, up6, from6;
	struct sockaddr_in6 *a6;
	dns_msg_info_t info = { 0 };
	size_t len = mkreply(m, 0xbeef, "example.test", 300, true, 0);

	dns_name_from_str("example.test", true, name);
	sa4(&up, "192.0.2.53", 53);
	sa4(&from, "192.0.2.53", 53);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), 0);
	CHECK_INT(info.ancount, 2);
	CHECK_INT(dns_msg_match(m, len, NULL, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), 0); /* over TCP */
	/* another id: not ours, whatever else matches */
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeee, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0x00ef, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
	/* another sender: address, port, family */
	sa4(&from, "192.0.2.54", 53);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
	sa4(&from, "192.0.2.53", 5353);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
	memset(&from6, 0, sizeof(from6));
	a6 = (struct sockaddr_in6 *)&from6;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(53);
	inet_pton(AF_INET6, "::ffff:192.0.2.53", &a6->sin6_addr);
	CHECK_INT(dns_msg_match(m, len, &from6, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
	/* our id and sender, another question (name, type, class): a forgery, -EBADMSG */
	sa4(&from, "192.0.2.53", 53);
	dns_name_from_str("other.test", true, name);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), -EBADMSG);
	dns_name_from_str("example.test", true, name);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeef, name, DNS_T_AAAA, DNS_C_IN, &info), -EBADMSG);
	CHECK_INT(dns_msg_match(m, len, &from, &up, 0xbeef, name, DNS_T_A, 3, &info), -EBADMSG);
	/* a short message */
	CHECK_INT(dns_msg_match(m, 11, &from, &up, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
	/* IPv6 upstream */
	up6 = from6;
	inet_pton(AF_INET6, "2001:db8::53", &((struct sockaddr_in6 *)&up6)->sin6_addr);
	from6 = up6;
	CHECK_INT(dns_msg_match(m, len, &from6, &up6, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), 0);
	((struct sockaddr_in6 *)&from6)->sin6_addr.s6_addr[15] ^= 1;
	CHECK_INT(dns_msg_match(m, len, &from6, &up6, 0xbeef, name, DNS_T_A, DNS_C_IN, &info), -ESRCH);
}

static void test_msg_reply(void)
{
	uint8_t m[512], q[512], out[1500];
	dns_query_t qq;
	dns_msg_info_t info;
	size_t len = mkreply(m, 7, "example.test", 300, true, 0), qlen, olen;
	uint8_t name[DNS_NAME_MAX];

	dns_name_from_str("example.test", true, name);
	dns_msg_check(m, len, name, DNS_T_A, DNS_C_IN, &info);
	len = dns_msg_strip(m, &info);
	qlen = mkquery(q, 0x4242, "ExAmple.TEST", DNS_T_A, true);
	CHECK_INT(dns_query_parse(q, qlen, false, &qq), 0);
	CHECK_INT(dns_msg_reply(&qq, m, len, 100, out, sizeof(out), &olen), 0);
	CHECK_INT(olen, len + 11);
	CHECK_INT(out[0] << 8 | out[1], 0x4242);
	CHECK(memcmp(out + 12, qq.qname, qq.qname_len) == 0); /* the client's case */
	CHECK(out[3] & 0x80);                                  /* RA */
	CHECK_INT(out[11], 1);                                 /* our OPT */
	/* TTL 300 aged by 100 */
	size_t at = 12 + qq.qname_len + 4 + 2 + 4;
	CHECK_INT((uint32_t)out[at] << 24 | out[at + 1] << 16 | out[at + 2] << 8 | out[at + 3], 200);
	/* aged past the TTL: 0, not a wrap */
	CHECK_INT(dns_msg_reply(&qq, m, len, 1000, out, sizeof(out), &olen), 0);
	CHECK_INT(out[at] | out[at + 1] | out[at + 2] | out[at + 3], 0);
	/* without EDNS and too big for 512: the question alone with TC */
	qlen = mkquery(q, 1, "example.test", DNS_T_A, false);
	dns_query_parse(q, qlen, false, &qq);
	uint8_t big[1400];
	memcpy(big, m, len);
	memset(big + len, 0, sizeof(big) - len);
	CHECK_INT(dns_msg_reply(&qq, big, 600, 0, out, sizeof(out), &olen), 0);
	CHECK_INT(olen, 12 + qq.qname_len + 4);
	CHECK(out[2] & 0x02);
	CHECK_INT(out[7], 0);
}

static void test_cache(void)
{
	dns_cache_t *c = dns_cache_new(8, 3600, 1800);
	uint8_t m[512], q[512], out[1500], name[DNS_NAME_MAX];
	dns_query_t qq, other;
	dns_msg_info_t info;
	size_t len = mkreply(m, 7, "example.test", 300, false, 0), qlen, olen;

	dns_name_from_str("example.test", true, name);
	dns_msg_check(m, len, name, DNS_T_A, DNS_C_IN, &info);
	qlen = mkquery(q, 9, "example.test", DNS_T_A, false);
	dns_query_parse(q, qlen, false, &qq);
	CHECK_INT(dns_cache_get(c, &qq, 1000, out, sizeof(out), &olen), 0);
	CHECK_INT(dns_cache_put(c, &qq, m, len, info.ttl, false, 1000), 0);
	CHECK_INT(dns_cache_get(c, &qq, 2000, out, sizeof(out), &olen), 1);
	CHECK_INT(out[1], 9);
	qlen = mkquery(q, 10, "EXAMPLE.test", DNS_T_A, false);
	dns_query_parse(q, qlen, false, &qq);
	CHECK_INT(dns_cache_get(c, &qq, 299000, out, sizeof(out), &olen), 1); /* any case */
	CHECK_INT(dns_cache_get(c, &qq, 301000, out, sizeof(out), &olen), 0); /* expired */
	qlen = mkquery(q, 10, "example.test", DNS_T_AAAA, false);
	dns_query_parse(q, qlen, false, &other);
	CHECK_INT(dns_cache_get(c, &other, 2000, out, sizeof(out), &olen), 0); /* another type */
	/* the cap on negative TTLs */
	dns_cache_t *c2 = dns_cache_new(8, 3600, 10);
	CHECK_INT(dns_cache_put(c2, &qq, m, len, 1000, true, 0), 0);
	CHECK_INT(dns_cache_get(c2, &qq, 9000, out, sizeof(out), &olen), 1);
	CHECK_INT(dns_cache_get(c2, &qq, 11000, out, sizeof(out), &olen), 0);
	/* many names into 8 entries: no crash, count bounded */
	for (int i = 0; i < 100; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "n%d.test", i);
		qlen = mkquery(q, 1, nm, DNS_T_A, false);
		dns_query_parse(q, qlen, false, &other);
		dns_cache_put(c, &other, m, len, 300, false, 5000);
	}
	CHECK(dns_cache_count(c) <= 8);
	dns_cache_free(c);
	dns_cache_free(c2);
}

static void test_upstreams(void)
{
	struct sockaddr_storage a[4];
	char path[] = "/tmp/test_dns_resolvXXXXXX";
	int fd;
	FILE *f;

	CHECK_INT(dns_node_parse_upstreams("192.0.2.1,192.0.2.2:5353,[2001:db8::1]:54,2001:db8::2", a, 4), 4);
	CHECK_INT(ntohs(((struct sockaddr_in *)&a[0])->sin_port), 53);
	CHECK_INT(ntohs(((struct sockaddr_in *)&a[1])->sin_port), 5353);
	CHECK_INT(a[2].ss_family, AF_INET6);
	CHECK_INT(ntohs(((struct sockaddr_in6 *)&a[2])->sin6_port), 54);
	CHECK_INT(ntohs(((struct sockaddr_in6 *)&a[3])->sin6_port), 53);
	CHECK_INT(dns_node_parse_upstreams("", a, 4), 0);
	CHECK(dns_node_parse_upstreams("192.0.2.1:0", a, 4) < 0);
	CHECK(dns_node_parse_upstreams("192.0.2.1:70000", a, 4) < 0);
	CHECK(dns_node_parse_upstreams("nameserver", a, 4) < 0);
	CHECK(dns_node_parse_upstreams("1.1.1.1,2.2.2.2,3.3.3.3", a, 2) < 0);
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fprintf(f, "# comment\nsearch default.svc.cluster.local\nnameserver 192.0.2.53\nnameserver\tfe80::1%%eth0\n"
		   "nameserverx 1.2.3.4\nnameserver 2001:db8::53\n");
	fclose(f);
	CHECK_INT(dns_node_read_resolv(path, a, 4), 2); /* fe80::1%eth0 is skipped */
	CHECK_INT(a[0].ss_family, AF_INET);
	CHECK_INT(a[1].ss_family, AF_INET6);
	unlink(path);
	CHECK_INT(dns_node_read_resolv("/nonexistent/resolv.conf", a, 4), 0);
}

static void apply_str(dns_zone_t *z, dns_kind_t kind, const char *js, bool deleted)
{
	json_t *o = json_loads(js, 0, NULL);
	CHECK(o != NULL);
	CHECK_INT(dns_zone_apply(z, kind, o, deleted), 0);
	json_decref(o);
}

static void test_resync_and_cname(void)
{
	dns_zone_t *z = dns_zone_new(NULL, 5);
	size_t base = dns_zone_names(z);
	uint8_t q[512], tgt[DNS_NAME_MAX];
	char s[300];
	dns_query_t qq;
	size_t qlen;

	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"x\"},\"spec\":{\"clusterIP\":\"10.43.0.5\"}}", false);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"y\"},\"spec\":{\"clusterIP\":\"10.43.0.6\"}}", false);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"e\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"WWW.Example.test\"}}", false);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"i\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x.a.svc.cluster.local\"}}", false);
	size_t full = dns_zone_names(z);
	/* a relist that names x, e and i only: y goes */
	uint32_t gen = dns_zone_resync_begin(z, DNS_KIND_SERVICE);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"x\"},\"spec\":{\"clusterIP\":\"10.43.0.5\"}}", false);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"e\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"WWW.Example.test\"}}", false);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"i\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x.a.svc.cluster.local\"}}", false);
	CHECK_INT(dns_zone_resync_end(z, DNS_KIND_SERVICE, gen), 1);
	CHECK(dns_zone_names(z) < full);
	CHECK_INT(dns_zone_resync_end(z, DNS_KIND_SERVICE, gen), 0);
	/* the ExternalName target, case kept; none for a CNAME query, an in-zone target, a ClusterIP */
	qlen = mkquery(q, 1, "e.a.svc.cluster.local", DNS_T_A, false);
	dns_query_parse(q, qlen, false, &qq);
	int n = dns_zone_cname_target(z, &qq, tgt);
	CHECK(n > 0);
	dns_name_to_str(tgt, s, sizeof(s));
	CHECK_STR(s, "WWW.Example.test.");
	qlen = mkquery(q, 1, "e.a.svc.cluster.local", DNS_T_CNAME, false);
	dns_query_parse(q, qlen, false, &qq);
	CHECK_INT(dns_zone_cname_target(z, &qq, tgt), 0);
	qlen = mkquery(q, 1, "i.a.svc.cluster.local", DNS_T_A, false);
	dns_query_parse(q, qlen, false, &qq);
	CHECK_INT(dns_zone_cname_target(z, &qq, tgt), 0);
	qlen = mkquery(q, 1, "x.a.svc.cluster.local", DNS_T_A, false);
	dns_query_parse(q, qlen, false, &qq);
	CHECK_INT(dns_zone_cname_target(z, &qq, tgt), 0);
	/* a relist of nothing empties the kind */
	gen = dns_zone_resync_begin(z, DNS_KIND_SERVICE);
	CHECK_INT(dns_zone_resync_end(z, DNS_KIND_SERVICE, gen), 3);
	CHECK_INT(dns_zone_names(z), base);
	dns_zone_free(z);
}

static int count_a(dns_zone_t *z, const char *name)
{
	uint8_t q[512], out[4096];
	dns_query_t qq;
	size_t qlen = mkquery(q, 1, name, DNS_T_A, false), olen;

	dns_query_parse(q, qlen, false, &qq);
	if (dns_zone_answer(z, &qq, out, sizeof(out), &olen) != DNS_ZONE_ANSWERED || (out[3] & 0xf))
		return -1;
	return out[6] << 8 | out[7];
}

/* A ClusterIP Service keeps no endpoints; turned headless (through ExternalName) it asks for a
 * relist of the slices, and has its endpoints once they are applied again. */
static void test_stub_slices(void)
{
	dns_zone_t *z = dns_zone_new(NULL, 5);
	const char *slice = "{\"metadata\":{\"namespace\":\"a\",\"name\":\"s-1\",\"labels\":{\"kubernetes.io/service-name\":\"s\"}},"
			    "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.42.0.1\"]},{\"addresses\":[\"10.42.0.2\"]}]}";

	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"s\"},\"spec\":{\"clusterIP\":\"10.43.0.5\"}}", false);
	apply_str(z, DNS_KIND_ENDPOINTSLICE, slice, false);
	CHECK_INT(count_a(z, "s.a.svc.cluster.local"), 1);
	CHECK(!dns_zone_resync_wanted(z, DNS_KIND_ENDPOINTSLICE));
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"s\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x.test\"}}", false);
	CHECK(!dns_zone_resync_wanted(z, DNS_KIND_ENDPOINTSLICE));
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"s\"},\"spec\":{\"clusterIP\":\"None\"}}", false);
	CHECK(dns_zone_resync_wanted(z, DNS_KIND_ENDPOINTSLICE));
	CHECK(!dns_zone_resync_wanted(z, DNS_KIND_ENDPOINTSLICE)); /* once */
	CHECK_INT(count_a(z, "s.a.svc.cluster.local"), -1);       /* no endpoint yet: NXDOMAIN */
	apply_str(z, DNS_KIND_ENDPOINTSLICE, slice, false);
	CHECK_INT(count_a(z, "s.a.svc.cluster.local"), 2);
	/* a slice before its Service is kept whole, and dropped when the Service is a ClusterIP */
	apply_str(z, DNS_KIND_ENDPOINTSLICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"h-1\",\"labels\":{\"kubernetes.io/service-name\":\"h\"}},"
				      "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.42.0.3\"]}]}", false);
	apply_str(z, DNS_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"a\",\"name\":\"h\"},\"spec\":{\"clusterIP\":\"None\"}}", false);
	CHECK_INT(count_a(z, "h.a.svc.cluster.local"), 1);
	CHECK(!dns_zone_resync_wanted(z, DNS_KIND_ENDPOINTSLICE));
	dns_zone_free(z);
}

int main(void)
{
	TEST_RUN(test_msg_check);
	TEST_RUN(test_msg_match);
	TEST_RUN(test_msg_reply);
	TEST_RUN(test_cache);
	TEST_RUN(test_upstreams);
	TEST_RUN(test_resync_and_cname);
	TEST_RUN(test_stub_slices);
	TEST_DONE();
}
