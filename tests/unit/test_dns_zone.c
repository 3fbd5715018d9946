/* The cluster zone: every record kind of the Kubernetes DNS spec built from API objects, case echo,
 * NODATA vs NXDOMAIN, updates and deletes, truncation; and a micro-benchmark of parse + answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns_wire.h"
#include "dns/dns_zone.h"
#include "harness.h"

/* ---- a query builder and a reply decoder that prints records as "SEC owner ttl TYPE rdata" */

static size_t tq_build(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype, int edns)
{
	uint8_t wire[DNS_NAME_MAX];
	int n = dns_name_from_str(name, false, wire);
	size_t len = 0;

	if (n < 0)
		return 0;
	buf[len++] = (uint8_t)(id >> 8);
	buf[len++] = (uint8_t)id;
	buf[len++] = 0x01; /* RD */
	buf[len++] = 0x00;
	buf[len++] = 0;
	buf[len++] = 1;
	memset(buf + len, 0, 4);
	len += 4;
	buf[len++] = 0;
	buf[len++] = edns > 0 ? 1 : 0;
	memcpy(buf + len, wire, (size_t)n);
	len += (size_t)n;
	buf[len++] = (uint8_t)(qtype >> 8);
	buf[len++] = (uint8_t)qtype;
	buf[len++] = 0;
	buf[len++] = 1;
	if (edns > 0) {
		const uint8_t opt[] = { 0, 0, 41, (uint8_t)(edns >> 8), (uint8_t)edns, 0, 0, 0, 0, 0, 0 };
		memcpy(buf + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	return len;
}

#define TR_MAX 256

struct tresp {
	int rcode; /* including the extended bits from an OPT */
	int tc, aa, ra;
	int qd, an, ns, ar;
	int has_opt;
	unsigned opt_size;
	char qname[300];
	int nrr;
	char rr[TR_MAX][400]; /* "AN owner ttl TYPE rdata" */
};

static const char *tr_type(uint16_t t)
{
	static char buf[16];
	switch (t) {
	case DNS_T_A: return "A";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_NS: return "NS";
	case DNS_T_CNAME: return "CNAME";
	case DNS_T_SOA: return "SOA";
	case DNS_T_PTR: return "PTR";
	case DNS_T_TXT: return "TXT";
	case DNS_T_SRV: return "SRV";
	case DNS_T_OPT: return "OPT";
	}
	snprintf(buf, sizeof(buf), "TYPE%u", t);
	return buf;
}

/* 0 on a well-formed reply, -1 otherwise */
static int tr_decode(const uint8_t *p, size_t len, struct tresp *r)
{
	dns_rd_t rd;
	uint8_t name[DNS_NAME_MAX];
	char owner[300], tgt[300], tgt2[300];

	memset(r, 0, sizeof(*r));
	dns_rd_init(&rd, p, len);
	dns_rd_u16(&rd);
	uint16_t f = dns_rd_u16(&rd);
	r->rcode = f & 0xf;
	r->tc = !!(f & DNS_F_TC);
	r->aa = !!(f & DNS_F_AA);
	r->ra = !!(f & DNS_F_RA);
	r->qd = dns_rd_u16(&rd);
	r->an = dns_rd_u16(&rd);
	r->ns = dns_rd_u16(&rd);
	r->ar = dns_rd_u16(&rd);
	for (int i = 0; i < r->qd; i++) {
		if (!dns_rd_name(&rd, name))
			return -1;
		dns_name_to_str(name, r->qname, sizeof(r->qname));
		dns_rd_u32(&rd);
	}
	for (int i = 0; i < r->an + r->ns + r->ar && !rd.err; i++) {
		const char *sec = i < r->an ? "AN" : i < r->an + r->ns ? "NS" : "AR";
		if (!dns_rd_name(&rd, name))
			return -1;
		dns_name_to_str(name, owner, sizeof(owner));
		uint16_t t = dns_rd_u16(&rd), c = dns_rd_u16(&rd);
		uint32_t ttl = dns_rd_u32(&rd);
		uint16_t rdlen = dns_rd_u16(&rd);
		size_t end = rd.pos + rdlen;
		char rdata[200] = "";
		if (rd.err || end > len)
			return -1;
		if (t == DNS_T_OPT) {
			r->has_opt = 1;
			r->opt_size = c;
			r->rcode |= (int)(ttl >> 24) << 4;
			rd.pos = end;
			continue;
		}
		switch (t) {
		case DNS_T_A:
		case DNS_T_AAAA:
			inet_ntop(t == DNS_T_A ? AF_INET : AF_INET6, p + rd.pos, rdata, sizeof(rdata));
			rd.pos = end;
			break;
		case DNS_T_CNAME:
		case DNS_T_PTR:
		case DNS_T_NS:
			dns_rd_name(&rd, name);
			dns_name_to_str(name, rdata, sizeof(rdata));
			break;
		case DNS_T_SRV: {
			unsigned pr = dns_rd_u16(&rd), w = dns_rd_u16(&rd), port = dns_rd_u16(&rd);
			dns_rd_name(&rd, name);
			dns_name_to_str(name, tgt, sizeof(tgt));
			snprintf(rdata, sizeof(rdata), "%u %u %u %.150s", pr, w, port, tgt);
			break;
		}
		case DNS_T_SOA: {
			dns_rd_name(&rd, name);
			dns_name_to_str(name, tgt, sizeof(tgt));
			dns_rd_name(&rd, name);
			dns_name_to_str(name, tgt2, sizeof(tgt2));
			dns_rd_u32(&rd);
			unsigned a = dns_rd_u32(&rd), b = dns_rd_u32(&rd), c2 = dns_rd_u32(&rd), d = dns_rd_u32(&rd);
			snprintf(rdata, sizeof(rdata), "%.60s %.60s SERIAL %u %u %u %u", tgt, tgt2, a, b, c2, d);
			break;
		}
		case DNS_T_TXT:
			snprintf(rdata, sizeof(rdata), "\"%.*s\"", rdlen ? p[rd.pos] : 0, (const char *)p + rd.pos + 1);
			rd.pos = end;
			break;
		default:
			rd.pos = end;
		}
		if (rd.err || rd.pos != end)
			return -1;
		if (r->nrr < TR_MAX)
			snprintf(r->rr[r->nrr++], sizeof(r->rr[0]), "%s %.150s %u %s %.180s", sec, owner, ttl, tr_type(t), rdata);
	}
	return rd.err || rd.pos != len ? -1 : 0;
}

static int tr_has(const struct tresp *r, const char *rr)
{
	for (int i = 0; i < r->nrr; i++)
		if (strcmp(r->rr[i], rr) == 0)
			return 1;
	return 0;
}

static int tr_count(const struct tresp *r, const char *prefix)
{
	int n = 0;
	for (int i = 0; i < r->nrr; i++)
		n += strncmp(r->rr[i], prefix, strlen(prefix)) == 0;
	return n;
}

__attribute__((unused)) static void tr_dump(const struct tresp *r)
{
	fprintf(stderr, "    rcode=%d tc=%d an=%d ns=%d ar=%d\n", r->rcode, r->tc, r->an, r->ns, r->ar);
	for (int i = 0; i < r->nrr; i++)
		fprintf(stderr, "    %s\n", r->rr[i]);
}

/* ---- fixtures */

static int apply(dns_zone_t *z, dns_kind_t kind, const char *json, bool deleted)
{
	json_error_t err;
	json_t *o = json_loads(json, 0, &err);
	int r;

	if (!o) {
		fprintf(stderr, "  bad fixture JSON: %s\n", err.text);
		return -EINVAL;
	}
	r = dns_zone_apply(z, kind, o, deleted);
	json_decref(o);
	return r;
}

#define SVC_WEB                                                                                        \
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"          \
	"\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"],"   \
	"\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"},{\"port\":8080}]}}"
#define SVC_DUAL                                                                                       \
	"{\"metadata\":{\"name\":\"dual\",\"namespace\":\"default\"},"                              \
	"\"spec\":{\"clusterIP\":\"10.96.0.11\",\"clusterIPs\":[\"10.96.0.11\",\"fd00::11\"],"        \
	"\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}"
#define SVC_DB                                                                                         \
	"{\"metadata\":{\"name\":\"db\",\"namespace\":\"prod\"},"                                   \
	"\"spec\":{\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"],"                                \
	"\"ports\":[{\"name\":\"pg\",\"port\":5432}]}}"
#define SLICE_DB                                                                                       \
	"{\"metadata\":{\"name\":\"db-abc\",\"namespace\":\"prod\","                                \
	"\"labels\":{\"kubernetes.io/service-name\":\"db\"}},\"addressType\":\"IPv4\","             \
	"\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"conditions\":{\"ready\":true},\"hostname\":\"db-0\"}," \
	"{\"addresses\":[\"10.1.0.2\"],\"conditions\":{\"ready\":true}},"                            \
	"{\"addresses\":[\"10.1.0.3\"],\"conditions\":{\"ready\":false}}],"                          \
	"\"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}]}"
#define SVC_EXT                                                                                        \
	"{\"metadata\":{\"name\":\"ext\",\"namespace\":\"default\"},"                               \
	"\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"www.Example.com\"}}"
#define POD_P1                                                                                         \
	"{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\"},"                                \
	"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.2.0.5\",\"podIPs\":[{\"ip\":\"10.2.0.5\"}]}}"

static dns_zone_t *fixture(void)
{
	dns_zone_t *z = dns_zone_new(NULL, DNS_TTL_DEFAULT);

	CHECK(z != NULL);
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_WEB, false), 0);
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_DUAL, false), 0);
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_DB, false), 0);
	CHECK_INT(apply(z, DNS_KIND_ENDPOINTSLICE, SLICE_DB, false), 0);
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_EXT, false), 0);
	CHECK_INT(apply(z, DNS_KIND_POD, POD_P1, false), 0);
	return z;
}

