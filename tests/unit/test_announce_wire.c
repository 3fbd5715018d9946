/* Unit tests of the ARP and NDP packet parsers and writers (agent/arp.c, agent/ndp.c). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "agent/arp.h"
#include "agent/ndp.h"
#include "harness.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a }, MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t IP_VIP[4] = { 198, 51, 100, 1 }, IP_CLI[4] = { 192, 0, 2, 100 };

static void test_arp_roundtrip(void)
{
	arp_pkt_t p = { 0 }, q;
	uint8_t buf[64];

	p.op = ARP_OP_REQUEST;
	memcpy(p.sha, MAC_B, 6);
	memcpy(p.spa, IP_CLI, 4);
	memcpy(p.tpa, IP_VIP, 4);
	CHECK_INT(arp_build(buf, sizeof(buf), &p), ARP_PKT_LEN);
	CHECK(memcmp(buf, "\x00\x01\x08\x00\x06\x04\x00\x01", 8) == 0);
	memset(&q, 0x55, sizeof(q));
	CHECK_INT(arp_parse(buf, ARP_PKT_LEN, &q), 0);
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	CHECK_INT(arp_parse(buf, 46, &q), 0); /* Ethernet padding is fine */
	CHECK_INT(arp_build(buf, ARP_PKT_LEN - 1, &p), -ENOBUFS);
}

static void test_arp_reject(void)
{
	uint8_t buf[ARP_PKT_LEN];
	arp_pkt_t p = { .op = ARP_OP_REQUEST }, q, keep;

	arp_build(buf, sizeof(buf), &p);
	memset(&keep, 0x77, sizeof(keep));
	q = keep;
	CHECK_INT(arp_parse(buf, ARP_PKT_LEN - 1, &q), -EBADMSG);
	CHECK_INT(arp_parse(buf, 0, &q), -EBADMSG);
	CHECK_INT(arp_parse(NULL, 28, &q), -EBADMSG);
	buf[1] = 6; /* IEEE 802 hardware type */
	CHECK_INT(arp_parse(buf, ARP_PKT_LEN, &q), -EPROTONOSUPPORT);
	buf[1] = 1;
	buf[5] = 16; /* protocol length */
	CHECK_INT(arp_parse(buf, ARP_PKT_LEN, &q), -EPROTONOSUPPORT);
	buf[5] = 4;
	buf[7] = 3; /* RARP request */
	CHECK_INT(arp_parse(buf, ARP_PKT_LEN, &q), -EPROTONOSUPPORT);
	CHECK(memcmp(&q, &keep, sizeof(q)) == 0); /* untouched on failure */
}

static void test_arp_answer(void)
{
	arp_pkt_t req = { .op = ARP_OP_REQUEST }, rep;
	static const uint8_t other[4] = { 198, 51, 100, 2 };

	memcpy(req.sha, MAC_B, 6);
	memcpy(req.spa, IP_CLI, 4);
	memcpy(req.tpa, IP_VIP, 4);
	CHECK(arp_answer(&req, IP_VIP, MAC_A, &rep));
	CHECK_INT(rep.op, ARP_OP_REPLY);
	CHECK(memcmp(rep.sha, MAC_A, 6) == 0 && memcmp(rep.spa, IP_VIP, 4) == 0);
	CHECK(memcmp(rep.tha, MAC_B, 6) == 0 && memcmp(rep.tpa, IP_CLI, 4) == 0);
	CHECK(!arp_answer(&req, other, MAC_A, &rep));
	req.op = ARP_OP_REPLY;
	CHECK(!arp_answer(&req, IP_VIP, MAC_A, &rep));
	/* another host's announcement of the address is not a question */
	req.op = ARP_OP_REQUEST;
	memcpy(req.spa, IP_VIP, 4);
	CHECK(!arp_answer(&req, IP_VIP, MAC_A, &rep));
}

