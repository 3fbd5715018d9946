/* The cluster zone index. Every owner name is a node in one hash table keyed by its lower-cased
 * wire form; a node holds per-type record lists and counts its children, so empty non-terminals
 * exist exactly as long as something below them does (RFC 8020 consistency for free). Records are
 * owned by the object that implies them (a Service with its slices, a Pod); an update drops the
 * owner's records and rebuilds them. Answers never allocate. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dns/dns_zone.h"

#define SOA_REFRESH  7200
#define SOA_RETRY    1800
#define SOA_EXPIRE   86400
#define SOA_TTL_MAX  300
#define MAX_PORTS    100  /* per Service or slice: a bound on what one object can make us build */
#define MAX_EPS      1000 /* per slice (the API's own limit) */
#define MAX_ADDRS    100  /* per endpoint (the API's own limit) */
#define ADDL_SEEN    16   /* SRV targets remembered to avoid repeating their addresses */

/* ---- a small intrusive hash table over byte keys */

struct hent {
	struct hent *next;
	uint64_t hash;
	const uint8_t *key;
	size_t klen;
};

struct htab {
	struct hent **b;
	size_t mask;
	size_t n;
};

/* seeded multiply-xorshift over 8-octet words: names are short, this is on every query */
static uint64_t hash_bytes(uint64_t seed, const uint8_t *p, size_t n)
{
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull), w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	return h;
}

static int htab_init(struct htab *t)
{
	t->b = calloc(64, sizeof(*t->b));
	t->mask = 63;
	t->n = 0;
	return t->b ? 0 : -ENOMEM;
}

static struct hent *htab_find(const struct htab *t, const uint8_t *key, size_t klen, uint64_t h)
{
	for (struct hent *e = t->b[h & t->mask]; e; e = e->next)
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

static void htab_add(struct htab *t, struct hent *e)
{
	if (t->n >= t->mask + 1) { /* grow at load 1; on ENOMEM keep the longer chains */
		size_t nsz = (t->mask + 1) * 2;
		struct hent **nb = calloc(nsz, sizeof(*nb));
		if (nb) {
			for (size_t i = 0; i <= t->mask; i++)
				for (struct hent *x = t->b[i], *nx; x; x = nx) {
					nx = x->next;
					x->next = nb[x->hash & (nsz - 1)];
					nb[x->hash & (nsz - 1)] = x;
				}
			free(t->b);
			t->b = nb;
			t->mask = nsz - 1;
		}
	}
	e->next = t->b[e->hash & t->mask];
	t->b[e->hash & t->mask] = e;
	t->n++;
}

static void htab_del(struct htab *t, struct hent *e)
{
	for (struct hent **pp = &t->b[e->hash & t->mask]; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			return;
		}
}

/* ---- names and records */

enum { RK_A, RK_AAAA, RK_SRV, RK_PTR, RK_CNAME, RK_TXT, RK_N };
static const uint16_t rk_type[RK_N] = { DNS_T_A, DNS_T_AAAA, DNS_T_SRV, DNS_T_PTR, DNS_T_CNAME, DNS_T_TXT };

struct rr;

struct node {
	struct hent h; /* key: name */
	struct node *parent;
	struct rr *rr[RK_N];
	uint32_t nchild, nrr;
	uint32_t cnt[RK_SRV + 1]; /* records of the kinds whose count an answer needs (rotation, SRV weight) */
	uint8_t len;
	bool pinned; /* exists without records: the apex, svc.<zone>, pod.<zone> */
	uint8_t name[]; /* lower-cased wire form */
};

struct rr {
	struct rr *next, **pprev; /* in node->rr[kind] */
	struct rr *onext;         /* the owning object's list */
	const void *owner;        /* that list's head: duplicates are only merged within one owner */
	struct node *node;
	uint8_t kind;
	uint16_t fixlen; /* rdata octets before the embedded name, if any */
	uint16_t rdlen;
	uint8_t rdata[];
};

/* Sizes matter here: a cluster has tens of thousands of these (the 30 MiB budget for 10,000
 * Services and 50,000 endpoints), so names live out of line and only where present. */
struct ipaddr {
	uint8_t fam; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

struct port {
	const char *name; /* into the string area after the array (parse_ports) */
	uint16_t port;
	char proto[6];    /* "tcp", "udp", "sctp" */
};

struct ep {
	uint32_t first; /* into the slice's addrs */
	uint16_t n;
	bool ready;
	char *host;     /* NULL when the endpoint has no hostname */
};

struct svc;

struct slice {
	struct hent h; /* key: "ns/slicename" */
	char *key;
	uint32_t gen; /* resync generation that last saw it (dns_zone_resync_begin) */
	struct slice *next; /* in svc->slices */
	struct svc *svc;
	struct port *ports;
	size_t nports;
	struct ep *eps;
	size_t neps;
	struct ipaddr *addrs;
	size_t naddrs;
	bool stub; /* its Service is not headless: no endpoint is kept (DNS needs none) */
};

enum { SVC_CLUSTERIP, SVC_HEADLESS, SVC_EXTNAME };

struct svc {
	struct hent h; /* key: "ns/name" */
	char *key;
	const char *ns, *name; /* point into key */
	bool present;          /* the Service exists (slices may come first) */
	uint32_t gen;
	int type;
	struct ipaddr ips[2];
	size_t nips;
	struct port *ports;
	size_t nports;
	uint8_t *ext; /* ExternalName target (wire form), NULL otherwise */
	size_t extlen;
	bool publish_not_ready;
	struct slice *slices;
	struct rr *rrs;
};

struct pod {
	struct hent h; /* key: "ns/name" */
	char *key;
	uint32_t gen;
	struct ipaddr ips[2];
	size_t nips;
};

/* One pod address record, shared by all pods of a namespace with that IP (host-network pods share
 * their node's): it goes when the last of them does. */
struct podip {
	struct hent h; /* key: "ns/" and the address octets */
	uint8_t key[2 * DNS_NAME_MAX];
	uint32_t refs;
	struct rr *rrs;
};

struct dns_zone {
	uint64_t seed;
	struct htab names, svcs, slices, pods, podips;
	uint8_t apex[DNS_NAME_MAX], ns[DNS_NAME_MAX], mbox[DNS_NAME_MAX];
	size_t apex_len;
	char apex_str[DNS_NAME_MAX + 1];
	struct node *apex_node;
	uint32_t ttl, serial;
	struct rr *own; /* dns-version */
	/* while a Service is rebuilt: the records made so far, so duplicates are found in O(1)
	 * rather than by scanning lists that grow with the endpoints */
	struct rr **dd;
	size_t dd_mask;
	uint32_t gen[3]; /* per kind: stamped on every object applied, for dns_zone_resync_end() */
	bool want_resync[3]; /* dns_zone_resync_wanted() */
};

static const uint8_t arpa4[] = "\7in-addr\4arpa";
static const uint8_t arpa6[] = "\3ip6\4arpa";

static size_t name_len(const uint8_t *n)
{
	size_t i = 0;

	while (n[i] != 0)
		i += (size_t)n[i] + 1;
	return i + 1;
}

/* whether name (lower-cased, len octets) is at or below the lower-cased apex */
static bool name_under(const uint8_t *name, size_t len, const uint8_t *apex, size_t alen)
{
	if (len < alen)
		return false;
	size_t i = 0;
	while (i < len - alen)
		i += (size_t)name[i] + 1;
	return i == len - alen && memcmp(name + i, apex, alen) == 0;
}

static struct node *node_find(const dns_zone_t *z, const uint8_t *name, size_t len)
{
	return (struct node *)htab_find(&z->names, name, len, hash_bytes(z->seed, name, len));
}

void dns_zone_prefetch(const dns_zone_t *z, const dns_query_t *q, int stage)
{
	const struct htab *t = &z->names;
	struct hent *const *slot;

	if (!q->has_q || q->rcode)
		return;
	slot = &t->b[hash_bytes(z->seed, q->qname_lc, q->qname_len) & t->mask];
	if (stage == 0)
		__builtin_prefetch(slot);
	else if (*slot) { /* the entry and, past the node's fixed fields, the name it is compared by */
		__builtin_prefetch(*slot);
		__builtin_prefetch((const char *)*slot + 64);
		__builtin_prefetch((const char *)*slot + 128);
	}
}

static void node_release(dns_zone_t *z, struct node *n)
{
	while (n && n->nrr == 0 && n->nchild == 0 && !n->pinned) {
		struct node *p = n->parent;
		htab_del(&z->names, &n->h);
		free(n);
		if (p)
			p->nchild--;
		n = p;
	}
}

/* find or create; names under the apex get their ancestors as empty non-terminals */
static struct node *node_get(dns_zone_t *z, const uint8_t *name)
{
	size_t len = name_len(name);
	struct node *n = node_find(z, name, len), *parent = NULL;

