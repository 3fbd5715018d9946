/* announce: the layer-2 announcer of load-balancer addresses (provider pool): per-Service Lease
 * election among eligible nodes, and ARP/NDP answers plus gratuitous announcements for the
 * Services this node holds. See announce.h for the timing and the election rules. */
#include "agent/announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/arp.h"
#include "agent/ndp.h"
#include "client/informer.h"
#include "client/leader.h"
#include "controllers/ctrl_util.h"
#include "core/log.h"
#include "lib/lb_config.h"

#define EXCLUDE_LABEL "node.kubernetes.io/exclude-from-external-load-balancers"
#define LEASE_NS "kube-system"
#define LEASES_PATH "/apis/coordination.k8s.io/v1/namespaces/" LEASE_NS "/leases"
#define MAX_IPS 16
#define MAX_CANDS 1024

/* ---- pure decisions ---------------------------------------------------------------------------- */

int announce_provider_pool(const json_t *data)
{
	char err[256];
	lb_config_t cfg;
	int rc;

	/* the controller's own parser, so both halves read the ConfigMap the same way */
	rc = lb_config_parse(data, &cfg, err, sizeof(err));
	if (rc < 0)
		return rc;
	rc = cfg.provider == LB_PROVIDER_POOL;
	lb_config_free(&cfg);
	return rc;
}

bool announce_svc_wanted(const json_t *svc)
{
	const json_t *spec = json_object_get(svc, "spec");
	const char *type = json_string_value(json_object_get(spec, "type"));
	const json_t *cls = json_object_get(spec, "loadBalancerClass");
	const json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");
	size_t i;
	json_t *e;

	if (!type || strcmp(type, "LoadBalancer") != 0)
		return false;
	if (cls && !json_is_null(cls) &&
	    (!json_is_string(cls) || strcmp(json_string_value(cls), LB_CLASS) != 0))
		return false;
	json_array_foreach(ing, i, e)
		if (json_is_string(json_object_get(e, "ip")))
			return true;
	return false;
}

void announce_svc_ips(const json_t *svc, uint8_t (*v4)[4], size_t max4, size_t *ret_n4, uint8_t (*v6)[16],
		      size_t max6, size_t *ret_n6)
{
	const json_t *ing = json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");
	size_t i, n4 = 0, n6 = 0;
	json_t *e;

	json_array_foreach(ing, i, e) {
		const char *ip = json_string_value(json_object_get(e, "ip"));
		uint8_t b[16];

		if (!ip)
			continue;
		if (inet_pton(AF_INET, ip, b) == 1) {
			if (n4 < max4)
				memcpy(v4[n4++], b, 4);
		} else if (inet_pton(AF_INET6, ip, b) == 1) {
			if (n6 < max6)
				memcpy(v6[n6++], b, 16);
		}
	}
	*ret_n4 = n4;
	*ret_n6 = n6;
}

bool announce_node_eligible(const json_t *node)
{
	const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
	const json_t *conds = json_object_get(json_object_get(node, "status"), "conditions");
	size_t i;
	json_t *c;

	if (json_object_get(labels, EXCLUDE_LABEL))
		return false;
	json_array_foreach(conds, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		const char *s = json_string_value(json_object_get(c, "status"));
		if (t && strcmp(t, "Ready") == 0)
			return s && strcmp(s, "True") == 0;
	}
	return false;
}

