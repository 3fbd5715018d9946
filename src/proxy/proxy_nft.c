/* The data plane of the service proxy: table `ip portico` (IPv4) or `ip6 portico` (IPv6, the same
 * layout with 16-byte addresses: one instance per family) through libnftnl + libmnl.
 *
 * Layout: a dozen fixed chains, all per-Service state in shared maps, and one small "sel" chain per
 * distinct (endpoint count, affinity timeout, path) in use. tuple = ip daddr . meta l4proto . th dport
 * (NodePorts: 0.0.0.0 . meta l4proto . th dport); group = an endpoint set (a port's all or local).
 *
 *   nat-prerouting / nat-output (nat, dstnat):  jump services
 *   services:
 *     ip saddr != CLUSTER_CIDR  ip daddr @cluster-ips -> mark |= 0x4000 (ClusterIPs)
 *     tuple @fe-masq                               -> mark |= 0x4000    (external, policy Cluster)
 *     ip saddr CLUSTER_CIDR  tuple @fe-local  (group . sel) = tuple map @short-group;  sel vmap @sel-vmap
 *     fib saddr type local   tuple @fe-local  mark |= 0x4000;  the same   (Local: pods and the node
 *                                                                         use every endpoint)
 *     (group . sel) = tuple map @fe-group;  sel vmap @sel-vmap          (goto sel-N..., or drop)
 *     fib daddr type local  ip daddr @nodeport-addrs  goto nodeports
 *   nodeports: the same rules on the NodePort tuple
 *   sel-N:     group = tuple map @fe-group (again: the kernel won't pass registers between rules);
 *              dnat to (group . numgen random mod N) map @endpoints;  fallback: index 0
 *   sel-N-aT:  ClientIP affinity: (saddr . group) map @affinity (dynamic, timeout T), valid while
 *              (group . endpoint) is in @ep-valid, else forgotten; a fresh choice is stored
 *   nat-postrouting (srcnat): mark & 0x4000 -> clear it, masquerade fully-random;
 *              ct status dnat  ip saddr . ip daddr @hairpin (local endpoints) -> masquerade fully-random
 *   filter-prerouting (dstnat - 10): ct state new  tuple @lb-restrict  tuple . ip saddr != @lb-allow  drop
 *   filter-input / -forward (filter - 10), filter-output (dstnat + 10, after the DNAT):
 *              ct state new jump reject-check
 *   reject-check: cluster DNS -> return; tuple @no-ep reject; NodePort tuple @no-ep reject;
 *              ip daddr @cluster-ips reject (a port the ClusterIP doesn't serve); SERVICE_CIDR drop
 *
 * Only sel-vmap holds jumps, and it has a handful of elements, so the kernel's loop validation
 * after an element change stays cheap whatever the number of Services. Every change is one batch:
 * sel chains created on first use, then the changed elements (deletes, then adds); a sel chain
 * nobody uses goes after a grace period. Element and chain reference counts live here, so the
 * kernel is never read back. A full sync replaces the whole table in one transaction. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "core/log.h"
#include "proxy/proxy_nft.h"

/* ---- sets ------------------------------------------------------------------------------------- */

enum {
	S_CLUSTER_IPS, S_NP_ADDRS, S_FE_MASQ, S_FE_LOCAL, M_FE_ID, M_SHORT_ID, M_SEL_VMAP, S_NO_EP, M_EPS, M_EP_BY_ID, M_EP_ID, S_HAIRPIN, S_LB_RESTRICT, S_LB_ALLOW, M_AFFINITY, N_SETS
};

/* nftables' datatype ids, so `nft list` can print the elements */
#define T_IP     7
#define T_IP6    8
#define T_PROTO  12
#define T_SVC    13
#define T_MARK   19
#define CAT2(a, b)       (((a) << 6) | (b))
#define CAT3(a, b, c)    (((a) << 12) | ((b) << 6) | (c))
#define CAT4(a, b, c, d) (((a) << 18) | ((b) << 12) | ((c) << 6) | (d))
#define TUPLE_T CAT3(T_IP, T_PROTO, T_SVC)

/* The IPv4 layout; set_defs_init() derives the IPv6 one (addresses of 16 bytes, T_IP6). */
typedef struct set_def {
	const char *name;
	uint32_t flags, klen, ktype, dlen, dtype; /* dlen 0 with flags MAP: a verdict map */
	uint8_t concat[5];
} set_def_t;

static const set_def_t SETS[N_SETS] = {
	[S_CLUSTER_IPS] = { "cluster-ips", 0, 4, T_IP, 0, 0, { 0 } },
	[S_NP_ADDRS] = { "nodeport-addrs", 0, 4, T_IP, 0, 0, { 0 } },
	[S_FE_MASQ] = { "fe-masq", 0, 12, TUPLE_T, 0, 0, { 0 } },
	[S_FE_LOCAL] = { "fe-local", 0, 12, TUPLE_T, 0, 0, { 0 } },
	[M_FE_ID] = { "fe-group", NFT_SET_MAP, 12, TUPLE_T, 8, CAT2(T_MARK, T_MARK), { 0 } },
	[M_SHORT_ID] = { "short-group", NFT_SET_MAP, 12, TUPLE_T, 8, CAT2(T_MARK, T_MARK), { 0 } },
	[M_SEL_VMAP] = { "sel-vmap", NFT_SET_MAP, 4, T_MARK, 0, 0, { 0 } },
	[S_NO_EP] = { "no-ep", 0, 12, TUPLE_T, 0, 0, { 0 } },
	[M_EPS] = { "endpoints", NFT_SET_MAP, 8, CAT2(T_MARK, T_MARK), 8, CAT2(T_IP, T_SVC), { 0 } },
	[M_EP_BY_ID] = { "ep-by-id", NFT_SET_MAP, 8, CAT2(T_MARK, T_MARK), 8, CAT2(T_IP, T_SVC), { 0 } },
	[M_EP_ID] = { "ep-id", NFT_SET_MAP, 8, CAT2(T_MARK, T_MARK), 4, T_MARK, { 0 } },
	[S_HAIRPIN] = { "hairpin", 0, 8, CAT2(T_IP, T_IP), 0, 0, { 0 } },
	[S_LB_RESTRICT] = { "lb-restrict", 0, 12, TUPLE_T, 0, 0, { 0 } },
	[S_LB_ALLOW] = { "lb-allow", NFT_SET_INTERVAL | NFT_SET_CONCAT, 16, CAT4(T_IP, T_PROTO, T_SVC, T_IP), 0, 0,
			 { 4, 1, 2, 4, 0 } },
	[M_AFFINITY] = { "affinity", NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL, 8, CAT2(T_IP, T_MARK), 4, T_MARK,
			 { 0 } },
};

/* Registers (32-bit ones), per family (an address takes AW = 1 or 4 of them); concatenations
 * need consecutive registers, hence the layout:
 *   IPv4: 00 saddr | 01 group | 02 sel, numgen index or endpoint id | 03-04 endpoint addr, port |
 *         05 endpoint id | 04 scratch | 08 daddr 09 l4proto 10 dport 11 saddr (the tuple, lb-allow)
 *   IPv6: 00-03 saddr | 04 group | 05 sel/index/id | 06-09, 10 endpoint addr, port | 11 id |
 *         06-09 daddr 10 l4proto 11 dport 12-15 saddr (tuple) | 12-15 scratch
 * affinity key = saddr . group, endpoints/ep-id key = group . index, ep-by-id key = group . id:
 * all consecutive. Each rule loads what it reads first, so the overlaps never meet. */
#define R_SADDR NFT_REG32_00
#define R_TUPLE (n->fam6 ? NFT_REG32_06 : NFT_REG32_08)
#define R_GROUP (n->fam6 ? NFT_REG32_04 : NFT_REG32_01)
#define R_SEL   (R_GROUP + 1) /* the sel chain key (fe-group data: group . sel) */
#define R_IDX   (R_GROUP + 1) /* numgen index, or an endpoint id */
#define R_EP    (R_GROUP + 2) /* the endpoint's addr and port */
#define R_EID   (R_EP + AW + 1)
#define R_TMP   (n->fam6 ? NFT_REG32_12 : NFT_REG32_04)
#define AW      (n->alen / 4)  /* registers per address */
#define SEL_DROP_KEY 0xffffffffu /* sel-vmap: drop */
#define SEL_GRACE_NS (10LL * 1000000000LL)
#define KEY_MAX 40  /* the longest key: IPv6 lb-allow, tuple (24) . saddr (16) */

/* ---- elements and their reference counts -------------------------------------------------------- */

enum { V_NONE, V_GOTO, V_DROP };

/* Keys and data are zero-padded, so whole arrays compare. */
typedef struct elem {
	uint8_t set, verdict;
	uint8_t path;        /* V_GOTO: how the sel chain finds the group (SEL_*) */
	uint16_t n;          /* V_GOTO: sel chain endpoint count */
	uint32_t t;          /* V_GOTO: affinity seconds (0: none) */
	uint8_t key[KEY_MAX];
	uint8_t data[20];    /* map data; lb-allow (an interval): the range's last address */
} elem_t;