/* ask z for name/qtype over UDP (edns: payload size or 0) or TCP; returns the dns_zone_answer()
 * result, the reply decoded into r */
static int ask_ex(const dns_zone_t *z, const char *name, uint16_t qtype, int edns, bool tcp, struct tresp *r)
{
	uint8_t q[512], out[65535];
	dns_query_t qq;
	size_t qlen = tq_build(q, 0x4242, name, qtype, edns), olen = 0;

	memset(r, 0, sizeof(*r));
	r->rcode = -1;
	if (dns_query_parse(q, qlen, tcp, &qq) != 0)
		return -100;
	int ret = dns_zone_answer(z, &qq, out, sizeof(out), &olen);
	if (ret != DNS_ZONE_ANSWERED)
		return ret;
	if (olen > dns_reply_limit(&qq, sizeof(out)))
		return -101;
	if (out[0] != 0x42 || out[1] != 0x42 || !(out[2] & 0x80))
		return -102;
	if (tr_decode(out, olen, r) < 0)
		return -103;
	return ret;
}

static int ask(const dns_zone_t *z, const char *name, uint16_t qtype, struct tresp *r)
{
	return ask_ex(z, name, qtype, 0, false, r);
}

#define SOA_NEG "NS cluster.local. 5 SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5"

/* ---- cases */

