/* The service proxy's control loop (see proxy.h): informer events mark Services dirty; a sync on
 * the next loop turn turns each dirty Service into service ports (proxy_model.c), once per family
 * (kube-proxy's one proxier per family: table ip portico and table ip6 portico), stages them and
 * commits one nftables transaction per family; then stale UDP conntrack entries go and the
 * health-check servers follow. Nothing touches the kernel before both informers have synced, so a proxy
 * restarting while the API server is down leaves the previous rules serving. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client/informer.h"
#include "core/log.h"
#include "proxy/proxy.h"
#include "proxy/proxy_ct.h"
#include "proxy/proxy_health.h"
#include "proxy/proxy_model.h"
#include "proxy/proxy_nft.h"

#define SLICE_SVC_LABEL "kubernetes.io/service-name"
#define RETRY_MS 1000

/* kube-proxy's buckets: sync durations from 1 ms, programming latency from 1 ms up to minutes */
static const double SYNC_LE[PROXY_HIST_BUCKETS] = { 0.0001, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016,
						    0.032,  0.064,  0.128, 0.256, 0.512, 1.024, 2.048 };
static const double LAT_LE[PROXY_HIST_BUCKETS] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
						   0.5,   1,     2.5,  5,     10,  30,  60 };

/* One family's proxier: index 0 IPv4, 1 IPv6. */
typedef struct proxy_fam {
	struct proxy *p;
	int family;
	proxy_nft_t *nft;
	proxy_model_cfg_t mcfg;
	proxy_addr_t np_addrs[PROXY_NFT_MAX_NP_ADDRS];
	size_t n_np;
	json_t *svc_ports; /* "ns/name" -> [port keys staged] */
} proxy_fam_t;

#define N_FAM 2

struct proxy {
	struct event_base *base;
	informer_t *svcs, *slices;
	proxy_fam_t fam[N_FAM];
	proxy_health_t *health;
	proxy_status_t st;
	char *node_name;
	json_t *dirty;     /* "ns/name" -> true */
	json_t *hc;        /* "ns/name" -> [hc port, local ready endpoints] */
	json_t *triggers;  /* "ns/name" -> last trigger time observed (ns) */
	struct event *timer;
	bool scheduled, retry;
};

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void schedule(proxy_t *p, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (p->scheduled && ms == 0)
		return;
	p->scheduled = true;
	event_add(p->timer, &tv);
}

static void mark_dirty(proxy_t *p, const char *key)
{
	if (!key)
		return;
	json_object_set_new(p->dirty, key, json_true());
	if (!p->st.pending_since_ns)
		p->st.pending_since_ns = wall_ns();
	if (!p->retry)
		schedule(p, 0);
}

static void svc_event(informer_t *inf, const json_t *obj, void *arg)
{
	char *key = informer_key_of(obj);

	mark_dirty(arg, key);
	free(key);
}

static void svc_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	svc_event(inf, obj, arg);
}

/* "ns/<service-name label>" of a slice, or NULL */
static char *slice_svc_key(const json_t *slice)
{
	const json_t *meta = json_object_get(slice, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *svc = json_string_value(json_object_get(json_object_get(meta, "labels"), SLICE_SVC_LABEL));
	char *key;

	if (!ns || !svc || asprintf(&key, "%s/%s", ns, svc) < 0)
		return NULL;
	return key;
}

static void slice_event(informer_t *inf, const json_t *obj, void *arg)
{
	char *key = slice_svc_key(obj);

	mark_dirty(arg, key);
	free(key);
}

static void slice_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	char *a = slice_svc_key(old), *b = slice_svc_key(obj);

	mark_dirty(arg, a);
	if (b && (!a || strcmp(a, b)))
		mark_dirty(arg, b);
	free(a);
	free(b);
}

/* What the caches keep (informer transforms): the fields proxy_model.c reads, shared with the
 * delivered object rather than copied. Managed fields, owner references, targetRefs and the rest
 * of the metadata go: with 10,000 Services and their slices they are most of the memory. */