static bool elem_same_key(const elem_t *a, const elem_t *b)
{
	return a->set == b->set && !memcmp(a->key, b->key, sizeof(a->key)) &&
	       (a->set != S_LB_ALLOW || !memcmp(a->data, b->data, sizeof(a->data)));
}

static bool elem_equal(const elem_t *a, const elem_t *b)
{
	return elem_same_key(a, b) && a->verdict == b->verdict && a->n == b->n && a->t == b->t && a->path == b->path &&
	       !memcmp(a->data, b->data, sizeof(a->data));
}

/* Open addressing over (set, key): how many service ports want the element. */
typedef struct ref {
	elem_t e; /* the programmed value (the first owner's) */
	uint32_t count;
	bool used;
} ref_t;

typedef struct reftab {
	ref_t *v;
	size_t cap, n;
} reftab_t;

static uint64_t elem_hash(const elem_t *e)
{
	uint64_t h = 1469598103934665603ull ^ e->set;
	size_t i;

	for (i = 0; i < sizeof(e->key); i++)
		h = (h ^ e->key[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static ref_t *ref_find(reftab_t *t, const elem_t *e)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = elem_hash(e) & (t->cap - 1); t->v[i].used; i = (i + 1) & (t->cap - 1))
		if (elem_same_key(&t->v[i].e, e))
			return &t->v[i];
	return NULL;
}

static int ref_grow(reftab_t *t)
{
	size_t nc = t->cap ? t->cap * 2 : 1024, i, j;
	ref_t *nv = calloc(nc, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->v[i].used)
			continue;
		for (j = elem_hash(&t->v[i].e) & (nc - 1); nv[j].used; j = (j + 1) & (nc - 1))
			;
		nv[j] = t->v[i];
	}
	free(t->v);
	t->v = nv;
	t->cap = nc;
	return 0;
}

/* +1 for e; true when it is new (must be added to the kernel). */
static int ref_inc(reftab_t *t, const elem_t *e, bool *ret_new)
{
	ref_t *r = ref_find(t, e);
	size_t i;

	if (r) {
		r->count++;
		*ret_new = false;
		return 0;
	}
	if ((t->n + 1) * 2 > t->cap && ref_grow(t) < 0)
		return -ENOMEM;
	for (i = elem_hash(e) & (t->cap - 1); t->v[i].used; i = (i + 1) & (t->cap - 1))
		;
	t->v[i].e = *e;
	t->v[i].count = 1;
	t->v[i].used = true;
	t->n++;
	*ret_new = true;
	return 0;
}

/* -1 for e; true when it went (must be deleted from the kernel). Backward-shift deletion. */
static bool ref_dec(reftab_t *t, const elem_t *e, elem_t *ret_prog)
{
	ref_t *r = ref_find(t, e);
	size_t i, j, k;

	if (!r)
		return false;
	*ret_prog = r->e;
	if (--r->count > 0)
		return false;
	i = (size_t)(r - t->v);
	t->v[i].used = false;
	t->n--;
	for (j = (i + 1) & (t->cap - 1); t->v[j].used; j = (j + 1) & (t->cap - 1)) {
		k = elem_hash(&t->v[j].e) & (t->cap - 1);
		/* move j back to i unless its home k lies cyclically in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			t->v[i] = t->v[j];
			t->v[j].used = false;
			i = j;
		}
	}
	return true;
}

static void ref_clear(reftab_t *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- sel chains ------------------------------------------------------------------------------- */

/* The kernel refuses loads from registers no expression of the same rule stored (6.12+), so a sel
 * chain cannot be handed the group id in a register: it looks it up again, from the tuple (the
 * packet's daddr, or 0.0.0.0 for NodePorts) in fe-id or short-id. One variant per path. */
enum { SEL_FE = 0, SEL_SHORT = 1, SEL_NODEPORT = 2 };

typedef struct selchain {
	uint32_t key; /* in sel-vmap */
	uint8_t path;
	uint16_t n;
	uint32_t t;
	uint32_t refs;
	bool live; /* in the kernel */
	bool dying; /* deleted by the batch being sent */
	int64_t idle_since; /* monotonic ns since no element points here; 0: in use */
} selchain_t;

static void sel_name(char *buf, size_t len, uint8_t path, uint16_t n, uint32_t t)
{
	static const char *const pfx[] = { "sel", "sel-short", "sel-np", "sel-np-short" };

	if (t)
		snprintf(buf, len, "%s-%u-a%u", pfx[path & 3], n, t);
	else
		snprintf(buf, len, "%s-%u", pfx[path & 3], n);
}

/* ---- service port records ----------------------------------------------------------------------- */

/* ClientIP affinity remembers an endpoint by an id of its own, unique in this process and kept
 * while the endpoint stays in its group (its index moves when others go). */
typedef struct eid {
	proxy_ep_t ep;
	uint32_t id;
} eid_t;

typedef struct sprec {
	char *key;
	proxy_svcport_t prog, want; /* programmed; staged */
	bool has_prog, has_want, dirty;
	uint32_t gid_all, gid_local;
	eid_t *eids[2], *next_eids[2]; /* [0] all, [1] local: programmed; being built */
	size_t n_eids[2], n_next_eids[2];
	elem_t *elems; /* programmed */
	size_t n_elems;
	elem_t *next; /* being built during a commit */
	size_t n_next;
	struct sprec *hnext, *dnext;
} sprec_t;

typedef struct stale {
	proxy_addr_t addr;
	uint16_t port;
	proxy_ep_t *eps;
	size_t n_eps;
} stale_t;

struct proxy_nft {
	proxy_nft_cfg_t cfg;
	bool fam6;         /* table ip6 */
	uint32_t alen;     /* address bytes: 4 or 16 */
	uint32_t tlen;     /* tuple bytes: addr . l4proto . dport, each field padded to 4 */
	int nfproto;
	set_def_t sets[N_SETS];
	char table[64];
	struct mnl_socket *nl;
	uint32_t seq, portid;
	sprec_t **buckets;
	size_t n_buckets, n_recs;
	sprec_t *dirty;
	reftab_t refs;
	selchain_t *sels;
	size_t n_sels, cap_sels;
	uint32_t *free_gids;
	size_t n_free_gids, cap_free_gids;
	uint32_t next_gid, next_selkey, next_eid;
	bool need_full;
	size_t base_rules;
	stale_t *stale;
	size_t n_stale, cap_stale;
	unsigned long commits, failures;
	size_t last_msgs, last_bytes;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static sprec_t *rec_find(proxy_nft_t *n, const char *key)
{
	sprec_t *r;

	for (r = n->buckets[str_hash(key) & (n->n_buckets - 1)]; r; r = r->hnext)
		if (!strcmp(r->key, key))
			return r;
	return NULL;
}

static int rec_grow(proxy_nft_t *n)
{
	size_t nb = n->n_buckets * 2, i;
	sprec_t **b = calloc(nb, sizeof(*b)), *r, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < n->n_buckets; i++) {
		for (r = n->buckets[i]; r; r = next) {
			next = r->hnext;
			r->hnext = b[str_hash(r->key) & (nb - 1)];
			b[str_hash(r->key) & (nb - 1)] = r;
		}
	}
	free(n->buckets);
	n->buckets = b;
	n->n_buckets = nb;
	return 0;
}

static uint32_t gid_alloc(proxy_nft_t *n)
{
	if (n->n_free_gids)
		return n->free_gids[--n->n_free_gids];
	return ++n->next_gid;
}

static void gid_free(proxy_nft_t *n, uint32_t g)
{
	if (!g)
		return;
	if (n->n_free_gids == n->cap_free_gids) {
		size_t nc = n->cap_free_gids ? n->cap_free_gids * 2 : 64;
		uint32_t *nv = realloc(n->free_gids, nc * sizeof(*nv));
		if (!nv)
			return; /* the id leaks: harmless */
		n->free_gids = nv;
		n->cap_free_gids = nc;
	}
	n->free_gids[n->n_free_gids++] = g;
}

static void eids_drop(sprec_t *r, bool next)
{
	int g;

	for (g = 0; g < 2; g++) {
		if (next) {
			free(r->next_eids[g]);
			r->next_eids[g] = NULL;
			r->n_next_eids[g] = 0;
		} else {
			free(r->eids[g]);
			r->eids[g] = NULL;
			r->n_eids[g] = 0;
		}
	}
}

static void rec_free(proxy_nft_t *n, sprec_t *r)
{
	eids_drop(r, false);
	eids_drop(r, true);
	gid_free(n, r->gid_all);
	gid_free(n, r->gid_local);
	proxy_svcport_clear(&r->prog);
	proxy_svcport_clear(&r->want);
	free(r->elems);
	free(r->next);
	free(r->key);
	free(r);
}

int proxy_nft_stage(proxy_nft_t *n, const char *key, const proxy_svcport_t *sp)
{
	sprec_t *r = rec_find(n, key);
	proxy_svcport_t c = { 0 };

	if (sp && proxy_svcport_copy(sp, &c) < 0)
		return -ENOMEM;
	if (!r) {
		if (!sp)
			return 0;
		if ((n->n_recs + 1) > n->n_buckets && rec_grow(n) < 0)
			goto nomem;
		r = calloc(1, sizeof(*r));
		if (!r || !(r->key = strdup(key))) {
			free(r);
			goto nomem;
		}
		r->hnext = n->buckets[str_hash(key) & (n->n_buckets - 1)];
		n->buckets[str_hash(key) & (n->n_buckets - 1)] = r;
		n->n_recs++;
	}
	proxy_svcport_clear(&r->want);
	r->want = c;
	r->has_want = sp != NULL;
	if (!r->dirty) {
		r->dirty = true;
		r->dnext = n->dirty;
		n->dirty = r;
	}
	return 0;
nomem:
	proxy_svcport_clear(&c);
	return -ENOMEM;
}

/* ---- desired elements of one service port ------------------------------------------------------- */

typedef struct ebuf {
	elem_t *v;
	size_t n, cap;
	int err;
} ebuf_t;

static elem_t *eb_add(ebuf_t *b, uint8_t set)
{
	elem_t *e;

	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 32;
		elem_t *nv = realloc(b->v, nc * sizeof(*nv));
		if (!nv) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->v = nv;
		b->cap = nc;
	}
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	e->set = set;
	return e;
}

static void put_tuple(const proxy_nft_t *n, uint8_t *k, const proxy_addr_t *addr, uint8_t proto, uint16_t port)
{
	memset(k, 0, n->tlen);
	memcpy(k, addr->b, n->alen);
	k[n->alen] = proto;
	k[n->alen + 4] = (uint8_t)(port >> 8);
	k[n->alen + 5] = (uint8_t)port;
}

static void put_ep(const proxy_nft_t *n, uint8_t *d, const proxy_ep_t *ep)
{
	memset(d, 0, n->alen + 4);
	memcpy(d, ep->addr.b, n->alen);
	d[n->alen] = (uint8_t)(ep->port >> 8);
	d[n->alen + 1] = (uint8_t)ep->port;
}

static void add_key(const proxy_nft_t *n, ebuf_t *b, uint8_t set, const uint8_t *tuple)
{
	elem_t *e = eb_add(b, set);

	if (e)
		memcpy(e->key, tuple, n->tlen);
}

/* The id and verdict elements of a frontend served by group gid with cnt endpoints. */
static void add_dispatch(const proxy_nft_t *n, ebuf_t *b, bool shortcut, bool nodeport, const uint8_t *tuple,
			 uint32_t gid, size_t cnt, bool any, uint32_t aff)
{
	uint8_t id_set = shortcut ? M_SHORT_ID : M_FE_ID;
	elem_t *e;

	/* data: group . sel key; the sel key is filled in when the element is sent (it names the
	 * sel chain for (count, affinity, path), numbered in this process) */
	if (cnt) {
		if ((e = eb_add(b, id_set))) {
			memcpy(e->key, tuple, n->tlen);
			memcpy(e->data, &gid, 4);
			e->verdict = V_GOTO;
			e->path = (shortcut ? SEL_SHORT : SEL_FE) | (nodeport ? SEL_NODEPORT : 0);
			e->n = (uint16_t)cnt;
			e->t = aff;
		}
	} else if (any) {
		/* endpoints exist, none for this policy: drop (upstream's "has no local endpoints") */
		if ((e = eb_add(b, id_set))) {
			memcpy(e->key, tuple, n->tlen);
			e->verdict = V_DROP;
		}
	}
}

/* eids: the endpoints' ids (affinity), or NULL */
static void add_group(const proxy_nft_t *n, ebuf_t *b, uint32_t gid, const proxy_ep_t *eps, size_t cnt,
		      const eid_t *eids)
{
	uint32_t i;
	elem_t *e;

	for (i = 0; i < cnt; i++) {
		if ((e = eb_add(b, M_EPS))) {
			memcpy(e->key, &gid, 4);
			memcpy(e->key + 4, &i, 4); /* numgen writes host order */
			put_ep(n, e->data, &eps[i]);
		}
		if (!eids)
			continue;
		if ((e = eb_add(b, M_EP_ID))) {
			memcpy(e->key, &gid, 4);
			memcpy(e->key + 4, &i, 4);
			memcpy(e->data, &eids[i].id, 4);
		}
		if ((e = eb_add(b, M_EP_BY_ID))) {
			memcpy(e->key, &gid, 4);
			memcpy(e->key + 4, &eids[i].id, 4);
			put_ep(n, e->data, &eps[i]);
		}
	}
}

/* The ids of eps (in order) into r->next_eids[g]: an endpoint programmed before keeps its id. */
static int assign_eids(proxy_nft_t *n, sprec_t *r, int g, const proxy_ep_t *eps, size_t cnt)
{
	eid_t *v = cnt ? calloc(cnt, sizeof(*v)) : NULL;
	size_t i, j;

	if (cnt && !v)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		v[i].ep = eps[i];
		for (j = 0; j < r->n_eids[g] && !v[i].id; j++)
			if (proxy_addr_eq(&r->eids[g][j].ep.addr, &eps[i].addr) && r->eids[g][j].ep.port == eps[i].port)
				v[i].id = r->eids[g][j].id;
		if (!v[i].id && !(v[i].id = ++n->next_eid))
			v[i].id = ++n->next_eid; /* 0 after a wrap: skip it */
	}
	free(r->next_eids[g]);
	r->next_eids[g] = v;
	r->n_next_eids[g] = cnt;
	return 0;
}