static void test_dns_version(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "dns-version.cluster.local", DNS_T_TXT, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK(r.aa);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN dns-version.cluster.local. 5 TXT \"1.1.0\""));
	dns_zone_free(z);
}

static void test_clusterip(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "web.default.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN web.default.svc.cluster.local. 5 A 10.96.0.10"));
	/* no IPv6: NODATA with the SOA */
	CHECK_INT(ask(z, "web.default.svc.cluster.local", DNS_T_AAAA, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.an, 0);
	CHECK_INT(r.ns, 1);
	CHECK(tr_has(&r, SOA_NEG));
	/* dual stack */
	CHECK_INT(ask(z, "dual.default.svc.cluster.local", DNS_T_AAAA, &r), 0);
	CHECK(tr_has(&r, "AN dual.default.svc.cluster.local. 5 AAAA fd00::11"));
	CHECK_INT(ask(z, "dual.default.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK(tr_has(&r, "AN dual.default.svc.cluster.local. 5 A 10.96.0.11"));
	CHECK_INT(r.an, 1);
	/* PTR for both families */
	CHECK_INT(ask(z, "10.0.96.10.in-addr.arpa", DNS_T_PTR, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK(tr_has(&r, "AN 10.0.96.10.in-addr.arpa. 5 PTR web.default.svc.cluster.local."));
	CHECK_INT(ask(z, "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", DNS_T_PTR, &r), 0);
	CHECK(tr_has(&r, "AN 1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 5 PTR "
			 "dual.default.svc.cluster.local."));
	/* a reverse name we hold nothing for is not ours: the server forwards it */
	CHECK_INT(ask(z, "99.0.96.10.in-addr.arpa", DNS_T_PTR, &r), DNS_ZONE_NOTAUTH);
	/* existing reverse name, other type: NODATA under the reverse zone's SOA */
	CHECK_INT(ask(z, "10.0.96.10.in-addr.arpa", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 0);
	CHECK(tr_has(&r, "NS in-addr.arpa. 5 SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5"));
	dns_zone_free(z);
}

static void test_srv(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "_http._tcp.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN _http._tcp.web.default.svc.cluster.local. 5 SRV 0 100 80 web.default.svc.cluster.local."));
	CHECK(tr_has(&r, "AR web.default.svc.cluster.local. 5 A 10.96.0.10"));
	/* the protocol is matched as lower case, the query's case does not matter */
	CHECK_INT(ask(z, "_HTTP._TCP.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.an, 1);
	/* the unnamed port has no `_` record, UDP is not TCP */
	CHECK_INT(ask(z, "_8080._tcp.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_INT(ask(z, "_http._udp.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	/* `_tcp.<svc>` is an empty non-terminal */
	CHECK_INT(ask(z, "_tcp.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.an, 0);
	CHECK(tr_has(&r, SOA_NEG));
	/* as CoreDNS: SRV at the service name lists every port, sharing the weight */
	CHECK_INT(ask(z, "web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.an, 2);
	CHECK(tr_has(&r, "AN web.default.svc.cluster.local. 5 SRV 0 50 80 web.default.svc.cluster.local."));
	CHECK(tr_has(&r, "AN web.default.svc.cluster.local. 5 SRV 0 50 8080 web.default.svc.cluster.local."));
	CHECK_INT(tr_count(&r, "AR "), 1); /* the target's address once */
	/* dual-stack target: both addresses in additional */
	CHECK_INT(ask(z, "_dns._udp.dual.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK(tr_has(&r, "AN _dns._udp.dual.default.svc.cluster.local. 5 SRV 0 100 53 dual.default.svc.cluster.local."));
	CHECK(tr_has(&r, "AR dual.default.svc.cluster.local. 5 A 10.96.0.11"));
	CHECK(tr_has(&r, "AR dual.default.svc.cluster.local. 5 AAAA fd00::11"));
	dns_zone_free(z);
}

static void test_headless(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.an, 2); /* the not-ready 10.1.0.3 is left out */
	CHECK(tr_has(&r, "AN db.prod.svc.cluster.local. 5 A 10.1.0.1"));
	CHECK(tr_has(&r, "AN db.prod.svc.cluster.local. 5 A 10.1.0.2"));
	/* the endpoint hostname, or the dashed address without one */
	CHECK_INT(ask(z, "db-0.db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN db-0.db.prod.svc.cluster.local. 5 A 10.1.0.1"));
	CHECK_INT(ask(z, "10-1-0-2.db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK(tr_has(&r, "AN 10-1-0-2.db.prod.svc.cluster.local. 5 A 10.1.0.2"));
	CHECK_INT(ask(z, "10-1-0-3.db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	/* SRV: N endpoints x M named ports, targets' addresses in additional */
	CHECK_INT(ask(z, "_pg._tcp.db.prod.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.an, 2);
	CHECK(tr_has(&r, "AN _pg._tcp.db.prod.svc.cluster.local. 5 SRV 0 50 5432 db-0.db.prod.svc.cluster.local."));
	CHECK(tr_has(&r, "AN _pg._tcp.db.prod.svc.cluster.local. 5 SRV 0 50 5432 10-1-0-2.db.prod.svc.cluster.local."));
	CHECK(tr_has(&r, "AR db-0.db.prod.svc.cluster.local. 5 A 10.1.0.1"));
	CHECK(tr_has(&r, "AR 10-1-0-2.db.prod.svc.cluster.local. 5 A 10.1.0.2"));
	/* PTR to the hostname */
	CHECK_INT(ask(z, "1.0.1.10.in-addr.arpa", DNS_T_PTR, &r), 0);
	CHECK(tr_has(&r, "AN 1.0.1.10.in-addr.arpa. 5 PTR db-0.db.prod.svc.cluster.local."));
	CHECK_INT(ask(z, "3.0.1.10.in-addr.arpa", DNS_T_PTR, &r), DNS_ZONE_NOTAUTH);

	/* a second port in a second slice: N x M grows */
	CHECK_INT(apply(z, DNS_KIND_ENDPOINTSLICE,
			"{\"metadata\":{\"name\":\"db-def\",\"namespace\":\"prod\","
			"\"labels\":{\"kubernetes.io/service-name\":\"db\"}},\"addressType\":\"IPv4\","
			"\"endpoints\":[{\"addresses\":[\"10.1.0.9\"]}],"
			"\"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}]}",
			false),
		 0);
	CHECK_INT(ask(z, "_pg._tcp.db.prod.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.an, 3);
	CHECK(tr_has(&r, "AN _pg._tcp.db.prod.svc.cluster.local. 5 SRV 0 33 5432 10-1-0-9.db.prod.svc.cluster.local."));
	CHECK_INT(ask(z, "db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 3); /* no ready condition: unknown, taken as ready */

	/* no ready endpoint at all: NXDOMAIN (spec 2.4.1), and the namespace is then empty too */
	CHECK_INT(apply(z, DNS_KIND_ENDPOINTSLICE, "{\"metadata\":{\"name\":\"db-def\",\"namespace\":\"prod\"}}", true), 0);
	CHECK_INT(apply(z, DNS_KIND_ENDPOINTSLICE,
			"{\"metadata\":{\"name\":\"db-abc\",\"namespace\":\"prod\","
			"\"labels\":{\"kubernetes.io/service-name\":\"db\"}},\"addressType\":\"IPv4\","
			"\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"conditions\":{\"ready\":false}}]}",
			false),
		 0);
	CHECK_INT(ask(z, "db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK(tr_has(&r, SOA_NEG));
	CHECK_INT(ask(z, "prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	/* publishNotReadyAddresses brings it back */
	CHECK_INT(apply(z, DNS_KIND_SERVICE,
			"{\"metadata\":{\"name\":\"db\",\"namespace\":\"prod\"},"
			"\"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":true}}",
			false),
		 0);
	CHECK_INT(ask(z, "db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK(tr_has(&r, "AN db.prod.svc.cluster.local. 5 A 10.1.0.1"));
	dns_zone_free(z);
}

/* the first address moves with the query id; the set stays the same */
static void test_rotation(void)
{
	dns_zone_t *z = fixture();
	uint8_t q[512], out[512];
	char first[4][400];
	struct tresp r;
	dns_query_t qq;
	size_t olen;

	for (uint16_t id = 0; id < 4; id++) {
		size_t len = tq_build(q, id, "db.prod.svc.cluster.local", DNS_T_A, 0);
		CHECK_INT(dns_query_parse(q, len, false, &qq), 0);
		CHECK_INT(dns_zone_answer(z, &qq, out, sizeof(out), &olen), 0);
		CHECK_INT(tr_decode(out, olen, &r), 0);
		CHECK_INT(r.an, 2);
		CHECK(tr_has(&r, "AN db.prod.svc.cluster.local. 5 A 10.1.0.1"));
		CHECK(tr_has(&r, "AN db.prod.svc.cluster.local. 5 A 10.1.0.2"));
		snprintf(first[id], sizeof(first[id]), "%s", r.rr[0]);
	}
	CHECK(strcmp(first[0], first[1]) != 0);
	CHECK_STR(first[0], first[2]);
	CHECK_STR(first[1], first[3]);
	dns_zone_free(z);
}

static void test_slice_before_service(void)
{
	dns_zone_t *z = dns_zone_new(NULL, 5);
	struct tresp r;

	/* informers deliver in any order: a slice alone publishes nothing, its Service then does */
	CHECK_INT(apply(z, DNS_KIND_ENDPOINTSLICE, SLICE_DB, false), 0);
	CHECK_INT(ask(z, "db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_DB, false), 0);
	CHECK_INT(ask(z, "db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 2);
	/* the Service goes: nothing left, though the slice is still known */
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_DB, true), 0);
	CHECK_INT(ask(z, "db-0.db.prod.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_INT(ask(z, "1.0.1.10.in-addr.arpa", DNS_T_PTR, &r), DNS_ZONE_NOTAUTH);
	dns_zone_free(z);
}

static void test_externalname(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "ext.default.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN ext.default.svc.cluster.local. 5 CNAME www.Example.com."));
	CHECK_INT(ask(z, "ext.default.svc.cluster.local", DNS_T_CNAME, &r), 0);
	CHECK_INT(r.an, 1);
	CHECK_INT(ask(z, "ext.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK(tr_has(&r, "AN ext.default.svc.cluster.local. 5 CNAME www.Example.com."));
	/* turned into a ClusterIP Service: the CNAME goes */
	CHECK_INT(apply(z, DNS_KIND_SERVICE,
			"{\"metadata\":{\"name\":\"ext\",\"namespace\":\"default\"},"
			"\"spec\":{\"clusterIP\":\"10.96.0.77\"}}",
			false),
		 0);
	CHECK_INT(ask(z, "ext.default.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN ext.default.svc.cluster.local. 5 A 10.96.0.77"));
	dns_zone_free(z);
}

static void test_pods(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "10-2-0-5.default.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK(tr_has(&r, "AN 10-2-0-5.default.pod.cluster.local. 5 A 10.2.0.5"));
	/* only a pod that exists, in that namespace */
	CHECK_INT(ask(z, "10-2-0-6.default.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_INT(ask(z, "10-2-0-5.prod.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	/* two host-network pods share an address: one record, kept until both are gone */
	const char *p2 = "{\"metadata\":{\"name\":\"p2\",\"namespace\":\"default\"},"
			 "\"status\":{\"podIPs\":[{\"ip\":\"10.2.0.5\"},{\"ip\":\"fd00::2:5\"}]}}";
	CHECK_INT(apply(z, DNS_KIND_POD, p2, false), 0);
	CHECK_INT(ask(z, "10-2-0-5.default.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 1);
	CHECK_INT(ask(z, "fd00--2-5.default.pod.cluster.local", DNS_T_AAAA, &r), 0);
	CHECK(tr_has(&r, "AN fd00--2-5.default.pod.cluster.local. 5 AAAA fd00::2:5"));
	CHECK_INT(apply(z, DNS_KIND_POD, POD_P1, true), 0);
	CHECK_INT(ask(z, "10-2-0-5.default.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.an, 1);
	/* a pod that finished frees its address */
	CHECK_INT(apply(z, DNS_KIND_POD,
			"{\"metadata\":{\"name\":\"p2\",\"namespace\":\"default\"},"
			"\"status\":{\"phase\":\"Succeeded\",\"podIPs\":[{\"ip\":\"10.2.0.5\"}]}}",
			false),
		 0);
	CHECK_INT(ask(z, "10-2-0-5.default.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	/* pod.<zone> stays (NODATA), <ns>.pod.<zone> went with its last pod */
	CHECK_INT(ask(z, "pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(ask(z, "default.pod.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	dns_zone_free(z);
}

static void test_nodata_nxdomain(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	static const struct {
		const char *name;
		uint16_t qtype;
		int rcode;
	} cases[] = {
		{ "default.svc.cluster.local", DNS_T_A, 0 }, /* empty non-terminal */
		{ "svc.cluster.local", DNS_T_A, 0 },
		{ "cluster.local", DNS_T_A, 0 },
		{ "dns-version.cluster.local", DNS_T_A, 0 },
		{ "web.default.svc.cluster.local", DNS_T_PTR, 0 },
		{ "web.default.svc.cluster.local", 99, 0 }, /* unknown type: NODATA (RFC 8906 s3.1.3) */
		{ "nothere.default.svc.cluster.local", DNS_T_A, DNS_RCODE_NXDOMAIN },
		{ "x.web.default.svc.cluster.local", DNS_T_A, DNS_RCODE_NXDOMAIN },
		{ "nons.svc.cluster.local", DNS_T_A, DNS_RCODE_NXDOMAIN },
		{ "web.default.cluster.local", DNS_T_A, DNS_RCODE_NXDOMAIN },
		{ "foo.cluster.local", DNS_T_SOA, DNS_RCODE_NXDOMAIN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(ask(z, cases[i].name, cases[i].qtype, &r), 0);
		if (r.rcode != cases[i].rcode)
			fprintf(stderr, "  %s: rcode %d\n", cases[i].name, r.rcode);
		CHECK_INT(r.rcode, cases[i].rcode);
		CHECK(r.aa);
		CHECK_INT(r.an, 0);
		CHECK_INT(r.ns, 1);
		CHECK(tr_has(&r, SOA_NEG));
	}
	/* the apex: SOA and NS */
	CHECK_INT(ask(z, "cluster.local", DNS_T_SOA, &r), 0);
	CHECK_INT(r.an, 1);
	CHECK(tr_has(&r, "AN cluster.local. 5 SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5"));
	CHECK_INT(ask(z, "cluster.local", DNS_T_NS, &r), 0);
	CHECK(tr_has(&r, "AN cluster.local. 5 NS ns.dns.cluster.local."));
	/* outside the zone: not ours */
	CHECK_INT(ask(z, "example.com", DNS_T_A, &r), DNS_ZONE_NOTAUTH);
	CHECK_INT(ask(z, "local", DNS_T_A, &r), DNS_ZONE_NOTAUTH);
	CHECK_INT(ask(z, "xcluster.local", DNS_T_A, &r), DNS_ZONE_NOTAUTH);
	dns_zone_free(z);
}

static void test_case_echo(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;

	CHECK_INT(ask(z, "WeB.DeFault.SVC.Cluster.LOCAL", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, 0);
	CHECK_STR(r.qname, "WeB.DeFault.SVC.Cluster.LOCAL.");
	CHECK(tr_has(&r, "AN WeB.DeFault.SVC.Cluster.LOCAL. 5 A 10.96.0.10"));
	CHECK_INT(ask(z, "NoPe.DeFault.SVC.Cluster.LOCAL", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_STR(r.qname, "NoPe.DeFault.SVC.Cluster.LOCAL.");
	dns_zone_free(z);
}

static void test_updates_and_deletes(void)
{
	dns_zone_t *z = dns_zone_new(NULL, 5);
	struct tresp r;
	size_t empty = dns_zone_names(z);

	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_WEB, false), 0);
	CHECK(dns_zone_names(z) > empty);
	/* the ClusterIP changes: the old PTR goes, the new one answers */
	CHECK_INT(apply(z, DNS_KIND_SERVICE,
			"{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
			"\"spec\":{\"clusterIP\":\"10.96.0.20\",\"ports\":[{\"name\":\"https\",\"port\":443}]}}",
			false),
		 0);
	CHECK_INT(ask(z, "10.0.96.10.in-addr.arpa", DNS_T_PTR, &r), DNS_ZONE_NOTAUTH);
	CHECK_INT(ask(z, "20.0.96.10.in-addr.arpa", DNS_T_PTR, &r), 0);
	CHECK(tr_has(&r, "AN 20.0.96.10.in-addr.arpa. 5 PTR web.default.svc.cluster.local."));
	CHECK_INT(ask(z, "_http._tcp.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_INT(ask(z, "_https._tcp.web.default.svc.cluster.local", DNS_T_SRV, &r), 0);
	CHECK_INT(r.an, 1);
	/* deletes leave nothing behind: not even the empty non-terminals */
	CHECK_INT(apply(z, DNS_KIND_SERVICE, "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}}", true), 0);
	CHECK_INT(ask(z, "web.default.svc.cluster.local", DNS_T_A, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_NXDOMAIN);
	CHECK_INT(dns_zone_names(z), empty);
	/* a whole fixture in and out */
	dns_zone_t *f = fixture();
	CHECK(dns_zone_names(f) > empty);
	CHECK_INT(apply(f, DNS_KIND_SERVICE, SVC_WEB, true), 0);
	CHECK_INT(apply(f, DNS_KIND_SERVICE, SVC_DUAL, true), 0);
	CHECK_INT(apply(f, DNS_KIND_ENDPOINTSLICE, SLICE_DB, true), 0);
	CHECK_INT(apply(f, DNS_KIND_SERVICE, SVC_DB, true), 0);
	CHECK_INT(apply(f, DNS_KIND_SERVICE, SVC_EXT, true), 0);
	CHECK_INT(apply(f, DNS_KIND_POD, POD_P1, true), 0);
	CHECK_INT(dns_zone_names(f), empty);
	/* deleting what is not there, objects without identity */
	CHECK_INT(apply(f, DNS_KIND_POD, POD_P1, true), 0);
	CHECK_INT(apply(f, DNS_KIND_SERVICE, "{\"metadata\":{\"name\":\"x\"}}", false), -EINVAL);
	CHECK_INT(apply(f, DNS_KIND_SERVICE, "[]", false), -EINVAL);
	CHECK_INT(dns_zone_kind("EndpointSlice"), DNS_KIND_ENDPOINTSLICE);
	CHECK_INT(dns_zone_kind("Node"), -EINVAL);
	dns_zone_free(f);
	dns_zone_free(z);
}

static void test_zone_and_ttl_config(void)
{
	dns_zone_t *z = dns_zone_new("Corp.Example.", 30);
	struct tresp r;

	CHECK(z != NULL);
	CHECK_INT(apply(z, DNS_KIND_SERVICE, SVC_WEB, false), 0);
	CHECK_INT(ask(z, "web.default.svc.corp.example", DNS_T_A, &r), 0);
	CHECK(tr_has(&r, "AN web.default.svc.corp.example. 30 A 10.96.0.10"));
	CHECK_INT(ask(z, "dns-version.corp.example", DNS_T_TXT, &r), 0);
	CHECK_INT(r.an, 1);
	CHECK_INT(ask(z, "web.default.svc.cluster.local", DNS_T_A, &r), DNS_ZONE_NOTAUTH);
	CHECK_INT(ask(z, "nope.corp.example", DNS_T_A, &r), 0);
	CHECK(tr_has(&r, "NS corp.example. 30 SOA ns.dns.corp.example. hostmaster.corp.example. SERIAL 7200 1800 86400 30"));
	dns_zone_free(z);
	/* the SOA TTL is capped at 300 (CoreDNS), the minimum follows the TTL */
	z = dns_zone_new(NULL, 3600);
	CHECK_INT(ask(z, "nope.cluster.local", DNS_T_A, &r), 0);
	CHECK(tr_has(&r, "NS cluster.local. 300 SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 3600"));
	dns_zone_free(z);
	CHECK(dns_zone_new("a..b", 5) == NULL);
	CHECK(dns_zone_new(".", 5) == NULL);
}

static void test_protocol_edges(void)
{
	dns_zone_t *z = fixture();
	struct tresp r;
	uint8_t q[512], out[512];
	dns_query_t qq;
	size_t olen;

	/* EDNS: the reply carries an OPT with our size */
	CHECK_INT(ask_ex(z, "web.default.svc.cluster.local", DNS_T_A, 4096, false, &r), 0);
	CHECK(r.has_opt);
	CHECK_INT(r.opt_size, DNS_UDP_MAX);
	CHECK(r.ra);
	/* class CH inside the zone: REFUSED */
	size_t len = tq_build(q, 1, "web.default.svc.cluster.local", DNS_T_A, 0);
	q[len - 1] = 3;
	CHECK_INT(dns_query_parse(q, len, false, &qq), 0);
	CHECK_INT(dns_zone_answer(z, &qq, out, sizeof(out), &olen), 0);
	CHECK_INT(out[3] & 0xf, DNS_RCODE_REFUSED);
	/* AXFR: REFUSED through the parser's verdict */
	CHECK_INT(ask(z, "cluster.local", DNS_T_AXFR, &r), 0);
	CHECK_INT(r.rcode, DNS_RCODE_REFUSED);
	CHECK_INT(r.an, 0);
	/* ANY: everything at the name */
	CHECK_INT(ask(z, "web.default.svc.cluster.local", DNS_T_ANY, &r), 0);
	CHECK_INT(r.an, 3); /* A + two SRV */
	/* a buffer too small for the question */
	len = tq_build(q, 1, "web.default.svc.cluster.local", DNS_T_A, 0);
	CHECK_INT(dns_query_parse(q, len, false, &qq), 0);
	CHECK_INT(dns_zone_answer(z, &qq, out, 20, &olen), -ENOBUFS);
	/* a buffer that holds the question but not the answer: TC */
	CHECK_INT(dns_zone_answer(z, &qq, out, len + 10, &olen), 0);
	CHECK(out[2] & 0x02);
	CHECK(olen <= len + 10);
	dns_zone_free(z);
}

static char *big_headless(int n)
{
	size_t cap = 128 + (size_t)n * 96;
	char *s = malloc(cap);
	size_t l = (size_t)snprintf(s, cap,
				    "{\"metadata\":{\"name\":\"big-1\",\"namespace\":\"load\","
				    "\"labels\":{\"kubernetes.io/service-name\":\"big\"}},\"addressType\":\"IPv4\","
				    "\"ports\":[{\"name\":\"http\",\"port\":80}],\"endpoints\":[");
	for (int i = 0; i < n; i++)
		l += (size_t)snprintf(s + l, cap - l, "%s{\"addresses\":[\"10.9.%d.%d\"],\"conditions\":{\"ready\":true}}",
				      i ? "," : "", i / 250, i % 250 + 1);
	snprintf(s + l, cap - l, "]}");
	return s;
}

static void test_truncation(void)
{
	dns_zone_t *z = dns_zone_new(NULL, 5);
	struct tresp r;
	char *slice = big_headless(200);

	CHECK_INT(apply(z, DNS_KIND_SERVICE,
			"{\"metadata\":{\"name\":\"big\",\"namespace\":\"load\"},\"spec\":{\"clusterIP\":\"None\"}}", false),
		 0);
	CHECK_INT(apply(z, DNS_KIND_ENDPOINTSLICE, slice, false), 0);
	/* plain UDP: 512 octets, TC */
	CHECK_INT(ask_ex(z, "big.load.svc.cluster.local", DNS_T_A, 0, false, &r), 0);
	CHECK(r.tc);
	CHECK(r.an > 0 && r.an < 200);
	/* EDNS 4096 is held to 1232: still TC, more records */
	int an512 = r.an;
	CHECK_INT(ask_ex(z, "big.load.svc.cluster.local", DNS_T_A, 4096, false, &r), 0);
	CHECK(r.tc);
	CHECK(r.an > an512);
	CHECK(r.has_opt);
	/* TCP: everything */
	CHECK_INT(ask_ex(z, "big.load.svc.cluster.local", DNS_T_A, 0, true, &r), 0);
	CHECK(!r.tc);
	CHECK_INT(r.an, 200);
	/* SRV over TCP: 200 records; additional addresses as far as the answer leaves room */
	CHECK_INT(ask_ex(z, "_http._tcp.big.load.svc.cluster.local", DNS_T_SRV, 0, true, &r), 0);
	CHECK_INT(r.an, 200);
	CHECK(tr_has(&r, "AN _http._tcp.big.load.svc.cluster.local. 5 SRV 0 1 80 10-9-0-7.big.load.svc.cluster.local."));
	/* a negative answer never needs TC */
	CHECK_INT(ask_ex(z, "big.load.svc.cluster.local", DNS_T_AAAA, 0, false, &r), 0);
	CHECK(!r.tc);
	CHECK_INT(r.ns, 1);
	free(slice);
	dns_zone_free(z);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* not asserted: the time per parse + answer, printed for the record */
static void test_benchmark(void)
{
	dns_zone_t *z = fixture();
	static const struct {
		const char *name;
		uint16_t qtype;
	} qs[] = {
		{ "web.default.svc.cluster.local", DNS_T_A },
		{ "_pg._tcp.db.prod.svc.cluster.local", DNS_T_SRV },
		{ "nothere.default.svc.cluster.local", DNS_T_A },
		{ "10.0.96.10.in-addr.arpa", DNS_T_PTR },
	};
	/* a zone of some size, so the hash table is not trivially small */
	char buf[512];
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf),
			 "{\"metadata\":{\"name\":\"s%d\",\"namespace\":\"ns%d\"},"
			 "\"spec\":{\"clusterIP\":\"10.%d.%d.%d\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
			 i, i % 50, 100 + i / 65536, (i / 256) % 256, i % 256);
		apply(z, DNS_KIND_SERVICE, buf, false);
	}
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint8_t q[512], out[1232];
		size_t qlen = tq_build(q, 7, qs[k].name, qs[k].qtype, 1232), olen = 0;
		dns_query_t qq;
		const int iters = 200000;
		double t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			dns_query_parse(q, qlen, false, &qq);
			dns_zone_answer(z, &qq, out, sizeof(out), &olen);
		}
		double per = (now_ns() - t0) / iters;
		fprintf(stderr, "  bench: %-40s %-4s parse+answer %6.0f ns (%zu bytes), %zu names in zone\n",
			qs[k].name, qs[k].qtype == DNS_T_SRV ? "SRV" : qs[k].qtype == DNS_T_PTR ? "PTR" : "A", per,
			olen, dns_zone_names(z));
		CHECK(olen > 0);
	}
	dns_zone_free(z);
}

int main(void)
{
	TEST_RUN(test_dns_version);
	TEST_RUN(test_clusterip);
	TEST_RUN(test_srv);
	TEST_RUN(test_headless);
	TEST_RUN(test_rotation);
	TEST_RUN(test_slice_before_service);
	TEST_RUN(test_externalname);
	TEST_RUN(test_pods);
	TEST_RUN(test_nodata_nxdomain);
	TEST_RUN(test_case_echo);
	TEST_RUN(test_updates_and_deletes);
	TEST_RUN(test_zone_and_ttl_config);
	TEST_RUN(test_protocol_edges);
	TEST_RUN(test_truncation);
	TEST_RUN(test_benchmark);
	TEST_DONE();
}