static json_t *svc_slim(const json_t *svc, void *arg)
{
	const json_t *spec = json_object_get(svc, "spec"), *st = json_object_get(svc, "status");
	json_t *out;

	(void)arg;
	if (!json_is_object(spec))
		return NULL;
	out = informer_meta_copy(svc);
	if (!out || json_object_set(out, "spec", (json_t *)spec) < 0 ||
	    (st && json_object_set(out, "status", (json_t *)st) < 0)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *slice_slim(const json_t *slice, void *arg)
{
	static const char *const ep_keep[] = { "addresses", "conditions", "nodeName" };
	const json_t *md = json_object_get(slice, "metadata"), *ep;
	const json_t *svc = json_object_get(json_object_get(md, "labels"), SLICE_SVC_LABEL);
	const json_t *trig = json_object_get(json_object_get(md, "annotations"), "endpoints.kubernetes.io/last-change-trigger-time");
	json_t *out, *eps = NULL, *m, *v;
	size_t i;

	(void)arg;
	if (!json_is_string(svc))
		return NULL; /* not a Service's slice: nothing to proxy */
	out = informer_meta_copy(slice);
	if (!out)
		return NULL;
	m = json_object_get(out, "metadata");
	if (json_object_set_new(m, "labels", json_pack("{s:O}", SLICE_SVC_LABEL, svc)) < 0 ||
	    (trig && json_object_set_new(m, "annotations", json_pack("{s:O}", "endpoints.kubernetes.io/last-change-trigger-time", trig)) < 0) ||
	    ((v = json_object_get(slice, "addressType")) && json_object_set(out, "addressType", v) < 0) ||
	    ((v = json_object_get(slice, "ports")) && json_object_set(out, "ports", v) < 0) ||
	    !(eps = json_array()) || json_object_set(out, "endpoints", eps) < 0)
		goto fail;
	json_array_foreach(json_object_get(slice, "endpoints"), i, ep) {
		json_t *e = json_object();
		if (!e || json_array_append_new(eps, e) < 0)
			goto fail;
		for (size_t k = 0; k < sizeof(ep_keep) / sizeof(ep_keep[0]); k++)
			if ((v = json_object_get(ep, ep_keep[k])) && json_object_set(e, ep_keep[k], v) < 0)
				goto fail;
	}
	json_decref(eps);
	return out;
fail:
	json_decref(eps);
	json_decref(out);
	return NULL;
}

static void slice_index(const json_t *obj, json_t *ret_values, void *arg)
{
	char *key = slice_svc_key(obj);

	if (key)
		json_array_append_new(ret_values, json_string(key));
	free(key);
}

/* Stages the service ports of one Service in one family; its health check port and local ready
 * endpoints go to *hc_port / *local_ready (the larger count across ports and families). */
static int sync_family(proxy_fam_t *f, const char *key, const json_t *svc, const json_t *const *slices,
		       size_t n_slices, int64_t *trigger, uint16_t *hc_port, unsigned *local_ready)
{
	json_t *old = json_object_get(f->svc_ports, key), *now = NULL, *v;
	proxy_svcport_t *ports = NULL;
	size_t n_ports = 0, i, j;
	int rc = 0;

	if (svc && (rc = proxy_model_service(svc, slices, n_slices, &f->mcfg, &ports, &n_ports)) < 0)
		return rc;
	now = json_array();
	if (!now) {
		proxy_svcports_free(ports, n_ports);
		return -ENOMEM;
	}
	for (i = 0; i < n_ports; i++) {
		if ((rc = proxy_nft_stage(f->nft, ports[i].key, &ports[i])) < 0)
			goto out;
		json_array_append_new(now, json_string(ports[i].key));
		if (ports[i].trigger_ns > *trigger)
			*trigger = ports[i].trigger_ns;
		if (ports[i].hc_node_port) {
			*hc_port = ports[i].hc_node_port;
			if (ports[i].n_local_ready > *local_ready)
				*local_ready = (unsigned)ports[i].n_local_ready;
		}
	}
	/* ports this Service no longer has */
	json_array_foreach(old, i, v) {
		bool kept = false;
		for (j = 0; j < n_ports && !kept; j++)
			kept = !strcmp(ports[j].key, json_string_value(v));
		if (!kept && (rc = proxy_nft_stage(f->nft, json_string_value(v), NULL)) < 0)
			goto out;
	}
	if (n_ports)
		json_object_set(f->svc_ports, key, now);
	else
		json_object_del(f->svc_ports, key);
out:
	json_decref(now);
	proxy_svcports_free(ports, n_ports);
	return rc;
}

/* Stages the service ports of one Service; records its health check and trigger time. */
static int sync_service(proxy_t *p, const char *key, int64_t *ret_trigger)
{
	const json_t *svc = informer_get(p->svcs, key), *idx = informer_index_keys(p->slices, "svc", key), *v;
	const json_t *slices[256];
	size_t n_slices = 0;
	const char *sk;
	unsigned local_ready = 0;
	uint16_t hc_port = 0;
	int rc = 0, f;

	*ret_trigger = 0;
	if (svc) {
		json_object_foreach((json_t *)idx, sk, v) {
			const json_t *sl = informer_get(p->slices, sk);
			if (sl && n_slices < sizeof(slices) / sizeof(slices[0]))
				slices[n_slices++] = sl;
		}
	}
	for (f = 0; f < N_FAM; f++)
		if (p->fam[f].nft &&
		    (rc = sync_family(&p->fam[f], key, svc, slices, n_slices, ret_trigger, &hc_port, &local_ready)) < 0)
			return rc;
	if (hc_port)
		json_object_set_new(p->hc, key, json_pack("[i,i]", (int)hc_port, (int)local_ready));
	else
		json_object_del(p->hc, key);
	return 0;
}

static void ct_stale(const proxy_addr_t *addr, uint16_t port, const proxy_ep_t *eps, size_t n_eps, void *arg)
{
	proxy_fam_t *f = arg;
	proxy_t *p = f->p;
	proxy_ct_target_t t = { *addr, port, eps, n_eps };
	int rc = proxy_ct_clean_udp(f->family, &t, 1, f->np_addrs, f->n_np);
	char a[INET6_ADDRSTRLEN];

	inet_ntop(f->family, addr->b, a, sizeof(a));
	if (rc < 0)
		log_warn("proxy: conntrack cleanup for %s:%u/UDP: %s", a, port, strerror(-rc));
	else if (rc > 0) {
		p->st.conntrack_deleted += (unsigned long)rc;
		log_debug("proxy: %d stale UDP conntrack entries of %s:%u deleted", rc, a, port);
	}
}

static void refresh_hc(proxy_t *p)
{
	const char *key;
	json_t *v;

	if (!p->health)
		return;
	proxy_health_hc_begin(p->health);
	json_object_foreach(p->hc, key, v) {
		char ns[256];
		const char *slash = strchr(key, '/');
		if (!slash || (size_t)(slash - key) >= sizeof(ns))
			continue;
		memcpy(ns, key, (size_t)(slash - key));
		ns[slash - key] = 0;
		proxy_health_hc_want(p->health, (uint16_t)json_integer_value(json_array_get(v, 0)), ns, slash + 1,
				     (unsigned)json_integer_value(json_array_get(v, 1)));
	}
	proxy_health_hc_end(p->health);
}

static void on_sync(evutil_socket_t fd, short what, void *arg)
{
	proxy_t *p = arg;
	json_t *dirty, *lat;
	const char *key;
	json_t *v;
	bool full = !p->st.synced;
	double t0;
	int rc = 0, f;
	proxy_nft_stats_t ns = { 0 };

	p->scheduled = false;
	p->retry = false;
	if (!informer_has_synced(p->svcs) || !informer_has_synced(p->slices)) {
		schedule(p, 100); /* the kernel keeps what it has meanwhile */
		return;
	}
	t0 = mono_s();
	dirty = p->dirty;
	p->dirty = json_object();
	lat = json_array();
	if (!p->dirty || !lat) {
		json_decref(p->dirty);
		p->dirty = dirty;
		json_decref(lat);
		schedule(p, RETRY_MS);
		return;
	}
	if (full) {
		/* the first sync: every Service, and (after a restart) nothing else survives the swap */
		json_object_foreach((json_t *)informer_cache(p->svcs), key, v)
			json_object_set_new(dirty, key, json_true());
	}
	json_object_foreach(dirty, key, v) {
		int64_t trig = 0;
		json_t *last;
		if ((rc = sync_service(p, key, &trig)) < 0) {
			log_err("proxy: Service %s: %s", key, strerror(-rc));
			json_object_set_new(p->dirty, key, json_true());
			continue;
		}
		last = json_object_get(p->triggers, key);
		if (trig && (!last || json_integer_value(last) < trig)) {
			json_object_set_new(p->triggers, key, json_integer(trig));
			json_array_append_new(lat, json_integer(trig));
		}
		if (!informer_get(p->svcs, key))
			json_object_del(p->triggers, key);
	}
	/* one transaction per family; a failure of either retries both in full */
	for (f = 0; f < N_FAM; f++) {
		proxy_nft_stats_t fs;
		int frc;

		if (!p->fam[f].nft)
			continue;
		frc = proxy_nft_commit(p->fam[f].nft, full);
		if (f == 1 && !p->st.synced && (frc == -EAFNOSUPPORT || frc == -EPROTONOSUPPORT || frc == -EOPNOTSUPP)) {
			/* a kernel without IPv6 (or without nf_tables for it): IPv4 alone, rather than
			 * a failed transaction every second */
			log_warn("proxy: no table ip6 in this kernel (%s): IPv6 Services are not proxied", strerror(-frc));
			proxy_nft_free(p->fam[f].nft);
			p->fam[f].nft = NULL;
			continue;
		}
		if (frc < 0 && rc >= 0) {
			rc = frc;
			log_err("proxy: %s transaction failed", f ? "IPv6" : "IPv4");
		} else if (frc == 1 && rc == 0) {
			rc = 1;
		}
		proxy_nft_get_stats(p->fam[f].nft, &fs);
		ns.failures += fs.failures;
		ns.elements += fs.elements;
		ns.chains += fs.chains;
		ns.rules += fs.rules;
		ns.svcports += fs.svcports;
		ns.last_msgs += fs.last_msgs;
	}
	p->st.failures = ns.failures;
	p->st.elements = ns.elements;
	p->st.chains = ns.chains;
	p->st.rules = ns.rules;
	p->st.svcports = ns.svcports;
	if (rc < 0) {
		log_err("proxy: nftables transaction failed: %s; full resync in %d ms", strerror(-rc), RETRY_MS);
		p->retry = true;
		schedule(p, RETRY_MS);
		goto out;
	}
	proxy_hist_observe(rc == 1 ? &p->st.full : &p->st.partial, mono_s() - t0);
	p->st.synced = true;
	p->st.last_updated_ns = wall_ns();
	p->st.pending_since_ns = json_object_size(p->dirty) ? p->st.last_updated_ns : 0;
	{
		size_t i;
		json_array_foreach(lat, i, v) {
			double d = (double)(p->st.last_updated_ns - json_integer_value(v)) / 1e9;
			if (d >= 0)
				proxy_hist_observe(&p->st.latency, d);
		}
	}
	if (rc == 1) {
		log_info("proxy: full sync: %zu service ports, %zu elements, %zu msgs in %.1f ms", ns.svcports,
			 ns.elements, ns.last_msgs, (mono_s() - t0) * 1e3);
		/* the full batch (every element of every map) is freed: hand that heap back */
		malloc_trim(0);
	}
	else
		log_debug("proxy: %zu Services synced in %.2f ms (%zu msgs)", json_object_size(dirty),
			  (mono_s() - t0) * 1e3, ns.last_msgs);
	for (f = 0; f < N_FAM; f++)
		if (p->fam[f].nft)
			proxy_nft_take_stale_udp(p->fam[f].nft, ct_stale, &p->fam[f]);
	refresh_hc(p);
	if (json_object_size(p->dirty))
		schedule(p, 0);
out:
	json_decref(dirty);
	json_decref(lat);
}

/* Comma-separated addresses of either family into nc[0] (IPv4) and nc[1] (IPv6). */
static int parse_addr_list(const char *s, proxy_nft_cfg_t *nc)
{
	char buf[1024], *tok, *save = NULL;
	size_t n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		static const uint8_t lo6[16] = { [15] = 1 };
		proxy_addr_t a;
		int fam = proxy_parse_ip(tok, AF_UNSPEC, &a), i = fam == AF_INET6;
		if (fam < 0 || nc[i].n_nodeport_addrs == PROXY_NFT_MAX_NP_ADDRS || proxy_addr_is_zero(&a))
			return -EINVAL;
		/* NodePorts never on loopback (route_localnet stays off; ::1 is never routed) */
		if ((fam == AF_INET && (ntohl(a.v4) >> 24) == 127) || (fam == AF_INET6 && !memcmp(a.b, lo6, 16)))
			return -EINVAL;
		nc[i].nodeport_addrs[nc[i].n_nodeport_addrs++] = a;
		n++;
	}
	return n ? 0 : -EINVAL;
}

/* "CIDR[,CIDR]": at most one per family */
static int parse_cidr_list(const char *s, proxy_nft_cfg_t *nc, bool service)
{
	char buf[256], *tok, *save = NULL;
	bool seen[N_FAM] = { false, false };

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		proxy_cidr_t c;
		int fam = proxy_parse_cidr(tok, AF_UNSPEC, false, &c), i = fam == AF_INET6;
		if (fam < 0 || seen[i])
			return -EINVAL;
		seen[i] = true;
		if (service)
			nc[i].service_cidr = c;
		else
			nc[i].cluster_cidr = c;
	}
	return seen[0] || seen[1] ? 0 : -EINVAL;
}

