/* The pod network of one node (see podnet.h). The IPAM records under DATA/ipam/ are the truth about
 * which uids have a sandbox: a record is written before any kernel state of the pod exists and
 * removed after all of it is gone, so after a crash every leftover veth or namespace file belongs to
 * a recorded uid, and a create or delete of that uid repairs it. Kernel work runs outside the lock;
 * only the IPAM table and the set of uids being worked on are shared between threads. */
#include "agent/podnet.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ipam.h"
#include "agent/nl.h"
#include "agent/podnet_nft.h"
#include "core/log.h"

/* Routes podnet installs carry this protocol number, so a restarted agent finds its own routes in
 * the main table and leaves everyone else's alone (not in /etc/iproute2/rt_protos). */
#define PODNET_RTPROT 80
#define PODNET_POD_IF "eth0"

typedef struct busy {
	struct busy *next;
	char uid[IPAM_UID_MAX + 1];
} busy_t;

struct podnet {
	char *data_dir;
	char ipam_dir[4096];
	char netns_dir[512];
	podnet_cidr_t pod, cluster, service;
	uint32_t node_ip; /* network order; 0 when not given */
	uint32_t gateway; /* network order */
	int bridge_ifindex;
	ipam_t *ipam;
	pthread_mutex_t lock;        /* ipam, busy */
	pthread_mutex_t routes_lock; /* one podnet_set_routes() at a time */
	busy_t *busy;         /* uids with a create or delete under way */
};

/* The IPv4 CIDR of a list "CIDR[,CIDR]" (a dual-stack --service-cidr): pods are IPv4 only, so the
 * IPv6 entry has no use here (the proxy takes both). */
static int parse_cidr(const char *list, podnet_cidr_t *ret)
{
	const char *s = list, *next;

	for (; s && *s; s = next ? next + 1 : NULL) {
		char buf[64], *end;
		const char *slash = strchr(s, '/');
		struct in_addr a;
		size_t n;
		long len;

		next = strchr(s, ',');
		n = next ? (size_t)(next - s) : strlen(s);
		if (!slash || slash > s + n || n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, n);
		buf[n] = 0;
		buf[slash - s] = 0;
		if (strchr(buf, ':'))
			continue; /* IPv6 */
		errno = 0;
		len = strtol(buf + (slash - s) + 1, &end, 10);
		if (inet_pton(AF_INET, buf, &a) != 1 || errno || end == buf + (slash - s) + 1 || *end || len < 0 ||
		    len > 32)
			return -EINVAL;
		ret->net = a.s_addr & (len ? htonl(~0u << (32 - len)) : 0);
		ret->len = (int)len;
		return 0;
	}
	return -EINVAL;
}

static void fmt_addr(uint32_t net_order, char *buf, size_t len)
{
	ipam_format(ntohl(net_order), buf, len);
}

/* "pt" + the first 12 hex digits of the uid (a UUID's are random), or of a hash of it when it has
 * fewer: 14 characters, under IFNAMSIZ. */
static void host_if_name(const char *uid, char *buf, size_t len)
{
	char hex[13];
	size_t n = 0;
	for (const char *c = uid; *c && n < 12; c++)
		if (isxdigit((unsigned char)*c))
			hex[n++] = (char)tolower((unsigned char)*c);
	hex[n] = 0;
	if (n < 12) {
		uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
		for (const char *c = uid; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
		snprintf(hex, sizeof(hex), "%012llx", (unsigned long long)(h & 0xffffffffffffull));
	}
	snprintf(buf, len, "pt%s", hex);
}

/* podnet_new checked that the data dir leaves room for the longest uid. */
static void netns_path(const podnet_t *p, const char *uid, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", p->netns_dir, uid) >= len)
		buf[0] = 0;
}

static bool busy_has(const podnet_t *p, const char *uid)
{
	for (const busy_t *b = p->busy; b; b = b->next)
		if (strcmp(b->uid, uid) == 0)
			return true;
	return false;
}

static int busy_add(podnet_t *p, const char *uid)
{
	busy_t *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->uid, sizeof(b->uid), "%s", uid);
	b->next = p->busy;
	p->busy = b;
	return 0;
}

static void busy_del(podnet_t *p, const char *uid)
{
	for (busy_t **bp = &p->busy; *bp; bp = &(*bp)->next)
		if (strcmp((*bp)->uid, uid) == 0) {
			busy_t *b = *bp;
			*bp = b->next;
			free(b);
			return;
		}
}