	if (n)
		return n;
	if (len > z->apex_len && name_under(name, len, z->apex, z->apex_len)) {
		parent = node_get(z, name + name[0] + 1);
		if (!parent)
			return NULL;
	}
	n = calloc(1, sizeof(*n) + len);
	if (!n) {
		node_release(z, parent);
		return NULL;
	}
	memcpy(n->name, name, len);
	n->len = len;
	n->parent = parent;
	n->h.key = n->name;
	n->h.klen = len;
	n->h.hash = hash_bytes(z->seed, name, len);
	htab_add(&z->names, &n->h);
	if (parent)
		parent->nchild++;
	return n;
}

static uint64_t rr_hash(const dns_zone_t *z, const struct node *n, int kind, const uint8_t *rd, size_t len)
{
	return hash_bytes(z->seed ^ (uint64_t)(uintptr_t)n ^ (uint64_t)kind, rd, len);
}

/* Adds a record at owner name unless the same owner has an identical one there (the same address
 * can sit in two slices while they are rebalanced). rdata is fix[fixlen] followed by the wire name
 * tname, if any. */
static int rr_add(dns_zone_t *z, struct rr **owner, const uint8_t *name, int kind, const void *fix,
		  size_t fixlen, const uint8_t *tname)
{
	size_t tlen = tname ? name_len(tname) : 0, slot = 0;
	uint8_t rd[6 + DNS_NAME_MAX];
	struct node *n = node_get(z, name);
	struct rr *rr;

	if (!n)
		return -ENOMEM;
	if (fixlen + tlen > sizeof(rd))
		return -EINVAL;
	if (fixlen)
		memcpy(rd, fix, fixlen);
	if (tlen)
		memcpy(rd + fixlen, tname, tlen);
	if (z->dd) {
		slot = rr_hash(z, n, kind, rd, fixlen + tlen) & z->dd_mask;
		for (; (rr = z->dd[slot]); slot = (slot + 1) & z->dd_mask)
			if (rr->node == n && rr->kind == kind && rr->rdlen == fixlen + tlen &&
			    memcmp(rr->rdata, rd, fixlen + tlen) == 0)
				return 0;
	} else {
		for (rr = n->rr[kind]; rr; rr = rr->next)
			if (rr->owner == owner && rr->rdlen == fixlen + tlen && memcmp(rr->rdata, rd, fixlen + tlen) == 0)
				return 0;
	}
	rr = malloc(sizeof(*rr) + fixlen + tlen);
	if (!rr) {
		node_release(z, n);
		return -ENOMEM;
	}
	rr->node = n;
	rr->owner = owner;
	rr->kind = (uint8_t)kind;
	rr->fixlen = (uint16_t)fixlen;
	rr->rdlen = (uint16_t)(fixlen + tlen);
	memcpy(rr->rdata, rd, fixlen + tlen);
	rr->next = n->rr[kind];
	if (rr->next)
		rr->next->pprev = &rr->next;
	rr->pprev = &n->rr[kind];
	n->rr[kind] = rr;
	n->nrr++;
	if (kind <= RK_SRV)
		n->cnt[kind]++;
	rr->onext = *owner;
	*owner = rr;
	if (z->dd)
		z->dd[slot] = rr;
	return 0;
}

static void owner_clear(dns_zone_t *z, struct rr **owner)
{
	for (struct rr *rr = *owner, *nx; rr; rr = nx) {
		struct node *n = rr->node;
		nx = rr->onext;
		*rr->pprev = rr->next;
		if (rr->next)
			rr->next->pprev = rr->pprev;
		n->nrr--;
		if (rr->kind <= RK_SRV)
			n->cnt[rr->kind]--;
		free(rr);
		node_release(z, n);
	}
	*owner = NULL;
}

/* presentation name from a format to lower-cased wire; a name that cannot be valid yields -EINVAL
 * and the record is simply not made (Kubernetes validation keeps this from happening) */
__attribute__((format(printf, 2, 3))) static int mkname(uint8_t out[DNS_NAME_MAX], const char *fmt, ...)
{
	char buf[2 * DNS_NAME_MAX];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	return dns_name_from_str(buf, true, out);
}

/* "10-0-0-1", "fd00--1": the address as one label (kube-dns and CoreDNS use this form) */
static void ip_dashed(const struct ipaddr *ip, char out[INET6_ADDRSTRLEN])
{
	inet_ntop(ip->fam, ip->a, out, INET6_ADDRSTRLEN);
	for (char *p = out; *p; p++)
		if (*p == '.' || *p == ':')
			*p = '-';
}

static int ip_reverse(const struct ipaddr *ip, uint8_t out[DNS_NAME_MAX])
{
	const uint8_t *a = ip->a;

	if (ip->fam == AF_INET)
		return mkname(out, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	size_t n = 0;
	for (int i = 15; i >= 0; i--) {
		static const char hex[] = "0123456789abcdef";
		out[n++] = 1;
		out[n++] = (uint8_t)hex[a[i] & 0xf];
		out[n++] = 1;
		out[n++] = (uint8_t)hex[a[i] >> 4];
	}
	memcpy(out + n, arpa6, sizeof(arpa6));
	return (int)(n + sizeof(arpa6));
}

static int addr_rr(dns_zone_t *z, struct rr **owner, const uint8_t *name, const struct ipaddr *ip)
{
	if (ip->fam == AF_INET)
		return rr_add(z, owner, name, RK_A, ip->a, 4, NULL);
	return rr_add(z, owner, name, RK_AAAA, ip->a, 16, NULL);
}

static bool ip_parse(const char *s, struct ipaddr *ip)
{
	if (!s)
		return false;
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->fam = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->fam = AF_INET6;
		return true;
	}
	return false;
}

/* ---- records of a Service */

static int srv_add(dns_zone_t *z, struct rr **owner, const uint8_t *name, uint16_t port, const uint8_t *target)
{
	/* priority 0; the weight is set once all records of the name are known */
	uint8_t fix[6] = { 0, 0, 0, 0, (uint8_t)(port >> 8), (uint8_t)port };

	return rr_add(z, owner, name, RK_SRV, fix, sizeof(fix), target);
}

/* SRV records for one port: `_<port>._<proto>.<base>` when the port is named (spec 2.3.2, 2.4.2;
 * unnamed ports get none), and at <base> itself for every port, as CoreDNS answers there too. */
static int svc_port_srv(dns_zone_t *z, struct svc *s, const uint8_t *base, const struct port *p,
			const uint8_t *target)
{
	uint8_t name[DNS_NAME_MAX];
	char bstr[2 * DNS_NAME_MAX];
	int r = 0;

	if (p->name[0] && dns_name_to_str(base, bstr, sizeof(bstr)) > 0 &&
	    mkname(name, "_%s._%s.%s", p->name, p->proto, bstr) > 0)
		r = srv_add(z, &s->rrs, name, p->port, target);
	if (r == 0)
		r = srv_add(z, &s->rrs, base, p->port, target);
	return r;
}

static bool ep_ready(const struct svc *s, const struct ep *e)
{
	return e->ready || s->publish_not_ready;
}

static int svc_publish(dns_zone_t *z, struct svc *s)
{
	uint8_t base[DNS_NAME_MAX], tgt[DNS_NAME_MAX], rev[DNS_NAME_MAX];
	char dashed[INET6_ADDRSTRLEN], bstr[2 * DNS_NAME_MAX];
	int r = 0;

	owner_clear(z, &s->rrs);
	if (!s->present || mkname(base, "%s.%s.svc.%s", s->name, s->ns, z->apex_str) < 0)
		return 0;
	switch (s->type) {
	case SVC_CLUSTERIP:
		for (size_t i = 0; i < s->nips && r == 0; i++) {
			r = addr_rr(z, &s->rrs, base, &s->ips[i]);
			if (r == 0 && ip_reverse(&s->ips[i], rev) > 0)
				r = rr_add(z, &s->rrs, rev, RK_PTR, NULL, 0, base);
		}
		for (size_t i = 0; i < s->nports && r == 0 && s->nips; i++)
			r = svc_port_srv(z, s, base, &s->ports[i], base);
		break;
	case SVC_HEADLESS: {
		/* at most 3 + 2 x ports records per address: size the table for a load under 1/2 */
		size_t bound = 0, slots = 64;
		for (struct slice *sl = s->slices; sl; sl = sl->next)
			bound += sl->naddrs * (3 + 2 * sl->nports);
		while (slots < 2 * bound)
			slots *= 2;
		z->dd = calloc(slots, sizeof(*z->dd)); /* without it: the list scan, slower, same result */
		z->dd_mask = slots - 1;
		dns_name_to_str(base, bstr, sizeof(bstr));
		for (struct slice *sl = s->slices; sl && r == 0; sl = sl->next)
			for (size_t e = 0; e < sl->neps && r == 0; e++) {
				const struct ep *ep = &sl->eps[e];
				if (!ep_ready(s, ep))
					continue;
				for (size_t a = ep->first; a < ep->first + ep->n && r == 0; a++) {
					const struct ipaddr *ip = &sl->addrs[a];
					/* the spec's "hostname": the endpoint's, else a unique id; CoreDNS
					 * uses the dashed address */
					ip_dashed(ip, dashed);
					if (mkname(tgt, "%s.%s", ep->host ? ep->host : dashed, bstr) < 0)
						continue;
					r = addr_rr(z, &s->rrs, base, ip);
					if (r == 0)
						r = addr_rr(z, &s->rrs, tgt, ip);
					if (r == 0 && ip_reverse(ip, rev) > 0)
						r = rr_add(z, &s->rrs, rev, RK_PTR, NULL, 0, tgt);
					for (size_t p = 0; p < sl->nports && r == 0; p++)
						r = svc_port_srv(z, s, base, &sl->ports[p], tgt);
				}
			}
		free(z->dd);
		z->dd = NULL;
		break;
	}
	case SVC_EXTNAME:
		if (s->extlen)
			r = rr_add(z, &s->rrs, base, RK_CNAME, NULL, 0, s->ext);
		break;
	}
	/* RFC 2782 weights as CoreDNS computes them: 100 shared among the records of a name */
	for (struct rr *rr = s->rrs; rr; rr = rr->onext)
		if (rr->kind == RK_SRV) {
			uint32_t w = 100 / rr->node->cnt[RK_SRV];
			w = w ? w : 1;
			rr->rdata[2] = (uint8_t)(w >> 8);
			rr->rdata[3] = (uint8_t)w;
		}
	return r;
}

/* ---- objects */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* "ns/name" of obj into key; -EINVAL without both */
static int obj_key(const json_t *obj, char *key, size_t cap, size_t *ret_nslen)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = jstr(meta, "namespace"), *name = jstr(meta, "name");

