/* DNS wire format: malformed queries (FORMERR or drop, never a crash), name compression both ways,
 * EDNS0 (size, BADVERS, one OPT only), RFC 8906 s8 response codes, truncation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_wire.h"
#include "harness.h"

#define HDR(qd, an, ns, ar) 0x12, 0x34, 0x01, 0x00, 0, qd, 0, an, 0, ns, 0, ar
#define QNAME_EXAMPLE       7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
#define Q_A_IN              0, 1, 0, 1
#define OPT_RR(size_hi, size_lo, ver) 0, 0, 41, size_hi, size_lo, 0, ver, 0, 0, 0, 0

static size_t qbuild(uint8_t *buf, uint16_t flags, const char *name, uint16_t qtype, int edns)
{
	uint8_t wire[DNS_NAME_MAX];
	int n = dns_name_from_str(name, false, wire);
	size_t len = 0;

	if (n < 0)
		return 0;
	buf[len++] = 0xab;
	buf[len++] = 0xcd;
	buf[len++] = (uint8_t)(flags >> 8);
	buf[len++] = (uint8_t)flags;
	const uint8_t counts[8] = { 0, 1, 0, 0, 0, 0, 0, edns > 0 };
	memcpy(buf + len, counts, 8);
	len += 8;
	memcpy(buf + len, wire, (size_t)n);
	len += (size_t)n;
	buf[len++] = (uint8_t)(qtype >> 8);
	buf[len++] = (uint8_t)qtype;
	buf[len++] = 0;
	buf[len++] = 1;
	if (edns > 0) {
		const uint8_t opt[] = { 0, 0, 41, (uint8_t)(edns >> 8), (uint8_t)edns, 0, 0, 0x80, 0, 0, 0 };
		memcpy(buf + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	return len;
}

struct bad_case {
	const char *what;
	uint8_t pkt[80];
	size_t len;
	int expect; /* DNS_EDROP or an rcode */
};

