/* DNS wire format: query parsing through a bounds-checked cursor, response writing with name
 * compression, truncation and EDNS0. See dns_wire.h for the contract. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns_wire.h"

#define DNS_OPT_LEN 11 /* root owner, type, class, ttl, rdlen: an OPT without options */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint8_t dns_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* ---- reader */

void dns_rd_init(dns_rd_t *r, const uint8_t *pkt, size_t len)
{
	r->pkt = pkt;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

static bool rd_have(dns_rd_t *r, size_t n)
{
	if (r->err)
		return false;
	if (n > r->len - r->pos) {
		r->err = -EBADMSG;
		return false;
	}
	return true;
}

uint8_t dns_rd_u8(dns_rd_t *r)
{
	if (!rd_have(r, 1))
		return 0;
	return r->pkt[r->pos++];
}

uint16_t dns_rd_u16(dns_rd_t *r)
{
	if (!rd_have(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->pkt[r->pos] << 8 | r->pkt[r->pos + 1]);
	r->pos += 2;
	return v;
}

uint32_t dns_rd_u32(dns_rd_t *r)
{
	uint32_t hi = dns_rd_u16(r);
	return hi << 16 | dns_rd_u16(r);
}

void dns_rd_skip(dns_rd_t *r, size_t n)
{
	if (rd_have(r, n))
		r->pos += n;
}

size_t dns_rd_name(dns_rd_t *r, uint8_t out[DNS_NAME_MAX])
{
	size_t pos = r->pos, seg = r->pos, end = 0, n = 0;
	bool jumped = false;

	if (r->err)
		return 0;
	for (;;) {
		if (pos >= r->len)
			goto bad;
		uint8_t c = r->pkt[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= r->len)
				goto bad;
			size_t ptr = (size_t)(c & 0x3f) << 8 | r->pkt[pos + 1];
			/* Only strictly backwards, to before the labels that led here: this rules out
			 * forward, self and looping pointers, since seg shrinks at every hop. */
			if (ptr >= seg || ptr < DNS_HDR_LEN)
				goto bad;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = seg = ptr;
			continue;
		}
		if (c & 0xc0) /* 0x40 extended and 0x80 reserved label types (RFC 6891 s5) */
			goto bad;
		if (n + 1 + c > DNS_NAME_MAX)
			goto bad;
		if (c == 0) {
			out[n++] = 0;
			pos++;
			break;
		}
		if (pos + 1 + c > r->len)
			goto bad;
		memcpy(out + n, r->pkt + pos, 1 + (size_t)c);
		n += 1 + (size_t)c;
		pos += 1 + (size_t)c;
	}
	r->pos = jumped ? end : pos;
	return n;
bad:
	r->err = -EBADMSG;
	return 0;
}

/* ---- query */

static void skip_rr(dns_rd_t *r, uint16_t *ret_type)
{
	uint8_t scratch[DNS_NAME_MAX];

	dns_rd_name(r, scratch);
	*ret_type = dns_rd_u16(r);
	dns_rd_u16(r);
	dns_rd_u32(r);
	dns_rd_skip(r, dns_rd_u16(r));
}

int dns_query_parse(const uint8_t *pkt, size_t len, bool tcp, dns_query_t *ret_q)
{
	dns_rd_t r;
	uint8_t scratch[DNS_NAME_MAX];
	bool bad = false, opt_seen = false;
	uint16_t opt_class = 0;

	/* the only ways to fail come first: past them, *ret_q is filled in place (no copy of the
	 * 500-octet struct on the hot path) */
	if (len < DNS_HDR_LEN || (pkt[2] & (DNS_F_QR >> 8)))
		return DNS_EDROP;
	dns_query_t *q = ret_q;

	dns_rd_init(&r, pkt, len);
	q->id = dns_rd_u16(&r);
	q->flags = dns_rd_u16(&r);
	uint16_t qd = dns_rd_u16(&r), an = dns_rd_u16(&r), ns = dns_rd_u16(&r), ar = dns_rd_u16(&r);
	q->opcode = DNS_OPCODE(q->flags);
	q->tcp = tcp;
	q->has_q = false;
	q->edns = false;
	q->edns_version = 0;
	q->edns_do = false;
	q->udp_size = DNS_UDP_MIN;
	q->rcode = DNS_RCODE_NOERROR;
	q->qtype = q->qclass = 0;
	q->qname_len = 0;

	/* Every count is checked against the bytes actually present (RFC 9267 s4): a count larger
	 * than the message runs the cursor off the end and sets r.err, which stops the loops. */
	for (unsigned i = 0; i < qd && !r.err; i++) {
		size_t n = dns_rd_name(&r, i == 0 ? q->qname : scratch);
		uint16_t t = dns_rd_u16(&r), c = dns_rd_u16(&r);
		if (i == 0 && !r.err) {
			q->has_q = true;
			q->qname_len = (uint8_t)n;
			q->qtype = t;
			q->qclass = c;
		}
	}
	for (unsigned i = 0; i < (unsigned)an + ns && !r.err; i++) {
		uint16_t t;
		skip_rr(&r, &t);
		if (t == DNS_T_OPT) /* OPT only in the additional section (RFC 6891 s6.1.1) */
			bad = true;
	}
	for (unsigned i = 0; i < ar && !r.err; i++) {
		size_t n = dns_rd_name(&r, scratch);
		uint16_t t = dns_rd_u16(&r), c = dns_rd_u16(&r);
		uint32_t ttl = dns_rd_u32(&r);
		uint16_t rdlen = dns_rd_u16(&r);
		if (r.err)
			break;
		if (t != DNS_T_OPT) {
			dns_rd_skip(&r, rdlen);
			continue;
		}
		/* one OPT, owned by the root (RFC 6891 s6.1.1) */
		if (opt_seen || n != 1)
			bad = true;
		opt_seen = true;
		opt_class = c;
		q->edns_version = (uint8_t)(ttl >> 16);
		q->edns_do = (ttl & 0x8000) != 0;
		/* options must tile the RDATA exactly (RFC 6891 s6.1.2) */
		size_t end = r.pos + rdlen;
		while (!r.err && r.pos < end) {
			dns_rd_u16(&r);
			dns_rd_skip(&r, dns_rd_u16(&r));
		}
		if (!r.err && r.pos != end)
			bad = true;
	}
	if (r.err || r.pos != len) /* truncated, malformed, or bytes after the last record */
		bad = true;

	if (q->opcode != 0) {
		q->rcode = DNS_RCODE_NOTIMP; /* RFC 8906 s8: unknown opcodes get NOTIMP */
		if (bad) {
			q->has_q = false;
			opt_seen = false;
		}
	} else if (bad) {
		q->rcode = DNS_RCODE_FORMERR;
		opt_seen = false; /* a broken or duplicate OPT is not EDNS we can answer with */
		if (qd != 1)
			q->has_q = false;
	} else if (qd != 1) {
		q->rcode = DNS_RCODE_FORMERR;
		q->has_q = false;
	} else if (opt_seen && q->edns_version > 0) {
		q->rcode = DNS_RCODE_BADVERS; /* RFC 6891 s6.1.3 */
	} else if (q->qtype == DNS_T_OPT) {
		q->rcode = DNS_RCODE_FORMERR;
	} else if (q->qtype == DNS_T_AXFR || q->qtype == DNS_T_IXFR) {
		q->rcode = DNS_RCODE_REFUSED; /* no zone transfers: the zone is synthesized */
	}
	q->edns = opt_seen;
	if (opt_seen)
		q->udp_size = opt_class < DNS_UDP_MIN ? DNS_UDP_MIN : opt_class;
	if (q->has_q)
		for (size_t i = 0; i < q->qname_len; i++)
			q->qname_lc[i] = dns_lower(q->qname[i]);
	return 0;
}

size_t dns_reply_limit(const dns_query_t *q, size_t cap)
{
	size_t lim = DNS_UDP_MIN;

	if (q->tcp)
		lim = DNS_TCP_MAX;
	else if (q->edns)
		lim = q->udp_size > DNS_UDP_MAX ? DNS_UDP_MAX : q->udp_size;
	return lim < cap ? lim : cap;
}

int dns_reply_error(const dns_query_t *q, int rcode, uint8_t *out, size_t cap, size_t *ret_len)
{
	dns_wr_t w;

	if (rcode < 0)
		rcode = q->rcode;
	dns_wr_init(&w, out, dns_reply_limit(q, cap));
	if (q->edns)
		w.reserve = DNS_OPT_LEN;
	dns_wr_header(&w, q, 0, rcode);
	if (q->has_q)
		dns_wr_question(&w, q);
	if (q->edns)
		dns_wr_opt(&w, DNS_UDP_MAX, rcode, q->edns_do);
	if (w.err)
		return -ENOBUFS;
	*ret_len = dns_wr_finish(&w);
	return 0;
}

/* ---- writer */

void dns_wr_init(dns_wr_t *w, uint8_t *buf, size_t limit)
{
	w->buf = buf;
	w->limit = limit;
	w->reserve = 0;
	w->len = 0;
	w->err = 0;
	w->tc = false;
	w->count[0] = w->count[1] = w->count[2] = 0;
	w->ncomp = 0;
	w->qname = NULL;
}

static bool wr_room(dns_wr_t *w, size_t n)
{
	if (w->err)
		return false;
	if (w->len + w->reserve > w->limit || n > w->limit - w->reserve - w->len) {
		w->err = -ENOSPC;
		return false;
	}
	return true;
}

void dns_wr_u8(dns_wr_t *w, uint8_t v)
{
	if (wr_room(w, 1))
		w->buf[w->len++] = v;
}

void dns_wr_u16(dns_wr_t *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	w->buf[w->len++] = (uint8_t)(v >> 8);
	w->buf[w->len++] = (uint8_t)v;
}

void dns_wr_u32(dns_wr_t *w, uint32_t v)
{
	if (!wr_room(w, 4))
		return;
	dns_wr_u16(w, (uint16_t)(v >> 16));
	dns_wr_u16(w, (uint16_t)v);
}

void dns_wr_bytes(dns_wr_t *w, const void *p, size_t n)
{
	if (!wr_room(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void dns_wr_header(dns_wr_t *w, const dns_query_t *q, uint16_t flags, int rcode)
{
	uint16_t f = DNS_F_QR | (uint16_t)(q->opcode << 11) | (q->flags & (DNS_F_RD | DNS_F_CD)) | flags |
		     (uint16_t)(rcode & 0xf);

	if (!wr_room(w, DNS_HDR_LEN))
		return;
	memset(w->buf + w->len, 0, DNS_HDR_LEN);
	put16(w->buf + w->len, q->id);
	put16(w->buf + w->len + 2, f);
	w->len += DNS_HDR_LEN;
}

void dns_wr_question(dns_wr_t *w, const dns_query_t *q)
{
	size_t at = w->len;

	dns_wr_name(w, q->qname, false);
	if (!wr_room(w, 4))
		return;
	put16(w->buf + w->len, q->qtype);
	put16(w->buf + w->len + 2, q->qclass);
	w->len += 4;
	if (at >= DNS_HDR_LEN)
		put16(w->buf + 4, 1);
	if (at <= DNS_PTR_MAX) {
		w->qname = q->qname;
		w->qname_at = (uint16_t)at;
	}
}

/* Whether the (possibly compressed) name at off, written by us, equals the uncompressed name s,
 * ignoring case. Our own pointers only go backwards, the hop bound is belt and braces. */
static bool wr_name_at_eq(const dns_wr_t *w, size_t off, const uint8_t *s)
{
	for (int hops = 0; hops < 128;) {
		if (off >= w->len)
			return false;
		uint8_t c = w->buf[off];
		if ((c & 0xc0) == 0xc0) {
			if (off + 1 >= w->len)
				return false;
			off = (size_t)(c & 0x3f) << 8 | w->buf[off + 1];
			hops++;
			continue;
		}
		if (c != *s)
			return false;
		if (c == 0)
			return true;
		if (off + 1 + c > w->len)
			return false;
		for (size_t j = 1; j <= c; j++)
			if (dns_lower(w->buf[off + j]) != dns_lower(s[j]))
				return false;
		off += 1 + (size_t)c;
		s += 1 + (size_t)c;
	}
	return false;
}

void dns_wr_name(dns_wr_t *w, const uint8_t *name, bool compress)
{
	size_t i = 0, start = w->len, total = 0;
	int hit = -1;

	if (compress && name == w->qname && name[0] != 0) {
		if (wr_room(w, 2)) {
			put16(w->buf + w->len, (uint16_t)(0xc000 | w->qname_at));
			w->len += 2;
		}
		return;
	}
	while (name[total] != 0)
		total += (size_t)name[total] + 1;
	total++; /* the root label */
	if (compress) {
		/* longest suffix first; only entries of the same length can be equal */
		for (i = 0; name[i] != 0 && hit < 0; i += (size_t)name[i] + 1)
			for (int k = 0; k < w->ncomp; k++)
				if (w->comp_len[k] == total - i && wr_name_at_eq(w, w->comp[k], name + i)) {
					hit = k;
					break;
				}
	}
	/* what precedes the matched suffix is written out, then the pointer */
	i = hit >= 0 ? total - w->comp_len[hit] : total;
	if (!wr_room(w, i + (hit >= 0 ? 2 : 0)))
		return;
	memcpy(w->buf + w->len, name, i);
	w->len += i;
	for (size_t j = 0; j < i && name[j] != 0; j += (size_t)name[j] + 1)
		if (start + j <= DNS_PTR_MAX && w->ncomp < DNS_COMP_MAX) {
			w->comp_len[w->ncomp] = (uint8_t)(total - j);
			w->comp[w->ncomp++] = (uint16_t)(start + j);
		}
	if (hit >= 0) {
		uint16_t ptr = (uint16_t)(0xc000 | w->comp[hit]);
		w->buf[w->len++] = (uint8_t)(ptr >> 8);
		w->buf[w->len++] = (uint8_t)ptr;
	}
}

dns_wr_mark_t dns_wr_rr_begin(dns_wr_t *w, const uint8_t *owner, uint16_t type, uint32_t ttl)
{
	dns_wr_mark_t m = { .len = w->len, .ncomp = w->ncomp };

	dns_wr_name(w, owner, true);
	if (wr_room(w, 10)) {
		uint8_t *p = w->buf + w->len;
		put16(p, type);
		put16(p + 2, DNS_C_IN);
		put16(p + 4, (uint16_t)(ttl >> 16));
		put16(p + 6, (uint16_t)ttl);
		put16(p + 8, 0);
		w->len += 10;
	}
	m.rdlen_at = w->len - 2;
	return m;
}

int dns_wr_rr_end(dns_wr_t *w, dns_wr_mark_t m, int sec)
{
	if (w->err || w->len - m.rdlen_at - 2 > 0xffff) {
		w->len = m.len;
		w->ncomp = m.ncomp;
		w->err = 0;
		return -ENOSPC;
	}
	put16(w->buf + m.rdlen_at, (uint16_t)(w->len - m.rdlen_at - 2));
	w->count[sec]++;
	return 0;
}

int dns_wr_opt(dns_wr_t *w, uint16_t payload, int rcode, bool do_bit)
{
	size_t keep = w->reserve;

	w->reserve = 0;
	if (!wr_room(w, DNS_OPT_LEN)) {
		w->reserve = keep;
		return -ENOSPC;
	}
	dns_wr_u8(w, 0);
	dns_wr_u16(w, DNS_T_OPT);
	dns_wr_u16(w, payload);
	dns_wr_u32(w, (uint32_t)((rcode >> 4) & 0xff) << 24 | (do_bit ? 0x8000u : 0));
	dns_wr_u16(w, 0);
	w->count[DNS_SEC_AR]++;
	return 0;
}

size_t dns_wr_finish(dns_wr_t *w)
{
	if (w->len < DNS_HDR_LEN)
		return w->len;
	if (w->tc)
		w->buf[2] |= DNS_F_TC >> 8;
	put16(w->buf + 6, w->count[DNS_SEC_AN]);
	put16(w->buf + 8, w->count[DNS_SEC_NS]);
	put16(w->buf + 10, w->count[DNS_SEC_AR]);
	return w->len;
}

/* ---- names */

int dns_name_from_str(const char *s, bool lower, uint8_t out[DNS_NAME_MAX])
{
	size_t n = 0;

	if (s[0] == '.' && s[1] == '\0')
		s++;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > DNS_LABEL_MAX || n + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[n++] = lower ? dns_lower((uint8_t)s[i]) : (uint8_t)s[i];
		s += l;
		if (*s == '.')
			s++;
	}
	out[n++] = 0;
	return (int)n;
}

int dns_name_to_str(const uint8_t *name, char *out, size_t cap)
{
	size_t n = 0;

	if (cap < 2)
		return -ENOSPC;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	for (size_t i = 0; name[i] != 0; i += (size_t)name[i] + 1) {
		for (size_t j = 1; j <= name[i]; j++) {
			uint8_t c = name[i + j];
			if (c > ' ' && c <= '~' && c != '.' && c != '\\') {
				if (n + 1 >= cap)
					return -ENOSPC;
				out[n++] = (char)c;
			} else {
				if (n + 4 >= cap)
					return -ENOSPC;
				n += (size_t)snprintf(out + n, cap - n, "\\%03u", c);
			}
		}
		if (n + 1 >= cap)
			return -ENOSPC;
		out[n++] = '.';
	}
	out[n] = '\0';
	return (int)n;
}

bool dns_name_eq(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		if (*a == 0)
			return true;
		for (size_t j = 1; j <= *a; j++)
			if (dns_lower(a[j]) != dns_lower(b[j]))
				return false;
		a += 1 + (size_t)*a;
		b += 1 + (size_t)*b;
	}
}