bool announce_slice_ready_on(const json_t *slice, const char *node_name)
{
	const json_t *eps = json_object_get(slice, "endpoints");
	size_t i;
	json_t *ep;

	json_array_foreach(eps, i, ep) {
		const char *n = json_string_value(json_object_get(ep, "nodeName"));
		const json_t *ready = json_object_get(json_object_get(ep, "conditions"), "ready");

		if (!n || strcmp(n, node_name) != 0)
			continue;
		if (!ready || json_is_null(ready) || json_is_true(ready))
			return true;
	}
	return false;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t announce_rank_key(const char *node_name, const char *svc_key)
{
	uint64_t h = 14695981039346656037ULL;

	h = fnv1a(h, node_name);
	h = fnv1a(h, "/");
	h = fnv1a(h, svc_key);
	/* FNV alone keeps the order of two names across every suffix (same bytes, same multiplies):
	 * a finalizer (MurmurHash3's fmix64) makes the order differ per Service */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int announce_rank(const char *svc_key, const char *self, const char *const *cands, size_t n, const char *holder)
{
	uint64_t mine = announce_rank_key(self, svc_key);
	bool found = false;
	int rank = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t k;

		if (strcmp(cands[i], self) == 0) {
			found = true;
			continue;
		}
		if (holder && strcmp(cands[i], holder) == 0)
			continue;
		k = announce_rank_key(cands[i], svc_key);
		if (k < mine || (k == mine && strcmp(cands[i], self) < 0))
			rank++;
	}
	return found ? rank : -1;
}

announce_act_t announce_decide(const announce_view_t *v, bool *ret_announce)
{
	uint64_t wait;

	*ret_announce = v->candidate && v->held_by_self && v->last_ok_ms &&
			v->now_ms - v->last_ok_ms < ANNOUNCE_LEASE_MS - ANNOUNCE_MARGIN_MS;
	if (!v->candidate)
		return v->lease_exists && v->held_by_self ? ANNOUNCE_RELEASE : ANNOUNCE_NONE;
	if (!v->lease_known)
		return ANNOUNCE_NONE;
	wait = (uint64_t)(v->rank > 0 ? v->rank : 0) * ANNOUNCE_STAGGER_MS;
	if (!v->lease_exists)
		return v->now_ms - v->observed_ms >= wait ? ANNOUNCE_CREATE : ANNOUNCE_NONE;
	if (v->held_by_self)
		return !v->last_write_ms || v->now_ms - v->last_write_ms >= ANNOUNCE_RENEW_MS ? ANNOUNCE_RENEW
											      : ANNOUNCE_NONE;
	/* A released lease is free at once; a held one when its record has not changed for the lease
	 * duration on our own clock (client-go's rule: no clock agreement needed). */
	if (!v->holder_empty)
		wait += ANNOUNCE_LEASE_MS;
	return v->now_ms - v->observed_ms >= wait ? ANNOUNCE_TAKEOVER : ANNOUNCE_NONE;
}

int announce_lease_name(const char *svc_key, char *buf, size_t len)
{
	const char *slash = strchr(svc_key, '/');
	int n;

	if (!slash)
		return -EINVAL;
	n = snprintf(buf, len, "portico-lb.%.*s.%s", (int)(slash - svc_key), svc_key, slash + 1);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- the announcer ----------------------------------------------------------------------------- */

typedef struct svc_state {
	char *key;          /* "ns/name" */
	char lease[320];    /* Lease name */
	bool seen;          /* still wanted at the last resync */
	bool candidate;
	int rank;
	json_t *svc;        /* the Service as last seen (for events), owned */
	json_t *lease_obj;  /* our last write's reply, owned; the informer's copy wins when newer */
	long long seen_rv;  /* resourceVersion of the Lease we last observed; -1 absent, -2 never */
	uint64_t observed_ms;
	uint64_t last_write_ms, last_ok_ms;
	kclient_req_t *req; /* a Lease write in flight */
	uint64_t req_sent_ms;
	announce_act_t req_act;
	bool announcing;
	uint8_t v4[MAX_IPS][4], v6[MAX_IPS][16];
	size_t n4, n6;
	int garp_left;
	uint64_t next_garp_ms;
	struct svc_state *leader; /* sharing an address with this Service, which runs the election */
	struct announce *a;
} svc_state_t;

struct announce {
	struct event_base *base;
	kclient_t *c;
	char *node;
	char *node_ip;
	informer_t *svcs, *slices, *nodes, *cms, *leases;
	struct event *tick;
	bool dirty;
	bool relist_slices; /* a Service became wanted: its slices were kept out of the cache so far */
	bool stopped; /* announce_release() ran */
	int pool; /* 1 when the provider is pool */
	svc_state_t **st;
	size_t nst;
	/* the interface */
	int ifindex;
	uint8_t mac[6];
	int arp_fd, ndp_fd;
	struct event *arp_ev, *ndp_ev;
	uint64_t next_if_try_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void st_free(svc_state_t *s)
{
	if (!s)
		return;
	if (s->req)
		kclient_cancel(s->req);
	json_decref(s->svc);
	json_decref(s->lease_obj);
	free(s->key);
	free(s);
}

static void ndp_groups(announce_t *a, svc_state_t *s, bool join)
{
	size_t i;

	if (a->ndp_fd < 0)
		return;
	for (i = 0; i < s->n6; i++)
		ndp_sock_join(a->ndp_fd, a->ifindex, s->v6[i], join); /* EADDRINUSE for shared groups is fine */
}

static void send_announcements(announce_t *a, svc_state_t *s)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t all_nodes[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	arp_pkt_t p;
	size_t i;
	int rc;

	for (i = 0; i < s->n4 && a->arp_fd >= 0; i++) {
		arp_gratuitous(s->v4[i], a->mac, &p);
		if ((rc = arp_sock_send(a->arp_fd, a->ifindex, bcast, &p)) < 0)
			log_warn("announce: gratuitous ARP for %s: %s", s->key, strerror(-rc));
	}
	for (i = 0; i < s->n6 && a->ndp_fd >= 0; i++)
		if ((rc = ndp_sock_send_na(a->ndp_fd, a->ifindex, all_nodes, s->v6[i], a->mac, NDP_NA_OVERRIDE)) < 0)
			log_warn("announce: unsolicited NA for %s: %s", s->key, strerror(-rc));
}

static void set_announcing(announce_t *a, svc_state_t *s, bool on, uint64_t now)
{
	char msg[512];

	if (on == s->announcing)
		return;
	s->announcing = on;
	if (on) {
		log_info("announce: %s: announcing from node %s", s->key, a->node);
		ndp_groups(a, s, true);
		s->garp_left = ANNOUNCE_GARP_COUNT;
		s->next_garp_ms = now;
		snprintf(msg, sizeof(msg), "announcing from node \"%s\" with protocol \"layer2\"", a->node);
		if (s->svc)
			ctrl_event_emit(a->c, s->svc, "v1", "Service", "Normal", "nodeAssigned", msg,
					"portico-lb-announcer");
	} else {
		log_info("announce: %s: no longer announcing from node %s", s->key, a->node);
		ndp_groups(a, s, false);
	}
}

/* ---- sockets ----------------------------------------------------------------------------------- */

static bool v4_announced(announce_t *a, const uint8_t ip[4])
{
	size_t i, j;

	for (i = 0; i < a->nst; i++)
		if (a->st[i]->announcing)
			for (j = 0; j < a->st[i]->n4; j++)
				if (memcmp(a->st[i]->v4[j], ip, 4) == 0)
					return true;
	return false;
}

static bool v6_announced(announce_t *a, const uint8_t ip[16])
{
	size_t i, j;

	for (i = 0; i < a->nst; i++)
		if (a->st[i]->announcing)
			for (j = 0; j < a->st[i]->n6; j++)
				if (memcmp(a->st[i]->v6[j], ip, 16) == 0)
					return true;
	return false;
}

static void on_arp(evutil_socket_t fd, short what, void *arg)
{
	announce_t *a = arg;
	arp_pkt_t req, rep;
	int i, rc;

	/* bounded, so a flood cannot starve the loop (and the lease renewals) */
	for (i = 0; i < 64; i++) {
		rc = arp_sock_recv(fd, &req);
		if (rc == -ENOMSG || rc == -EBADMSG || rc == -EPROTONOSUPPORT)
			continue; /* not for us; more may be queued */
		if (rc < 0)
			break;
		if (req.op != ARP_OP_REQUEST || !v4_announced(a, req.tpa))
			continue;
		if (!arp_answer(&req, req.tpa, a->mac, &rep))
			continue;
		rc = arp_sock_send(a->arp_fd, a->ifindex, req.sha, &rep);
		if (rc < 0)
			log_debug("announce: ARP reply: %s", strerror(-rc));
	}
	(void)what;
}

static void on_ndp(evutil_socket_t fd, short what, void *arg)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t unspec[16] = { 0 };
	announce_t *a = arg;
	uint8_t src[16];
	ndp_ns_t ns;
	int i, rc;

	for (i = 0; i < 64; i++) {
		rc = ndp_sock_recv(fd, &ns, src);
		if (rc == -EBADMSG)
			continue;
		if (rc < 0)
			break;
		if (!v6_announced(a, ns.target))
			continue;
		/* RFC 4861 s7.2.4: a solicitation from :: (duplicate address detection) is answered to
		 * all-nodes without the solicited flag. */
		if (memcmp(src, unspec, 16) == 0)
			rc = ndp_sock_send_na(a->ndp_fd, a->ifindex, all_nodes, ns.target, a->mac, NDP_NA_OVERRIDE);
		else
			rc = ndp_sock_send_na(a->ndp_fd, a->ifindex, src, ns.target, a->mac,
					      NDP_NA_SOLICITED | NDP_NA_OVERRIDE);
		if (rc < 0)
			log_debug("announce: NA: %s", strerror(-rc));
	}
	(void)what;
}

/* Finds the interface holding the node IP, its index and MAC, and opens the sockets on it. */
static int open_sockets(announce_t *a)
{
	struct ifaddrs *ifs, *i;
	uint8_t want[16];
	int fam = strchr(a->node_ip, ':') ? AF_INET6 : AF_INET, rc;
	char name[IF_NAMESIZE + 1] = "";
	bool have_mac = false;

	if (inet_pton(fam, a->node_ip, want) != 1)
		return -EINVAL;
	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
			continue;
		if ((fam == AF_INET && memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, want, 4) == 0) ||
		    (fam == AF_INET6 && memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, want, 16) == 0)) {
			snprintf(name, sizeof(name), "%s", i->ifa_name);
			break;
		}
	}
	for (i = ifs; i && name[0]; i = i->ifa_next) {
		struct sockaddr_ll *sll = (struct sockaddr_ll *)i->ifa_addr;

		if (sll && sll->sll_family == AF_PACKET && strcmp(i->ifa_name, name) == 0 && sll->sll_halen == 6) {
			memcpy(a->mac, sll->sll_addr, 6);
			a->ifindex = sll->sll_ifindex;
			have_mac = true;
			break;
		}
	}
	freeifaddrs(ifs);
	if (!name[0])
		return -ENODEV;
	if (!have_mac)
		return -EPFNOSUPPORT; /* not an Ethernet interface */
	rc = arp_sock_open(a->ifindex);
	if (rc < 0)
		return rc;
	a->arp_fd = rc;
	a->arp_ev = event_new(a->base, a->arp_fd, EV_READ | EV_PERSIST, on_arp, a);
	if (!a->arp_ev)
		return -ENOMEM;
	event_add(a->arp_ev, NULL);
	rc = ndp_sock_open(a->ifindex);
	if (rc < 0) {
		log_info("announce: no IPv6 neighbour discovery on %s: %s", name, strerror(-rc));
	} else {
		a->ndp_fd = rc;
		a->ndp_ev = event_new(a->base, a->ndp_fd, EV_READ | EV_PERSIST, on_ndp, a);
		if (!a->ndp_ev)
			return -ENOMEM;
		event_add(a->ndp_ev, NULL);
	}
	log_info("announce: answering on %s (index %d)", name, a->ifindex);
	return 0;
}