static int build_nft_cfg(const proxy_config_t *cfg, proxy_nft_cfg_t *nc)
{
	const char *np = cfg->nodeport_addresses && *cfg->nodeport_addresses ? cfg->nodeport_addresses : cfg->node_ip;
	const char *dns = cfg->cluster_dns ? cfg->cluster_dns : PROXY_CLUSTER_DNS_DEFAULT;
	proxy_addr_t a;
	int fam;

	memset(nc, 0, N_FAM * sizeof(*nc));
	nc[0].family = AF_INET;
	nc[1].family = AF_INET6;
	if (parse_cidr_list(cfg->cluster_cidr ? cfg->cluster_cidr : PROXY_CLUSTER_CIDR_DEFAULT, nc, false) < 0 ||
	    parse_cidr_list(cfg->service_cidr ? cfg->service_cidr : PROXY_SERVICE_CIDR_DEFAULT, nc, true) < 0)
		return -EINVAL;
	if (*dns) {
		if ((fam = proxy_parse_ip(dns, AF_UNSPEC, &a)) < 0)
			return -EINVAL;
		nc[fam == AF_INET6].cluster_dns = a;
	}
	if (!np || parse_addr_list(np, nc) < 0)
		return -EINVAL;
	return 0;
}

int proxy_config_check(const proxy_config_t *cfg)
{
	proxy_nft_cfg_t nc[N_FAM];

	return build_nft_cfg(cfg, nc);
}