/* addr NULL: the NodePort */
static void add_frontend(const proxy_nft_t *n, ebuf_t *b, const proxy_svcport_t *sp, const proxy_addr_t *addr, bool lb,
			 uint32_t ga, uint32_t gl)
{
	static const proxy_addr_t zero;
	uint8_t t[KEY_MAX];
	bool any = sp->n_all > 0;
	size_t i, j;

	put_tuple(n, t, addr ? addr : &zero, sp->proto, addr ? sp->port : sp->node_port);
	if (!any)
		add_key(n, b, S_NO_EP, t);
	if (!sp->etp_local) {
		add_key(n, b, S_FE_MASQ, t);
		add_dispatch(n, b, false, !addr, t, ga, sp->n_all, any, sp->affinity_sec);
	} else {
		add_key(n, b, S_FE_LOCAL, t);
		add_dispatch(n, b, false, !addr, t, gl, sp->n_local, any, sp->affinity_sec);
		add_dispatch(n, b, true, !addr, t, ga, sp->n_all, any, sp->affinity_sec);
	}
	if (lb && sp->n_ranges) {
		add_key(n, b, S_LB_RESTRICT, t);
		for (i = 0; i < sp->n_ranges; i++) {
			elem_t *e = eb_add(b, S_LB_ALLOW);
			const proxy_cidr_t *c = &sp->src_ranges[i];
			if (!e)
				return;
			/* key: tuple . first address; the interval's end (tuple . last address) is
			 * built from data when sent */
			memcpy(e->key, t, n->tlen);
			memcpy(e->key + n->tlen, c->addr.b, n->alen);
			for (j = 0; j < n->alen; j++)
				e->data[j] = (uint8_t)(c->addr.b[j] | ~c->mask.b[j]);
		}
	}
}

/* Orders want like prog where both hold the same endpoint, so that a change moves few slots:
 * a removed endpoint's slot takes the last one, new endpoints are appended. */
static void stable_order(const proxy_ep_t *prog, size_t n_prog, proxy_ep_t *want, size_t n_want)
{
	size_t i, j, k = 0;

	for (i = 0; i < n_prog && k < n_want; i++) {
		for (j = k; j < n_want; j++) {
			if (proxy_addr_eq(&want[j].addr, &prog[i].addr) && want[j].port == prog[i].port) {
				proxy_ep_t tmp = want[k];
				want[k] = want[j];
				want[j] = tmp;
				k++;
				break;
			}
		}
	}
}

static void eids_drop(sprec_t *r, bool next);