	if (!ns || !name || !*ns || !*name || strchr(ns, '/'))
		return -EINVAL;
	int n = snprintf(key, cap, "%s/%s", ns, name);
	if (n < 0 || (size_t)n >= cap)
		return -EINVAL;
	*ret_nslen = strlen(ns);
	return 0;
}

static size_t parse_ports(const json_t *arr, struct port **ret)
{
	size_t n = 0, cap = json_array_size(arr), strs = 0;
	struct port *ps;
	char *str;

	*ret = NULL;
	if (cap > MAX_PORTS)
		cap = MAX_PORTS;
	for (size_t i = 0; i < cap; i++) {
		const char *name = jstr(json_array_get(arr, i), "name");
		strs += name ? strlen(name) + 1 : 1;
	}
	/* the array, then every name: one allocation per object */
	if (cap == 0 || !(ps = calloc(1, cap * sizeof(*ps) + strs)))
		return 0;
	str = (char *)(ps + cap);
	for (size_t i = 0; i < cap; i++) {
		const json_t *p = json_array_get(arr, i);
		const char *name = jstr(p, "name"), *proto = jstr(p, "protocol");
		json_int_t num = json_integer_value(json_object_get(p, "port"));
		if (num < 1 || num > 65535)
			continue;
		if (!proto)
			proto = "TCP";
		if ((name && strlen(name) > DNS_LABEL_MAX) || strlen(proto) >= sizeof(ps[n].proto))
			continue;
		size_t nl = name ? strlen(name) : 0;
		memcpy(str, name ? name : "", nl + 1);
		ps[n].name = str;
		str += nl + 1;
		for (size_t j = 0; proto[j]; j++) /* `_tcp`: SRV labels are conventionally lower case */
			ps[n].proto[j] = (char)dns_lower((uint8_t)proto[j]);
		ps[n].port = (uint16_t)num;
		n++;
	}
	*ret = ps;
	return n;
}

static struct svc *svc_get(dns_zone_t *z, const char *key, size_t nslen, bool create)
{
	size_t klen = strlen(key);
	uint64_t h = hash_bytes(z->seed, (const uint8_t *)key, klen);
	struct svc *s = (struct svc *)htab_find(&z->svcs, (const uint8_t *)key, klen, h);