/* ---- Services and candidates ------------------------------------------------------------------- */

static svc_state_t *st_find(announce_t *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->nst; i++)
		if (strcmp(a->st[i]->key, key) == 0)
			return a->st[i];
	return NULL;
}

static svc_state_t *st_get(announce_t *a, const char *key)
{
	svc_state_t *s = st_find(a, key), **n;

	if (s)
		return s;
	n = realloc(a->st, (a->nst + 1) * sizeof(*n));
	if (!n)
		return NULL;
	a->st = n;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->key = strdup(key)) || announce_lease_name(key, s->lease, sizeof(s->lease)) < 0) {
		if (s)
			free(s->key);
		free(s);
		return NULL;
	}
	s->a = a;
	s->seen_rv = -2;
	a->st[a->nst++] = s;
	return s;
}

static bool local_policy(const json_t *svc)
{
	const char *p = json_string_value(json_object_get(json_object_get(svc, "spec"), "externalTrafficPolicy"));

	return p && strcmp(p, "Local") == 0;
}

/* Does node have a ready endpoint of Service key among the EndpointSlices? */
static bool node_has_endpoint(announce_t *a, const char *svc_key, const char *node)
{
	const json_t *keys = informer_index_keys(a->slices, "svc", svc_key);
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)keys, k, v)
		if (announce_slice_ready_on(informer_get(a->slices, k), node))
			return true;
	return false;
}