static int build_elems(proxy_nft_t *n, sprec_t *r)
{
	proxy_svcport_t *sp = &r->want;
	ebuf_t b = { 0 };
	bool need_local = sp->etp_local || sp->itp_local;
	uint8_t t[KEY_MAX];
	size_t i;

	if (r->has_prog) {
		stable_order(r->prog.all, r->prog.n_all, sp->all, sp->n_all);
		stable_order(r->prog.local, r->prog.n_local, sp->local, sp->n_local);
	}
	if (!r->gid_all)
		r->gid_all = gid_alloc(n);
	if (need_local && !r->gid_local)
		r->gid_local = gid_alloc(n);
	eids_drop(r, true);
	if (sp->affinity_sec && (assign_eids(n, r, 0, sp->all, sp->n_all) < 0 ||
				 (need_local && assign_eids(n, r, 1, sp->local, sp->n_local) < 0))) {
		eids_drop(r, true);
		return -ENOMEM;
	}
	add_group(n, &b, r->gid_all, sp->all, sp->n_all, sp->affinity_sec ? r->next_eids[0] : NULL);
	if (need_local)
		add_group(n, &b, r->gid_local, sp->local, sp->n_local, sp->affinity_sec ? r->next_eids[1] : NULL);
	for (i = 0; i < sp->n_all; i++) {
		elem_t *e;
		/* a pod reaches itself only through its own node: only local endpoints can hairpin (and
		 * those of no known node, to be safe); keeps the set small on big clusters */
		if (!sp->all[i].local && sp->all[i].has_node)
			continue;
		e = eb_add(&b, S_HAIRPIN);
		if (e) {
			memcpy(e->key, sp->all[i].addr.b, n->alen);
			memcpy(e->key + n->alen, sp->all[i].addr.b, n->alen);
		}
	}
	if (!proxy_addr_is_zero(&sp->cluster_ip)) {
		elem_t *e = eb_add(&b, S_CLUSTER_IPS);
		if (e)
			memcpy(e->key, sp->cluster_ip.b, n->alen);
		put_tuple(n, t, &sp->cluster_ip, sp->proto, sp->port);
		if (!sp->n_all)
			add_key(n, &b, S_NO_EP, t);
		if (sp->itp_local)
			add_dispatch(n, &b, false, false, t, r->gid_local, sp->n_local, sp->n_all > 0, sp->affinity_sec);
		else
			add_dispatch(n, &b, false, false, t, r->gid_all, sp->n_all, sp->n_all > 0, sp->affinity_sec);
	}
	for (i = 0; i < sp->n_ext; i++)
		add_frontend(n, &b, sp, &sp->ext_ips[i], false, r->gid_all, r->gid_local);
	for (i = 0; i < sp->n_lb; i++)
		add_frontend(n, &b, sp, &sp->lb_ips[i], true, r->gid_all, r->gid_local);
	if (sp->node_port)
		add_frontend(n, &b, sp, NULL, false, r->gid_all, r->gid_local);
	if (b.err) {
		free(b.v);
		return b.err;
	}
	free(r->next);
	r->next = b.v;
	r->n_next = b.n;
	return 0;
}

/* ---- netlink batch ---------------------------------------------------------------------------- */

typedef struct batch {
	char *buf;
	size_t len, cap;
	size_t msgs;
	int err;
} batch_t;

#define BATCH_ROOM (96 * 1024) /* more than the largest message we build */

static char *b_room(batch_t *b)
{
	if (b->err)
		return NULL;
	if (b->len + BATCH_ROOM > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4 * BATCH_ROOM;
		char *nv;
		while (b->len + BATCH_ROOM > nc)
			nc *= 2;
		nv = realloc(b->buf, nc);
		if (!nv) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->buf = nv;
		b->cap = nc;
	}
	return b->buf + b->len;
}

static struct nlmsghdr *b_hdr(proxy_nft_t *n, batch_t *b, uint16_t type, uint16_t flags)
{
	char *p = b_room(b);

	if (!p)
		return NULL;
	memset(p, 0, BATCH_ROOM);
	b->msgs++;
	return nftnl_nlmsg_build_hdr(p, type, (uint16_t)n->nfproto, flags, ++n->seq);
}

static void b_done(batch_t *b, struct nlmsghdr *nlh)
{
	if (nlh)
		b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void b_begin(proxy_nft_t *n, batch_t *b)
{
	char *p = b_room(b);
	struct nlmsghdr *nlh;

	if (!p)
		return;
	nlh = nftnl_batch_begin(p, ++n->seq);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void b_end(proxy_nft_t *n, batch_t *b)
{
	char *p = b_room(b);
	struct nlmsghdr *nlh;

	if (!p)
		return;
	nlh = nftnl_batch_end(p, ++n->seq);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Sends the batch and collects the kernel's verdict. The kernel handles the whole batch inside
 * sendmsg(), so every error is queued when it returns; only messages that fail are answered. */
static int b_send(proxy_nft_t *n, batch_t *b)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	int fd = mnl_socket_get_fd(n->nl), sz = (int)(b->len + 65536), rc = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (b->err)
		return b->err;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (mnl_socket_sendto(n->nl, b->buf, b->len) < 0)
		return -errno;
	while (poll(&pfd, 1, 0) > 0) {
		ssize_t got = mnl_socket_recvfrom(n->nl, rbuf, sizeof(rbuf));
		if (got <= 0)
			break;
		struct nlmsghdr *nlh = (struct nlmsghdr *)rbuf;
		int left = (int)got;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (nlh->nlmsg_type != NLMSG_ERROR || e->error == 0)
				continue;
			/* the first failure names the cause; the kernel aborted the whole batch */
			if (rc == 0) {
				rc = e->error;
				log_debug("proxy: nftables message seq %u (type %u) failed: %s", e->msg.nlmsg_seq,
					  e->msg.nlmsg_type & 0xff, strerror(-e->error));
			}
		}
	}
	return rc;
}

/* ---- expressions ------------------------------------------------------------------------------ */

static void x_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(r, e);
}

static void x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	x_add(r, e);
}

/* ip saddr / ip6 saddr, ip daddr / ip6 daddr */
#define X_SADDR(r, reg) x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, n->fam6 ? 8 : 12, n->alen, reg)
#define X_DADDR(r, reg) x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, n->fam6 ? 24 : 16, n->alen, reg)
#define X_DPORT(r, reg) x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg)

static void x_meta(struct nftnl_rule *r, uint32_t key, uint32_t reg, bool set)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG, reg);
	x_add(r, e);
}

static void x_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	x_add(r, e);
}

/* reg := (reg & mask) ^ xor over len bytes */
static void x_bitwise_n(struct nftnl_rule *r, uint32_t reg, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	x_add(r, e);
}

static void x_bitwise(struct nftnl_rule *r, uint32_t reg, uint32_t mask, uint32_t xor)
{
	x_bitwise_n(r, reg, &mask, &xor, 4);
}

/* dreg < 0: a plain membership test; NFT_REG_VERDICT: a verdict map */
static void x_lookup(struct nftnl_rule *r, int set, uint32_t sreg, int dreg, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (!e)
		return;
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, SETS[set].name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	if (inv)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	x_add(r, e);
}

static void x_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	x_add(r, e);
}

static void x_imm(struct nftnl_rule *r, uint32_t dreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	x_add(r, e);
}

static void x_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	x_add(r, e);
}

static void x_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
	x_add(r, e);
}

/* fib {s,d}addr type local */
static void x_fib_local(const proxy_nft_t *n, struct nftnl_rule *r, bool daddr)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	uint32_t local = RTN_LOCAL;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, daddr ? NFTA_FIB_F_DADDR : NFTA_FIB_F_SADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R_TMP);
	x_add(r, e);
	x_cmp(r, R_TMP, NFT_CMP_EQ, &local, 4);
}

static void x_ct_new(const proxy_nft_t *n, struct nftnl_rule *r)
{
	uint32_t zero = 0;

	x_ct(r, NFT_CT_STATE, R_TMP);
	x_bitwise(r, R_TMP, NF_CT_STATE_BIT(IP_CT_NEW), 0);
	x_cmp(r, R_TMP, NFT_CMP_NEQ, &zero, 4);
}

static void x_in_cidr(const proxy_nft_t *n, struct nftnl_rule *r, bool src, const proxy_cidr_t *c, bool eq)
{
	static const proxy_addr_t zero;

	if (src)
		X_SADDR(r, R_TMP);
	else
		X_DADDR(r, R_TMP);
	x_bitwise_n(r, R_TMP, c->mask.b, zero.b, n->alen);
	x_cmp(r, R_TMP, eq ? NFT_CMP_EQ : NFT_CMP_NEQ, c->addr.b, n->alen);
}

static void x_mark_masq(const proxy_nft_t *n, struct nftnl_rule *r)
{
	x_meta(r, NFT_META_MARK, R_TMP, false);
	x_bitwise(r, R_TMP, ~PROXY_NFT_MASQ_MARK, PROXY_NFT_MASQ_MARK);
	x_meta(r, NFT_META_MARK, R_TMP, true);
}

static void x_tuple(const proxy_nft_t *n, struct nftnl_rule *r, bool nodeport)
{
	if (nodeport) {
		static const proxy_addr_t zero;
		x_imm(r, R_TUPLE, zero.b, n->alen);
	} else {
		X_DADDR(r, R_TUPLE);
	}
	x_meta(r, NFT_META_L4PROTO, R_TUPLE + AW, false);
	X_DPORT(r, R_TUPLE + AW + 1);
}

static void x_masq(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("masq");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	x_add(r, e);
}

static void x_reject(const proxy_nft_t *n, struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("reject");

	if (!e)
		return;
	/* port unreachable: TCP clients see ECONNREFUSED at once, as with upstream's reject
	 * (ICMP_PORT_UNREACH 3, ICMPV6_PORT_UNREACH 4) */
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, n->fam6 ? 4 : 3);
	x_add(r, e);
}

