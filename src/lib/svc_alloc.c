/* ClusterIP and NodePort allocation for Services, as kube-apiserver's ipallocator and portallocator
 * bitmaps driven by storage/alloc.go: initIPFamilyFields, allocateCreate / allocateUpdate with their
 * transactions, releaseAllocatedResources, and the start-up repair that rebuilds the bitmaps from the
 * stored Services (Portico keeps no allocation state of its own, so a crash cannot leak a value). */
#include "lib/service.h"
#include "lib/svc_json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lib/field_err.h"

#define ERR_IP_ALLOCATED "provided IP is already allocated"
#define ERR_PORT_ALLOCATED "provided port is already allocated"
#define ERR_FULL "range is full"

enum { POOL_IP0, POOL_IP1, POOL_PORT, POOL_N };

/* A bitmap over [0, size): values [0, offset) are the static band, which automatic allocation only
 * uses once the dynamic band [offset, size) is full (KEP-3070 / KEP-3668), so that users can pick
 * values from the low band with little risk of a clash. */
typedef struct pool {
	uint64_t *bits;
	uint32_t size, offset, used, used_low;
} pool_t;

struct svc_alloc {
	svc_config_t cfg;
	pool_t pool[POOL_N];
	uint64_t rng;
	char errmsg[256];
};

struct ent {
	uint8_t pool;
	uint32_t idx;
};

struct svc_txn {
	struct ent *alloc, *rel; /* what this transaction allocated; what its commit releases */
	size_t n_alloc, n_rel, cap_alloc, cap_rel;
};

/* ---- JSON helpers -------------------------------------------------------------------------------- */