static void slice_index(const json_t *obj, json_t *ret_values, void *arg)
{
	const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	const char *svc = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "labels"), "kubernetes.io/service-name"));
	char buf[512];

	(void)arg;
	if (!ns || !svc)
		return;
	snprintf(buf, sizeof(buf), "%s/%s", ns, svc);
	json_array_append_new(ret_values, json_string(buf));
}

static void release_or_forget(announce_t *a, size_t idx);

static bool shares_ip(const svc_state_t *x, const svc_state_t *y)
{
	size_t i, j;

	for (i = 0; i < x->n4; i++)
		for (j = 0; j < y->n4; j++)
			if (memcmp(x->v4[i], y->v4[j], 4) == 0)
				return true;
	for (i = 0; i < x->n6; i++)
		for (j = 0; j < y->n6; j++)
			if (memcmp(x->v6[i], y->v6[j], 16) == 0)
				return true;
	return false;
}

/* Services sharing an address (portico.io/allow-shared-ip) must be answered for by one node, or two
 * nodes would answer ARP for one address: the one with the smallest key runs the election for all
 * of them (MetalLB ranks per address for the same reason), among the nodes that are candidates for
 * every one of them (each Local Service needs its own endpoints there). */
static void group_shared(announce_t *a)
{
	size_t i, j;

	for (i = 0; i < a->nst; i++) {
		svc_state_t *s = a->st[i];

		s->leader = NULL;
		for (j = 0; j < a->nst; j++) {
			svc_state_t *t = a->st[j];
			if (t != s && strcmp(t->key, s->key) < 0 && shares_ip(s, t) &&
			    (!s->leader || strcmp(t->key, s->leader->key) < 0))
				s->leader = t;
		}
	}
	for (i = 0; i < a->nst; i++) {
		svc_state_t *s = a->st[i];
		/* a chain a-b-c where a and c share nothing: c follows b's leader a */
		while (s->leader && s->leader->leader)
			s->leader = s->leader->leader;
		if (s->leader && !s->candidate) {
			s->leader->candidate = false;
			s->leader->rank = -1;
		}
	}
}