static void test_arp_gratuitous(void)
{
	arp_pkt_t g, q;
	uint8_t buf[ARP_PKT_LEN];
	static const uint8_t zero[6] = { 0 };

	arp_gratuitous(IP_VIP, MAC_A, &g);
	arp_build(buf, sizeof(buf), &g);
	CHECK_INT(arp_parse(buf, sizeof(buf), &q), 0);
	CHECK_INT(q.op, ARP_OP_REQUEST);
	CHECK(memcmp(q.spa, IP_VIP, 4) == 0 && memcmp(q.tpa, IP_VIP, 4) == 0);
	CHECK(memcmp(q.sha, MAC_A, 6) == 0 && memcmp(q.tha, zero, 6) == 0);
}

static void test_ndp_ns(void)
{
	/* a solicitation for 2001:db8::1 with a source link-layer address option */
	uint8_t m[32] = { 135, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
			  1, 1, 0x02, 0, 0, 0, 0, 0x0b };
	ndp_ns_t ns, keep;

	CHECK_INT(ndp_ns_parse(m, sizeof(m), 255, &ns), 0);
	CHECK(ns.target[0] == 0x20 && ns.target[15] == 1);
	CHECK(ns.has_sll && memcmp(ns.sll, MAC_B, 6) == 0);
	CHECK_INT(ndp_ns_parse(m, 24, 255, &ns), 0); /* no options */
	CHECK(!ns.has_sll);
	memset(&keep, 0x33, sizeof(keep));
	ns = keep;
	CHECK_INT(ndp_ns_parse(m, sizeof(m), 64, &ns), -EBADMSG); /* crossed a router */
	CHECK_INT(ndp_ns_parse(m, 23, 255, &ns), -EBADMSG);
	CHECK_INT(ndp_ns_parse(m, 25, 255, &ns), -EBADMSG);        /* a truncated option */
	m[25] = 0;
	CHECK_INT(ndp_ns_parse(m, sizeof(m), 255, &ns), -EBADMSG); /* zero-length option (s7.1.1) */
	m[25] = 2;
	CHECK_INT(ndp_ns_parse(m, sizeof(m), 255, &ns), -EBADMSG); /* beyond the message */
	m[25] = 1;
	m[1] = 1;
	CHECK_INT(ndp_ns_parse(m, sizeof(m), 255, &ns), -EBADMSG); /* code */
	m[1] = 0;
	m[0] = 136;
	CHECK_INT(ndp_ns_parse(m, sizeof(m), 255, &ns), -EBADMSG); /* an advertisement */
	m[0] = 135;
	m[8] = 0xff;
	CHECK_INT(ndp_ns_parse(m, sizeof(m), 255, &ns), -EBADMSG); /* multicast target */
	CHECK(memcmp(&ns, &keep, sizeof(ns)) == 0);
}

static void test_ndp_na(void)
{
	static const uint8_t t[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t buf[40];

	CHECK_INT(ndp_na_build(buf, sizeof(buf), t, MAC_A, NDP_NA_SOLICITED | NDP_NA_OVERRIDE), NDP_NA_LEN);
	CHECK_INT(buf[0], 136);
	CHECK_INT(buf[1], 0);
	CHECK_INT(buf[4], 0x60);
	CHECK(memcmp(buf + 8, t, 16) == 0);
	CHECK_INT(buf[24], 2); /* target link-layer address */
	CHECK_INT(buf[25], 1);
	CHECK(memcmp(buf + 26, MAC_A, 6) == 0);
	CHECK_INT(ndp_na_build(buf, NDP_NA_LEN - 1, t, MAC_A, 0), -ENOBUFS);
}

static void test_ndp_solicited(void)
{
	static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [13] = 0xab, 0xcd, 0xef };
	static const uint8_t want[16] = { 0xff, 0x02, [11] = 1, 0xff, 0xab, 0xcd, 0xef };
	uint8_t g[16];

	ndp_solicited_node(a, g);
	CHECK(memcmp(g, want, 16) == 0);
}

int main(void)
{
	TEST_RUN(test_arp_roundtrip);
	TEST_RUN(test_arp_reject);
	TEST_RUN(test_arp_answer);
	TEST_RUN(test_arp_gratuitous);
	TEST_RUN(test_ndp_ns);
	TEST_RUN(test_ndp_na);
	TEST_RUN(test_ndp_solicited);
	TEST_DONE();
}