static void x_dnat(const proxy_nft_t *n, struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, (uint32_t)n->nfproto);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, R_EP);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, R_EP + AW);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	x_add(r, e);
}

static void x_numgen(struct nftnl_rule *r, uint32_t mod, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("numgen");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
	x_add(r, e);
}

/* the affinity map: key saddr . group, data the endpoint id in dreg */
static void x_dynset(const proxy_nft_t *n, struct nftnl_rule *r, uint32_t op, uint64_t timeout_ms, uint32_t data)
{
	struct nftnl_expr *e = nftnl_expr_alloc("dynset");

	if (!e)
		return;
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, SETS[M_AFFINITY].name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, op);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, R_SADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, data);
	if (timeout_ms)
		nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, timeout_ms);
	x_add(r, e);
}

/* ---- objects into the batch ----------------------------------------------------------------------- */

static struct nftnl_rule *rule_new(proxy_nft_t *n, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, n->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)n->nfproto);
	return r;
}

static void rule_emit(proxy_nft_t *n, batch_t *b, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	if (!r) {
		b->err = -ENOMEM;
		return;
	}
	nlh = b_hdr(n, b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		b_done(b, nlh);
	}
	nftnl_rule_free(r);
}

/* hook < 0: a regular chain */
static void chain_emit(proxy_nft_t *n, batch_t *b, const char *name, int hook, int prio, const char *type, bool del)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, n->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	}
	nlh = b_hdr(n, b, del ? NFT_MSG_DELCHAIN : NFT_MSG_NEWCHAIN, del ? 0 : NLM_F_CREATE);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		b_done(b, nlh);
	}
	nftnl_chain_free(c);
}

static void table_emit(proxy_nft_t *n, batch_t *b, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, n->table);
	nlh = b_hdr(n, b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		b_done(b, nlh);
	}
	nftnl_table_free(t);
}

static void set_emit(proxy_nft_t *n, batch_t *b, int i)
{
	const set_def_t *d = &n->sets[i];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s) {
		b->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)n->nfproto);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)i + 1);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->klen);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->ktype);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	if (d->flags & NFT_SET_MAP) {
		if (d->dlen) {
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->dtype);
			nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->dlen);
		} else {
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		}
	}
	if (d->concat[0])
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, d->concat, (uint32_t)strlen((const char *)d->concat));
	if (d->flags & NFT_SET_TIMEOUT)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 65536);
	nlh = b_hdr(n, b, NFT_MSG_NEWSET, NLM_F_CREATE);
	if (nlh) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		b_done(b, nlh);
	}
	nftnl_set_free(s);
}

#define ELEMS_PER_MSG 512

/* Elements of v (any order) to the kernel, grouped by set, ELEMS_PER_MSG per message. */
static selchain_t *sel_get(proxy_nft_t *n, const elem_t *e, bool create);

/* cname_vmap: for sel-vmap elements, the chain they go to */
static void elems_emit_v(proxy_nft_t *n, batch_t *b, const elem_t *v, size_t cnt, bool del, const char *cname_vmap)
{
	int set;
	size_t i;

	for (set = 0; set < N_SETS; set++) {
		struct nftnl_set *s = NULL;
		size_t in_msg = 0;

		for (i = 0; i <= cnt; i++) {
			bool flush = i == cnt || (in_msg == ELEMS_PER_MSG);
			if (flush && s) {
				struct nlmsghdr *nlh =
					b_hdr(n, b, del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, del ? 0 : NLM_F_CREATE);
				if (nlh) {
					nftnl_set_elems_nlmsg_build_payload(nlh, s);
					b_done(b, nlh);
				}
				nftnl_set_free(s);
				s = NULL;
				in_msg = 0;
			}
			if (i == cnt)
				break;
			if (v[i].set != set)
				continue;
			if (!s) {
				s = nftnl_set_alloc();
				if (!s) {
					b->err = -ENOMEM;
					return;
				}
				nftnl_set_set_str(s, NFTNL_SET_TABLE, n->table);
				nftnl_set_set_str(s, NFTNL_SET_NAME, SETS[set].name);
				nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)n->nfproto);
			}
			{
				struct nftnl_set_elem *e = nftnl_set_elem_alloc();
				const set_def_t *d = &n->sets[set];

				if (!e) {
					b->err = -ENOMEM;
					nftnl_set_free(s);
					return;
				}
				nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, v[i].key, d->klen);
				if (d->flags & NFT_SET_INTERVAL) {
					/* lb-allow: tuple . last address */
					uint8_t end[KEY_MAX];
					memcpy(end, v[i].key, n->tlen);
					memcpy(end + n->tlen, v[i].data, n->alen);
					nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, end, d->klen);
				}
				if (!del && v[i].verdict != V_NONE) {
					/* group . sel key */
					const selchain_t *sc = v[i].verdict == V_GOTO ? sel_get(n, &v[i], false) : NULL;
					uint8_t data[8];
					uint32_t key = sc ? sc->key : SEL_DROP_KEY;

					memcpy(data, v[i].data, 4);
					memcpy(data + 4, &key, 4);
					nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, 8);
				} else if (!del && cname_vmap) {
					nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_GOTO);
					nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, cname_vmap);
				} else if (!del && d->dlen) {
					nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, v[i].data, d->dlen);
				}
				nftnl_set_elem_add(s, e);
				in_msg++;
			}
		}
	}
}

static void elems_emit(proxy_nft_t *n, batch_t *b, const elem_t *v, size_t cnt, bool del)
{
	elems_emit_v(n, b, v, cnt, del, NULL);
}

static void selvmap_emit(proxy_nft_t *n, batch_t *b, uint32_t key, const char *chain, bool del)
{
	elem_t e = { .set = M_SEL_VMAP };

	memcpy(e.key, &key, 4);
	elems_emit_v(n, b, &e, 1, del, chain);
}

/* The body of a sel chain (see the layout at the top). Each rule finds the group again. */
static void sel_group(const proxy_nft_t *n, struct nftnl_rule *r, uint8_t path)
{
	x_tuple(n, r, path & SEL_NODEPORT);
	x_lookup(r, (path & SEL_SHORT) ? M_SHORT_ID : M_FE_ID, R_TUPLE, R_GROUP, false);
	/* The group goes through the connection's mark and back: nft 1.0.6 (Debian 12) cannot print a
	 * lookup keyed on another map's result (that expression gets no length and nft asserts in
	 * netlink_parse_concat_expr), so `nft list table ip portico` aborted on every sel chain. Only
	 * a connection's first packet passes the nat chains: one conntrack write per connection. The
	 * proxy owns the ct mark of service connections. */
	x_ct_set(r, NFT_CT_MARK, R_GROUP);
	x_ct(r, NFT_CT_MARK, R_GROUP);
}

/* dst := src through the ct mark (see sel_emit): a value nft can print wherever it goes next */
static void x_launder(struct nftnl_rule *r, uint32_t src, uint32_t dst)
{
	x_ct_set(r, NFT_CT_MARK, src);
	x_ct(r, NFT_CT_MARK, dst);
}

static void sel_emit(proxy_nft_t *n, batch_t *b, const selchain_t *sc, bool del)
{
	char name[32];
	struct nftnl_rule *r;
	uint32_t aff = sc->t;

	sel_name(name, sizeof(name), sc->path, sc->n, aff);
	if (del) {
		selvmap_emit(n, b, sc->key, name, true);
		chain_emit(n, b, name, -1, 0, NULL, true);
		return;
	}
	chain_emit(n, b, name, -1, 0, NULL, false);
	/* Affinity remembers an endpoint id, not the endpoint: nft 1.0.6 (Debian 12) aborts listing
	 * a rule that uses a map's result inside a concatenation or as dynset data (the map
	 * expression it rebuilds has length 0: assertion `consumed > 0' in
	 * netlink_parse_concat_expr), so each map result that goes on is passed through the ct mark
	 * (x_launder) and the endpoint is found again by (group . id) in ep-by-id. */
	if (aff) {
		/* a remembered endpoint still serving: use it and refresh its timeout */
		r = rule_new(n, name);
		if (r) {
			sel_group(n, r, sc->path);
			X_SADDR(r, R_SADDR);
			x_lookup(r, M_AFFINITY, R_SADDR, R_EID, false);
			x_launder(r, R_EID, R_IDX);
			x_lookup(r, M_EP_BY_ID, R_GROUP, R_EP, false);
			x_dynset(n, r, NFT_DYNSET_OP_UPDATE, (uint64_t)aff * 1000, R_IDX);
			x_dnat(n, r);
		}
		rule_emit(n, b, r);
		/* one that stopped serving: forget it, so the choice below is stored */
		r = rule_new(n, name);
		if (r) {
			sel_group(n, r, sc->path);
			X_SADDR(r, R_SADDR);
			x_lookup(r, M_AFFINITY, R_SADDR, R_EID, false);
			x_launder(r, R_EID, R_IDX);
			x_lookup(r, M_EP_BY_ID, R_GROUP, -1, true);
			x_dynset(n, r, NFT_DYNSET_OP_DELETE, 0, R_IDX); /* a map's dynset wants data, even to delete */
		}
		rule_emit(n, b, r);
	}
	r = rule_new(n, name);
	if (r) {
		sel_group(n, r, sc->path);
		if (aff)
			X_SADDR(r, R_SADDR);
		x_numgen(r, sc->n, R_IDX);
		x_lookup(r, M_EPS, R_GROUP, R_EP, false);
		if (aff) {
			x_lookup(r, M_EP_ID, R_GROUP, R_EID, false);
			x_launder(r, R_EID, R_EID);
			x_dynset(n, r, NFT_DYNSET_OP_UPDATE, (uint64_t)aff * 1000, R_EID);
		}
		x_dnat(n, r);
	}
	rule_emit(n, b, r);
	/* A packet that crossed a commit between the services chain and here may draw an index the
	 * new generation no longer has (the count shrank): index 0 always exists, take that rather
	 * than fall through to the reject. */
	r = rule_new(n, name);
	if (r) {
		uint32_t zero = 0;
		sel_group(n, r, sc->path);
		x_imm(r, R_IDX, &zero, 4);
		x_lookup(r, M_EPS, R_GROUP, R_EP, false);
		x_dnat(n, r);
	}
	rule_emit(n, b, r);
	selvmap_emit(n, b, sc->key, name, false);
}