/* Rebuilds the set of wanted Services and their candidates from the informers. */
static void resync(announce_t *a, uint64_t now)
{
	const json_t *cache = informer_cache(a->svcs), *nodes = informer_cache(a->nodes), *svc, *node;
	const char *key, *nname, **cands = NULL;
	size_t ncand_max = json_object_size(nodes), i;

	a->dirty = false;
	for (i = 0; i < a->nst; i++)
		a->st[i]->seen = false;
	if (a->pool == 1 && ncand_max)
		cands = calloc(ncand_max, sizeof(*cands));
	json_object_foreach((json_t *)cache, key, svc) {
		svc_state_t *s;
		size_t n = 0, n4, n6;
		uint8_t v4[MAX_IPS][4], v6[MAX_IPS][16];
		bool local;

		if (a->pool != 1 || !announce_svc_wanted(svc))
			continue;
		s = st_get(a, key);
		if (!s)
			continue;
		s->seen = true;
		json_decref(s->svc);
		s->svc = json_incref((json_t *)svc);
		announce_svc_ips(svc, v4, MAX_IPS, &n4, v6, MAX_IPS, &n6);
		if (n4 != s->n4 || n6 != s->n6 || memcmp(v4, s->v4, n4 * 4) || memcmp(v6, s->v6, n6 * 16)) {
			if (s->announcing)
				ndp_groups(a, s, false);
			memcpy(s->v4, v4, n4 * 4);
			memcpy(s->v6, v6, n6 * 16);
			s->n4 = n4;
			s->n6 = n6;
			if (s->announcing) {
				ndp_groups(a, s, true);
				s->garp_left = ANNOUNCE_GARP_COUNT;
				s->next_garp_ms = now;
			}
		}
		local = local_policy(svc);
		json_object_foreach((json_t *)nodes, nname, node) {
			if (!cands || n >= ncand_max || n >= MAX_CANDS || !announce_node_eligible(node))
				continue;
			if (local && !node_has_endpoint(a, key, nname))
				continue;
			cands[n++] = nname;
		}
		{
			char lkey[340];
			const char *holder;

			snprintf(lkey, sizeof(lkey), LEASE_NS "/%s", s->lease);
			holder = json_string_value(json_object_get(
				json_object_get(informer_get(a->leases, lkey), "spec"), "holderIdentity"));
			s->rank = announce_rank(key, a->node, cands, n, holder);
		}
		/* a node that cannot answer (no interface for its IP, no raw socket) must not win */
		s->candidate = s->rank >= 0 && a->arp_fd >= 0;
	}
	free(cands);
	for (i = a->nst; i-- > 0;)
		if (!a->st[i]->seen)
			release_or_forget(a, i);
	group_shared(a);
}

/* ---- Lease writes ------------------------------------------------------------------------------ */

static json_t *lease_current(announce_t *a, svc_state_t *s)
{
	char lkey[340];
	const json_t *inf;

	snprintf(lkey, sizeof(lkey), LEASE_NS "/%s", s->lease);
	inf = informer_get(a->leases, lkey);
	if (s->lease_obj && (!inf || ctrl_rv_num(ctrl_meta(s->lease_obj, "resourceVersion")) >
					     ctrl_rv_num(ctrl_meta(inf, "resourceVersion"))))
		return s->lease_obj;
	return (json_t *)inf;
}

static void on_lease_reply(int status, json_t *body, void *arg)
{
	svc_state_t *s = arg;
	announce_t *a = s->a;

	s->req = NULL;
	if (status == 200 || status == 201) {
		json_decref(s->lease_obj);
		s->lease_obj = body ? json_incref(body) : NULL;
		if (s->req_act == ANNOUNCE_RELEASE) {
			s->last_ok_ms = 0;
		} else {
			if (s->req_act != ANNOUNCE_RENEW)
				log_info("announce: %s: acquired lease %s", s->key, s->lease);
			s->last_ok_ms = s->req_sent_ms;
		}
		return;
	}
	/* 409: someone else wrote first; the informer brings their record. Forget our copy so theirs
	 * counts. */
	json_decref(s->lease_obj);
	s->lease_obj = NULL;
	if (status == 409 || status == 404)
		log_debug("announce: %s: lease write lost (%d)", s->key, status);
	else
		log_warn("announce: %s: lease write failed: %d", s->key, status);
	(void)a;
}