static void fill(const podnet_t *p, const char *uid, uint32_t addr, podnet_sandbox_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	netns_path(p, uid, ret->netns_path, sizeof(ret->netns_path));
	ipam_format(addr, ret->ip, sizeof(ret->ip));
	fmt_addr(p->gateway, ret->gateway, sizeof(ret->gateway));
	host_if_name(uid, ret->host_if, sizeof(ret->host_if));
}

/* The sandbox's kernel state is all there: its namespace is mounted and its veth is on the bridge. */
static bool sandbox_complete(const podnet_t *p, const char *uid)
{
	char path[512], host_if[16];
	netns_path(p, uid, path, sizeof(path));
	if (!nl_netns_is_mounted(path))
		return false;
	host_if_name(uid, host_if, sizeof(host_if));
	nl_t *nl;
	if (nl_open(&nl) < 0)
		return false;
	nl_link_info_t info;
	bool ok = nl_link_get(nl, host_if, &info) == 0 && info.master == p->bridge_ifindex;
	nl_close(nl);
	return ok;
}

/* Settings of a complete sandbox's host end that someone may have changed: put back without
 * touching anything that carries traffic. */
static int sandbox_reassert(const podnet_t *p, const char *uid)
{
	char host_if[16];
	host_if_name(uid, host_if, sizeof(host_if));
	nl_t *nl;
	int rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	nl_link_info_t info;
	if ((rc = nl_link_get(nl, host_if, &info)) == 0) {
		if (info.hairpin != 1)
			rc = nl_brport_set_hairpin(nl, info.ifindex, true);
		if (rc == 0 && !(info.flags & IFF_UP))
			rc = nl_link_set_up(nl, info.ifindex, true);
	}
	nl_close(nl);
	return rc;
}

/* Removes the uid's veth and namespace; 0 when both are gone (also when they never were). */
static int sandbox_teardown(const podnet_t *p, const char *uid)
{
	char path[512], host_if[16];
	netns_path(p, uid, path, sizeof(path));
	host_if_name(uid, host_if, sizeof(host_if));
	nl_t *nl;
	int rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	rc = nl_link_del(nl, host_if);
	nl_close(nl);
	if (rc < 0 && rc != -ENODEV)
		return rc;
	return nl_netns_delete(path);
}

/* Inside the pod: lo up, eth0 with addr/prefix and up, default route through the gateway. */
static int pod_side(const podnet_t *p, nl_t *pod, uint32_t addr_net)
{
	int lo = nl_link_index(pod, "lo");
	if (lo < 0)
		return lo;
	int rc = nl_link_set_up(pod, lo, true);
	if (rc < 0)
		return rc;
	int eth = nl_link_index(pod, PODNET_POD_IF);
	if (eth < 0)
		return eth;
	if ((rc = nl_addr_add(pod, eth, addr_net, p->pod.len)) < 0 && rc != -EEXIST)
		return rc;
	if ((rc = nl_link_set_up(pod, eth, true)) < 0)
		return rc;
	nl_route_t def = { .gw = p->gateway, .ifindex = eth, .proto = RTPROT_STATIC };
	return nl_route_replace(pod, &def);
}

static int sandbox_build(const podnet_t *p, const char *uid, uint32_t addr)
{
	char path[512], host_if[16];
	netns_path(p, uid, path, sizeof(path));
	host_if_name(uid, host_if, sizeof(host_if));
	nl_t *host = NULL, *pod = NULL;
	bool veth_made = false;
	int fd = -1;
	int rc = nl_open(&host);
	if (rc < 0)
		return rc;
	if ((rc = nl_netns_create(path, &pod)) < 0)
		goto fail;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* The peer is born as eth0 inside the pod's namespace: no temporary name on the host that two
	 * concurrent creates could fight over. */
	if ((rc = nl_veth_create(host, host_if, PODNET_POD_IF, fd, 0)) < 0)
		goto fail;
	veth_made = true;
	int idx = nl_link_index(host, host_if);
	if (idx < 0) {
		rc = idx;
		goto fail;
	}
	if ((rc = nl_link_set_master(host, idx, p->bridge_ifindex)) < 0 || (rc = nl_brport_set_hairpin(host, idx, true)) < 0 ||
	    (rc = nl_link_set_up(host, idx, true)) < 0)
		goto fail;
	if ((rc = pod_side(p, pod, htonl(addr))) < 0)
		goto fail;
	close(fd);
	nl_close(pod);
	nl_close(host);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	nl_close(pod);
	if (veth_made)
		nl_link_del(host, host_if);
	nl_close(host);
	nl_netns_delete(path);
	return rc;
}