static void selvmap_emit_drop(proxy_nft_t *n, batch_t *b)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	uint32_t key = SEL_DROP_KEY;
	struct nlmsghdr *nlh;

	if (!s || !e) {
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		b->err = -ENOMEM;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, SETS[M_SEL_VMAP].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)n->nfproto);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, 4);
	nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NF_DROP);
	nftnl_set_elem_add(s, e);
	nlh = b_hdr(n, b, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		b_done(b, nlh);
	}
	nftnl_set_free(s);
}

/* The fixed chains and rules. */
static void base_emit(proxy_nft_t *n, batch_t *b)
{
	const proxy_nft_cfg_t *c = &n->cfg;
	struct nftnl_rule *r;
	uint32_t zero = 0, dnat = IPS_DST_NAT;
	bool has_cc = !proxy_addr_is_zero(&c->cluster_cidr.mask);
	int i, np;
	size_t rules0 = b->msgs;

	for (i = 0; i < N_SETS; i++)
		set_emit(n, b, i);
	chain_emit(n, b, "services", -1, 0, NULL, false);
	chain_emit(n, b, "nodeports", -1, 0, NULL, false);
	chain_emit(n, b, "reject-check", -1, 0, NULL, false);
	chain_emit(n, b, "nat-prerouting", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST, "nat", false);
	chain_emit(n, b, "nat-output", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST, "nat", false);
	chain_emit(n, b, "nat-postrouting", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC, "nat", false);
	chain_emit(n, b, "filter-prerouting", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST - 10, "filter", false);
	chain_emit(n, b, "filter-input", NF_INET_LOCAL_IN, NF_IP_PRI_FILTER - 10, "filter", false);
	chain_emit(n, b, "filter-forward", NF_INET_FORWARD, NF_IP_PRI_FILTER - 10, "filter", false);
	chain_emit(n, b, "filter-output", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST + 10, "filter", false);
	rules0 = b->msgs;

	/* services and nodeports: the same dispatch, on the destination address or on 0.0.0.0 */
	for (np = 0; np < 2; np++) {
		const char *ch = np ? "nodeports" : "services";
		if (!np && has_cc) {
			r = rule_new(n, ch);
			if (r) {
				/* any port of a ClusterIP: an unserved one is rejected anyway */
				x_in_cidr(n, r, true, &c->cluster_cidr, false);
				X_DADDR(r, R_TUPLE);
				x_lookup(r, S_CLUSTER_IPS, R_TUPLE, -1, false);
				x_mark_masq(n, r);
			}
			rule_emit(n, b, r);
		}
		r = rule_new(n, ch);
		if (r) {
			x_tuple(n, r, np);
			x_lookup(r, S_FE_MASQ, R_TUPLE, -1, false);
			x_mark_masq(n, r);
		}
		rule_emit(n, b, r);
		if (has_cc) {
			r = rule_new(n, ch);
			if (r) {
				x_in_cidr(n, r, true, &c->cluster_cidr, true);
				x_tuple(n, r, np);
				x_lookup(r, S_FE_LOCAL, R_TUPLE, -1, false);
				x_lookup(r, M_SHORT_ID, R_TUPLE, R_GROUP, false);
				x_lookup(r, M_SEL_VMAP, R_SEL, NFT_REG_VERDICT, false);
			}
			rule_emit(n, b, r);
		}
		r = rule_new(n, ch);
		if (r) {
			x_fib_local(n, r, false);
			x_tuple(n, r, np);
			x_lookup(r, S_FE_LOCAL, R_TUPLE, -1, false);
			x_mark_masq(n, r);
			x_lookup(r, M_SHORT_ID, R_TUPLE, R_GROUP, false);
			x_lookup(r, M_SEL_VMAP, R_SEL, NFT_REG_VERDICT, false);
		}
		rule_emit(n, b, r);
		r = rule_new(n, ch);
		if (r) {
			x_tuple(n, r, np);
			x_lookup(r, M_FE_ID, R_TUPLE, R_GROUP, false);
			x_lookup(r, M_SEL_VMAP, R_SEL, NFT_REG_VERDICT, false);
		}
		rule_emit(n, b, r);
	}
	r = rule_new(n, "services");
	if (r) {
		x_fib_local(n, r, true);
		X_DADDR(r, R_TMP);
		x_lookup(r, S_NP_ADDRS, R_TMP, -1, false);
		x_verdict(r, NFT_GOTO, "nodeports");
	}
	rule_emit(n, b, r);

	r = rule_new(n, "nat-prerouting");
	if (r)
		x_verdict(r, NFT_JUMP, "services");
	rule_emit(n, b, r);
	r = rule_new(n, "nat-output");
	if (r)
		x_verdict(r, NFT_JUMP, "services");
	rule_emit(n, b, r);
	r = rule_new(n, "nat-postrouting");
	if (r) {
		x_meta(r, NFT_META_MARK, R_TMP, false);
		x_bitwise(r, R_TMP, PROXY_NFT_MASQ_MARK, 0);
		x_cmp(r, R_TMP, NFT_CMP_NEQ, &zero, 4);
		x_meta(r, NFT_META_MARK, R_TMP, false);
		x_bitwise(r, R_TMP, ~PROXY_NFT_MASQ_MARK, 0);
		x_meta(r, NFT_META_MARK, R_TMP, true);
		x_masq(r);
	}
	rule_emit(n, b, r);
	r = rule_new(n, "nat-postrouting");
	if (r) {
		/* hairpin: a pod reaching itself through its Service */
		x_ct(r, NFT_CT_STATUS, R_TMP);
		x_bitwise(r, R_TMP, dnat, 0);
		x_cmp(r, R_TMP, NFT_CMP_NEQ, &zero, 4);
		X_SADDR(r, R_TUPLE);
		X_DADDR(r, R_TUPLE + AW);
		x_lookup(r, S_HAIRPIN, R_TUPLE, -1, false);
		x_masq(r);
	}
	rule_emit(n, b, r);

	r = rule_new(n, "filter-prerouting");
	if (r) {
		x_ct_new(n, r);
		x_tuple(n, r, false);
		x_lookup(r, S_LB_RESTRICT, R_TUPLE, -1, false);
		X_SADDR(r, R_TUPLE + AW + 2);
		x_lookup(r, S_LB_ALLOW, R_TUPLE, -1, true);
		x_verdict(r, NF_DROP, NULL);
	}
	rule_emit(n, b, r);
	{
		static const char *const hooks[] = { "filter-input", "filter-forward", "filter-output" };
		for (i = 0; i < 3; i++) {
			r = rule_new(n, hooks[i]);
			if (r) {
				x_ct_new(n, r);
				x_verdict(r, NFT_JUMP, "reject-check");
			}
			rule_emit(n, b, r);
		}
	}
	if (!proxy_addr_is_zero(&c->cluster_dns)) {
		r = rule_new(n, "reject-check");
		if (r) {
			X_DADDR(r, R_TMP);
			x_cmp(r, R_TMP, NFT_CMP_EQ, c->cluster_dns.b, n->alen);
			x_verdict(r, NFT_RETURN, NULL);
		}
		rule_emit(n, b, r);
	}
	r = rule_new(n, "reject-check");
	if (r) {
		x_tuple(n, r, false);
		x_lookup(r, S_NO_EP, R_TUPLE, -1, false);
		x_reject(n, r);
	}
	rule_emit(n, b, r);
	r = rule_new(n, "reject-check");
	if (r) {
		X_DADDR(r, R_TMP);
		x_lookup(r, S_NP_ADDRS, R_TMP, -1, false);
		x_tuple(n, r, true);
		x_lookup(r, S_NO_EP, R_TUPLE, -1, false);
		x_reject(n, r);
	}
	rule_emit(n, b, r);
	r = rule_new(n, "reject-check");
	if (r) {
		X_DADDR(r, R_TMP);
		x_lookup(r, S_CLUSTER_IPS, R_TMP, -1, false);
		x_reject(n, r);
	}
	rule_emit(n, b, r);
	if (!proxy_addr_is_zero(&c->service_cidr.mask)) {
		r = rule_new(n, "reject-check");
		if (r) {
			x_in_cidr(n, r, false, &c->service_cidr, true);
			x_verdict(r, NF_DROP, NULL);
		}
		rule_emit(n, b, r);
	}
	n->base_rules = b->msgs - rules0;
}