/* each packet is followed by its length; the lengths count exactly the bytes listed */
static const struct bad_case bad[] = {
	{ "short header", { 0x12, 0x34, 0x01 }, 3, DNS_EDROP },
	{ "empty", { 0 }, 0, DNS_EDROP },
	{ "a response", { 0x12, 0x34, 0x81, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, QNAME_EXAMPLE, Q_A_IN }, 29, DNS_EDROP },
	{ "no question", { HDR(0, 0, 0, 0) }, 12, DNS_RCODE_FORMERR },
	{ "two questions", { HDR(2, 0, 0, 0), QNAME_EXAMPLE, Q_A_IN, QNAME_EXAMPLE, Q_A_IN }, 46, DNS_RCODE_FORMERR },
	{ "qdcount lies", { HDR(1, 0, 0, 0) }, 12, DNS_RCODE_FORMERR },
	{ "qdcount 2 lies", { HDR(2, 0, 0, 0), QNAME_EXAMPLE, Q_A_IN }, 29, DNS_RCODE_FORMERR },
	{ "truncated label", { HDR(1, 0, 0, 0), 7, 'e', 'x', 'a' }, 16, DNS_RCODE_FORMERR },
	{ "no root label", { HDR(1, 0, 0, 0), 3, 'c', 'o', 'm' }, 16, DNS_RCODE_FORMERR },
	{ "truncated qtype", { HDR(1, 0, 0, 0), QNAME_EXAMPLE, 0, 1, 0 }, 28, DNS_RCODE_FORMERR },
	{ "label type 0x40", { HDR(1, 0, 0, 0), 0x40, 'a', 0, Q_A_IN }, 19, DNS_RCODE_FORMERR },
	{ "label type 0x80", { HDR(1, 0, 0, 0), 0x80, 'a', 0, Q_A_IN }, 19, DNS_RCODE_FORMERR },
	{ "self pointer", { HDR(1, 0, 0, 0), 0xc0, 12, Q_A_IN }, 18, DNS_RCODE_FORMERR },
	{ "forward pointer", { HDR(1, 0, 0, 0), 0xc0, 14, 1, 'a', 0, Q_A_IN }, 21, DNS_RCODE_FORMERR },
	{ "pointer into header", { HDR(1, 0, 0, 0), 0xc0, 2, Q_A_IN }, 18, DNS_RCODE_FORMERR },
	{ "pointer past end", { HDR(1, 0, 0, 0), 0xc0, 0xff, Q_A_IN }, 18, DNS_RCODE_FORMERR },
	{ "half a pointer", { HDR(1, 0, 0, 0), 1, 'a', 0xc0 }, 15, DNS_RCODE_FORMERR },
	/* answer owner: "b" then a pointer back to itself via the question: loop b -> a -> b */
	{ "pointer loop", { HDR(1, 1, 0, 0), 1, 'a', 0xc0, 29, Q_A_IN, 1, 'b', 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 },
	  39, DNS_RCODE_FORMERR },
	{ "ancount lies", { HDR(1, 1, 0, 0), QNAME_EXAMPLE, Q_A_IN }, 29, DNS_RCODE_FORMERR },
	{ "nscount lies", { HDR(1, 0, 3, 0), QNAME_EXAMPLE, Q_A_IN }, 29, DNS_RCODE_FORMERR },
	{ "arcount lies", { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN }, 29, DNS_RCODE_FORMERR },
	{ "rdlength past end", { HDR(1, 1, 0, 0), QNAME_EXAMPLE, Q_A_IN, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1, 2 },
	  43, DNS_RCODE_FORMERR },
	{ "trailing garbage", { HDR(1, 0, 0, 0), QNAME_EXAMPLE, Q_A_IN, 0xde, 0xad }, 31, DNS_RCODE_FORMERR },
	{ "two OPT", { HDR(1, 0, 0, 2), QNAME_EXAMPLE, Q_A_IN, OPT_RR(4, 0, 0), OPT_RR(4, 0, 0) }, 51, DNS_RCODE_FORMERR },
	{ "OPT in answer", { HDR(1, 1, 0, 0), QNAME_EXAMPLE, Q_A_IN, OPT_RR(4, 0, 0) }, 40, DNS_RCODE_FORMERR },
	{ "OPT not at root", { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN, 0xc0, 12, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0 }, 41,
	  DNS_RCODE_FORMERR },
	{ "OPT option overruns", { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 8 },
	  44, DNS_RCODE_FORMERR },
	{ "OPT rdata past end", { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 20, 0, 10 }, 42,
	  DNS_RCODE_FORMERR },
	{ "qtype OPT", { HDR(1, 0, 0, 0), QNAME_EXAMPLE, 0, 41, 0, 1 }, 29, DNS_RCODE_FORMERR },
	{ "opcode STATUS", { 0x12, 0x34, 0x10, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, QNAME_EXAMPLE, Q_A_IN }, 29, DNS_RCODE_NOTIMP },
	{ "opcode UPDATE", { 0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, QNAME_EXAMPLE, Q_A_IN }, 29, DNS_RCODE_NOTIMP },
	{ "opcode 15, garbage", { 0x12, 0x34, 0x78, 0x00, 0, 9, 0, 0, 0, 0, 0, 0, 0xff }, 13, DNS_RCODE_NOTIMP },
	{ "AXFR", { HDR(1, 0, 0, 0), QNAME_EXAMPLE, 0, 252, 0, 1 }, 29, DNS_RCODE_REFUSED },
	{ "IXFR", { HDR(1, 0, 0, 0), QNAME_EXAMPLE, 0, 251, 0, 1 }, 29, DNS_RCODE_REFUSED },
	{ "EDNS version 1", { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN, OPT_RR(4, 0, 1) }, 40, DNS_RCODE_BADVERS },
};

