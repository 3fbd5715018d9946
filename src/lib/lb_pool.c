/* The load-balancer address allocator (see lb_pool.h). A flat array of holdings (address, holder);
 * the number of LoadBalancer Services is small, and a free address is found by walking a range from
 * its start past the held ones, which costs at most (holdings + 1) probes per range whatever its size
 * (an IPv6 /64 included). */
#include "lib/lb_pool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct holding {
	lb_addr_t addr;
	char *key, *share; /* share may be NULL */
	lb_port_t *ports;
	size_t nports;
} holding_t;

struct lb_pool {
	lb_range_t *ranges;
	size_t nranges;
	holding_t *h;
	size_t n, cap;
};

static void seterr(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int lb_pool_new(lb_pool_t **ret)
{
	lb_pool_t *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

static void holding_clear(holding_t *h)
{
	free(h->key);
	free(h->share);
	free(h->ports);
}

void lb_pool_clear(lb_pool_t *p)
{
	for (size_t i = 0; i < p->n; i++)
		holding_clear(&p->h[i]);
	p->n = 0;
}

void lb_pool_free(lb_pool_t *p)
{
	if (!p)
		return;
	lb_pool_clear(p);
	free(p->h);
	free(p->ranges);
	free(p);
}

int lb_pool_set_ranges(lb_pool_t *p, const lb_range_t *ranges, size_t n)
{
	lb_range_t *r = NULL;

	if (n) {
		r = malloc(n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		memcpy(r, ranges, n * sizeof(*r));
	}
	free(p->ranges);
	p->ranges = r;
	p->nranges = n;
	return 0;
}

static bool in_ranges(const lb_pool_t *p, const lb_addr_t *a)
{
	for (size_t i = 0; i < p->nranges; i++)
		if (lb_range_contains(&p->ranges[i], a))
			return true;
	return false;
}

static bool share_eq(const char *a, const char *b)
{
	return a && b && *a && strcmp(a, b) == 0;
}

static bool ports_overlap(const lb_port_t *a, size_t na, const lb_port_t *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (a[i].port == b[j].port && strcmp(a[i].proto, b[j].proto) == 0)
				return true;
	return false;
}

/* 0 when req may hold addr next to its current holders; otherwise -EADDRINUSE and the first
 * conflicting holder in *ret_who. */
static int can_hold(const lb_pool_t *p, const lb_request_t *req, const lb_addr_t *addr, const char **ret_who)
{
	for (size_t i = 0; i < p->n; i++) {
		const holding_t *h = &p->h[i];
		if (!lb_addr_equal(&h->addr, addr) || strcmp(h->key, req->key) == 0)
			continue;
		if (!share_eq(h->share, req->share) || ports_overlap(h->ports, h->nports, req->ports, req->nports)) {
			*ret_who = h->key;
			return -EADDRINUSE;
		}
	}
	return 0;
}

static bool holds(const lb_pool_t *p, const char *key, const lb_addr_t *addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (lb_addr_equal(&p->h[i].addr, addr) && strcmp(p->h[i].key, key) == 0)
			return true;
	return false;
}

static bool held_by_anyone(const lb_pool_t *p, const lb_addr_t *addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (lb_addr_equal(&p->h[i].addr, addr))
			return true;
	return false;
}

static int add_holding(lb_pool_t *p, const lb_request_t *req, const lb_addr_t *addr)
{
	holding_t h = { .addr = *addr };

	if (holds(p, req->key, addr))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		holding_t *nh = realloc(p->h, cap * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		p->h = nh;
		p->cap = cap;
	}
	h.key = strdup(req->key);
	h.share = req->share && *req->share ? strdup(req->share) : NULL;
	h.nports = req->nports;
	h.ports = req->nports ? malloc(req->nports * sizeof(*h.ports)) : NULL;
	if (!h.key || (req->share && *req->share && !h.share) || (req->nports && !h.ports)) {
		holding_clear(&h);
		return -ENOMEM;
	}
	if (req->nports)
		memcpy(h.ports, req->ports, req->nports * sizeof(*h.ports));
	p->h[p->n++] = h;
	return 0;
}

/* Updates the share key and ports a holder registered (they may change with the Service). */
static int refresh_holding(lb_pool_t *p, const lb_request_t *req)
{
	for (size_t i = 0; i < p->n; i++) {
		holding_t *h = &p->h[i];
		char *share;
		lb_port_t *ports;

		if (strcmp(h->key, req->key) != 0)
			continue;
		share = req->share && *req->share ? strdup(req->share) : NULL;
		ports = req->nports ? malloc(req->nports * sizeof(*ports)) : NULL;
		if ((req->share && *req->share && !share) || (req->nports && !ports)) {
			free(share);
			free(ports);
			return -ENOMEM;
		}
		if (req->nports)
			memcpy(ports, req->ports, req->nports * sizeof(*ports));
		free(h->share);
		free(h->ports);
		h->share = share;
		h->ports = ports;
		h->nports = req->nports;
	}
	return 0;
}

bool lb_pool_occupy(lb_pool_t *p, const lb_request_t *req, const lb_addr_t *addr)
{
	const char *who;

	if (!req->key || !*req->key || !in_ranges(p, addr) || can_hold(p, req, addr, &who) < 0)
		return false;
	return add_holding(p, req, addr) == 0;
}

int lb_pool_release(lb_pool_t *p, const char *key)
{
	size_t i = 0;
	int n = 0;

	while (i < p->n) {
		if (strcmp(p->h[i].key, key) == 0) {
			holding_clear(&p->h[i]);
			p->h[i] = p->h[--p->n];
			n++;
		} else {
			i++;
		}
	}
	return n;
}

size_t lb_pool_held(const lb_pool_t *p, const char *key, lb_addr_t *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->h[i].key, key) != 0)
			continue;
		if (n < max)
			ret[n] = p->h[i].addr;
		n++;
	}
	return n;
}