	if (s || !create)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->key = malloc(2 * klen + 2))) {
		free(s);
		return NULL;
	}
	/* key, then "ns\0name\0" after it */
	memcpy(s->key, key, klen + 1);
	memcpy(s->key + klen + 1, key, klen + 1);
	s->key[klen + 1 + nslen] = '\0';
	s->ns = s->key + klen + 1;
	s->name = s->key + klen + 1 + nslen + 1;
	s->h.key = (const uint8_t *)s->key;
	s->h.klen = klen;
	s->h.hash = h;
	htab_add(&z->svcs, &s->h);
	return s;
}

static void svc_maybe_free(dns_zone_t *z, struct svc *s)
{
	if (s->present || s->slices)
		return;
	owner_clear(z, &s->rrs);
	htab_del(&z->svcs, &s->h);
	free(s->ports);
	free(s->ext);
	free(s->key);
	free(s);
}

static void slice_drop_data(struct slice *sl);

static int apply_service(dns_zone_t *z, const json_t *obj, bool deleted)
{
	char key[2 * DNS_NAME_MAX];
	size_t nslen;
	int r = obj_key(obj, key, sizeof(key), &nslen);

	if (r < 0)
		return r;
	struct svc *s = svc_get(z, key, nslen, !deleted);
	if (!s)
		return deleted ? 0 : -ENOMEM;
	free(s->ports);
	s->ports = NULL;
	s->nports = 0;
	s->nips = 0;
	free(s->ext);
	s->ext = NULL;
	s->extlen = 0;
	s->present = !deleted;
	s->gen = z->gen[DNS_KIND_SERVICE];
	if (!deleted) {
		const json_t *spec = json_object_get(obj, "spec");
		const char *type = jstr(spec, "type"), *cip = jstr(spec, "clusterIP");
		const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
		const char *tol = jstr(ann, "service.alpha.kubernetes.io/tolerate-unready-endpoints");

		s->publish_not_ready = json_is_true(json_object_get(spec, "publishNotReadyAddresses")) ||
				       (tol && strcmp(tol, "true") == 0);
		s->nports = parse_ports(json_object_get(spec, "ports"), &s->ports);
		if (type && strcmp(type, "ExternalName") == 0) {
			const char *ext = jstr(spec, "externalName");
			uint8_t wire[DNS_NAME_MAX];
			int n = ext ? dns_name_from_str(ext, false, wire) : -EINVAL;
			s->type = SVC_EXTNAME;
			if (n > 1 && (s->ext = malloc((size_t)n))) {
				memcpy(s->ext, wire, (size_t)n);
				s->extlen = (size_t)n;
			}
		} else if (cip && strcmp(cip, "None") == 0) {
			s->type = SVC_HEADLESS;
		} else {
			const json_t *ips = json_object_get(spec, "clusterIPs");
			s->type = SVC_CLUSTERIP;
			for (size_t i = 0; i < json_array_size(ips) && s->nips < 2; i++)
				if (ip_parse(json_string_value(json_array_get(ips, i)), &s->ips[s->nips]))
					s->nips++;
			if (s->nips == 0 && ip_parse(cip, &s->ips[0]))
				s->nips = 1;
		}
	}
	if (s->present && s->type != SVC_HEADLESS) {
		for (struct slice *sl = s->slices; sl; sl = sl->next)
			if (!sl->stub)
				slice_drop_data(sl);
	} else if (s->present) {
		/* headless now (ExternalName turned headless): the endpoints dropped while it was not
		 * must be read again; the feed relists the slices */
		for (struct slice *sl = s->slices; sl; sl = sl->next)
			if (sl->stub)
				z->want_resync[DNS_KIND_ENDPOINTSLICE] = true;
	}
	r = svc_publish(z, s);
	svc_maybe_free(z, s);
	return r;
}