/* with_cb false: fire and forget (the state may be gone before the reply). */
static int lease_write(announce_t *a, svc_state_t *s, announce_act_t act, const json_t *cur, uint64_t now,
		       bool with_cb)
{
	char t[40], path[512];
	const json_t *spec = json_object_get(cur, "spec");
	json_int_t trans = json_integer_value(json_object_get(spec, "leaseTransitions"));
	const char *acq = json_string_value(json_object_get(spec, "acquireTime"));
	const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
	json_t *body, *sp;
	int rc;

	leader_micro_time(t, sizeof(t));
	body = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{}}", "apiVersion", "coordination.k8s.io/v1", "kind",
			 "Lease", "metadata", "name", s->lease, "namespace", LEASE_NS, "labels", ANNOUNCE_LEASE_LABEL,
			 "true", "spec");
	if (!body)
		return -ENOMEM;
	sp = json_object_get(body, "spec");
	if (act != ANNOUNCE_CREATE && ctrl_meta(cur, "resourceVersion")) /* none: unconditional */
		json_object_set_new(json_object_get(body, "metadata"), "resourceVersion",
				    json_string(ctrl_meta(cur, "resourceVersion")));
	if (act != ANNOUNCE_RELEASE)
		json_object_set_new(sp, "holderIdentity", json_string(a->node));
	json_object_set_new(sp, "leaseDurationSeconds", json_integer(ANNOUNCE_LEASE_MS / 1000));
	json_object_set_new(sp, "renewTime", json_string(t));
	json_object_set_new(sp, "acquireTime", json_string(act == ANNOUNCE_RENEW && acq ? acq : t));
	/* a transition is a change of holder, as client-go counts it */
	if (act == ANNOUNCE_TAKEOVER && holder && *holder && strcmp(holder, a->node) != 0)
		trans++;
	json_object_set_new(sp, "leaseTransitions", json_integer(trans));
	if (act == ANNOUNCE_CREATE)
		snprintf(path, sizeof(path), LEASES_PATH);
	else
		snprintf(path, sizeof(path), LEASES_PATH "/%s", s->lease);
	s->req_act = act;
	s->req_sent_ms = now;
	s->last_write_ms = now;
	rc = kclient_request(a->c, act == ANNOUNCE_CREATE ? "POST" : "PUT", path, body, NULL,
			     with_cb ? on_lease_reply : NULL, s, with_cb ? &s->req : NULL);
	json_decref(body);
	return rc;
}

/* A Service no longer wanted here: stop answering, release a lease we hold, forget it. */
static void release_or_forget(announce_t *a, size_t idx)
{
	svc_state_t *s = a->st[idx];
	const json_t *cur = lease_current(a, s);
	const char *holder = json_string_value(json_object_get(json_object_get(cur, "spec"), "holderIdentity"));

	bool renewing = s->req != NULL;

	set_announcing(a, s, false, now_ms());
	if (s->req) {
		kclient_cancel(s->req);
		s->req = NULL;
	}
	if (cur && holder && strcmp(holder, a->node) == 0) {
		/* Fire and forget: the state goes away now. A renewal in flight may still land and would
		 * make a conditional release fail (409), leaving the others to wait for expiry; then the
		 * release goes without resourceVersion. At worst it clears a takeover we had not seen
		 * yet, and that node takes the released lease again at once. */
		json_t *uncond = renewing ? json_deep_copy(cur) : NULL;

		json_object_del(json_object_get(uncond, "metadata"), "resourceVersion");
		lease_write(a, s, ANNOUNCE_RELEASE, uncond ? uncond : cur, now_ms(), false);
		json_decref(uncond);
	}
	st_free(s);
	memmove(a->st + idx, a->st + idx + 1, (a->nst - idx - 1) * sizeof(*a->st));
	a->nst--;
}