/* ---- commit ----------------------------------------------------------------------------------- */

static selchain_t *sel_get(proxy_nft_t *n, const elem_t *e, bool create)
{
	size_t i;

	for (i = 0; i < n->n_sels; i++)
		if (n->sels[i].n == e->n && n->sels[i].t == e->t && n->sels[i].path == e->path)
			return &n->sels[i];
	if (!create)
		return NULL;
	if (n->n_sels == n->cap_sels) {
		size_t nc = n->cap_sels ? n->cap_sels * 2 : 16;
		selchain_t *nv = realloc(n->sels, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		n->sels = nv;
		n->cap_sels = nc;
	}
	n->sels[n->n_sels] = (selchain_t){ .n = e->n, .t = e->t, .path = e->path, .key = ++n->next_selkey };
	return &n->sels[n->n_sels++];
}

static int push(ebuf_t *b, const elem_t *e)
{
	elem_t *d = eb_add(b, e->set);

	if (d)
		*d = *e;
	return b->err;
}

static void note_stale(proxy_nft_t *n, sprec_t *r)
{
	const proxy_svcport_t *o = &r->prog, *w = &r->want;
	proxy_addr_t addrs[2 * PROXY_MAX_FRONTENDS + 2];
	size_t na = 0, i, j;
	bool lost = false;

	if (!r->has_prog || o->proto != PROXY_PROTO_UDP)
		return;
	for (i = 0; i < o->n_all && !lost; i++) {
		bool found = false;
		for (j = 0; r->has_want && j < w->n_all && !found; j++)
			found = proxy_addr_eq(&w->all[j].addr, &o->all[i].addr) && w->all[j].port == o->all[i].port;
		lost = !found;
	}
	/* a Service that had none: flows rejected meanwhile left entries without DNAT (upstream too
	 * clears them when endpoints appear) */
	if (!o->n_all && r->has_want && w->n_all)
		lost = true;
	if (!lost)
		return;
	if (!proxy_addr_is_zero(&o->cluster_ip))
		addrs[na++] = o->cluster_ip;
	for (i = 0; i < o->n_ext; i++)
		addrs[na++] = o->ext_ips[i];
	for (i = 0; i < o->n_lb; i++)
		addrs[na++] = o->lb_ips[i];
	if (o->node_port)
		memset(&addrs[na++], 0, sizeof(addrs[0]));
	for (i = 0; i < na; i++) {
		stale_t *s;
		if (n->n_stale == n->cap_stale) {
			size_t nc = n->cap_stale ? n->cap_stale * 2 : 16;
			stale_t *nv = realloc(n->stale, nc * sizeof(*nv));
			if (!nv)
				return;
			n->stale = nv;
			n->cap_stale = nc;
		}
		s = &n->stale[n->n_stale];
		s->addr = addrs[i];
		s->port = !proxy_addr_is_zero(&addrs[i]) ? o->port : o->node_port;
		s->n_eps = r->has_want ? w->n_all : 0;
		s->eps = s->n_eps ? malloc(s->n_eps * sizeof(proxy_ep_t)) : NULL;
		if (s->n_eps && !s->eps)
			return;
		if (s->n_eps)
			memcpy(s->eps, w->all, s->n_eps * sizeof(proxy_ep_t));
		n->n_stale++;
	}
}

void proxy_nft_take_stale_udp(proxy_nft_t *n, proxy_nft_stale_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < n->n_stale; i++) {
		fn(&n->stale[i].addr, n->stale[i].port, n->stale[i].eps, n->stale[i].n_eps, arg);
		free(n->stale[i].eps);
	}
	n->n_stale = 0;
}

/* After a batch went through (or was abandoned for a full sync): programmed := staged. */
static void settle(proxy_nft_t *n, sprec_t *r)
{
	int g;

	eids_drop(r, false);
	for (g = 0; g < 2; g++) {
		r->eids[g] = r->next_eids[g];
		r->n_eids[g] = r->n_next_eids[g];
		r->next_eids[g] = NULL;
		r->n_next_eids[g] = 0;
	}
	free(r->elems);
	r->elems = r->next;
	r->n_elems = r->n_next;
	r->next = NULL;
	r->n_next = 0;
	proxy_svcport_clear(&r->prog);
	if (r->has_want) {
		r->prog = r->want;
		memset(&r->want, 0, sizeof(r->want));
	}
	r->has_prog = r->has_want;
	r->dirty = false;
}

static void drop_rec(proxy_nft_t *n, sprec_t *r)
{
	sprec_t **pp = &n->buckets[str_hash(r->key) & (n->n_buckets - 1)];

	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = r->hnext;
	n->n_recs--;
	rec_free(n, r);
}