/* Go's %#v of a []string member (as upstream renders spec.clusterIPs in errors). Caller frees. */
static char *go_slice(const json_t *o, const char *k)
{
	json_t *v = jget(o, k), *e;
	char *out = NULL, *q;
	size_t len = 0, i;
	FILE *f;

	if (!json_is_array(v))
		return strdup("[]string(nil)");
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fputs("[]string{", f);
	json_array_foreach(v, i, e) {
		q = ferr_quote(json_is_string(e) ? json_string_value(e) : "");
		fprintf(f, "%s%s", i ? ", " : "", q ? q : "\"\"");
		free(q);
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void invalid_slice(json_t *errs, const char *field, const json_t *spec, const char *detail)
{
	char *raw = go_slice(spec, "clusterIPs"), *msg = NULL;
	json_t *c;

	if (raw && asprintf(&msg, "Invalid value: %s: %s", raw, detail) >= 0) {
		c = json_pack("{s:s, s:s, s:s}", "reason", "FieldValueInvalid", "message", msg, "field", field);
		if (c)
			json_array_append_new(errs, c);
	}
	free(raw);
	free(msg);
}

static bool is_type(const json_t *svc, const char *t)
{
	return strcmp(svc_type(svc), t) == 0;
}

static bool needs_node_port(const json_t *svc)
{
	return is_type(svc, "NodePort") || is_type(svc, "LoadBalancer");
}

/* shouldAllocateNodePorts: LoadBalancers may opt out (allocateLoadBalancerNodePorts: false, KEP-1864). */
static bool should_allocate_node_ports(const json_t *svc)
{
	if (is_type(svc, "NodePort"))
		return true;
	return is_type(svc, "LoadBalancer") && !json_is_false(jget(jspec(svc), "allocateLoadBalancerNodePorts"));
}

/* ---- a small hash map keyed by (integer, optional string) ---------------------------------------- */

/* Keeps per-Service bookkeeping O(n) however many ports a client sends (no O(n^2) scans). */
struct hent {
	long long k;
	const char *s;
	long long v;
	bool used;
};

struct hmap {
	struct hent *e;
	size_t cap;
};

static int hmap_init(struct hmap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < 2 * n + 8)
		m->cap *= 2;
	m->e = calloc(m->cap, sizeof(*m->e));
	return m->e ? 0 : -ENOMEM;
}

/* The entry for (k, s), or the empty slot where it would go. */
static struct hent *hmap_slot(struct hmap *m, long long k, const char *s)
{
	uint64_t h = (uint64_t)k * 0x9e3779b97f4a7c15ULL;

	for (const char *p = s; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	for (size_t i = (size_t)(h >> 17) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct hent *e = &m->e[i];

		if (!e->used || (e->k == k && (e->s == s || (e->s && s && !strcmp(e->s, s)))))
			return e;
	}
}

static void hmap_put(struct hmap *m, long long k, const char *s, long long v)
{
	struct hent *e = hmap_slot(m, k, s);

	*e = (struct hent){ k, s, v, true };
}

/* ---- configuration ----------------------------------------------------------------------------------- */

static int parse_cidr(const char *s, size_t len, svc_cidr_t *ret)
{
	char buf[64], txt[INET6_ADDRSTRLEN];
	char *slash;
	svc_cidr_t c = { 0 };
	int bits = 0;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (!slash || !slash[1] || strlen(slash + 1) > 3)
		return -EINVAL;
	*slash = '\0';
	for (const char *p = slash + 1; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		bits = bits * 10 + (*p - '0');
	}
	if (inet_pton(AF_INET, buf, c.net) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c.net) == 1)
		c.family = AF_INET6;
	else
		return -EINVAL;
	/* kube-apiserver: "specified --service-cluster-ip-range is too large; for 32-bit addresses, the
	 * mask must be >= 12" (>= 108 for 128-bit ones): the bitmap holds every address. */
	if (c.family == AF_INET ? (bits < 12 || bits > 32) : (bits < 108 || bits > 128))
		return -EINVAL;
	c.prefix = bits;
	for (int i = 0; i < 16; i++) {
		int keep = bits - i * 8;

		c.net[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
	inet_ntop(c.family, c.net, txt, sizeof(txt));
	snprintf(c.str, sizeof(c.str), "%s/%d", txt, bits);
	*ret = c;
	return 0;
}

static int parse_port(const char *s, size_t len, int *ret)
{
	int v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*ret = v;
	return 0;
}

int svc_config_init(svc_config_t *cfg, const char *service_cidrs, const char *node_port_range)
{
	svc_config_t c = { 0 };
	const char *s = service_cidrs ? service_cidrs : "10.43.0.0/16", *comma, *dash;
	const char *ports = node_port_range ? node_port_range : "30000-32767";
	int lo, hi;

	comma = strchr(s, ',');
	if (parse_cidr(s, comma ? (size_t)(comma - s) : strlen(s), &c.cidr[0]) < 0)
		return -EINVAL;
	c.n_cidrs = 1;
	if (comma) {
		/* Dual-stack takes one range of each family. */
		if (parse_cidr(comma + 1, strlen(comma + 1), &c.cidr[1]) < 0 || c.cidr[1].family == c.cidr[0].family)
			return -EINVAL;
		c.n_cidrs = 2;
	}

	/* net.ParsePortRange: "base-max", "base+offset" or a single port. */
	dash = strpbrk(ports, "-+");
	if (!dash) {
		if (parse_port(ports, strlen(ports), &lo) < 0)
			return -EINVAL;
		hi = lo;
	} else {
		if (parse_port(ports, (size_t)(dash - ports), &lo) < 0)
			return -EINVAL;
		if (*dash == '-') {
			if (parse_port(dash + 1, strlen(dash + 1), &hi) < 0)
				return -EINVAL;
		} else {
			int off;

			if (!strcmp(dash + 1, "0"))
				off = 0;
			else if (parse_port(dash + 1, strlen(dash + 1), &off) < 0)
				return -EINVAL;
			hi = lo + off;
		}
		if (hi < lo || hi > 65535)
			return -EINVAL;
	}
	c.port_base = lo;
	c.port_size = hi - lo + 1;
	snprintf(c.port_str, sizeof(c.port_str), "%d-%d", lo, hi);
	*cfg = c;
	return 0;
}

/* IP arithmetic on 128-bit integers (IPv4 in the low 32 bits). */
typedef unsigned __int128 u128;

static u128 ip_to_u128(int family, const uint8_t *b)
{
	u128 v = 0;

	for (int i = 0; i < (family == AF_INET ? 4 : 16); i++)
		v = (v << 8) | b[i];
	return v;
}

static void u128_to_ip(int family, u128 v, char *buf, size_t len)
{
	uint8_t b[16];
	int n = family == AF_INET ? 4 : 16;

	for (int i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	if (!inet_ntop(family, b, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

void svc_config_first_ip(const svc_config_t *cfg, int idx, char *buf, size_t len)
{
	const svc_cidr_t *c = &cfg->cidr[idx];

	u128_to_ip(c->family, ip_to_u128(c->family, c->net) + 1, buf, len);
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* The ClusterIP pool (POOL_IP0/1) of a family name, or -1 when the cluster does not have it. */
static int pool_of_family(const svc_config_t *cfg, const char *fam)
{
	for (int i = 0; i < cfg->n_cidrs; i++)
		if (!strcmp(fam, family_name(cfg->cidr[i].family)))
			return POOL_IP0 + i;
	return -1;
}

/* ---- bitmaps ------------------------------------------------------------------------------------------ */

/* calculateRangeOffset: min(max(lo, size/step), hi), none at all for ranges of at most lo values. */
static uint32_t range_offset(u128 range_size, uint32_t lo, uint32_t step, uint32_t hi)
{
	u128 off;

	if (range_size <= lo)
		return 0;
	off = range_size / step;
	return off < lo ? lo : off > hi ? hi : (uint32_t)off;
}

static int pool_init(pool_t *p, uint32_t size, uint32_t offset)
{
	p->size = size;
	p->offset = offset < size ? offset : 0;
	p->bits = calloc((size + 63) / 64 + 1, sizeof(uint64_t));
	return p->bits ? 0 : -ENOMEM;
}

static bool pool_test(const pool_t *p, uint32_t i)
{
	return p->bits[i / 64] >> (i % 64) & 1;
}

static void pool_set(pool_t *p, uint32_t i)
{
	p->bits[i / 64] |= 1ULL << (i % 64);
	p->used++;
	if (i < p->offset)
		p->used_low++;
}

static void pool_clear(pool_t *p, uint32_t i)
{
	if (i >= p->size || !pool_test(p, i))
		return;
	p->bits[i / 64] &= ~(1ULL << (i % 64));
	p->used--;
	if (i < p->offset)
		p->used_low--;
}

/* The first free value in [lo, hi), a 64-bit word at a time; -1 when none. */
static int64_t pool_find_free(const pool_t *p, uint32_t lo, uint32_t hi)
{
	for (uint32_t i = lo; i < hi;) {
		uint32_t w = i / 64;
		uint64_t free_bits = ~p->bits[w] & (~0ULL << (i % 64));

		if (w == (hi - 1) / 64 && hi % 64)
			free_bits &= (1ULL << (hi % 64)) - 1;
		if (free_bits)
			return (int64_t)w * 64 + __builtin_ctzll(free_bits);
		i = (w + 1) * 64;
	}
	return -1;
}

static uint64_t rng_next(svc_alloc_t *a)
{
	/* xorshift64*: allocation needs spread, not secrecy. */
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 0x2545f4914f6cdd1dULL;
}

/* AllocateNext with upstream's randomScanStrategyWithOffset: the dynamic band first, a random start
 * then the next free value with wrap-around. The scan is word-wise, so the cost stays flat as the
 * range fills (a random probe until a hit would slow down near full). */
static int pool_next(svc_alloc_t *a, pool_t *p, uint32_t *ret)
{
	uint32_t lo, hi, start;
	int64_t i;

	if (p->used >= p->size)
		return -ENOSPC;
	if (p->used - p->used_low < p->size - p->offset) {
		lo = p->offset;
		hi = p->size;
	} else {
		lo = 0;
		hi = p->offset;
	}
	start = lo + (uint32_t)(rng_next(a) % (hi - lo));
	i = pool_find_free(p, start, hi);
	if (i < 0)
		i = pool_find_free(p, lo, start);
	if (i < 0)
		return -ENOSPC; /* counts out of step: cannot happen */
	pool_set(p, (uint32_t)i);
	*ret = (uint32_t)i;
	return 0;
}

/* The bitmap index of an IP string in a ClusterIP pool: -ERANGE outside it (the network address and,
 * for IPv4, the broadcast address included), -EINVAL when not an IP of the pool's family. */
static int64_t ip_index(const svc_alloc_t *a, int pool, const char *ip)
{
	const svc_cidr_t *c = &a->cfg.cidr[pool - POOL_IP0];
	uint8_t b[16];
	u128 base, v;

	if (svc_ip_parse(ip, b) != c->family)
		return svc_ip_parse(ip, b) ? -ERANGE : -EINVAL;
	base = ip_to_u128(c->family, c->net) + 1;
	v = ip_to_u128(c->family, b);
	if (v < base || v - base >= a->pool[pool].size)
		return -ERANGE;
	return (int64_t)(v - base);
}

static void ip_string(const svc_alloc_t *a, int pool, uint32_t idx, char *buf, size_t len)
{
	const svc_cidr_t *c = &a->cfg.cidr[pool - POOL_IP0];

	u128_to_ip(c->family, ip_to_u128(c->family, c->net) + 1 + idx, buf, len);
}

static int64_t port_index(const svc_alloc_t *a, long long port)
{
	if (port < a->cfg.port_base || port - a->cfg.port_base >= a->cfg.port_size)
		return -ERANGE;
	return port - a->cfg.port_base;
}

int svc_alloc_new(const svc_config_t *cfg, svc_alloc_t **ret)
{
	svc_alloc_t *a = calloc(1, sizeof(*a));
	uint64_t seed = 0;

	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	for (int i = 0; i < cfg->n_cidrs; i++) {
		const svc_cidr_t *c = &cfg->cidr[i];
		int host = (c->family == AF_INET ? 32 : 128) - c->prefix;
		u128 range = (u128)1 << host, size;

		/* ipallocator: never the network address; for IPv4 never the broadcast address; an IPv6
		 * bitmap is capped at 65536 addresses. */
		size = c->family == AF_INET ? (range >= 2 ? range - 2 : 0) : (range > 65536 ? 65536 : range) - 1;
		if (pool_init(&a->pool[POOL_IP0 + i], (uint32_t)size, range_offset(range, 16, 16, 256)) < 0)
			goto fail;
	}
	if (pool_init(&a->pool[POOL_PORT], (uint32_t)cfg->port_size, range_offset((u128)cfg->port_size, 16, 32, 128)) < 0)
		goto fail;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)a;
	svc_alloc_seed(a, seed);
	*ret = a;
	return 0;
fail:
	svc_alloc_free(a);
	return -ENOMEM;
}

void svc_alloc_free(svc_alloc_t *a)
{
	if (!a)
		return;
	for (int i = 0; i < POOL_N; i++)
		free(a->pool[i].bits);
	free(a);
}

void svc_alloc_seed(svc_alloc_t *a, uint64_t seed)
{
	a->rng = seed ? seed : 0x853c49e6748fea9bULL; /* xorshift must not start at 0 */
}

const char *svc_alloc_errmsg(const svc_alloc_t *a)
{
	return a->errmsg;
}

void svc_alloc_usage(const svc_alloc_t *a, int idx, uint32_t *ret_used, uint32_t *ret_size)
{
	const pool_t *p = idx >= 0 && idx < POOL_N ? &a->pool[idx] : NULL;

	*ret_used = p && p->bits ? p->used : 0;
	*ret_size = p && p->bits ? p->size : 0;
}

static int internal(svc_alloc_t *a, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int internal(svc_alloc_t *a, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->errmsg, sizeof(a->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

/* ---- initIPFamilyFields ------------------------------------------------------------------------------- */

static bool str_list_equal(const json_t *a, const json_t *b)
{
	size_t na = json_is_array(a) ? json_array_size(a) : 0, nb = json_is_array(b) ? json_array_size(b) : 0;

	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!json_equal(json_array_get(a, i), json_array_get(b, i)))
			return false;
	return true;
}

/* isMatchingPreferDualStackClusterIPFields: a PreferDualStack Service is not upgraded or downgraded
 * just because the cluster changed; only an explicit policy change with added or removed IPs does it. */
static bool matching_prefer_dual_stack(const json_t *svc, const json_t *old)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);

	if (!old || !jget(spec, "ipFamilyPolicy") || strcmp(svc_type(old), svc_type(svc)) != 0)
		return false;
	if (!is_type(svc, "ClusterIP") && !needs_node_port(svc))
		return false;
	if (strcmp(jstr(spec, "ipFamilyPolicy"), "PreferDualStack") != 0)
		return false;
	if (jget(ospec, "ipFamilyPolicy") && strcmp(jstr(ospec, "ipFamilyPolicy"), "PreferDualStack") != 0)
		return false;
	return str_list_equal(jget(ospec, "clusterIPs"), jget(spec, "clusterIPs")) &&
	       str_list_equal(jget(ospec, "ipFamilies"), jget(spec, "ipFamilies"));
}

static void truncate_list(json_t *spec, const char *k)
{
	json_t *v = jget(spec, k);

	while (json_is_array(v) && json_array_size(v) > 1)
		json_array_remove(v, json_array_size(v) - 1);
}

static void append_family(json_t *spec, const char *fam)
{
	json_t *v = jget(spec, "ipFamilies");

	if (!json_is_array(v)) {
		v = json_array();
		if (!v || json_object_set_new(spec, "ipFamilies", v) < 0)
			return;
	}
	json_array_append_new(v, json_string(fam));
}

static const char *other_family(const char *fam)
{
	return !strcmp(fam, "IPv4") ? "IPv6" : "IPv4";
}

int svc_init_ip_families(json_t *svc, const json_t *old, const svc_config_t *cfg, json_t *errs)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);
	const char *policy, *dflt = family_name(cfg->cidr[0].family);
	size_t n0 = json_array_size(errs), i;
	bool headless_selectorless;
	char path[64];

	if (!spec || is_type(svc, "ExternalName"))
		return 0;
	if (matching_prefer_dual_stack(svc, old))
		return 0;

	/* No static default: a create without a policy is SingleStack, an update keeps the old policy, so
	 * a PUT dropping the secondary IP without saying so fails instead of silently downgrading. */
	headless_selectorless = !strcmp(jstr(spec, "clusterIP"), "None") &&
				!(json_is_object(jget(spec, "selector")) && json_object_size(jget(spec, "selector")));
	if (!jget(spec, "ipFamilyPolicy")) {
		if (old && jget(ospec, "ipFamilyPolicy"))
			json_object_set_new(spec, "ipFamilyPolicy", json_deep_copy(jget(ospec, "ipFamilyPolicy")));
		else
			json_object_set_new(spec, "ipFamilyPolicy",
					    json_string(headless_selectorless ? "RequireDualStack" : "SingleStack"));
	}
	policy = jstr(spec, "ipFamilyPolicy");

	/* Loose pre-validation, so the rest need not consider malformed input. */
	svc_validate_cluster_ips(svc, errs);
	if (json_array_size(errs) > n0)
		return -EINVAL;

	if (old) {
		if (!strcmp(policy, "SingleStack")) {
			/* Unchanged lists plus SingleStack is clear intent to downgrade; clusterIPs[0] is immutable,
			 * so keeping it is safe. */
			if (str_list_equal(jget(ospec, "clusterIPs"), jget(spec, "clusterIPs")))
				truncate_list(spec, "clusterIPs");
			if (str_list_equal(jget(ospec, "ipFamilies"), jget(spec, "ipFamilies")))
				truncate_list(spec, "ipFamilies");
		} else {
			if (jlen(spec, "clusterIPs") && jlen(spec, "clusterIPs") < jlen(ospec, "clusterIPs"))
				ferr_invalid_str(errs, "spec.ipFamilyPolicy", policy,
						 "must be 'SingleStack' to release the secondary cluster IP");
			if (jlen(spec, "ipFamilies") && jlen(spec, "ipFamilies") < jlen(ospec, "ipFamilies"))
				ferr_invalid_str(errs, "spec.ipFamilyPolicy", policy,
						 "must be 'SingleStack' to release the secondary IP family");
		}
	}

	if (!strcmp(policy, "SingleStack")) {
		if (jlen(spec, "clusterIPs") == 2)
			ferr_invalid_str(errs, "spec.ipFamilyPolicy", policy,
					 "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
		if (jlen(spec, "ipFamilies") == 2)
			ferr_invalid_str(errs, "spec.ipFamilyPolicy", policy,
					 "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
	}

	/* Infer ipFamilies from clusterIPs (already known to be well-formed and to match given families). */
	for (i = 0; i < jlen(spec, "clusterIPs"); i++) {
		const char *ip = jat(spec, "clusterIPs", i), *fam;
		uint8_t b[16];

		if (!strcmp(ip, "None"))
			break;
		fam = svc_ip_parse(ip, b) == AF_INET6 ? "IPv6" : "IPv4";
		if (i < jlen(spec, "ipFamilies"))
			continue;
		if (pool_of_family(cfg, fam) < 0) {
			char msg[64];

			snprintf(path, sizeof(path), "spec.clusterIPs[%zu]", i);
			snprintf(msg, sizeof(msg), "%s is not configured on this cluster", fam);
			invalid_slice(errs, path, spec, msg);
		} else {
			append_family(spec, fam);
		}
	}
	if (json_array_size(errs) > n0)
		return -EINVAL;

	/* Headless without a selector may name families the cluster lacks: it only lists endpoints. */
	if (headless_selectorless) {
		if (!jlen(spec, "ipFamilies"))
			append_family(spec, dflt);
		if (jlen(spec, "ipFamilies") < 2 && strcmp(policy, "SingleStack") != 0)
			append_family(spec, other_family(jat(spec, "ipFamilies", 0)));
		return 0;
	}

	if (!strcmp(policy, "RequireDualStack") && cfg->n_cidrs < 2)
		ferr_invalid_str(errs, "spec.ipFamilyPolicy", policy, "this cluster is not configured for dual-stack services");
	for (i = 0; i < jlen(spec, "ipFamilies"); i++) {
		if (pool_of_family(cfg, jat(spec, "ipFamilies", i)) < 0) {
			snprintf(path, sizeof(path), "spec.ipFamilies[%zu]", i);
			ferr_invalid_str(errs, path, jat(spec, "ipFamilies", i), "not configured on this cluster");
		}
	}
	if (json_array_size(errs) > n0)
		return -EINVAL;

	if (!jlen(spec, "ipFamilies"))
		append_family(spec, dflt);
	if (strcmp(policy, "SingleStack") != 0 && jlen(spec, "ipFamilies") == 1 && cfg->n_cidrs == 2)
		append_family(spec, other_family(jat(spec, "ipFamilies", 0)));
	return 0;
}

/* ---- transactions ------------------------------------------------------------------------------------- */

static int ent_push(struct ent **v, size_t *n, size_t *cap, int pool, uint32_t idx)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct ent *e = realloc(*v, c * sizeof(**v));

		if (!e)
			return -ENOMEM;
		*v = e;
		*cap = c;
	}
	(*v)[(*n)++] = (struct ent){ (uint8_t)pool, idx };
	return 0;
}

/* Allocate(value): -EEXIST when taken (by anyone, this transaction included). */
static int op_take(svc_alloc_t *a, svc_txn_t *t, int pool, uint32_t idx)
{
	pool_t *p = &a->pool[pool];

	if (pool_test(p, idx))
		return -EEXIST;
	if (ent_push(&t->alloc, &t->n_alloc, &t->cap_alloc, pool, idx) < 0)
		return -ENOMEM;
	pool_set(p, idx);
	return 0;
}

static int op_next(svc_alloc_t *a, svc_txn_t *t, int pool, uint32_t *ret)
{
	int r;

	if (ent_push(&t->alloc, &t->n_alloc, &t->cap_alloc, pool, 0) < 0)
		return -ENOMEM;
	r = pool_next(a, &a->pool[pool], ret);
	if (r < 0) {
		t->n_alloc--;
		return r;
	}
	t->alloc[t->n_alloc - 1].idx = *ret;
	return 0;
}

/* ReleaseDeferred: the value stays taken until the write is durable. */
static void op_release_later(svc_alloc_t *a, svc_txn_t *t, int pool, int64_t idx)
{
	if (pool < 0 || idx < 0 || (uint64_t)idx >= a->pool[pool].size)
		return;
	ent_push(&t->rel, &t->n_rel, &t->cap_rel, pool, (uint32_t)idx);
}

static void txn_free(svc_txn_t *t)
{
	if (!t)
		return;
	free(t->alloc);
	free(t->rel);
	free(t);
}

void svc_txn_commit(svc_alloc_t *a, svc_txn_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rel; i++)
		pool_clear(&a->pool[t->rel[i].pool], t->rel[i].idx);
	txn_free(t);
}

void svc_txn_rollback(svc_alloc_t *a, svc_txn_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_alloc; i++)
		pool_clear(&a->pool[t->alloc[i].pool], t->alloc[i].idx);
	txn_free(t);
}

/* allocIPs for one family: a requested IP or the next free one, into clusterIPs[i] (and clusterIP). */
static int alloc_ip(svc_alloc_t *a, svc_txn_t *t, json_t *spec, size_t i, json_t *errs)
{
	const char *fam = jat(spec, "ipFamilies", i), *want = jat(spec, "clusterIPs", i);
	int pool = pool_of_family(&a->cfg, fam), r;
	json_t *ips = jget(spec, "clusterIPs");
	char buf[INET6_ADDRSTRLEN], msg[256];
	uint32_t idx;

	if (pool < 0) /* initIPFamilyFields rejected it already */
		return internal(a, SVC_E_INTERNAL, "failed to allocate a serviceIP: %s is not configured", fam);
	if (!*want) {
		r = op_next(a, t, pool, &idx);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return internal(a, SVC_E_INTERNAL, "failed to allocate a serviceIP: " ERR_FULL);
		ip_string(a, pool, idx, buf, sizeof(buf));
		json_array_set_new(ips, i, json_string(buf));
	} else {
		int64_t at = ip_index(a, pool, want);

		r = at < 0 ? (int)at : op_take(a, t, pool, (uint32_t)at);
		if (r == -ENOMEM)
			return r;
		if (r == -EEXIST) {
			snprintf(msg, sizeof(msg), "failed to allocate IP %s: " ERR_IP_ALLOCATED, want);
		} else if (r < 0) {
			uint8_t b[16];
			int f = svc_ip_parse(want, b);

			if (!f || !inet_ntop(f, b, buf, sizeof(buf)))
				snprintf(buf, sizeof(buf), "<nil>");
			snprintf(msg, sizeof(msg), "failed to allocate IP %s: the provided IP (%s) is not in the valid "
				 "range. The range of valid IPs is %s", want, buf, a->cfg.cidr[pool - POOL_IP0].str);
		}
		if (r < 0) {
			invalid_slice(errs, "spec.clusterIPs", spec, msg);
			return -EINVAL;
		}
	}
	if (i == 0)
		json_object_set_new(spec, "clusterIP", json_string(jat(spec, "clusterIPs", 0)));
	return 0;
}

/* allocClusterIPs: every family in ipFamilies gets the IP named at its index, or a new one. */
static int alloc_cluster_ips(svc_alloc_t *a, svc_txn_t *t, json_t *svc, json_t *errs)
{
	json_t *spec = jspec(svc), *ips;
	int r;

	if (!spec || is_type(svc, "ExternalName") || !strcmp(jat(spec, "clusterIPs", 0), "None"))
		return 0;
	ips = jget(spec, "clusterIPs");
	if (!json_is_array(ips)) {
		ips = json_array();
		if (!ips || json_object_set_new(spec, "clusterIPs", ips) < 0)
			return -ENOMEM;
	}
	while (json_array_size(ips) < jlen(spec, "ipFamilies"))
		json_array_append_new(ips, json_string("")); /* a marker: allocate this one */
	for (size_t i = 0; i < jlen(spec, "ipFamilies"); i++)
		if ((r = alloc_ip(a, t, spec, i, errs)) < 0)
			return r;
	return 0;
}

/* The bitmap index of a nodePort for an Allocate that failed: fills errs as upstream. */
static int node_port_error(svc_alloc_t *a, json_t *errs, size_t i, long long np, int r)
{
	char path[64], msg[160];

	if (r == -ENOMEM)
		return r;
	snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
	if (r == -EEXIST)
		snprintf(msg, sizeof(msg), ERR_PORT_ALLOCATED);
	else
		snprintf(msg, sizeof(msg), "provided port is not in the valid range. The range of valid ports is %s",
			 a->cfg.port_str);
	ferr_invalid_int(errs, path, np, msg);
	return -EINVAL;
}

static int take_port(svc_alloc_t *a, svc_txn_t *t, long long np)
{
	int64_t at = port_index(a, np);

	return at < 0 ? (int)at : op_take(a, t, POOL_PORT, (uint32_t)at);
}

static int next_port(svc_alloc_t *a, svc_txn_t *t, long long *ret)
{
	uint32_t idx;
	int r = op_next(a, t, POOL_PORT, &idx);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return internal(a, SVC_E_INTERNAL, "failed to allocate a nodePort: " ERR_FULL);
	*ret = a->cfg.port_base + (long long)idx;
	return 0;
}

/* initNodePorts (create): ports sharing a service port number (e.g. TCP and UDP 53) share a nodePort. */
static int create_node_ports(svc_alloc_t *a, svc_txn_t *t, json_t *svc, json_t *errs)
{
	json_t *ports = jget(jspec(svc), "ports"), *p;
	size_t n = json_is_array(ports) ? json_array_size(ports) : 0, i;
	struct hmap by_port = { 0 }, requested = { 0 };
	bool alloc_all = should_allocate_node_ports(svc);
	int r = 0;

	if (!n)
		return 0;
	if (hmap_init(&by_port, n) < 0 || hmap_init(&requested, n) < 0) {
		r = -ENOMEM;
		goto out;
	}
	/* findRequestedNodePort: the first nodePort asked for on any entry of the same port number. */
	json_array_foreach(ports, i, p) {
		struct hent *e = hmap_slot(&requested, jint(p, "port"), NULL);

		if (jint(p, "nodePort") && !e->used)
			*e = (struct hent){ jint(p, "port"), NULL, jint(p, "nodePort"), true };
	}
	json_array_foreach(ports, i, p) {
		long long want = jint(p, "nodePort"), port = jint(p, "port"), have, np = 0;
		struct hent *e;

		if (!want && !alloc_all)
			continue; /* no new ports, but requests are honoured */
		e = hmap_slot(&by_port, port, NULL);
		have = e->used ? e->v : 0;
		if (!have) {
			struct hent *req = hmap_slot(&requested, port, NULL);

			if (req->used) {
				np = req->v;
				if ((r = take_port(a, t, np)) < 0) {
					r = node_port_error(a, errs, i, np, r);
					goto out;
				}
			} else if ((r = next_port(a, t, &np)) < 0) {
				goto out;
			}
			json_object_set_new(p, "nodePort", json_integer(np));
			hmap_put(&by_port, port, NULL, np);
		} else if (want != have) {
			if (!want) {
				json_object_set_new(p, "nodePort", json_integer(have));
			} else if ((r = take_port(a, t, want)) < 0) {
				r = node_port_error(a, errs, i, want, r);
				goto out;
			}
		}
	}
out:
	free(by_port.e);
	free(requested.e);
	return r;
}

/* The distinct non-zero nodePorts a Service holds, into m (key = port). Only NodePort and LoadBalancer
 * Services hold theirs: validation lets an ExternalName one carry nodePort values that were never
 * allocated, and counting those (as upstream's collectServiceNodePorts does) would let an update to
 * NodePort keep them unallocated, and a delete free another Service's port. */
static int collect_node_ports(const json_t *svc, struct hmap *m)
{
	json_t *ports = jget(jspec(svc), "ports"), *p;
	size_t i;

	if (hmap_init(m, json_is_array(ports) ? json_array_size(ports) : 0) < 0)
		return -ENOMEM;
	if (!needs_node_port(svc))
		return 0;
	json_array_foreach(ports, i, p)
		if (jint(p, "nodePort"))
			hmap_put(m, jint(p, "nodePort"), NULL, 1);
	return 0;
}

/* updateNodePorts: keep what old held, allocate the new ones, release (on commit) what is gone. */
static int update_node_ports(svc_alloc_t *a, svc_txn_t *t, json_t *svc, const json_t *old, json_t *errs)
{
	json_t *ports = jget(jspec(svc), "ports"), *p;
	size_t n = json_is_array(ports) ? json_array_size(ports) : 0, i;
	struct hmap old_np = { 0 }, taken = { 0 }, seen = { 0 }, new_np = { 0 };
	bool alloc_all = should_allocate_node_ports(svc);
	int r = -ENOMEM;

	if (collect_node_ports(old, &old_np) < 0 || hmap_init(&taken, n) < 0 || hmap_init(&seen, n) < 0)
		goto out;
	r = 0;
	json_array_foreach(ports, i, p) {
		long long np = jint(p, "nodePort");
		const char *proto = jstr(p, "protocol");
		struct hent *e;

		if (!np && !alloc_all)
			continue;
		if (np) {
			if (!hmap_slot(&old_np, np, NULL)->used && !hmap_slot(&taken, np, NULL)->used) {
				if ((r = take_port(a, t, np)) < 0) {
					r = node_port_error(a, errs, i, np, r);
					goto out;
				}
				hmap_put(&taken, np, NULL, 1);
			}
		} else {
			if ((r = next_port(a, t, &np)) < 0)
				goto out;
			json_object_set_new(p, "nodePort", json_integer(np));
		}
		e = hmap_slot(&seen, np, proto);
		if (e->used) {
			/* A plain error upstream, so a 500 with reason "" (StatusReasonUnknown). */
			r = internal(a, SVC_E_UNKNOWN, "duplicate nodePort: {%s %lld}", proto, np);
			goto out;
		}
		*e = (struct hent){ np, proto, 1, true };
	}
	if ((r = collect_node_ports(svc, &new_np)) < 0)
		goto out;
	for (i = 0; i < old_np.cap; i++)
		if (old_np.e[i].used && !hmap_slot(&new_np, old_np.e[i].k, NULL)->used)
			op_release_later(a, t, POOL_PORT, port_index(a, old_np.e[i].k));
out:
	free(old_np.e);
	free(taken.e);
	free(seen.e);
	free(new_np.e);
	return r;
}

static void release_node_ports_later(svc_alloc_t *a, svc_txn_t *t, const json_t *old)
{
	struct hmap m = { 0 };

	if (collect_node_ports(old, &m) == 0)
		for (size_t i = 0; i < m.cap; i++)
			if (m.e[i].used)
				op_release_later(a, t, POOL_PORT, port_index(a, m.e[i].k));
	free(m.e);
}

/* allocHealthCheckNodePort; upstream wraps every failure here in an InternalError (500). */
static int alloc_health_check(svc_alloc_t *a, svc_txn_t *t, json_t *svc)
{
	json_t *spec = jspec(svc);
	long long hc = jint(spec, "healthCheckNodePort");
	int r;

	if (hc) {
		r = take_port(a, t, hc);
		if (r == -EEXIST)
			return internal(a, SVC_E_INTERNAL, "failed to allocate requested HealthCheck NodePort %lld: "
					ERR_PORT_ALLOCATED, hc);
		if (r < 0 && r != -ENOMEM)
			return internal(a, SVC_E_INTERNAL, "failed to allocate requested HealthCheck NodePort %lld: "
					"provided port is not in the valid range. The range of valid ports is %s",
					hc, a->cfg.port_str);
		return r;
	}
	r = next_port(a, t, &hc);
	if (r == SVC_E_INTERNAL) /* upstream prints the shadowed, still-zero variable */
		return internal(a, SVC_E_INTERNAL, "failed to allocate a HealthCheck NodePort 0: " ERR_FULL);
	if (r < 0)
		return r;
	json_object_set_new(spec, "healthCheckNodePort", json_integer(hc));
	return 0;
}

/* updateClusterIPs: type changes to and from ExternalName allocate or release everything; a change of
 * family count (dual-stack upgrade or downgrade) allocates or releases the secondary IP. */
static int update_cluster_ips(svc_alloc_t *a, svc_txn_t *t, json_t *svc, const json_t *old, json_t *errs)
{
	json_t *spec = jspec(svc), *ospec = jspec(old);
	size_t n_old = jlen(ospec, "ipFamilies"), n_new = jlen(spec, "ipFamilies");

	if (matching_prefer_dual_stack(svc, old))
		return 0;
	if (is_type(old, "ExternalName") && !is_type(svc, "ExternalName"))
		return alloc_cluster_ips(a, t, svc, errs);
	if (!strcmp(jat(ospec, "clusterIPs", 0), "None"))
		return 0;
	if (!is_type(old, "ExternalName") && is_type(svc, "ExternalName")) {
		for (size_t i = 0; i < n_old && i < jlen(ospec, "clusterIPs"); i++) {
			int pool = pool_of_family(&a->cfg, jat(ospec, "ipFamilies", i));

			if (pool >= 0)
				op_release_later(a, t, pool, ip_index(a, pool, jat(ospec, "clusterIPs", i)));
		}
		return 0;
	}
	if (n_old == 1 && n_new == 2) {
		json_t *ips = jget(spec, "clusterIPs");

		if (!json_is_array(ips) || json_array_size(ips) < 1)
			return 0; /* validation rejects an unset primary */
		if (json_array_size(ips) < 2)
			json_array_append_new(ips, json_string(""));
		return alloc_ip(a, t, spec, 1, errs);
	}
	if (n_old == 2 && n_new == 1) {
		int pool = pool_of_family(&a->cfg, jat(ospec, "ipFamilies", 1));

		if (pool >= 0)
			op_release_later(a, t, pool, ip_index(a, pool, jat(ospec, "clusterIPs", 1)));
	}
	return 0;
}

int svc_txn_begin(svc_alloc_t *a, json_t *svc, const json_t *old, json_t *errs, svc_txn_t **ret)
{
	svc_txn_t *t = calloc(1, sizeof(*t));
	int r;

	a->errmsg[0] = '\0';
	if (!t)
		return -ENOMEM;
	if (!jspec(svc)) {
		*ret = t; /* nothing to allocate; validation reports what is missing */
		return 0;
	}
	if (!old) {
		if ((r = alloc_cluster_ips(a, t, svc, errs)) < 0)
			goto fail;
		if (needs_node_port(svc) && (r = create_node_ports(a, t, svc, errs)) < 0)
			goto fail;
		if (svc_needs_health_check(svc) && (r = alloc_health_check(a, t, svc)) < 0)
			goto fail;
	} else {
		if ((r = update_cluster_ips(a, t, svc, old, errs)) < 0)
			goto fail;
		if (needs_node_port(old) && (is_type(svc, "ExternalName") || is_type(svc, "ClusterIP")))
			release_node_ports_later(a, t, old);
		if (needs_node_port(svc) && (r = update_node_ports(a, t, svc, old, errs)) < 0)
			goto fail;
		if (!svc_needs_health_check(old) && svc_needs_health_check(svc)) {
			if ((r = alloc_health_check(a, t, svc)) < 0)
				goto fail;
		} else if (svc_needs_health_check(old) && !svc_needs_health_check(svc)) {
			op_release_later(a, t, POOL_PORT, port_index(a, jint(jspec(old), "healthCheckNodePort")));
		}
	}
	*ret = t;
	return 0;
fail:
	svc_txn_rollback(a, t);
	return r;
}

/* ---- delete and repair --------------------------------------------------------------------------------- */

/* Calls fn for every value a stored Service holds (releaseAllocatedResources' view), once each. */
static int for_each_held(svc_alloc_t *a, const json_t *svc, int (*fn)(svc_alloc_t *, int, int64_t))
{
	json_t *spec = jspec(svc);
	struct hmap m = { 0 };
	int r, first = 0;

	if (!spec)
		return 0;
	if (!is_type(svc, "ExternalName") && strcmp(jat(spec, "clusterIPs", 0), "None") != 0) {
		for (size_t i = 0; i < jlen(spec, "clusterIPs") && i < 2; i++) {
			const char *ip = jat(spec, "clusterIPs", i);
			uint8_t b[16];
			int pool = pool_of_family(&a->cfg, family_name(svc_ip_parse(ip, b) == AF_INET6 ? AF_INET6 : AF_INET));

			/* A family no longer configured: nothing to do, as upstream. */
			if (pool >= 0 && (r = fn(a, pool, ip_index(a, pool, ip))) < 0 && !first)
				first = r;
		}
	}
	if (collect_node_ports(svc, &m) < 0)
		return -ENOMEM;
	if (svc_needs_health_check(svc) && jint(spec, "healthCheckNodePort") > 0)
		hmap_put(&m, jint(spec, "healthCheckNodePort"), NULL, 1);
	for (size_t i = 0; i < m.cap; i++)
		if (m.e[i].used && (r = fn(a, POOL_PORT, port_index(a, m.e[i].k))) < 0 && !first)
			first = r;
	free(m.e);
	return first;
}

static int release_one(svc_alloc_t *a, int pool, int64_t idx)
{
	if (idx >= 0)
		pool_clear(&a->pool[pool], (uint32_t)idx);
	return 0;
}

static int mark_one(svc_alloc_t *a, int pool, int64_t idx)
{
	if (idx < 0)
		return -ERANGE;
	if (pool_test(&a->pool[pool], (uint32_t)idx))
		return -EEXIST;
	pool_set(&a->pool[pool], (uint32_t)idx);
	return 0;
}

void svc_alloc_release(svc_alloc_t *a, const json_t *svc)
{
	for_each_held(a, svc, release_one);
}

int svc_alloc_rebuild_add(svc_alloc_t *a, const json_t *svc)
{
	return for_each_held(a, svc, mark_one);
}

/* ---- admission --------------------------------------------------------------------------------------- */

int svc_admit(svc_alloc_t *a, json_t *svc, const json_t *old, json_t *errs, svc_txn_t **ret)
{
	svc_txn_t *t = NULL;
	int r;

	if (!json_is_object(svc) || !json_is_array(errs))
		return -EINVAL;
	if (svc_check_types(svc, errs))
		return -EINVAL;
	/* Upstream order: defaults at decode; beginCreate/beginUpdate fix up and allocate; then the
	 * strategy's PrepareFor* and validation, which runs on the allocated object (so e.g. a required
	 * healthCheckNodePort is already there). */
	svc_default(svc);
	if (old)
		svc_prepare_update(svc, old);
	else
		svc_prepare_create(svc);
	if ((r = svc_init_ip_families(svc, old, &a->cfg, errs)) < 0)
		return r;
	if ((r = svc_txn_begin(a, svc, old, errs, &t)) < 0)
		return r;
	if (old)
		svc_finish_update(svc, old);
	svc_validate(svc, old, errs);
	if (json_array_size(errs)) {
		svc_txn_rollback(a, t);
		return -EINVAL;
	}
	*ret = t;
	return 0;
}