static void step(announce_t *a, svc_state_t *s, uint64_t now)
{
	json_t *cur = lease_current(a, s);
	const char *holder = json_string_value(json_object_get(json_object_get(cur, "spec"), "holderIdentity"));
	long long rv = cur ? ctrl_rv_num(ctrl_meta(cur, "resourceVersion")) : -1;
	announce_view_t v = { 0 };
	announce_act_t act;
	bool on;

	if (rv != s->seen_rv) {
		s->seen_rv = rv;
		s->observed_ms = now;
	}
	v.now_ms = now;
	v.candidate = s->candidate && !s->leader; /* a follower gives up a lease of its own */
	v.rank = s->rank;
	v.lease_known = informer_has_synced(a->leases);
	v.lease_exists = cur != NULL;
	v.held_by_self = holder && strcmp(holder, a->node) == 0;
	v.holder_empty = !holder || !*holder;
	v.observed_ms = s->observed_ms;
	v.last_write_ms = s->last_write_ms;
	v.last_ok_ms = v.held_by_self ? s->last_ok_ms : 0;
	act = announce_decide(&v, &on);
	if (s->leader) /* its gratuitous ARPs repeat the leader's: harmless, and cover addresses of its own */
		on = s->leader->announcing && s->candidate;
	set_announcing(a, s, on, now);
	if (on && now >= s->next_garp_ms) {
		send_announcements(a, s);
		if (s->garp_left > 0)
			s->garp_left--;
		s->next_garp_ms = now + (s->garp_left > 0 ? ANNOUNCE_GARP_GAP_MS : ANNOUNCE_REFRESH_MS);
	}
	if (act != ANNOUNCE_NONE && !s->req) {
		int rc = lease_write(a, s, act, cur, now, true);
		if (rc < 0)
			log_warn("announce: %s: lease write: %s", s->key, strerror(-rc));
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	announce_t *a = arg;
	uint64_t now = now_ms();
	size_t i;
	int rc;

	(void)fd;
	(void)what;
	if (a->stopped)
		return;
	if (a->arp_fd < 0 && now >= a->next_if_try_ms) {
		rc = open_sockets(a);
		if (rc < 0) {
			log_warn("announce: no interface for node IP %s yet: %s", a->node_ip, strerror(-rc));
			a->next_if_try_ms = now + 5000;
		} else {
			a->dirty = true; /* now a candidate */
		}
	}
	if (a->relist_slices && informer_has_synced(a->svcs)) {
		a->relist_slices = false;
		informer_relist(a->slices);
	}
	if (!informer_has_synced(a->svcs) || !informer_has_synced(a->nodes) || !informer_has_synced(a->slices) ||
	    !informer_has_synced(a->cms))
		return;
	if (a->dirty)
		resync(a, now);
	for (i = 0; i < a->nst; i++) /* leaders first: followers copy their decision */
		if (!a->st[i]->leader)
			step(a, a->st[i], now);
	for (i = 0; i < a->nst; i++)
		if (a->st[i]->leader)
			step(a, a->st[i], now);
}

/* ---- informers --------------------------------------------------------------------------------- */

static void read_config(announce_t *a)
{
	const json_t *cm = informer_get(a->cms, LB_CONFIG_NAMESPACE "/" LB_CONFIG_NAME);
	int p = announce_provider_pool(cm ? json_object_get(cm, "data") : NULL);

	if (p < 0) {
		log_warn("announce: ConfigMap portico-lb is invalid; keeping the last configuration");
		return;
	}
	if (p != a->pool)
		log_info("announce: provider %s", p ? "pool: announcing addresses" : "is not pool: nothing to announce");
	a->pool = p;
}

static void mark(announce_t *a)
{
	a->dirty = true;
}

static void ev_add(informer_t *inf, const json_t *obj, void *arg)
{
	(void)inf;
	(void)obj;
	mark(arg);
}

static void ev_upd(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	(void)inf;
	(void)old;
	(void)obj;
	mark(arg);
}

/* A Service entered the cache: the slices of it were left out until now (slice_keep). */
static void svc_ev_add(informer_t *inf, const json_t *obj, void *arg)
{
	announce_t *a = arg;

	(void)inf;
	(void)obj;
	a->relist_slices = true;
	mark(a);
}

/* The caches hold only what the announcer reads: every agent watches every Service and
 * EndpointSlice of the cluster, but announces a few load-balancer Services; with 10,000 Services
 * the whole objects would cost ~100 MiB in each agent. Services: the wanted ones (LoadBalancer, our
 * class, an ingress IP), whole. */
static json_t *svc_keep(const json_t *svc, void *arg)
{
	(void)arg;
	return announce_svc_wanted(svc) ? json_incref((json_t *)svc) : NULL;
}

/* Slices: those of a wanted Service, as the name, the service-name label and the nodes of ready
 * endpoints (announce_slice_ready_on() reads that much). A slice that arrives before its Service is
 * wanted is dropped here and picked up by the relist svc_ev_add() asks for. */
static json_t *slice_keep(const json_t *slice, void *arg)
{
	announce_t *a = arg;
	const json_t *md = json_object_get(slice, "metadata"), *ep;
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *svc = json_string_value(json_object_get(json_object_get(md, "labels"), "kubernetes.io/service-name"));
	json_t *out, *eps, *labels;
	char key[512];
	size_t i;

	if (!ns || !svc || (size_t)snprintf(key, sizeof(key), "%s/%s", ns, svc) >= sizeof(key) ||
	    !informer_get(a->svcs, key))
		return NULL;
	out = informer_meta_copy(slice);
	eps = json_array();
	labels = json_pack("{s:s}", "kubernetes.io/service-name", svc);
	if (!out || !eps || !labels || json_object_set(json_object_get(out, "metadata"), "labels", labels) < 0 ||
	    json_object_set(out, "endpoints", eps) < 0)
		goto fail;
	json_array_foreach(json_object_get(slice, "endpoints"), i, ep) {
		const json_t *node = json_object_get(ep, "nodeName");
		const json_t *ready = json_object_get(json_object_get(ep, "conditions"), "ready");
		if (!json_is_string(node) || !(!ready || json_is_null(ready) || json_is_true(ready)))
			continue;
		if (json_array_append_new(eps, json_pack("{s:O}", "nodeName", node)) < 0)
			goto fail;
	}
	json_decref(eps);
	json_decref(labels);
	return out;
fail:
	json_decref(out);
	json_decref(eps);
	json_decref(labels);
	return NULL;
}

static void cm_add(informer_t *inf, const json_t *obj, void *arg)
{
	(void)inf;
	(void)obj;
	read_config(arg);
	mark(arg);
}

static void cm_upd(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	(void)old;
	cm_add(inf, obj, arg);
}

static void lease_ev_add(informer_t *inf, const json_t *obj, void *arg)
{
	(void)inf;
	(void)obj;
	mark(arg); /* ranks leave out the holder */
}

static void lease_ev_upd(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	const char *h0 = json_string_value(json_object_get(json_object_get(old, "spec"), "holderIdentity"));
	const char *h1 = json_string_value(json_object_get(json_object_get(obj, "spec"), "holderIdentity"));

	(void)inf;
	if ((h0 == NULL) != (h1 == NULL) || (h0 && strcmp(h0, h1) != 0))
		mark(arg);
}

int announce_start(struct event_base *base, kclient_t *c, const announce_config_t *cfg, announce_t **ret)
{
	informer_handlers_t h = { ev_add, ev_upd, ev_add, NULL };
	informer_handlers_t hc = { cm_add, cm_upd, cm_add, NULL };
	informer_handlers_t hl = { lease_ev_add, lease_ev_upd, lease_ev_add, NULL };
	informer_handlers_t hs = { svc_ev_add, ev_upd, ev_add, NULL };
	struct timeval tv = { 0, ANNOUNCE_TICK_MS * 1000 };
	uint8_t b[16];
	announce_t *a;
	int rc = -ENOMEM;

	if (!cfg || !cfg->node_name || !*cfg->node_name || !cfg->node_ip ||
	    (inet_pton(AF_INET, cfg->node_ip, b) != 1 && inet_pton(AF_INET6, cfg->node_ip, b) != 1))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->base = base;
	a->c = c;
	a->arp_fd = a->ndp_fd = -1;
	a->dirty = true;
	h.arg = hc.arg = hl.arg = hs.arg = a;
	if (!(a->node = strdup(cfg->node_name)) || !(a->node_ip = strdup(cfg->node_ip)))
		goto fail;
	if ((rc = informer_new(c, "/api/v1/services", NULL, &a->svcs)) < 0 ||
	    (rc = informer_new(c, "/apis/discovery.k8s.io/v1/endpointslices", NULL, &a->slices)) < 0 ||
	    (rc = informer_new(c, "/api/v1/nodes", NULL, &a->nodes)) < 0 ||
	    (rc = informer_new(c, "/api/v1/namespaces/" LEASE_NS "/configmaps", NULL, &a->cms)) < 0 ||
	    (rc = informer_new(c, LEASES_PATH, ANNOUNCE_LEASE_LABEL "=true", &a->leases)) < 0)
		goto fail;
	if ((rc = informer_set_transform(a->svcs, svc_keep, a)) < 0 ||
	    (rc = informer_set_transform(a->slices, slice_keep, a)) < 0 ||
	    (rc = informer_add_handlers(a->svcs, &hs)) < 0 || (rc = informer_add_handlers(a->slices, &h)) < 0 ||
	    (rc = informer_add_handlers(a->nodes, &h)) < 0 || (rc = informer_add_handlers(a->cms, &hc)) < 0 ||
	    (rc = informer_add_handlers(a->leases, &hl)) < 0 ||
	    (rc = informer_add_index(a->slices, "svc", slice_index, NULL)) < 0)
		goto fail;
	rc = -ENOMEM;
	a->tick = event_new(base, -1, EV_PERSIST, on_tick, a);
	if (!a->tick)
		goto fail;
	if ((rc = informer_start(a->svcs)) < 0 || (rc = informer_start(a->slices)) < 0 ||
	    (rc = informer_start(a->nodes)) < 0 || (rc = informer_start(a->cms)) < 0 ||
	    (rc = informer_start(a->leases)) < 0)
		goto fail;
	event_add(a->tick, &tv);
	*ret = a;
	return 0;
fail:
	announce_free(a);
	return rc;
}

void announce_release(announce_t *a)
{
	if (!a || a->stopped)
		return;
	a->stopped = true;
	while (a->nst)
		release_or_forget(a, a->nst - 1);
	log_info("announce: stopped; leases released");
}

void announce_free(announce_t *a)
{
	if (!a)
		return;
	while (a->nst)
		release_or_forget(a, a->nst - 1);
	free(a->st);
	if (a->tick)
		event_free(a->tick);
	if (a->arp_ev)
		event_free(a->arp_ev);
	if (a->ndp_ev)
		event_free(a->ndp_ev);
	if (a->arp_fd >= 0)
		close(a->arp_fd);
	if (a->ndp_fd >= 0)
		close(a->ndp_fd);
	informer_free(a->svcs);
	informer_free(a->slices);
	informer_free(a->nodes);
	informer_free(a->cms);
	informer_free(a->leases);
	free(a->node);
	free(a->node_ip);
	free(a);
}