static int commit_full(proxy_nft_t *n)
{
	batch_t b = { 0 };
	ebuf_t adds = { 0 };
	size_t i, k;
	sprec_t *r, *next;
	int rc;

	/* everything is rebuilt from the desired states: staged ones, else the programmed ones */
	for (r = n->dirty; r; r = next) {
		next = r->dnext;
		r->dnext = NULL;
		if (!r->has_want) {
			note_stale(n, r);
			drop_rec(n, r);
		}
	}
	n->dirty = NULL;
	ref_clear(&n->refs);
	n->n_sels = 0;
	n->next_selkey = 0;
	for (k = 0; k < n->n_buckets; k++) {
		for (r = n->buckets[k]; r; r = r->hnext) {
			if (!r->dirty && r->has_prog) {
				/* re-stage the programmed state */
				proxy_svcport_clear(&r->want);
				r->want = r->prog;
				memset(&r->prog, 0, sizeof(r->prog));
				r->has_want = true;
				r->has_prog = false;
				r->dirty = true;
			} else if (r->dirty) {
				note_stale(n, r);
			}
			rc = build_elems(n, r);
			if (rc < 0)
				goto out;
			for (i = 0; i < r->n_next; i++) {
				bool fresh;
				if ((rc = ref_inc(&n->refs, &r->next[i], &fresh)) < 0)
					goto out;
				if (fresh && (rc = push(&adds, &r->next[i])) < 0)
					goto out;
				if (r->next[i].verdict == V_GOTO) {
					selchain_t *s = sel_get(n, &r->next[i], true);
					if (!s) {
						rc = -ENOMEM;
						goto out;
					}
					s->refs++;
				}
			}
		}
	}
	b_begin(n, &b);
	table_emit(n, &b, NFT_MSG_NEWTABLE);
	table_emit(n, &b, NFT_MSG_DELTABLE);
	table_emit(n, &b, NFT_MSG_NEWTABLE);
	base_emit(n, &b);
	selvmap_emit_drop(n, &b);
	for (i = 0; i < n->n_sels; i++) {
		sel_emit(n, &b, &n->sels[i], false);
		n->sels[i].live = true;
	}
	{
		elem_t *np = calloc(n->cfg.n_nodeport_addrs ? n->cfg.n_nodeport_addrs : 1, sizeof(*np));
		if (!np) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n->cfg.n_nodeport_addrs; i++) {
			np[i].set = S_NP_ADDRS;
			memcpy(np[i].key, n->cfg.nodeport_addrs[i].b, n->alen);
		}
		elems_emit(n, &b, np, n->cfg.n_nodeport_addrs, false);
		free(np);
	}
	elems_emit(n, &b, adds.v, adds.n, false);
	b_end(n, &b);
	{
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = b_send(n, &b);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_debug("proxy: full sync: %zu messages, %zu bytes, kernel %.1f ms", b.msgs, b.len,
			  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	n->last_msgs = b.msgs;
	n->last_bytes = b.len;
out:
	for (k = 0; k < n->n_buckets; k++)
		for (r = n->buckets[k]; r; r = r->hnext)
			if (r->dirty)
				settle(n, r);
	free(adds.v);
	free(b.buf);
	n->commits++;
	if (rc < 0) {
		n->failures++;
		n->need_full = true;
		return rc;
	}
	n->need_full = false;
	return 1;
}

int proxy_nft_commit(proxy_nft_t *n, bool full)
{
	ebuf_t dels = { 0 }, adds = { 0 };
	batch_t b = { 0 };
	sprec_t *r, *next;
	size_t i, j;
	bool conflict = false;
	int rc = 0;

	if (full || n->need_full)
		return commit_full(n);
	if (!n->dirty)
		return 0;
	/* pass 1: the new elements of each dirty port; release what it no longer wants, so that a key
	 * moving between two ports in one change is deleted before it is added again */
	for (r = n->dirty; r; r = r->dnext) {
		note_stale(n, r);
		if (r->has_want) {
			if ((rc = build_elems(n, r)) < 0)
				goto fail;
		} else {
			free(r->next);
			r->next = NULL;
			r->n_next = 0;
		}
		for (i = 0; i < r->n_elems; i++) {
			elem_t prog;
			bool kept = false;
			/* unchanged elements are left alone (both lists are short: one service port) */
			for (j = 0; j < r->n_next && !kept; j++)
				kept = elem_equal(&r->elems[i], &r->next[j]);
			if (kept)
				continue;
			if (ref_dec(&n->refs, &r->elems[i], &prog)) {
				if ((rc = push(&dels, &prog)) < 0)
					goto fail;
			} else if ((SETS[prog.set].flags & NFT_SET_MAP) && elem_equal(&prog, &r->elems[i])) {
				/* two ports claimed one key (say an externalIP:port twice) and the one whose
				 * value the kernel holds leaves: the other's value is not known here */
				conflict = true;
			}
			if (r->elems[i].verdict == V_GOTO) {
				selchain_t *s = sel_get(n, &r->elems[i], false);
				if (s && s->refs)
					s->refs--;
			}
		}
	}
	/* pass 2: take what is new */
	for (r = n->dirty; r; r = r->dnext) {
		for (i = 0; i < r->n_next; i++) {
			bool kept = false, fresh;
			for (j = 0; j < r->n_elems && !kept; j++)
				kept = elem_equal(&r->next[i], &r->elems[j]);
			if (kept)
				continue;
			if ((rc = ref_inc(&n->refs, &r->next[i], &fresh)) < 0)
				goto fail;
			if (fresh && (rc = push(&adds, &r->next[i])) < 0)
				goto fail;
			if (r->next[i].verdict == V_GOTO) {
				selchain_t *s = sel_get(n, &r->next[i], true);
				if (!s) {
					rc = -ENOMEM;
					goto fail;
				}
				s->refs++;
			}
		}
	}
	if (conflict) {
		/* rebuild from the desired states: the counts are redone from scratch */
		free(dels.v);
		free(adds.v);
		log_debug("proxy: a shared map key changed owner: full sync");
		return commit_full(n);
	}
	b_begin(n, &b);
	for (i = 0; i < n->n_sels; i++)
		if (n->sels[i].refs && !n->sels[i].live)
			sel_emit(n, &b, &n->sels[i], false);
	elems_emit(n, &b, dels.v, dels.n, true);
	elems_emit(n, &b, adds.v, adds.n, false);
	/* An unused sel chain (and its sel-vmap key) goes only after SEL_GRACE_NS: a packet that read
	 * fe-group before a commit may still look its key up after it, and the count it was chosen for
	 * tends to come back (a readiness flip). */
	{
		struct timespec ts;
		int64_t now;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		for (i = 0; i < n->n_sels; i++) {
			selchain_t *sc = &n->sels[i];
			sc->dying = false;
			if (sc->refs || !sc->live) {
				sc->idle_since = 0;
			} else if (!sc->idle_since) {
				sc->idle_since = now;
			} else if (now - sc->idle_since > SEL_GRACE_NS) {
				sel_emit(n, &b, sc, true);
				sc->dying = true;
			}
		}
	}
	b_end(n, &b);
	rc = b_send(n, &b);
	n->last_msgs = b.msgs;
	n->last_bytes = b.len;
	if (rc < 0)
		goto fail;
	for (i = 0; i < n->n_sels;) {
		if (n->sels[i].refs)
			n->sels[i].live = true;
		if (n->sels[i].dying || !n->sels[i].live)
			n->sels[i] = n->sels[--n->n_sels];
		else
			i++;
	}
	for (r = n->dirty; r; r = next) {
		next = r->dnext;
		r->dnext = NULL;
		settle(n, r);
		if (!r->has_prog)
			drop_rec(n, r);
	}
	n->dirty = NULL;
	free(dels.v);
	free(adds.v);
	free(b.buf);
	n->commits++;
	return 0;
fail:
	/* reference counts are now unreliable: the next commit rebuilds everything from the staged state */
	free(dels.v);
	free(adds.v);
	free(b.buf);
	for (r = n->dirty; r; r = r->dnext) {
		free(r->next);
		r->next = NULL;
		r->n_next = 0;
		eids_drop(r, true);
	}
	n->commits++;
	n->failures++;
	n->need_full = true;
	return rc;
}

int proxy_nft_delete_table(proxy_nft_t *n)
{
	batch_t b = { 0 };
	int rc;

	b_begin(n, &b);
	table_emit(n, &b, NFT_MSG_NEWTABLE);
	table_emit(n, &b, NFT_MSG_DELTABLE);
	b_end(n, &b);
	rc = b_send(n, &b);
	free(b.buf);
	return rc;
}

void proxy_nft_get_stats(const proxy_nft_t *n, proxy_nft_stats_t *ret)
{
	size_t i, rules = n->base_rules;

	for (i = 0; i < n->n_sels; i++)
		rules += n->sels[i].t ? 4 : 2;
	ret->elements = n->refs.n + n->cfg.n_nodeport_addrs;
	ret->chains = 10 + n->n_sels;
	ret->rules = rules;
	ret->svcports = n->n_recs;
	ret->commits = n->commits;
	ret->failures = n->failures;
	ret->last_msgs = n->last_msgs;
	ret->last_bytes = n->last_bytes;
}

/* The family's set layout: SETS with every address field 16 bytes wide for IPv6. */
static void set_defs_init(proxy_nft_t *n, bool fam6)
{
	uint32_t a = fam6 ? 16 : 4, ip = fam6 ? T_IP6 : T_IP, tuple = CAT3(ip, T_PROTO, T_SVC);
	set_def_t *d = n->sets;

	n->fam6 = fam6;
	n->alen = a;
	n->tlen = a + 8;
	n->nfproto = fam6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	memcpy(d, SETS, sizeof(SETS));
	if (!fam6)
		return;
	d[S_CLUSTER_IPS].klen = d[S_NP_ADDRS].klen = a;
	d[S_CLUSTER_IPS].ktype = d[S_NP_ADDRS].ktype = ip;
	d[S_FE_MASQ].klen = d[S_FE_LOCAL].klen = d[M_FE_ID].klen = d[M_SHORT_ID].klen = d[S_NO_EP].klen =
		d[S_LB_RESTRICT].klen = n->tlen;
	d[S_FE_MASQ].ktype = d[S_FE_LOCAL].ktype = d[M_FE_ID].ktype = d[M_SHORT_ID].ktype = d[S_NO_EP].ktype =
		d[S_LB_RESTRICT].ktype = tuple;
	d[M_EPS].dlen = a + 4;
	d[M_EPS].dtype = CAT2(ip, T_SVC);
	d[M_EP_BY_ID].dlen = a + 4;
	d[M_EP_BY_ID].dtype = CAT2(ip, T_SVC);
	d[S_HAIRPIN].klen = 2 * a;
	d[S_HAIRPIN].ktype = CAT2(ip, ip);
	d[S_LB_ALLOW].klen = n->tlen + a;
	d[S_LB_ALLOW].ktype = CAT4(ip, T_PROTO, T_SVC, ip);
	d[S_LB_ALLOW].concat[0] = d[S_LB_ALLOW].concat[3] = (uint8_t)a;
	d[M_AFFINITY].klen = a + 4;
	d[M_AFFINITY].ktype = CAT2(ip, T_MARK);
}

int proxy_nft_new(const proxy_nft_cfg_t *cfg, proxy_nft_t **ret)
{
	proxy_nft_t *n = calloc(1, sizeof(*n));
	int one = 1, sz = 16 << 20;

	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	set_defs_init(n, cfg->family == AF_INET6);
	snprintf(n->table, sizeof(n->table), "%s", cfg->table ? cfg->table : PROXY_NFT_TABLE);
	n->cfg.table = n->table;
	n->n_buckets = 64;
	n->buckets = calloc(n->n_buckets, sizeof(*n->buckets));
	n->need_full = true;
	n->seq = (uint32_t)time(NULL);
	if (!n->buckets) {
		proxy_nft_free(n);
		return -ENOMEM;
	}
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;
		proxy_nft_free(n);
		return rc ? rc : -EIO;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	/* errors must not echo our (large) messages back; room for many of them */
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	*ret = n;
	return 0;
}

void proxy_nft_free(proxy_nft_t *n)
{
	size_t k;
	sprec_t *r, *next;

	if (!n)
		return;
	for (k = 0; n->buckets && k < n->n_buckets; k++) {
		for (r = n->buckets[k]; r; r = next) {
			next = r->hnext;
			rec_free(n, r);
		}
	}
	for (k = 0; k < n->n_stale; k++)
		free(n->stale[k].eps);
	free(n->stale);
	free(n->buckets);
	ref_clear(&n->refs);
	free(n->sels);
	free(n->free_gids);
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n);
}