static void test_malformed_corpus(void)
{
	uint8_t out[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dns_query_t q;
		size_t olen = 0;
		memset(&q, 0x5a, sizeof(q));
		int r = dns_query_parse(bad[i].pkt, bad[i].len, false, &q);
		int got = r < 0 ? r : q.rcode;
		if (got != bad[i].expect)
			fprintf(stderr, "  case \"%s\": got %d, expected %d\n", bad[i].what, got, bad[i].expect);
		CHECK_INT(got, bad[i].expect);
		if (r < 0)
			continue;
		/* the error reply: same id, QR, the rcode, never more than the parsed question */
		CHECK_INT(dns_reply_error(&q, -1, out, sizeof(out), &olen), 0);
		CHECK(olen >= DNS_HDR_LEN);
		CHECK_INT(out[0], bad[i].pkt[0]);
		CHECK_INT(out[1], bad[i].pkt[1]);
		CHECK(out[2] & 0x80);
		CHECK_INT(out[3] & 0xf, bad[i].expect & 0xf);
		CHECK_INT(out[7] + out[9], 0); /* no answer, no authority */
		if (!q.has_q)
			CHECK_INT(out[5], 0);
		/* the reply itself parses as a well-formed message (as a query it'd be dropped: QR) */
		dns_query_t q2;
		CHECK_INT(dns_query_parse(out, olen, false, &q2), DNS_EDROP);
	}
}

static void test_formerr_reply_shape(void)
{
	/* qdcount 0: FORMERR, no question; the id and opcode are echoed */
	const uint8_t pkt[] = { HDR(0, 0, 0, 0) };
	uint8_t out[64];
	size_t olen;
	dns_query_t q;

	CHECK_INT(dns_query_parse(pkt, sizeof(pkt), false, &q), 0);
	CHECK_INT(q.rcode, DNS_RCODE_FORMERR);
	CHECK_INT(dns_reply_error(&q, -1, out, sizeof(out), &olen), 0);
	CHECK_INT(olen, 12);
	const uint8_t want[] = { 0x12, 0x34, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 };
	CHECK(memcmp(out, want, 12) == 0);
	/* too small a buffer is an error, not an overrun */
	CHECK_INT(dns_reply_error(&q, -1, out, 11, &olen), -ENOBUFS);
}

static void test_names_limits(void)
{
	uint8_t pkt[600], name[DNS_NAME_MAX];
	char s[400];
	dns_query_t q;

	/* label of 63 is fine, 64 is not (it reads as the reserved 0x40 type) */
	memset(s, 'a', 63);
	s[63] = '\0';
	size_t len = qbuild(pkt, 0x0100, s, DNS_T_A, 0);
	CHECK(len > 0);
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK_INT(q.rcode, 0);
	CHECK_INT(q.qname_len, 65);
	memset(s, 'a', 64);
	s[64] = '\0';
	CHECK_INT(dns_name_from_str(s, true, name), -EINVAL);

	/* 255 octets is the longest name: 3 x (1+63) + (1+61) + root = 255 */
	char a63[64];
	memcpy(a63, s, 63);
	a63[63] = '\0';
	snprintf(s, sizeof(s), "%s.%s.%s.%.61s", a63, a63, a63, a63);
	CHECK_INT(dns_name_from_str(s, true, name), 255);
	len = qbuild(pkt, 0x0100, s, DNS_T_A, 0);
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK_INT(q.rcode, 0);
	CHECK_INT(q.qname_len, 255);
	/* one more octet: 256 */
	pkt[12 + 192] = 62;
	memmove(pkt + 12 + 193 + 62, pkt + 12 + 193 + 61, len - (12 + 193 + 61));
	pkt[12 + 193 + 61] = 'a';
	len++;
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK_INT(q.rcode, DNS_RCODE_FORMERR);
	CHECK(!q.has_q);

	/* a name built of pointers that each add a label, over 255 in total, is refused too */
	uint8_t p2[600] = { HDR(1, 0, 0, 0) };
	size_t n = 12;
	/* labels at 12: "\x3f" + 63 x 'a' + root is 65 octets; then chains "\x3f..." + ptr back */
	p2[n++] = 63;
	memset(p2 + n, 'a', 63);
	n += 63;
	p2[n++] = 0;
	size_t prev = 12;
	for (int i = 0; i < 4; i++) {
		size_t at = n;
		p2[n++] = 63;
		memset(p2 + n, 'b', 63);
		n += 63;
		p2[n++] = (uint8_t)(0xc0 | prev >> 8);
		p2[n++] = (uint8_t)prev;
		prev = at;
	}
	dns_rd_t r;
	dns_rd_init(&r, p2, n);
	r.pos = prev;
	CHECK_INT(dns_rd_name(&r, name), 0);
	CHECK(r.err != 0);
	/* three hops is 4 x 64 + 1 = 257 too; two hops (193 + 1 + 1... ) fit */
	dns_rd_init(&r, p2, n);
	r.pos = 12 + 65 + 66; /* second chained name: b63, b63 -> a63, root = 64*3+1 = 193 */
	CHECK_INT(dns_rd_name(&r, name), 193);
	CHECK_INT(r.err, 0);
	CHECK_INT(r.pos, 12 + 65 + 66 + 66);
}