int podnet_sandbox_create(podnet_t *p, const char *pod_uid, podnet_sandbox_t *ret)
{
	if (!ipam_uid_valid(pod_uid))
		return -EINVAL;
	uint32_t addr;
	pthread_mutex_lock(&p->lock);
	if (busy_has(p, pod_uid)) {
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	bool had = ipam_lookup(p->ipam, pod_uid, &addr) == 0;
	if (had && sandbox_complete(p, pod_uid)) {
		int rc = sandbox_reassert(p, pod_uid);
		pthread_mutex_unlock(&p->lock);
		if (rc == 0)
			fill(p, pod_uid, addr, ret);
		return rc;
	}
	int rc = ipam_alloc(p->ipam, pod_uid, &addr);
	if (rc == 0 && (rc = busy_add(p, pod_uid)) < 0 && !had)
		ipam_release(p->ipam, addr);
	pthread_mutex_unlock(&p->lock);
	if (rc < 0)
		return rc;

	/* A recorded uid without a complete sandbox: a create or delete was cut short. Start over
	 * (with the same address). */
	bool release = true;
	if (had && (rc = sandbox_teardown(p, pod_uid)) < 0)
		release = false; /* leftovers may still use the address: keep it taken */
	if (rc == 0)
		rc = sandbox_build(p, pod_uid, addr);

	pthread_mutex_lock(&p->lock);
	busy_del(p, pod_uid);
	if (rc < 0 && release && ipam_release(p->ipam, addr) < 0)
		log_warn("podnet: could not release %s's address after a failed create", pod_uid);
	pthread_mutex_unlock(&p->lock);
	if (rc == 0)
		fill(p, pod_uid, addr, ret);
	return rc;
}

int podnet_sandbox_get(podnet_t *p, const char *pod_uid, podnet_sandbox_t *ret)
{
	if (!ipam_uid_valid(pod_uid))
		return -ENOENT;
	uint32_t addr;
	pthread_mutex_lock(&p->lock);
	int rc = busy_has(p, pod_uid) ? -ENOENT : ipam_lookup(p->ipam, pod_uid, &addr);
	if (rc == 0 && !sandbox_complete(p, pod_uid))
		rc = -ENOENT;
	pthread_mutex_unlock(&p->lock);
	if (rc == 0)
		fill(p, pod_uid, addr, ret);
	return rc;
}

int podnet_sandbox_delete(podnet_t *p, const char *pod_uid)
{
	if (!ipam_uid_valid(pod_uid))
		return -EINVAL;
	uint32_t addr;
	pthread_mutex_lock(&p->lock);
	if (busy_has(p, pod_uid)) {
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	bool had = ipam_lookup(p->ipam, pod_uid, &addr) == 0;
	int rc = busy_add(p, pod_uid);
	pthread_mutex_unlock(&p->lock);
	if (rc < 0)
		return rc;
	/* The address goes last: while any of the pod's kernel state may exist, it stays taken. */
	rc = sandbox_teardown(p, pod_uid);
	pthread_mutex_lock(&p->lock);
	if (rc == 0 && had)
		rc = ipam_release(p->ipam, addr);
	busy_del(p, pod_uid);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

typedef struct uid_list {
	char (*uids)[IPAM_UID_MAX + 1];
	size_t n, cap;
	int err;
} uid_list_t;

static void collect(uint32_t addr, const char *uid, void *arg)
{
	uid_list_t *l = arg;
	if (l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *u = realloc(l->uids, cap * sizeof(*l->uids));
		if (!u) {
			l->err = -ENOMEM;
			return;
		}
		l->uids = u;
		l->cap = cap;
	}
	snprintf(l->uids[l->n++], sizeof(l->uids[0]), "%s", uid);
}

int podnet_sandbox_foreach(podnet_t *p, void (*fn)(const char *pod_uid, void *arg), void *arg)
{
	uid_list_t l = { 0 };
	pthread_mutex_lock(&p->lock);
	ipam_foreach(p->ipam, collect, &l);
	pthread_mutex_unlock(&p->lock);
	/* Called without the lock: fn may create or delete. */
	if (l.err == 0)
		for (size_t i = 0; i < l.n; i++)
			fn(l.uids[i], arg);
	free(l.uids);
	return l.err;
}

/* ---- host-gw routes -------------------------------------------------------------------------- */

typedef struct route_set {
	nl_route_t *r;
	size_t n, cap;
	int err;
} route_set_t;

static void collect_route(const nl_route_t *r, void *arg)
{
	route_set_t *s = arg;
	if (s->err)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *v = realloc(s->r, cap * sizeof(*s->r));
		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		s->r = v;
		s->cap = cap;
	}
	s->r[s->n++] = *r;
}

int podnet_set_routes(podnet_t *p, const podnet_route_t *routes, size_t n)
{
	nl_route_t *want = calloc(n ? n : 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	size_t nw = 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		podnet_cidr_t c;
		struct in_addr via;
		if (!routes[i].via || parse_cidr(routes[i].cidr, &c) < 0 || inet_pton(AF_INET, routes[i].via, &via) != 1) {
			rc = -EINVAL;
			break;
		}
		if ((c.net == p->pod.net && c.len == p->pod.len) || (p->node_ip && via.s_addr == p->node_ip))
			continue; /* our own podCIDR is on the bridge */
		for (size_t j = 0; j < nw; j++)
			if (want[j].dst == c.net && want[j].dst_len == c.len && want[j].gw != via.s_addr)
				rc = -EINVAL; /* one CIDR, two nodes */
		want[nw++] = (nl_route_t){ .dst = c.net, .dst_len = c.len, .gw = via.s_addr, .proto = PODNET_RTPROT };
	}
	nl_t *nl = NULL;
	route_set_t have = { 0 };
	pthread_mutex_lock(&p->routes_lock);
	if (rc == 0)
		rc = nl_open(&nl);
	if (rc == 0)
		rc = nl_route_dump(nl, PODNET_RTPROT, collect_route, &have);
	if (rc == 0)
		rc = have.err;
	int first = rc;
	if (rc == 0) {
		for (size_t i = 0; i < nw; i++) {
			bool same = false;
			for (size_t j = 0; j < have.n && !same; j++)
				same = have.r[j].dst == want[i].dst && have.r[j].dst_len == want[i].dst_len &&
				       have.r[j].gw == want[i].gw;
			if (same)
				continue;
			rc = nl_route_replace(nl, &want[i]);
			if (rc < 0 && first == 0)
				first = rc;
		}
		for (size_t j = 0; j < have.n; j++) {
			bool keep = false;
			for (size_t i = 0; i < nw && !keep; i++)
				keep = have.r[j].dst == want[i].dst && have.r[j].dst_len == want[i].dst_len;
			if (keep)
				continue;
			nl_route_t del = have.r[j];
			del.ifindex = 0;
			rc = nl_route_del(nl, &del);
			if (rc < 0 && rc != -ESRCH && first == 0)
				first = rc;
		}
	}
	nl_close(nl);
	pthread_mutex_unlock(&p->routes_lock);
	free(have.r);
	free(want);
	return first;
}

/* ---- setup ----------------------------------------------------------------------------------- */

/* DATA/netns as a shared mount point of its own (as `ip netns` does with /run/netns): a namespace
 * file mounted there later also appears in mount namespaces copied from ours (a pod supervisor's),
 * and its unmount propagates to them, so a deleted pod's namespace is not kept alive by a copy. */
static int netns_dir_prepare(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0 ? -errno : 0;
}

/* Namespace files without an IPAM record cannot come from a create (the record is written first):
 * leftovers of a record removed by hand, or a corrupt one. Remove them with their veth. Another
 * process may be creating on the same data dir right now (its records are newer than our load), so
 * a file without a record in our state is checked again against the records on disk, read after
 * the file was seen: its creator wrote the record before the file. */
static void netns_dir_sweep(podnet_t *p, const char *pod_cidr)
{
	DIR *d = opendir(p->netns_dir);
	ipam_t *fresh = NULL;
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		uint32_t addr;
		if (e->d_name[0] == '.' || !ipam_uid_valid(e->d_name) || ipam_lookup(p->ipam, e->d_name, &addr) == 0)
			continue;
		ipam_free(fresh);
		fresh = NULL;
		if (ipam_new(pod_cidr, p->ipam_dir, &fresh) < 0 || ipam_lookup(fresh, e->d_name, &addr) == 0)
			continue;
		int rc = sandbox_teardown(p, e->d_name);
		log_warn("podnet: removed the sandbox of %s, which had no address record%s", e->d_name,
			 rc < 0 ? " (incompletely)" : "");
	}
	ipam_free(fresh);
	closedir(d);
}

typedef struct stale_addrs {
	uint32_t keep;
	int keep_len;
	uint32_t addr[8];
	int len[8];
	int n;
} stale_addrs_t;

static void collect_stale(uint32_t addr, int prefix, void *arg)
{
	stale_addrs_t *s = arg;
	if ((addr != s->keep || prefix != s->keep_len) && s->n < 8) {
		s->addr[s->n] = addr;
		s->len[s->n++] = prefix;
	}
}

static int bridge_setup(podnet_t *p)
{
	nl_t *nl;
	int rc = nl_open(&nl);
	if (rc < 0)
		return rc;
	nl_link_info_t info;
	rc = nl_link_get(nl, PODNET_BRIDGE, &info);
	if (rc == -ENODEV) {
		/* A fixed address: otherwise the bridge takes the lowest of its ports' and changes it as
		 * pods come and go, and the pods' cached gateway address goes stale. */
		uint8_t mac[6];
		if (getrandom(mac, sizeof(mac), 0) != sizeof(mac)) {
			rc = -EIO;
			goto out;
		}
		mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
		if ((rc = nl_bridge_create(nl, PODNET_BRIDGE, mac)) < 0 && rc != -EEXIST)
			goto out;
		rc = nl_link_get(nl, PODNET_BRIDGE, &info);
	}
	if (rc < 0)
		goto out;
	if (strcmp(info.kind, "bridge") != 0) {
		rc = -EEXIST; /* the name is taken by something else */
		goto out;
	}
	p->bridge_ifindex = info.ifindex;
	/* A gateway of an older podCIDR (the node was registered anew) would keep a connected route
	 * that shadows the host-gw route to whichever node holds that CIDR now. */
	stale_addrs_t stale = { .keep = p->gateway, .keep_len = p->pod.len };
	if ((rc = nl_addr_dump(nl, info.ifindex, collect_stale, &stale)) < 0)
		goto out;
	for (int i = 0; i < stale.n; i++)
		if ((rc = nl_addr_del(nl, info.ifindex, stale.addr[i], stale.len[i])) < 0 && rc != -EADDRNOTAVAIL)
			goto out;
	if ((rc = nl_addr_add(nl, info.ifindex, p->gateway, p->pod.len)) < 0 && rc != -EEXIST)
		goto out;
	rc = nl_link_set_up(nl, info.ifindex, true);
out:
	nl_close(nl);
	return rc;
}

int podnet_new(const podnet_config_t *cfg, podnet_t **ret)
{
	if (!cfg || !cfg->data_dir || !cfg->pod_cidr)
		return -EINVAL;
	podnet_t *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->routes_lock, NULL);
	int rc = -EINVAL;
	if (parse_cidr(cfg->pod_cidr, &p->pod) < 0 || p->pod.len < 16 || p->pod.len > 30 ||
	    parse_cidr(cfg->cluster_cidr ? cfg->cluster_cidr : "10.42.0.0/16", &p->cluster) < 0 ||
	    parse_cidr(cfg->service_cidr ? cfg->service_cidr : "10.43.0.0/16", &p->service) < 0)
		goto fail;
	if (cfg->node_ip) {
		struct in_addr a;
		if (inet_pton(AF_INET, cfg->node_ip, &a) != 1)
			goto fail;
		p->node_ip = a.s_addr;
	}
	p->gateway = htonl(ntohl(p->pod.net) + 1);
	/* netns paths must fit podnet_sandbox_t.netns_path with the longest uid. */
	rc = -ENAMETOOLONG;
	if (strlen(cfg->data_dir) + strlen("/netns/") + IPAM_UID_MAX >= sizeof(((podnet_sandbox_t *)0)->netns_path))
		goto fail;
	rc = -ENOMEM;
	if (!(p->data_dir = strdup(cfg->data_dir)))
		goto fail;
	snprintf(p->ipam_dir, sizeof(p->ipam_dir), "%s/ipam", cfg->data_dir);
	snprintf(p->netns_dir, sizeof(p->netns_dir), "%s/netns", cfg->data_dir);
	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	if ((rc = ipam_new(cfg->pod_cidr, p->ipam_dir, &p->ipam)) < 0)
		goto fail;
	if ((rc = netns_dir_prepare(p->netns_dir)) < 0)
		goto fail;
	if ((rc = bridge_setup(p)) < 0)
		goto fail;
	if ((rc = nl_sysctl_write("net/ipv4/ip_forward", "1")) < 0)
		goto fail;
	int brc = nl_sysctl_write("net/bridge/bridge-nf-call-iptables", "1");
	if (brc < 0)
		log_warn("podnet: cannot set net.bridge.bridge-nf-call-iptables=1 (%s): is br_netfilter loaded? "
			 "Service traffic between pods of one node may bypass the proxy's NAT",
			 strerror(-brc));
	if ((rc = podnet_nft_sync(&p->pod, &p->cluster, &p->service)) < 0)
		goto fail;
	netns_dir_sweep(p, cfg->pod_cidr);
	*ret = p;
	return 0;
fail:
	podnet_free(p);
	return rc;
}

void podnet_free(podnet_t *p)
{
	if (!p)
		return;
	ipam_free(p->ipam);
	while (p->busy)
		busy_del(p, p->busy->uid);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->routes_lock);
	free(p->data_dir);
	free(p);
}