size_t lb_pool_holders(const lb_pool_t *p, const lb_addr_t *addr)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (lb_addr_equal(&p->h[i].addr, addr))
			n++;
	return n;
}

unsigned long lb_pool_free_count(const lb_pool_t *p, int family, unsigned long max)
{
	unsigned long n = 0;

	for (size_t i = 0; i < p->nranges && n < max; i++) {
		const lb_range_t *r = &p->ranges[i];
		lb_u128 size, used = 0;

		if (r->first.family != family)
			continue;
		size = r->last.v - r->first.v; /* + 1, without overflowing a full /0 */
		for (size_t j = 0; j < p->n; j++) {
			bool dup = false;
			if (!lb_range_contains(r, &p->h[j].addr))
				continue;
			for (size_t k = 0; k < j && !dup; k++)
				dup = lb_addr_equal(&p->h[k].addr, &p->h[j].addr);
			if (!dup)
				used++;
		}
		if (size - used + 1 >= (lb_u128)(max - n) || size == ~(lb_u128)0)
			return max;
		n += (unsigned long)(size - used + 1);
	}
	return n < max ? n : max;
}

/* The lowest address of family held by nobody; -ENOSPC when none. */
static int find_free(const lb_pool_t *p, int family, lb_addr_t *ret)
{
	for (size_t i = 0; i < p->nranges; i++) {
		const lb_range_t *r = &p->ranges[i];
		lb_addr_t a = r->first;

		if (r->first.family != family)
			continue;
		for (;;) {
			if (!held_by_anyone(p, &a)) {
				*ret = a;
				return 0;
			}
			if (a.v == r->last.v)
				break;
			a.v++;
		}
	}
	return -ENOSPC;
}

/* An address of family already held by a Service with req's share key, compatible with req. */
static bool find_shared(const lb_pool_t *p, const lb_request_t *req, int family, lb_addr_t *ret)
{
	const char *who;

	if (!req->share || !*req->share)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		const holding_t *h = &p->h[i];
		if (h->addr.family != family || !share_eq(h->share, req->share) || strcmp(h->key, req->key) == 0 ||
		    !in_ranges(p, &h->addr))
			continue;
		if (can_hold(p, req, &h->addr, &who) == 0) {
			*ret = h->addr;
			return true;
		}
	}
	return false;
}