/* Endpoints only matter to headless Services: a ClusterIP Service's slices (most of a cluster's
 * endpoints) keep none, which is most of the zone's memory in a big cluster. */
static void slice_drop_data(struct slice *sl)
{
	free(sl->ports);
	for (size_t i = 0; sl->eps && i < sl->neps; i++)
		free(sl->eps[i].host);
	free(sl->eps);
	free(sl->addrs);
	sl->ports = NULL;
	sl->eps = NULL;
	sl->addrs = NULL;
	sl->nports = sl->neps = sl->naddrs = 0;
	sl->stub = true;
}

static void slice_free(struct slice *sl)
{
	if (!sl)
		return;
	slice_drop_data(sl);
	free(sl->key);
	free(sl);
}

static void slice_detach(dns_zone_t *z, struct slice *sl)
{
	struct svc *s = sl->svc;

	if (!s)
		return;
	for (struct slice **pp = &s->slices; *pp; pp = &(*pp)->next)
		if (*pp == sl) {
			*pp = sl->next;
			break;
		}
	sl->svc = NULL;
	sl->next = NULL;
	svc_publish(z, s);
	svc_maybe_free(z, s);
}

/* endpoints and their addresses of a slice object into sl (which holds none yet) */
static int slice_parse(struct slice *sl, const json_t *obj)
{
	const json_t *eps = json_object_get(obj, "endpoints");
	size_t neps = json_array_size(eps), naddr = 0;

	if (neps > MAX_EPS)
		neps = MAX_EPS;
	for (size_t i = 0; i < neps; i++) {
		size_t n = json_array_size(json_object_get(json_array_get(eps, i), "addresses"));
		naddr += n > MAX_ADDRS ? MAX_ADDRS : n;
	}
	sl->nports = parse_ports(json_object_get(obj, "ports"), &sl->ports);
	if (neps == 0)
		return 0;
	sl->eps = calloc(neps, sizeof(*sl->eps));
	sl->addrs = calloc(naddr ? naddr : 1, sizeof(*sl->addrs));
	if (!sl->eps || !sl->addrs)
		return -ENOMEM;
	for (size_t i = 0; i < neps; i++) {
		const json_t *e = json_array_get(eps, i), *addrs = json_object_get(e, "addresses");
		const json_t *ready = json_object_get(json_object_get(e, "conditions"), "ready");
		const char *host = jstr(e, "hostname");
		struct ep *ep = &sl->eps[sl->neps];

		ep->first = (uint32_t)sl->naddrs;
		for (size_t a = 0; a < json_array_size(addrs) && a < MAX_ADDRS; a++)
			if (ip_parse(json_string_value(json_array_get(addrs, a)), &sl->addrs[sl->naddrs]))
				sl->naddrs++;
		ep->n = (uint16_t)(sl->naddrs - ep->first);
		/* a missing ready condition means unknown, to be taken as ready (EndpointSlice v1) */
		ep->ready = !json_is_false(ready);
		if (host && *host && strlen(host) <= DNS_LABEL_MAX && !strchr(host, '.'))
			ep->host = strdup(host); /* NULL on ENOMEM: the endpoint goes by its address */
		if (ep->n) {
			sl->neps++;
		} else { /* no usable address: the slot is reused by the next endpoint */
			free(ep->host);
			ep->host = NULL;
		}
	}
	return 0;
}

static int apply_slice(dns_zone_t *z, const json_t *obj, bool deleted)
{
	char key[2 * DNS_NAME_MAX], skey[2 * DNS_NAME_MAX];
	size_t nslen;
	int r = obj_key(obj, key, sizeof(key), &nslen);

	if (r < 0)
		return r;
	size_t klen = strlen(key);
	uint64_t h = hash_bytes(z->seed, (const uint8_t *)key, klen);
	struct slice *old = (struct slice *)htab_find(&z->slices, (const uint8_t *)key, klen, h);
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *svcname = jstr(labels, "kubernetes.io/service-name");
	const char *atype = jstr(obj, "addressType");

	/* a slice that names no Service, or holds FQDNs, contributes nothing: treat as gone */
	if (!svcname || !*svcname || (atype && strcmp(atype, "FQDN") == 0))
		deleted = true;
	if (old) {
		htab_del(&z->slices, &old->h);
		slice_detach(z, old);
		slice_free(old);
	}
	if (deleted)
		return 0;
	int n = snprintf(skey, sizeof(skey), "%.*s/%s", (int)nslen, key, svcname);
	if (n < 0 || (size_t)n >= sizeof(skey))
		return -EINVAL;

	struct svc *s = svc_get(z, skey, nslen, true);
	if (!s)
		return -ENOMEM;
	struct slice *sl = calloc(1, sizeof(*sl));
	/* a slice that comes before its Service is kept whole: the Service may be headless */
	bool stub = s->present && s->type != SVC_HEADLESS;
	if (!sl || !(sl->key = strdup(key)) || (stub ? (slice_drop_data(sl), 0) : slice_parse(sl, obj)) < 0) {
		slice_free(sl);
		svc_maybe_free(z, s);
		return -ENOMEM;
	}
	sl->h.key = (const uint8_t *)sl->key;
	sl->h.klen = klen;
	sl->h.hash = h;
	sl->gen = z->gen[DNS_KIND_ENDPOINTSLICE];
	htab_add(&z->slices, &sl->h);
	sl->svc = s;
	sl->next = s->slices;
	s->slices = sl;
	return sl->stub ? 0 : svc_publish(z, s);
}

