/* The service proxy's model: Service + EndpointSlices -> desired service ports (see proxy_model.h).
 * Mirrors kube-proxy's ServicePort/Endpoint view: ShouldSkipService, the endpoint categorization of
 * KEP-1669 (pkg/proxy/topology.go) and the traffic policies of KEP-2086/KEP-1672. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/proxy_model.h"

static json_t *jget(const json_t *o, const char *k)
{
	json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;

	return json_is_null(v) ? NULL : v;
}

static const char *jstr(const json_t *o, const char *k)
{
	json_t *v = jget(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* A condition: absent (nil) reads as dflt, as upstream's EndpointConditions do. */
static bool jbool(const json_t *o, const char *k, bool dflt)
{
	json_t *v = jget(o, k);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

bool proxy_addr_is_zero(const proxy_addr_t *a)
{
	static const proxy_addr_t zero;

	return proxy_addr_eq(a, &zero);
}

int proxy_parse_ip(const char *s, int family, proxy_addr_t *ret)
{
	proxy_addr_t a = { 0 };

	if (!s)
		return -EINVAL;
	if (family != AF_INET6 && inet_pton(AF_INET, s, &a.v4) == 1) {
		*ret = a;
		return AF_INET;
	}
	if (family != AF_INET && strchr(s, ':') && inet_pton(AF_INET6, s, a.b) == 1) {
		/* an IPv4-mapped address is IPv4 to upstream (net.IP.To4): not an IPv6 one */
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (!memcmp(a.b, mapped, 12))
			return -EINVAL;
		*ret = a;
		return AF_INET6;
	}
	return -EINVAL;
}

int proxy_parse_cidr(const char *s, int family, bool loose, proxy_cidr_t *ret)
{
	char buf[64], *slash, *end;
	proxy_cidr_t c = { 0 };
	long bits;
	int fam;
	size_t i;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || bits < 0)
		return -EINVAL;
	if ((fam = proxy_parse_ip(buf, family, &c.addr)) < 0)
		return -EINVAL;
	if (bits > (long)proxy_addr_len(fam) * 8)
		return -EINVAL;
	for (i = 0; i < proxy_addr_len(fam); i++) {
		long b = bits - (long)i * 8;
		c.mask.b[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		if (!loose && (c.addr.b[i] & ~c.mask.b[i]))
			return -EINVAL;
		c.addr.b[i] &= c.mask.b[i];
	}
	*ret = c;
	return fam;
}

int proxy_parse_ip4(const char *s, uint32_t *ret)
{
	proxy_addr_t a;

	if (proxy_parse_ip(s, AF_INET, &a) < 0)
		return -EINVAL;
	*ret = a.v4;
	return 0;
}

int proxy_parse_cidr4(const char *s, bool loose, proxy_cidr_t *ret)
{
	return proxy_parse_cidr(s, AF_INET, loose, ret) < 0 ? -EINVAL : 0;
}

int proxy_parse_time(const char *s, int64_t *ret_ns)
{
	struct tm tm = { 0 };
	const char *p;
	int64_t frac = 0, scale = 1000000000;
	time_t t;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p != 'Z' || p[1])
		return -EINVAL; /* the API server writes UTC with Z only */
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

static uint8_t proto_of(const char *s)
{
	if (!*s || !strcmp(s, "TCP"))
		return PROXY_PROTO_TCP; /* protocol defaults to TCP */
	if (!strcmp(s, "UDP"))
		return PROXY_PROTO_UDP;
	if (!strcmp(s, "SCTP"))
		return PROXY_PROTO_SCTP;
	return 0;
}

static const char *proto_name(uint8_t p)
{
	return p == PROXY_PROTO_UDP ? "UDP" : p == PROXY_PROTO_SCTP ? "SCTP" : "TCP";
}

void proxy_svcport_clear(proxy_svcport_t *sp)
{
	if (!sp)
		return;
	free(sp->key);
	free(sp->ns);
	free(sp->name);
	free(sp->port_name);
	free(sp->all);
	free(sp->local);
	free(sp->ext_ips);
	free(sp->lb_ips);
	free(sp->src_ranges);
	memset(sp, 0, sizeof(*sp));
}

void proxy_svcports_free(proxy_svcport_t *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		proxy_svcport_clear(&v[i]);
	free(v);
}

/* *ret: an array for up to min(size of the JSON array, max) entries of size sz, NULL when there are
 * none. Freed by proxy_svcport_clear(). */
static int alloc_list(const json_t *arr, size_t max, size_t sz, void *ret)
{
	size_t n = json_array_size(arr);
	void *p = NULL;

	if (n > max)
		n = max;
	if (n && !(p = calloc(n, sz)))
		return -ENOMEM;
	memcpy(ret, &p, sizeof(p));
	return 0;
}

static void *dup_mem(const void *p, size_t n)
{
	void *d;

	if (!n)
		return NULL;
	d = malloc(n);
	if (d)
		memcpy(d, p, n);
	return d;
}

int proxy_svcport_copy(const proxy_svcport_t *src, proxy_svcport_t *dst)
{
	proxy_svcport_t c = *src;

	c.key = strdup(src->key);
	c.ns = strdup(src->ns);
	c.name = strdup(src->name);
	c.port_name = strdup(src->port_name);
	c.all = dup_mem(src->all, src->n_all * sizeof(proxy_ep_t));
	c.local = dup_mem(src->local, src->n_local * sizeof(proxy_ep_t));
	c.ext_ips = dup_mem(src->ext_ips, src->n_ext * sizeof(proxy_addr_t));
	c.lb_ips = dup_mem(src->lb_ips, src->n_lb * sizeof(proxy_addr_t));
	c.src_ranges = dup_mem(src->src_ranges, src->n_ranges * sizeof(proxy_cidr_t));
	if (!c.key || !c.ns || !c.name || !c.port_name || (src->n_all && !c.all) || (src->n_local && !c.local) ||
	    (src->n_ext && !c.ext_ips) || (src->n_lb && !c.lb_ips) || (src->n_ranges && !c.src_ranges)) {
		proxy_svcport_clear(&c);
		return -ENOMEM;
	}
	*dst = c;
	return 0;
}

static bool eps_equal(const proxy_ep_t *a, const proxy_ep_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!proxy_addr_eq(&a[i].addr, &b[i].addr) || a[i].port != b[i].port || a[i].local != b[i].local ||
		    a[i].has_node != b[i].has_node)
			return false;
	return true;
}