static bool has_family_range(const lb_pool_t *p, int family)
{
	for (size_t i = 0; i < p->nranges; i++)
		if (p->ranges[i].first.family == family)
			return true;
	return false;
}

int lb_pool_assign(lb_pool_t *p, const lb_request_t *req, lb_addr_t *ret, size_t *ret_n, char *err, size_t errlen)
{
	lb_addr_t want[LB_POOL_MAX_IPS];
	size_t nwant = 0;
	char buf[64];
	const char *who;
	int rc;

	if (!req->key || !*req->key) {
		seterr(err, errlen, "no service key");
		return -EINVAL;
	}
	if (req->nrequested) {
		for (size_t i = 0; i < req->nrequested && i < LB_POOL_MAX_IPS; i++) {
			const lb_addr_t *a = &req->requested[i];
			lb_addr_format(a, buf, sizeof(buf));
			if (a->family != req->families[0] && a->family != req->families[1]) {
				seterr(err, errlen, "%s does not match the service's IP families", buf);
				return -EADDRNOTAVAIL;
			}
			if (!in_ranges(p, a)) {
				seterr(err, errlen, "%s is not in a configured pool", buf);
				return -EADDRNOTAVAIL;
			}
			if (can_hold(p, req, a, &who) < 0) {
				seterr(err, errlen, "%s is already in use by %s%s", buf, who,
				       req->share && *req->share ? " (different sharing key or overlapping ports)" : "");
				return -EADDRINUSE;
			}
			want[nwant++] = *a;
		}
	} else {
		bool any_range = false;
		for (int f = 0; f < 2 && req->families[f]; f++) {
			int family = req->families[f];
			lb_addr_t cur[LB_POOL_MAX_IPS], a;
			size_t ncur = lb_pool_held(p, req->key, cur, LB_POOL_MAX_IPS);
			bool found = false;

			if (!has_family_range(p, family)) {
				if (req->require_all_families) {
					seterr(err, errlen, "no available IPs: no %s pool is configured",
					       family == AF_INET ? "IPv4" : "IPv6");
					return -ENOSPC;
				}
				continue;
			}
			any_range = true;
			/* keep what it holds while that is still in a pool and still compatible */
			for (size_t i = 0; i < ncur && i < LB_POOL_MAX_IPS && !found; i++) {
				if (cur[i].family == family && in_ranges(p, &cur[i]) && can_hold(p, req, &cur[i], &who) == 0) {
					a = cur[i];
					found = true;
				}
			}
			if (!found)
				found = find_shared(p, req, family, &a);
			if (!found && find_free(p, family, &a) < 0) {
				seterr(err, errlen, "no available IPs in the %s pools", family == AF_INET ? "IPv4" : "IPv6");
				if (req->require_all_families)
					return -ENOSPC;
				continue; /* PreferDualStack: what there is (err kept in case nothing is) */
			}
			want[nwant++] = a;
		}
		if (!any_range) {
			seterr(err, errlen, "no available IPs: no pool of the service's IP families is configured");
			return -ENOSPC;
		}
		if (!nwant)
			return -ENOSPC;
	}
	/* commit: drop what is no longer wanted, record the rest */
	for (size_t i = 0; i < p->n;) {
		bool keep = false;
		if (strcmp(p->h[i].key, req->key) == 0) {
			for (size_t j = 0; j < nwant && !keep; j++)
				keep = lb_addr_equal(&p->h[i].addr, &want[j]);
			if (!keep) {
				holding_clear(&p->h[i]);
				p->h[i] = p->h[--p->n];
				continue;
			}
		}
		i++;
	}
	if ((rc = refresh_holding(p, req)) < 0)
		return rc;
	for (size_t j = 0; j < nwant; j++)
		if ((rc = add_holding(p, req, &want[j])) < 0)
			return rc;
	memcpy(ret, want, nwant * sizeof(*ret));
	*ret_n = nwant;
	return 0;
}