static size_t podip_key(const char *ns, size_t nslen, const struct ipaddr *ip, uint8_t *key)
{
	memcpy(key, ns, nslen);
	key[nslen] = '/';
	memcpy(key + nslen + 1, ip->a, ip->fam == AF_INET ? 4 : 16);
	return nslen + 1 + (ip->fam == AF_INET ? 4 : 16);
}

static void podip_put(dns_zone_t *z, const char *ns, size_t nslen, const struct ipaddr *ip)
{
	uint8_t key[2 * DNS_NAME_MAX];
	size_t klen = podip_key(ns, nslen, ip, key);
	struct podip *pi = (struct podip *)htab_find(&z->podips, key, klen, hash_bytes(z->seed, key, klen));

	if (!pi || --pi->refs > 0)
		return;
	owner_clear(z, &pi->rrs);
	htab_del(&z->podips, &pi->h);
	free(pi);
}

static int podip_get(dns_zone_t *z, const char *ns, size_t nslen, const struct ipaddr *ip)
{
	uint8_t key[2 * DNS_NAME_MAX], name[DNS_NAME_MAX];
	char dashed[INET6_ADDRSTRLEN];
	size_t klen = podip_key(ns, nslen, ip, key);
	uint64_t h = hash_bytes(z->seed, key, klen);
	struct podip *pi = (struct podip *)htab_find(&z->podips, key, klen, h);

	if (pi) {
		pi->refs++;
		return 0;
	}
	ip_dashed(ip, dashed);
	if (mkname(name, "%s.%.*s.pod.%s", dashed, (int)nslen, ns, z->apex_str) < 0)
		return -EINVAL;
	if (!(pi = calloc(1, sizeof(*pi))))
		return -ENOMEM;
	memcpy(pi->key, key, klen);
	pi->h.key = pi->key;
	pi->h.klen = klen;
	pi->h.hash = h;
	pi->refs = 1;
	if (addr_rr(z, &pi->rrs, name, ip) < 0) {
		free(pi);
		return -ENOMEM;
	}
	htab_add(&z->podips, &pi->h);
	return 0;
}

static void pod_free(dns_zone_t *z, struct pod *p)
{
	size_t nslen = strcspn(p->key, "/");

	for (size_t i = 0; i < p->nips; i++)
		podip_put(z, p->key, nslen, &p->ips[i]);
	htab_del(&z->pods, &p->h);
	free(p->key);
	free(p);
}

/* `a-b-c-d.<ns>.pod.<zone>` for each pod IP: only pods that exist get records, which is CoreDNS's
 * `pods verified` (the spec's deprecated section 2.6 would answer any address) */
static int apply_pod(dns_zone_t *z, const json_t *obj, bool deleted)
{
	char key[2 * DNS_NAME_MAX];
	size_t nslen;
	int r = obj_key(obj, key, sizeof(key), &nslen);

	if (r < 0)
		return r;
	size_t klen = strlen(key);
	uint64_t h = hash_bytes(z->seed, (const uint8_t *)key, klen);
	struct pod *p = (struct pod *)htab_find(&z->pods, (const uint8_t *)key, klen, h);
	const json_t *status = json_object_get(obj, "status");
	const char *phase = jstr(status, "phase");
	struct ipaddr ips[2];
	size_t nips = 0;

	/* a finished pod's IP goes back to the pool and may be someone else's soon */
	if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
		deleted = true;
	if (!deleted) {
		const json_t *arr = json_object_get(status, "podIPs");
		size_t n = json_array_size(arr);
		for (size_t i = 0; i < (n ? n : 1) && nips < 2; i++) {
			const char *s = n ? jstr(json_array_get(arr, i), "ip") : jstr(status, "podIP");
			if (ip_parse(s, &ips[nips]))
				nips++;
		}
	}
	if (p)
		pod_free(z, p);
	if (nips == 0)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key))) {
		free(p);
		return -ENOMEM;
	}
	p->h.key = (const uint8_t *)p->key;
	p->h.klen = klen;
	p->h.hash = h;
	p->gen = z->gen[DNS_KIND_POD];
	htab_add(&z->pods, &p->h);
	for (size_t i = 0; i < nips; i++) {
		int e = podip_get(z, key, nslen, &ips[i]);
		if (e == 0)
			p->ips[p->nips++] = ips[i];
		else if (e != -EINVAL)
			return e;
	}
	return 0;
}

int dns_zone_kind(const char *kind)
{
	if (kind && strcmp(kind, "Service") == 0)
		return DNS_KIND_SERVICE;
	if (kind && strcmp(kind, "EndpointSlice") == 0)
		return DNS_KIND_ENDPOINTSLICE;
	if (kind && strcmp(kind, "Pod") == 0)
		return DNS_KIND_POD;
	return -EINVAL;
}

int dns_zone_apply(dns_zone_t *z, dns_kind_t kind, const json_t *obj, bool deleted)
{
	int r;

	if (!json_is_object(obj))
		return -EINVAL;
	switch (kind) {
	case DNS_KIND_SERVICE:
		r = apply_service(z, obj, deleted);
		break;
	case DNS_KIND_ENDPOINTSLICE:
		r = apply_slice(z, obj, deleted);
		break;
	case DNS_KIND_POD:
		r = apply_pod(z, obj, deleted);
		break;
	default:
		return -EINVAL;
	}
	if (r != -EINVAL) {
		uint32_t now = (uint32_t)time(NULL);
		z->serial = now > z->serial ? now : z->serial + 1;
	}
	return r;
}

/* ---- zone lifetime */

