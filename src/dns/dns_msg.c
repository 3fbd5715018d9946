/* Upstream replies for the forwarder: check, store, replay. See dns_msg.h. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dns/dns_msg.h"

#define OPT_LEN 11

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t name_len(const uint8_t *n)
{
	size_t i = 0;

	while (n[i])
		i += (size_t)n[i] + 1;
	return i + 1;
}

int dns_msg_check(const uint8_t *msg, size_t len, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		  dns_msg_info_t *ret)
{
	uint8_t name[DNS_NAME_MAX];
	dns_rd_t r;
	dns_msg_info_t info = { 0 };
	uint32_t min_an = UINT32_MAX, neg = 0;
	uint16_t flags, cnt[3];
	bool cut = false;

	dns_rd_init(&r, msg, len);
	info.id = dns_rd_u16(&r);
	flags = dns_rd_u16(&r);
	if (dns_rd_u16(&r) != 1)
		return -EBADMSG;
	for (int i = 0; i < 3; i++)
		cnt[i] = dns_rd_u16(&r);
	if (r.err || !(flags & DNS_F_QR) || DNS_OPCODE(flags) != 0)
		return -EBADMSG;
	if (!dns_rd_name(&r, name) || !dns_name_eq(name, qname) || dns_rd_u16(&r) != qtype ||
	    dns_rd_u16(&r) != qclass || r.err)
		return -EBADMSG;
	info.rcode = flags & 0xf;
	info.tc = flags & DNS_F_TC;
	info.ancount = cnt[0];
	info.len = len;
	for (int sec = 0; sec < 3; sec++)
		for (uint16_t i = 0; i < cnt[sec]; i++) {
			size_t start = r.pos;
			dns_rd_name(&r, name);
			uint16_t type = dns_rd_u16(&r);
			dns_rd_u16(&r);
			uint32_t ttl = dns_rd_u32(&r);
			uint16_t rdlen = dns_rd_u16(&r);
			size_t rdstart = r.pos;
			dns_rd_skip(&r, rdlen);
			if (r.err)
				return -EBADMSG;
			if (ttl > 0x7fffffffu) /* RFC 2181 s8: a TTL with the top bit set means zero */
				ttl = 0;
			if (type == DNS_T_OPT) {
				if (sec != 2)
					return -EBADMSG;
				if (!cut) {
					cut = true;
					info.len = start;
					/* go on walking to validate the rest; it is dropped */
				}
				continue;
			}
			if (cut)
				continue;
			if (sec == 0 && ttl < min_an)
				min_an = ttl;
			if (sec == 1 && type == DNS_T_SOA && cnt[0] == 0) {
				/* SOA MINIMUM is the last 4 octets of its RDATA */
				if (rdlen < 22)
					return -EBADMSG;
				uint32_t min = (uint32_t)msg[rdstart + rdlen - 4] << 24 | (uint32_t)msg[rdstart + rdlen - 3] << 16 |
					       (uint32_t)msg[rdstart + rdlen - 2] << 8 | msg[rdstart + rdlen - 1];
				neg = ttl < min ? ttl : min;
			}
		}
	if (r.pos != len)
		return -EBADMSG;
	if (info.rcode == DNS_RCODE_NOERROR && cnt[0] > 0)
		info.ttl = min_an == UINT32_MAX ? 0 : min_an;
	else if (info.rcode == DNS_RCODE_NXDOMAIN || (info.rcode == DNS_RCODE_NOERROR && cnt[0] == 0))
		info.ttl = neg; /* without an SOA a negative answer is not cached (RFC 2308 s5) */
	if (info.tc)
		info.ttl = 0;
	*ret = info;
	return 0;
}

bool dns_sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

int dns_msg_match(const uint8_t *msg, size_t len, const struct sockaddr_storage *from,
		  const struct sockaddr_storage *up, uint16_t id, const uint8_t *qname, uint16_t qtype,
		  uint16_t qclass, dns_msg_info_t *ret)
{
	if (len < DNS_HDR_LEN || get16(msg) != id || (from && !dns_sockaddr_equal(from, up)))
		return -ESRCH;
	return dns_msg_check(msg, len, qname, qtype, qclass, ret);
}

size_t dns_msg_strip(uint8_t *msg, const dns_msg_info_t *info)
{
	dns_rd_t r;
	uint8_t name[DNS_NAME_MAX];
	uint16_t ar = 0, cnt[3] = { get16(msg + 6), get16(msg + 8), get16(msg + 10) };

	/* count the additional records that lie before the cut */
	dns_rd_init(&r, msg, info->len);
	dns_rd_skip(&r, DNS_HDR_LEN);
	dns_rd_name(&r, name);
	dns_rd_skip(&r, 4);
	for (uint32_t i = 0; i < (uint32_t)cnt[0] + cnt[1] + cnt[2] && r.pos < info->len && !r.err; i++) {
		dns_rd_name(&r, name);
		dns_rd_skip(&r, 8);
		dns_rd_skip(&r, dns_rd_u16(&r));
		if (!r.err && i >= (uint32_t)cnt[0] + cnt[1])
			ar++;
	}
	put16(msg + 10, ar);
	return info->len;
}