static void test_decompression(void)
{
	/* a response with www.example.com at 12, then mail + ptr(example.com), then a pointer to the
	 * pointer-bearing name (a chain of two backward hops) */
	const uint8_t msg[] = { 0, 0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0,
				3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, /* 12..28 */
				4, 'm', 'a', 'i', 'l', 0xc0, 16,                                      /* 29..35 */
				2, 'm', 'x', 0xc0, 29 };                                              /* 36..40 */
	uint8_t name[DNS_NAME_MAX];
	char s[300];
	dns_rd_t r;

	dns_rd_init(&r, msg, sizeof(msg));
	r.pos = 29;
	CHECK_INT(dns_rd_name(&r, name), 18);
	CHECK_INT(r.pos, 36);
	dns_name_to_str(name, s, sizeof(s));
	CHECK_STR(s, "mail.example.com.");
	CHECK_INT(dns_rd_name(&r, name), 21);
	CHECK_INT(r.pos, sizeof(msg));
	dns_name_to_str(name, s, sizeof(s));
	CHECK_STR(s, "mx.mail.example.com.");
	/* a sticky error: after it every read is 0 */
	CHECK_INT(dns_rd_u16(&r), 0);
	CHECK(r.err != 0);
	CHECK_INT(dns_rd_u8(&r), 0);
	CHECK_INT(dns_rd_name(&r, name), 0);
}

static void test_compression_encoding(void)
{
	uint8_t q[512], out[512], name[DNS_NAME_MAX];
	dns_query_t qq;
	dns_wr_t w;
	size_t len = qbuild(q, 0x0100, "Foo.Example.COM", DNS_T_CNAME, 0);

	CHECK_INT(dns_query_parse(q, len, false, &qq), 0);
	CHECK_INT(qq.rcode, 0);
	dns_wr_init(&w, out, sizeof(out));
	dns_wr_header(&w, &qq, DNS_F_AA, 0);
	dns_wr_question(&w, &qq);
	CHECK_INT(w.len, 12 + 17 + 4);
	/* owner equal to the question (other case): one pointer to offset 12 */
	dns_name_from_str("foo.example.com", true, name);
	dns_wr_mark_t m = dns_wr_rr_begin(&w, name, DNS_T_CNAME, 5);
	CHECK_INT(w.len, 33 + 2 + 10);
	CHECK_INT(w.buf[33], 0xc0);
	CHECK_INT(w.buf[34], 12);
	/* target shares example.com: "bar" + pointer to offset 16 */
	dns_name_from_str("bar.example.com", true, name);
	dns_wr_name(&w, name, true);
	CHECK_INT(dns_wr_rr_end(&w, m, DNS_SEC_AN), 0);
	CHECK_INT(w.buf[43], 0);
	CHECK_INT(w.buf[44], 6); /* rdlength: 1+3 + 2 */
	CHECK_INT(w.buf[45], 3);
	CHECK_INT(w.buf[49], 0xc0);
	CHECK_INT(w.buf[50], 16);
	/* SRV targets are never compressed (RFC 2782) */
	size_t before = w.len;
	dns_wr_name(&w, name, false);
	CHECK_INT(w.len - before, 17);
	/* names share nothing: written in full; a later name compresses against it */
	dns_name_from_str("k8s.io", true, name);
	before = w.len;
	dns_wr_name(&w, name, true);
	CHECK_INT(w.len - before, 8);
	dns_name_from_str("www.K8S.IO", true, name);
	before = w.len;
	dns_wr_name(&w, name, true);
	CHECK_INT(w.len - before, 6);
	/* the root is never a pointer */
	before = w.len;
	dns_wr_name(&w, (const uint8_t *)"", true);
	CHECK_INT(w.len - before, 1);
	len = dns_wr_finish(&w);
	CHECK_INT(out[7], 1);

	/* and it decodes back, the answer owner in the question's case */
	dns_rd_t r;
	char s[300];
	dns_rd_init(&r, out, len);
	r.pos = 33;
	dns_rd_name(&r, name);
	dns_name_to_str(name, s, sizeof(s));
	CHECK_STR(s, "Foo.Example.COM.");
	r.pos = 45;
	dns_rd_name(&r, name);
	dns_name_to_str(name, s, sizeof(s));
	CHECK_STR(s, "bar.Example.COM.");
}