dns_zone_t *dns_zone_new(const char *zone, uint32_t ttl)
{
	dns_zone_t *z = calloc(1, sizeof(*z));
	uint8_t name[DNS_NAME_MAX];
	char txt[1 + sizeof(DNS_SCHEMA_VERSION)];
	int n;

	if (!z)
		return NULL;
	if (!zone)
		zone = DNS_ZONE_DEFAULT;
	if (getrandom(&z->seed, sizeof(z->seed), GRND_NONBLOCK) != sizeof(z->seed))
		z->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)z;
	z->ttl = ttl;
	z->serial = (uint32_t)time(NULL);
	if (htab_init(&z->names) < 0 || htab_init(&z->svcs) < 0 || htab_init(&z->slices) < 0 ||
	    htab_init(&z->pods) < 0 || htab_init(&z->podips) < 0)
		goto fail;
	n = dns_name_from_str(zone, true, z->apex);
	if (n <= 1 || dns_name_to_str(z->apex, z->apex_str, sizeof(z->apex_str)) < 0)
		goto fail;
	z->apex_len = (size_t)n;
	z->apex_str[strlen(z->apex_str) - 1] = '\0'; /* without the trailing dot, for mkname() */
	if (mkname(z->ns, "ns.dns.%s", z->apex_str) < 0 || mkname(z->mbox, "hostmaster.%s", z->apex_str) < 0)
		goto fail;
	if (!(z->apex_node = node_get(z, z->apex)))
		goto fail;
	z->apex_node->pinned = true;
	/* svc.<zone> and pod.<zone> exist even when empty: NODATA, not NXDOMAIN, as in CoreDNS */
	static const char *const fixed[] = { "svc", "pod" };
	for (size_t i = 0; i < 2; i++) {
		struct node *nd;
		if (mkname(name, "%s.%s", fixed[i], z->apex_str) < 0 || !(nd = node_get(z, name)))
			goto fail;
		nd->pinned = true;
	}
	txt[0] = (char)(sizeof(DNS_SCHEMA_VERSION) - 1);
	memcpy(txt + 1, DNS_SCHEMA_VERSION, sizeof(DNS_SCHEMA_VERSION) - 1);
	if (mkname(name, "dns-version.%s", z->apex_str) < 0 ||
	    rr_add(z, &z->own, name, RK_TXT, txt, sizeof(txt) - 1, NULL) < 0)
		goto fail;
	return z;
fail:
	dns_zone_free(z);
	return NULL;
}

static void htab_drain(struct htab *t, void (*fn)(dns_zone_t *, struct hent *), dns_zone_t *z)
{
	if (!t->b)
		return;
	for (size_t i = 0; i <= t->mask; i++)
		while (t->b[i])
			fn(z, t->b[i]);
	free(t->b);
	t->b = NULL;
}

static void drain_slice(dns_zone_t *z, struct hent *e)
{
	struct slice *sl = (struct slice *)e;

	htab_del(&z->slices, e);
	slice_detach(z, sl);
	slice_free(sl);
}

static void drain_svc(dns_zone_t *z, struct hent *e)
{
	struct svc *s = (struct svc *)e;

	s->present = false;
	svc_maybe_free(z, s);
}

static void drain_pod(dns_zone_t *z, struct hent *e)
{
	pod_free(z, (struct pod *)e);
}

static void drain_node(dns_zone_t *z, struct hent *e)
{
	htab_del(&z->names, e);
	free(e);
}

void dns_zone_free(dns_zone_t *z)
{
	if (!z)
		return;
	htab_drain(&z->slices, drain_slice, z);
	htab_drain(&z->svcs, drain_svc, z);
	htab_drain(&z->pods, drain_pod, z);
	free(z->podips.b);
	if (z->names.b)
		owner_clear(z, &z->own);
	htab_drain(&z->names, drain_node, z);
	free(z);
}

uint32_t dns_zone_resync_begin(dns_zone_t *z, dns_kind_t kind)
{
	return ++z->gen[kind];
}

/* the key "ns/name" as the metadata of an object, for removing what a relist no longer holds */
static json_t *key_obj(const char *key)
{
	const char *slash = strchr(key, '/');

	if (!slash)
		return NULL;
	return json_pack("{s:{s:s#,s:s}}", "metadata", "namespace", key, (int)(slash - key), "name", slash + 1);
}

size_t dns_zone_resync_end(dns_zone_t *z, dns_kind_t kind, uint32_t gen)
{
	struct htab *t = kind == DNS_KIND_SERVICE ? &z->svcs : kind == DNS_KIND_ENDPOINTSLICE ? &z->slices : &z->pods;
	size_t removed = 0;
	bool again = true;

	/* each removal may free entries of the same table (a Service without slices): restart the
	 * scan after one; relists are rare and the stale objects few */
	while (again) {
		again = false;
		for (size_t i = 0; i <= t->mask && !again; i++)
			for (struct hent *e = t->b[i]; e && !again; e = e->next) {
				const char *key;
				uint32_t g;
				if (kind == DNS_KIND_SERVICE) {
					struct svc *sv = (struct svc *)e;
					if (!sv->present)
						continue;
					key = sv->key, g = sv->gen;
				} else if (kind == DNS_KIND_ENDPOINTSLICE) {
					key = ((struct slice *)e)->key, g = ((struct slice *)e)->gen;
				} else {
					key = ((struct pod *)e)->key, g = ((struct pod *)e)->gen;
				}
				if (g == gen)
					continue;
				json_t *o = key_obj(key);
				if (!o)
					continue;
				dns_zone_apply(z, kind, o, true);
				json_decref(o);
				removed++;
				again = true;
			}
	}
	return removed;
}

bool dns_zone_resync_wanted(dns_zone_t *z, dns_kind_t kind)
{
	bool w = z->want_resync[kind];

	z->want_resync[kind] = false;
	return w;
}

int dns_zone_cname_target(const dns_zone_t *z, const dns_query_t *q, uint8_t out[DNS_NAME_MAX])
{
	const struct node *n;
	const struct rr *rr;

	if (!q->has_q || q->rcode || q->qtype == DNS_T_CNAME)
		return 0;
	n = node_find(z, q->qname_lc, q->qname_len);
	if (!n || !(rr = n->rr[RK_CNAME]) || rr->rdlen <= rr->fixlen)
		return 0;
	uint8_t lc[DNS_NAME_MAX];
	size_t len = rr->rdlen - rr->fixlen;
	memcpy(out, rr->rdata + rr->fixlen, len);
	for (size_t i = 0; i < len; i++)
		lc[i] = dns_lower(out[i]); /* label lengths are below 'A': unchanged */
	if (name_under(lc, len, z->apex, z->apex_len))
		return 0; /* a target inside the zone: the resolver asks us again */
	return (int)(rr->rdlen - rr->fixlen);
}

size_t dns_zone_names(const dns_zone_t *z)
{
	return z->names.n;
}

/* ---- answers */

