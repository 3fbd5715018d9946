/* UDP conntrack cleanup (see proxy_ct.h): dump the family's UDP entries once, collect the stale ones,
 * delete them on a second handle (a handle cannot query from inside its own dump callback). */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "proxy/proxy_ct.h"

typedef struct ct_scan {
	int family;
	const proxy_ct_target_t *t;
	size_t n;
	const proxy_addr_t *np;
	size_t n_np;
	struct nf_conntrack **stale;
	size_t n_stale, cap_stale;
	int err;
} ct_scan_t;

static bool target_match(const ct_scan_t *s, const proxy_ct_target_t *t, const proxy_addr_t *dst, uint16_t dport)
{
	size_t i;

	if (t->port != dport)
		return false;
	if (!proxy_addr_is_zero(&t->addr))
		return proxy_addr_eq(&t->addr, dst);
	for (i = 0; i < s->n_np; i++)
		if (proxy_addr_eq(&s->np[i], dst))
			return true;
	return false;
}

static void ct_addr(const struct nf_conntrack *ct, int family, bool orig_dst, proxy_addr_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET6)
		memcpy(ret->b, nfct_get_attr(ct, orig_dst ? ATTR_ORIG_IPV6_DST : ATTR_REPL_IPV6_SRC), 16);
	else
		ret->v4 = nfct_get_attr_u32(ct, orig_dst ? ATTR_ORIG_IPV4_DST : ATTR_REPL_IPV4_SRC);
}

static int on_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	ct_scan_t *s = arg;
	proxy_addr_t dst, rsrc;
	uint16_t dport, rport;
	size_t i, j;

	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP)
		return NFCT_CB_CONTINUE;
	if (nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) != s->family)
		return NFCT_CB_CONTINUE;
	ct_addr(ct, s->family, true, &dst);
	dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	ct_addr(ct, s->family, false, &rsrc);
	rport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	for (i = 0; i < s->n; i++) {
		const proxy_ct_target_t *t = &s->t[i];
		bool serving = false;

		if (!target_match(s, t, &dst, dport))
			continue;
		for (j = 0; j < t->n_eps && !serving; j++)
			serving = proxy_addr_eq(&t->eps[j].addr, &rsrc) && t->eps[j].port == rport;
		if (serving)
			continue;
		if (s->n_stale == s->cap_stale) {
			size_t nc = s->cap_stale ? s->cap_stale * 2 : 16;
			struct nf_conntrack **nv = realloc(s->stale, nc * sizeof(*nv));
			if (!nv) {
				s->err = -ENOMEM;
				return NFCT_CB_STOP;
			}
			s->stale = nv;
			s->cap_stale = nc;
		}
		s->stale[s->n_stale] = nfct_clone(ct);
		if (s->stale[s->n_stale])
			s->n_stale++;
		break;
	}
	return NFCT_CB_CONTINUE;
}

int proxy_ct_clean_udp(int family, const proxy_ct_target_t *targets, size_t n, const proxy_addr_t *np_addrs,
		       size_t n_np)
{
	ct_scan_t s = { .family = family, .t = targets, .n = n, .np = np_addrs, .n_np = n_np };
	struct nfct_handle *h = NULL;
	struct nfct_filter_dump *fd = NULL;
	size_t i;
	int rc = 0, deleted = 0;

	if (!n)
		return 0;
	h = nfct_open(CONNTRACK, 0);
	fd = nfct_filter_dump_create();
	if (!h || !fd) {
		rc = -errno ? -errno : -ENOMEM;
		goto out;
	}
	nfct_filter_dump_set_attr_u8(fd, NFCT_FILTER_DUMP_L3NUM, (uint8_t)family);
	nfct_callback_register(h, NFCT_T_ALL, on_entry, &s);
	if (nfct_query(h, NFCT_Q_DUMP_FILTER, fd) < 0) {
		rc = -errno;
		goto out;
	}
	if (s.err) {
		rc = s.err;
		goto out;
	}
	nfct_close(h);
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		rc = -errno;
		goto out;
	}
	for (i = 0; i < s.n_stale; i++)
		if (nfct_query(h, NFCT_Q_DESTROY, s.stale[i]) == 0)
			deleted++; /* ENOENT: it went by itself meanwhile */
	rc = deleted;
out:
	for (i = 0; i < s.n_stale; i++)
		nfct_destroy(s.stale[i]);
	free(s.stale);
	if (fd)
		nfct_filter_dump_destroy(fd);
	if (h)
		nfct_close(h);
	return rc;
}