static void test_edns(void)
{
	uint8_t pkt[512], out[512];
	dns_query_t q;
	size_t len, olen;

	/* no EDNS: 512; small sizes are raised to 512; large ones capped at ours; TCP: 65535 */
	len = qbuild(pkt, 0x0100, "a.example", DNS_T_A, 0);
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK(!q.edns);
	CHECK_INT(dns_reply_limit(&q, 65535), 512);
	len = qbuild(pkt, 0x0100, "a.example", DNS_T_A, 100);
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK(q.edns);
	CHECK(q.edns_do);
	CHECK_INT(q.udp_size, 512);
	CHECK_INT(dns_reply_limit(&q, 65535), 512);
	len = qbuild(pkt, 0x0100, "a.example", DNS_T_A, 4096);
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK_INT(q.udp_size, 4096);
	CHECK_INT(dns_reply_limit(&q, 65535), DNS_UDP_MAX);
	CHECK_INT(dns_reply_limit(&q, 700), 700);
	CHECK_INT(dns_query_parse(pkt, len, true, &q), 0);
	CHECK_INT(dns_reply_limit(&q, 65535), 65535);

	/* options are walked: a cookie option that tiles the rdata is fine */
	const uint8_t ck[] = { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 12,
			       0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	CHECK_INT(dns_query_parse(ck, sizeof(ck), false, &q), 0);
	CHECK_INT(q.rcode, 0);
	CHECK(q.edns);

	/* BADVERS: rcode low bits 0, OPT with extended rcode 1 and version 0 */
	const uint8_t v1[] = { HDR(1, 0, 0, 1), QNAME_EXAMPLE, Q_A_IN, OPT_RR(4, 0, 1) };
	CHECK_INT(dns_query_parse(v1, sizeof(v1), false, &q), 0);
	CHECK_INT(q.rcode, DNS_RCODE_BADVERS);
	CHECK_INT(dns_reply_error(&q, -1, out, sizeof(out), &olen), 0);
	CHECK_INT(out[3] & 0xf, 0);
	CHECK_INT(out[5], 1);  /* question echoed */
	CHECK_INT(out[11], 1); /* one additional: the OPT */
	CHECK_INT(olen, 29 + 11);
	CHECK_INT(out[29 + 1], 0);
	CHECK_INT(out[29 + 2], 41);
	CHECK_INT(out[29 + 5], 1); /* extended rcode 1 -> 16 = BADVERS */
	CHECK_INT(out[29 + 6], 0); /* version 0 */
	CHECK_INT((out[29 + 3] << 8) | out[29 + 4], DNS_UDP_MAX);

	/* FORMERR for a second OPT carries no OPT (we cannot know which one to believe) */
	const uint8_t two[] = { HDR(1, 0, 0, 2), QNAME_EXAMPLE, Q_A_IN, OPT_RR(4, 0, 0), OPT_RR(4, 0, 0) };
	CHECK_INT(dns_query_parse(two, sizeof(two), false, &q), 0);
	CHECK_INT(q.rcode, DNS_RCODE_FORMERR);
	CHECK(!q.edns);
	CHECK_INT(dns_reply_error(&q, -1, out, sizeof(out), &olen), 0);
	CHECK_INT(out[11], 0);

	/* NOTIMP with EDNS keeps the OPT (RFC 8906 s8) */
	len = qbuild(pkt, 0x2100, "a.example", DNS_T_A, 1232); /* opcode 4 NOTIFY */
	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	CHECK_INT(q.rcode, DNS_RCODE_NOTIMP);
	CHECK_INT(dns_reply_error(&q, -1, out, sizeof(out), &olen), 0);
	CHECK_INT(out[2] & 0x78, 0x20); /* opcode echoed */
	CHECK_INT(out[3] & 0xf, DNS_RCODE_NOTIMP);
	CHECK_INT(out[11], 1);
}

static void test_truncation(void)
{
	uint8_t pkt[512], out[512], name[DNS_NAME_MAX];
	dns_query_t q;
	dns_wr_t w;
	size_t len = qbuild(pkt, 0x0100, "a.example", DNS_T_A, 0);
	int added = 0;

	CHECK_INT(dns_query_parse(pkt, len, false, &q), 0);
	dns_wr_init(&w, out, dns_reply_limit(&q, sizeof(out)));
	dns_wr_header(&w, &q, DNS_F_AA, 0);
	dns_wr_question(&w, &q);
	dns_name_from_str("a.example", true, name);
	for (int i = 0; i < 100; i++) {
		dns_wr_mark_t m = dns_wr_rr_begin(&w, name, DNS_T_A, 5);
		dns_wr_u32(&w, 0x0a000000u + (uint32_t)i);
		if (dns_wr_rr_end(&w, m, DNS_SEC_AN) < 0) {
			w.tc = true;
			break;
		}
		added++;
	}
	size_t olen = dns_wr_finish(&w);
	/* 12 + 15 question, 16 per compressed A record: (512 - 27) / 16 = 30 */
	CHECK_INT(added, 30);
	CHECK(olen <= 512);
	CHECK_INT(olen, 27 + 30 * 16);
	CHECK(out[2] & 0x02);
	CHECK_INT(out[7], 30);

	/* reserve keeps room for an OPT written last */
	dns_wr_init(&w, out, 40);
	w.reserve = 11;
	dns_wr_header(&w, &q, 0, 0);
	dns_wr_question(&w, &q);
	dns_wr_mark_t m = dns_wr_rr_begin(&w, name, DNS_T_A, 5);
	dns_wr_u32(&w, 1);
	CHECK_INT(dns_wr_rr_end(&w, m, DNS_SEC_AN), -ENOSPC);
	CHECK_INT(w.len, 27);
	CHECK_INT(dns_wr_opt(&w, 1232, 0, false), 0);
	CHECK_INT(w.len, 38);
}

static void test_name_strings(void)
{
	uint8_t name[DNS_NAME_MAX];
	char s[300];

	CHECK_INT(dns_name_from_str(".", true, name), 1);
	CHECK_INT(dns_name_from_str("", true, name), 1);
	CHECK_INT(dns_name_from_str("a..b", true, name), -EINVAL);
	CHECK_INT(dns_name_from_str(".a", true, name), -EINVAL);
	CHECK_INT(dns_name_from_str("A.b.", true, name), 5);
	CHECK_STR((dns_name_to_str(name, s, sizeof(s)), s), "a.b.");
	CHECK_INT(dns_name_from_str("A.b", false, name), 5);
	CHECK(dns_name_eq(name, (const uint8_t *)"\1a\1B"));
	CHECK(!dns_name_eq(name, (const uint8_t *)"\1a\1c"));
	const uint8_t odd[] = { 3, 'a', '.', 0x01, 0 };
	dns_name_to_str(odd, s, sizeof(s));
	CHECK_STR(s, "a\\046\\001.");
}

int main(void)
{
	TEST_RUN(test_malformed_corpus);
	TEST_RUN(test_formerr_reply_shape);
	TEST_RUN(test_names_limits);
	TEST_RUN(test_decompression);
	TEST_RUN(test_compression_encoding);
	TEST_RUN(test_edns);
	TEST_RUN(test_truncation);
	TEST_RUN(test_name_strings);
	TEST_DONE();
}