bool proxy_svcport_equal(const proxy_svcport_t *a, const proxy_svcport_t *b)
{
	return !strcmp(a->key, b->key) && a->family == b->family && a->proto == b->proto && a->port == b->port &&
	       a->node_port == b->node_port && proxy_addr_eq(&a->cluster_ip, &b->cluster_ip) && a->n_ext == b->n_ext &&
	       (!a->n_ext || !memcmp(a->ext_ips, b->ext_ips, a->n_ext * sizeof(proxy_addr_t))) && a->n_lb == b->n_lb &&
	       (!a->n_lb || !memcmp(a->lb_ips, b->lb_ips, a->n_lb * sizeof(proxy_addr_t))) && a->n_ranges == b->n_ranges &&
	       (!a->n_ranges || !memcmp(a->src_ranges, b->src_ranges, a->n_ranges * sizeof(proxy_cidr_t))) &&
	       a->affinity_sec == b->affinity_sec && a->etp_local == b->etp_local && a->itp_local == b->itp_local &&
	       a->hc_node_port == b->hc_node_port && a->n_all == b->n_all && a->n_local == b->n_local &&
	       eps_equal(a->all, b->all, a->n_all) && eps_equal(a->local, b->local, a->n_local);
}

/* One endpoint candidate with its conditions, before the KEP-1669 choice. */
typedef struct cand {
	proxy_ep_t ep;
	bool ready, serving, terminating;
} cand_t;