static int put_rr(dns_wr_t *w, const uint8_t *owner, const struct rr *rr, uint32_t ttl, int sec)
{
	uint16_t type = rk_type[rr->kind];
	dns_wr_mark_t m = dns_wr_rr_begin(w, owner, type, ttl);

	dns_wr_bytes(w, rr->rdata, rr->fixlen);
	if (rr->rdlen > rr->fixlen)
		dns_wr_name(w, rr->rdata + rr->fixlen, type != DNS_T_SRV);
	return dns_wr_rr_end(w, m, sec);
}

static int put_soa(const dns_zone_t *z, dns_wr_t *w, const uint8_t *owner, int sec)
{
	dns_wr_mark_t m = dns_wr_rr_begin(w, owner, DNS_T_SOA, z->ttl < SOA_TTL_MAX ? z->ttl : SOA_TTL_MAX);

	dns_wr_name(w, z->ns, true);
	dns_wr_name(w, z->mbox, true);
	dns_wr_u32(w, z->serial);
	dns_wr_u32(w, SOA_REFRESH);
	dns_wr_u32(w, SOA_RETRY);
	dns_wr_u32(w, SOA_EXPIRE);
	dns_wr_u32(w, z->ttl);
	return dns_wr_rr_end(w, m, sec);
}

/* addresses of the SRV targets in the answer, as far as they fit (RFC 2782 "additional data");
 * what does not fit is left out without TC (RFC 2181 s9) */
static void put_srv_additional(const dns_zone_t *z, dns_wr_t *w, const struct node *n)
{
	const struct node *seen[ADDL_SEEN];
	size_t nseen = 0;

	for (const struct rr *rr = n->rr[RK_SRV]; rr; rr = rr->next) {
		const uint8_t *tname = rr->rdata + rr->fixlen;
		const struct node *t = node_find(z, tname, rr->rdlen - rr->fixlen);
		bool dup = false;
		if (!t)
			continue;
		for (size_t i = 0; i < nseen; i++)
			dup |= seen[i] == t;
		if (dup)
			continue;
		if (nseen == ADDL_SEEN)
			return;
		seen[nseen++] = t;
		for (int k = RK_A; k <= RK_AAAA; k++)
			for (const struct rr *a = t->rr[k]; a; a = a->next)
				if (put_rr(w, t->name, a, z->ttl, DNS_SEC_AR) < 0)
					return;
	}
}

int dns_zone_answer(const dns_zone_t *z, const dns_query_t *q, uint8_t *out, size_t cap, size_t *ret_len)
{
	const uint8_t *soa_owner = z->apex;
	const struct node *n;
	dns_wr_t w;
	int rcode = DNS_RCODE_NOERROR;
	unsigned nans = 0;

	if (q->rcode || !q->has_q)
		return dns_reply_error(q, q->rcode ? q->rcode : DNS_RCODE_FORMERR, out, cap, ret_len);
	n = node_find(z, q->qname_lc, q->qname_len);
	if (!name_under(q->qname_lc, q->qname_len, z->apex, z->apex_len)) {
		/* reverse names are ours only where we hold a record: the rest goes upstream, like
		 * CoreDNS's `fallthrough in-addr.arpa ip6.arpa` */
		if (!n)
			return DNS_ZONE_NOTAUTH;
		soa_owner = name_under(q->qname_lc, q->qname_len, arpa4, sizeof(arpa4)) ? arpa4 : arpa6;
	}
	if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY)
		return dns_reply_error(q, DNS_RCODE_REFUSED, out, cap, ret_len);

	dns_wr_init(&w, out, dns_reply_limit(q, cap));
	if (q->edns)
		w.reserve = 11;
	dns_wr_header(&w, q, DNS_F_AA | DNS_F_RA, 0);
	dns_wr_question(&w, q);
	if (w.err)
		return -ENOBUFS;

	if (!n) {
		rcode = DNS_RCODE_NXDOMAIN;
	} else if (n->rr[RK_CNAME] && q->qtype != DNS_T_CNAME) {
		/* ExternalName: the CNAME alone; chasing the target is the resolver's job */
		if (put_rr(&w, q->qname, n->rr[RK_CNAME], z->ttl, DNS_SEC_AN) < 0)
			w.tc = true;
		nans++;
	} else {
		bool any = q->qtype == DNS_T_ANY;
		if (n == z->apex_node && (any || q->qtype == DNS_T_SOA)) {
			if (put_soa(z, &w, q->qname, DNS_SEC_AN) < 0)
				w.tc = true;
			nans++;
		}
		if (n == z->apex_node && (any || q->qtype == DNS_T_NS) && !w.tc) {
			dns_wr_mark_t m = dns_wr_rr_begin(&w, q->qname, DNS_T_NS, z->ttl);
			dns_wr_name(&w, z->ns, true);
			if (dns_wr_rr_end(&w, m, DNS_SEC_AN) < 0)
				w.tc = true;
			nans++;
		}
		for (int k = 0; k < RK_N && !w.tc; k++) {
			if (!any && rk_type[k] != q->qtype)
				continue;
			/* addresses start at a place picked by the query id, as CoreDNS's default
			 * `loadbalance` shuffles them: clients that take the first spread out */
			const struct rr *first = n->rr[k];
			if ((k == RK_A || k == RK_AAAA) && n->cnt[k] > 1)
				for (uint32_t skip = q->id % n->cnt[k]; skip > 0; skip--)
					first = first->next;
			const struct rr *rr = first;
			while (rr && !w.tc) {
				if (put_rr(&w, q->qname, rr, z->ttl, DNS_SEC_AN) < 0)
					w.tc = true;
				nans++;
				rr = rr->next ? rr->next : n->rr[k];
				if (rr == first)
					break;
			}
		}
		if (!w.tc && n->rr[RK_SRV] && (any || q->qtype == DNS_T_SRV))
			put_srv_additional(z, &w, n);
	}
	/* NXDOMAIN and NODATA carry the SOA for negative caching (RFC 2308 s3, s5) */
	if (nans == 0 && put_soa(z, &w, soa_owner, DNS_SEC_NS) < 0)
		w.tc = true;
	if (q->edns)
		dns_wr_opt(&w, DNS_UDP_MAX, rcode, q->edns_do);
	w.buf[3] |= (uint8_t)(rcode & 0xf);
	*ret_len = dns_wr_finish(&w);
	return DNS_ZONE_ANSWERED;
}