int dns_msg_reply(const dns_query_t *q, const uint8_t *stored, size_t len, uint32_t age, uint8_t *out, size_t cap,
		  size_t *ret_len)
{
	size_t limit = dns_reply_limit(q, cap), need = len + (q->edns ? OPT_LEN : 0), qend;
	uint8_t name[DNS_NAME_MAX];
	dns_rd_t r;
	uint16_t n;

	if (len < DNS_HDR_LEN || (size_t)q->qname_len + 4 + DNS_HDR_LEN > len)
		return -EBADMSG;
	qend = DNS_HDR_LEN + q->qname_len + 4;
	if (need > limit) {
		/* does not fit: the question alone with TC=1, the client retries over TCP */
		if (qend + (q->edns ? OPT_LEN : 0) > limit)
			return -ENOBUFS;
		memcpy(out, stored, qend);
		len = qend;
		out[2] |= DNS_F_TC >> 8;
		put16(out + 6, 0);
		put16(out + 8, 0);
		put16(out + 10, 0);
	} else {
		memcpy(out, stored, len);
	}
	put16(out, q->id);
	out[2] = (uint8_t)((out[2] & ~(DNS_F_RD >> 8)) | ((q->flags & DNS_F_RD) >> 8));
	out[3] |= DNS_F_RA;
	memcpy(out + DNS_HDR_LEN, q->qname, q->qname_len); /* same name, the client's case */
	if (age) {
		n = (uint16_t)(get16(out + 6) + get16(out + 8) + get16(out + 10));
		dns_rd_init(&r, out, len);
		r.pos = qend;
		for (uint16_t i = 0; i < n; i++) {
			dns_rd_name(&r, name);
			dns_rd_skip(&r, 4);
			if (r.err)
				return -EBADMSG;
			size_t at = r.pos;
			uint32_t ttl = dns_rd_u32(&r);
			dns_rd_skip(&r, dns_rd_u16(&r));
			if (r.err)
				return -EBADMSG;
			ttl = ttl > age ? ttl - age : 0;
			out[at] = (uint8_t)(ttl >> 24);
			out[at + 1] = (uint8_t)(ttl >> 16);
			out[at + 2] = (uint8_t)(ttl >> 8);
			out[at + 3] = (uint8_t)ttl;
		}
	}
	if (q->edns) {
		uint8_t *o = out + len;
		o[0] = 0;
		put16(o + 1, DNS_T_OPT);
		put16(o + 3, DNS_UDP_MAX);
		o[5] = 0; /* extended rcode bits: upstream's own OPT is not relayed */
		o[6] = 0;
		put16(o + 7, q->edns_do ? 0x8000 : 0);
		put16(o + 9, 0);
		len += OPT_LEN;
		put16(out + 10, (uint16_t)(get16(out + 10) + 1));
	}
	*ret_len = len;
	return 0;
}

int dns_msg_append_answers(dns_wr_t *w, const uint8_t *msg, size_t len)
{
	uint8_t owner[DNS_NAME_MAX], target[DNS_NAME_MAX];
	dns_rd_t r;
	uint16_t an;
	int added = 0;

	dns_rd_init(&r, msg, len);
	dns_rd_skip(&r, 6);
	an = dns_rd_u16(&r);
	dns_rd_skip(&r, 4);
	dns_rd_name(&r, owner);
	dns_rd_skip(&r, 4);
	for (uint16_t i = 0; i < an; i++) {
		dns_rd_name(&r, owner);
		uint16_t type = dns_rd_u16(&r), cls = dns_rd_u16(&r);
		uint32_t ttl = dns_rd_u32(&r);
		uint16_t rdlen = dns_rd_u16(&r);
		size_t rdend = r.pos + rdlen;
		if (r.err || rdend > len)
			return -EBADMSG;
		if (cls != DNS_C_IN || (type != DNS_T_A && type != DNS_T_AAAA && type != DNS_T_CNAME) ||
		    (type == DNS_T_A && rdlen != 4) || (type == DNS_T_AAAA && rdlen != 16)) {
			r.pos = rdend;
			continue;
		}
		dns_wr_mark_t m = dns_wr_rr_begin(w, owner, type, ttl);
		if (type == DNS_T_CNAME) {
			if (!dns_rd_name(&r, target) || r.pos != rdend)
				return -EBADMSG;
			dns_wr_name(w, target, true);
		} else {
			dns_wr_bytes(w, msg + r.pos, rdlen);
			r.pos = rdend;
		}
		if (dns_wr_rr_end(w, m, DNS_SEC_AN) < 0)
			break;
		added++;
	}
	return added;
}

size_t dns_msg_query(uint8_t *out, uint16_t id, const uint8_t *name, uint16_t qtype, uint16_t qclass, bool do_bit)
{
	size_t n = name_len(name), at;

	put16(out, id);
	put16(out + 2, DNS_F_RD);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 1);
	memcpy(out + DNS_HDR_LEN, name, n);
	at = DNS_HDR_LEN + n;
	put16(out + at, qtype);
	put16(out + at + 2, qclass);
	at += 4;
	out[at] = 0;
	put16(out + at + 1, DNS_T_OPT);
	put16(out + at + 3, DNS_UDP_MAX);
	out[at + 5] = 0;
	out[at + 6] = 0;
	put16(out + at + 7, do_bit ? 0x8000 : 0);
	put16(out + at + 9, 0);
	return at + OPT_LEN;
}