static int cand_cmp(const void *a, const void *b)
{
	const cand_t *x = a, *y = b;
	int c = memcmp(x->ep.addr.b, y->ep.addr.b, 16); /* network order: numeric order */

	if (c)
		return c;
	if (x->ep.port != y->ep.port)
		return x->ep.port < y->ep.port ? -1 : 1;
	/* duplicates (an address in two slices while it moves): the ready one first */
	return (int)y->ready - (int)x->ready;
}

/* The port of slice matching (name, proto), or 0. */
static uint16_t slice_port(const json_t *slice, const char *name, uint8_t proto)
{
	json_t *ports = jget(slice, "ports"), *p;
	size_t i;

	json_array_foreach(ports, i, p) {
		json_t *port = jget(p, "port");
		if (strcmp(jstr(p, "name"), name) || proto_of(jstr(p, "protocol")) != proto)
			continue;
		if (json_is_integer(port) && json_integer_value(port) > 0 && json_integer_value(port) <= 65535)
			return (uint16_t)json_integer_value(port);
	}
	return 0;
}

/* KEP-1669: the ready candidates passing filter; if none, the serving-and-terminating ones. */
static int choose(const cand_t *c, size_t n, bool local_only, proxy_ep_t **ret, size_t *ret_n)
{
	size_t i, k = 0, ready = 0;
	proxy_ep_t *v;

	*ret = NULL;
	*ret_n = 0;
	for (i = 0; i < n; i++)
		if ((!local_only || c[i].ep.local) && c[i].ready)
			ready++;
	v = n ? malloc(n * sizeof(*v)) : NULL;
	if (n && !v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (local_only && !c[i].ep.local)
			continue;
		if (ready ? c[i].ready : (c[i].serving && c[i].terminating))
			v[k++] = c[i].ep;
	}
	if (!k) {
		free(v);
		return 0;
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

/* Candidates of one service port from every slice, sorted and deduplicated. */
static int collect(const json_t *const *slices, size_t n_slices, const char *pname, uint8_t proto,
		   const proxy_model_cfg_t *cfg, cand_t **ret, size_t *ret_n, int64_t *trigger_ns)
{
	size_t s, i, n = 0, cap = 0, k;
	int fam = cfg->family == AF_INET6 ? AF_INET6 : AF_INET;
	cand_t *v = NULL;

	for (s = 0; s < n_slices; s++) {
		const json_t *sl = slices[s], *eps = jget(sl, "endpoints"), *e;
		const json_t *ann = jget(jget(sl, "metadata"), "annotations");
		uint16_t port;
		int64_t t;

		if (strcmp(jstr(sl, "addressType"), cfg->family == AF_INET6 ? "IPv6" : "IPv4"))
			continue;
		if (proxy_parse_time(jstr(ann, "endpoints.kubernetes.io/last-change-trigger-time"), &t) == 0 &&
		    t > *trigger_ns)
			*trigger_ns = t;
		port = slice_port(sl, pname, proto);
		if (!port)
			continue;
		json_array_foreach(eps, i, e) {
			const json_t *cond = jget(e, "conditions");
			cand_t c = { 0 };
			const char *node;

			if (n >= PROXY_MAX_ENDPOINTS)
				break;
			if (proxy_parse_ip(json_string_value(json_array_get(jget(e, "addresses"), 0)), fam, &c.ep.addr) < 0)
				continue;
			c.ep.port = port;
			node = jstr(e, "nodeName");
			c.ep.local = cfg->node_name && *node && !strcmp(node, cfg->node_name);
			c.ep.has_node = *node != 0;
			c.ready = jbool(cond, "ready", true);
			c.serving = jbool(cond, "serving", c.ready);
			c.terminating = jbool(cond, "terminating", false);
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				cand_t *nv = realloc(v, nc * sizeof(*nv));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap = nc;
			}
			v[n++] = c;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cand_cmp);
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || !proxy_addr_eq(&v[i].ep.addr, &v[k - 1].ep.addr) || v[i].ep.port != v[k - 1].ep.port)
			v[k++] = v[i];
	*ret = v;
	*ret_n = k;
	return 0;
}

/* The first address of the family among spec.clusterIPs (or spec.clusterIP); zero if none. */
static proxy_addr_t cluster_ip_of(const json_t *spec, int fam)
{
	json_t *ips = jget(spec, "clusterIPs"), *ip;
	proxy_addr_t a = { 0 };
	size_t i;

	json_array_foreach(ips, i, ip)
		if (proxy_parse_ip(json_string_value(ip), fam, &a) >= 0)
			return a;
	if (proxy_parse_ip(jstr(spec, "clusterIP"), fam, &a) < 0)
		memset(&a, 0, sizeof(a));
	return a;
}

static int fill_port(proxy_svcport_t *sp, const json_t *svc, const json_t *port, const json_t *const *slices,
		     size_t n_slices, const proxy_model_cfg_t *cfg)
{
	const json_t *meta = jget(svc, "metadata"), *spec = jget(svc, "spec"), *v;
	const char *type = jstr(spec, "type");
	bool lb = !strcmp(type, "LoadBalancer"), np = lb || !strcmp(type, "NodePort"), any_range = false;
	int fam = cfg->family == AF_INET6 ? AF_INET6 : AF_INET;
	cand_t *cands = NULL;
	size_t n_cands = 0, i;
	char key[1024];
	int rc;

	sp->proto = proto_of(jstr(port, "protocol"));
	v = jget(port, "port");
	if (!sp->proto || !json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 65535)
		return 1; /* not ours (or invalid): skip */
	sp->port = (uint16_t)json_integer_value(v);
	v = jget(port, "nodePort");
	if (np && json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 65535)
		sp->node_port = (uint16_t)json_integer_value(v);
	sp->family = fam;
	sp->cluster_ip = cluster_ip_of(spec, fam);
	/* upstream's serviceToServiceMap: a Service without a ClusterIP of the family has nothing in
	 * that family's proxier (no NodePort, externalIP or load-balancer IP of it either) */
	if (proxy_addr_is_zero(&sp->cluster_ip))
		return 1;
	if (!proxy_addr_is_zero(&sp->cluster_ip) && proxy_addr_eq(&sp->cluster_ip, &cfg->cluster_dns))
		memset(&sp->cluster_ip, 0, sizeof(sp->cluster_ip)); /* the node-local DNS answers it */
	/* room for the lists below (the caller's clear frees them on any return) */
	if (alloc_list(jget(spec, "externalIPs"), PROXY_MAX_FRONTENDS, sizeof(proxy_addr_t), &sp->ext_ips) < 0 ||
	    (lb && (alloc_list(jget(jget(jget(svc, "status"), "loadBalancer"), "ingress"), PROXY_MAX_FRONTENDS,
			       sizeof(proxy_addr_t), &sp->lb_ips) < 0 ||
		    alloc_list(jget(spec, "loadBalancerSourceRanges"), PROXY_MAX_RANGES, sizeof(proxy_cidr_t),
			       &sp->src_ranges) < 0)))
		return -ENOMEM;
	/* the Service's addresses of the other family belong to the other family's pass */
	json_array_foreach(jget(spec, "externalIPs"), i, v) {
		proxy_addr_t a;
		if (sp->n_ext < PROXY_MAX_FRONTENDS && proxy_parse_ip(json_string_value(v), fam, &a) >= 0 &&
		    !proxy_addr_is_zero(&a))
			sp->ext_ips[sp->n_ext++] = a;
	}
	if (lb) {
		json_array_foreach(jget(jget(jget(svc, "status"), "loadBalancer"), "ingress"), i, v) {
			proxy_addr_t a;
			/* ipMode Proxy: the load balancer proxies itself, the node must not capture the IP (KEP-1860) */
			if (!strcmp(jstr(v, "ipMode"), "Proxy"))
				continue;
			if (sp->n_lb < PROXY_MAX_FRONTENDS && proxy_parse_ip(jstr(v, "ip"), fam, &a) >= 0 &&
			    !proxy_addr_is_zero(&a))
				sp->lb_ips[sp->n_lb++] = a;
		}
		json_array_foreach(jget(spec, "loadBalancerSourceRanges"), i, v) {
			proxy_cidr_t c;
			/* upstream accepts host bits in the ranges (net.ParseCIDR keeps the network); ranges of
			 * the other family are that family's; a /0 allows everyone, as no range does */
			if (sp->n_ranges < PROXY_MAX_RANGES && proxy_parse_cidr(json_string_value(v), fam, true, &c) >= 0)
				sp->src_ranges[sp->n_ranges++] = c;
			if (sp->n_ranges && proxy_addr_is_zero(&sp->src_ranges[sp->n_ranges - 1].mask)) {
				any_range = true;
				sp->n_ranges--;
			}
		}
		if (any_range)
			sp->n_ranges = 0;
	}
	if (proxy_addr_is_zero(&sp->cluster_ip) && !sp->n_ext && !sp->n_lb && !sp->node_port)
		return 1;
	if (!strcmp(jstr(spec, "sessionAffinity"), "ClientIP")) {
		v = jget(jget(jget(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
		sp->affinity_sec = json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 86400
					   ? (uint32_t)json_integer_value(v)
					   : PROXY_AFFINITY_DEFAULT_SEC;
	}
	/* eTP applies to externally reachable Services only (upstream's ExternalPolicyLocal) */
	sp->etp_local = !strcmp(jstr(spec, "externalTrafficPolicy"), "Local") && (np || sp->n_ext);
	sp->itp_local = !strcmp(jstr(spec, "internalTrafficPolicy"), "Local");
	v = jget(spec, "healthCheckNodePort");
	if (lb && sp->etp_local && json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 65535)
		sp->hc_node_port = (uint16_t)json_integer_value(v);

	sp->ns = strdup(jstr(meta, "namespace"));
	sp->name = strdup(jstr(meta, "name"));
	sp->port_name = strdup(jstr(port, "name"));
	snprintf(key, sizeof(key), "%s/%s:%s/%s", jstr(meta, "namespace"), jstr(meta, "name"), jstr(port, "name"),
		 proto_name(sp->proto));
	sp->key = strdup(key);
	if (!sp->ns || !sp->name || !sp->port_name || !sp->key)
		return -ENOMEM;
	rc = collect(slices, n_slices, sp->port_name, sp->proto, cfg, &cands, &n_cands, &sp->trigger_ns);
	if (rc == 0)
		rc = choose(cands, n_cands, false, &sp->all, &sp->n_all);
	if (rc == 0)
		rc = choose(cands, n_cands, true, &sp->local, &sp->n_local);
	for (i = 0; rc == 0 && i < n_cands; i++)
		if (cands[i].ep.local && cands[i].ready)
			sp->n_local_ready++;
	free(cands);
	return rc;
}

int proxy_model_service(const json_t *svc, const json_t *const *slices, size_t n_slices, const proxy_model_cfg_t *cfg,
			proxy_svcport_t **ret, size_t *ret_n)
{
	const json_t *spec = jget(svc, "spec"), *ports = jget(spec, "ports"), *p;
	proxy_svcport_t *v = NULL;
	size_t i, n = 0;
	int rc;

	*ret = NULL;
	*ret_n = 0;
	/* upstream's ShouldSkipService: ExternalName and headless Services have no virtual IP */
	if (!strcmp(jstr(spec, "type"), "ExternalName") || !strcmp(jstr(spec, "clusterIP"), "None") ||
	    !json_array_size(ports))
		return 0;
	v = calloc(json_array_size(ports), sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_array_foreach(ports, i, p) {
		rc = fill_port(&v[n], svc, p, slices, n_slices, cfg);
		if (rc < 0) {
			proxy_svcports_free(v, n + 1);
			return rc;
		}
		if (rc > 0)
			proxy_svcport_clear(&v[n]);
		else
			n++;
	}
	if (!n) {
		free(v);
		return 0;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