int proxy_start(struct event_base *base, kclient_t *c, const proxy_config_t *cfg, proxy_t **ret)
{
	informer_handlers_t hs = { svc_event, svc_update, svc_event, NULL };
	informer_handlers_t hl = { slice_event, slice_update, slice_event, NULL };
	proxy_nft_cfg_t nc[N_FAM];
	proxy_t *p;
	int rc, f;

	if ((rc = build_nft_cfg(cfg, nc)) < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base = base;
	p->st.full.le = p->st.partial.le = SYNC_LE;
	p->st.latency.le = LAT_LE;
	p->node_name = strdup(cfg->node_name ? cfg->node_name : "");
	p->dirty = json_object();
	p->hc = json_object();
	p->triggers = json_object();
	p->timer = evtimer_new(base, on_sync, p);
	rc = -ENOMEM;
	if (!p->node_name || !p->dirty || !p->hc || !p->triggers || !p->timer)
		goto fail;
	for (f = 0; f < N_FAM; f++) {
		proxy_fam_t *fm = &p->fam[f];
		fm->p = p;
		fm->family = nc[f].family;
		fm->mcfg.node_name = p->node_name;
		fm->mcfg.family = nc[f].family;
		fm->mcfg.cluster_dns = nc[f].cluster_dns;
		memcpy(fm->np_addrs, nc[f].nodeport_addrs, sizeof(fm->np_addrs));
		fm->n_np = nc[f].n_nodeport_addrs;
		rc = -ENOMEM;
		if (!(fm->svc_ports = json_object()))
			goto fail;
		if ((rc = proxy_nft_new(&nc[f], &fm->nft)) < 0)
			goto fail;
	}
	if (cfg->health_port >= 0 &&
	    (rc = proxy_health_new(base, cfg->health_bind, cfg->health_port ? cfg->health_port : PROXY_HEALTH_PORT_DEFAULT,
				   &p->st, &p->health)) < 0)
		goto fail;
	hs.arg = hl.arg = p;
	if ((rc = informer_new(c, "/api/v1/services", NULL, &p->svcs)) < 0 ||
	    (rc = informer_new(c, "/apis/discovery.k8s.io/v1/endpointslices", NULL, &p->slices)) < 0 ||
	    (rc = informer_set_transform(p->svcs, svc_slim, NULL)) < 0 ||
	    (rc = informer_set_transform(p->slices, slice_slim, NULL)) < 0 ||
	    (rc = informer_add_index(p->slices, "svc", slice_index, NULL)) < 0 ||
	    (rc = informer_add_handlers(p->svcs, &hs)) < 0 || (rc = informer_add_handlers(p->slices, &hl)) < 0)
		goto fail;
	informer_start(p->svcs);
	informer_start(p->slices);
	schedule(p, 0);
	*ret = p;
	return 0;
fail:
	proxy_free(p);
	return rc;
}

void proxy_free(proxy_t *p)
{
	int f;

	if (!p)
		return;
	informer_free(p->svcs);
	informer_free(p->slices);
	proxy_health_free(p->health);
	for (f = 0; f < N_FAM; f++) {
		proxy_nft_free(p->fam[f].nft);
		json_decref(p->fam[f].svc_ports);
	}
	if (p->timer)
		event_free(p->timer);
	json_decref(p->dirty);
	json_decref(p->hc);
	json_decref(p->triggers);
	free(p->node_name);
	free(p);
}
