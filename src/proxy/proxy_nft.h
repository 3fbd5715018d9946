/* The service proxy's data plane: table `ip portico` (or `ip6 portico`: one instance per family,
 * as kube-proxy runs one proxier per family), programmed through libnftnl + libmnl in one
 * netlink batch per change, never reading the ruleset back. A few fixed chains and shared maps;
 * endpoints are chosen by `numgen random mod N` into one map keyed by (endpoint group, index), so
 * a change adds and deletes a handful of elements whatever the number of Services. The layout is
 * described at the top of proxy_nft.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/proxy_model.h"

#define PROXY_NFT_TABLE      "portico"
#define PROXY_NFT_MASQ_MARK  0x4000u /* kube-proxy's masquerade bit */
#define PROXY_NFT_MAX_NP_ADDRS 16

/* Every address is of the instance's family. */
typedef struct proxy_nft_cfg {
	const char *table;         /* NULL: PROXY_NFT_TABLE (benchmarks use their own) */
	int family;                /* AF_INET (also 0): table ip; AF_INET6: table ip6 */
	proxy_cidr_t cluster_cidr; /* pods: traffic from elsewhere to a ClusterIP is masqueraded (mask
				    * zero: unknown, so no ClusterIP masquerade and no pod shortcut, as
				    * kube-proxy without a local detector) */
	proxy_cidr_t service_cidr; /* unallocated addresses in it are dropped (mask zero: no such rule) */
	proxy_addr_t cluster_dns;  /* left alone (node-local DNS); zero: none */
	proxy_addr_t nodeport_addrs[PROXY_NFT_MAX_NP_ADDRS]; /* where NodePorts answer (may be none) */
	size_t n_nodeport_addrs;
} proxy_nft_cfg_t;

typedef struct proxy_nft proxy_nft_t;

typedef struct proxy_nft_stats {
	size_t elements;      /* map and set elements programmed (shared ones once) */
	size_t chains, rules; /* chains and rules in the table */
	size_t svcports;
	unsigned long commits, failures;
	size_t last_msgs, last_bytes; /* the last batch */
} proxy_nft_stats_t;

/* Opens a netlink socket (needs CAP_NET_ADMIN). cfg is copied. Nothing is programmed until the
 * first commit, which is a full one. *ret: caller frees with proxy_nft_free() (the table stays in
 * the kernel, so traffic goes on while the proxy restarts). -errno. */
int proxy_nft_new(const proxy_nft_cfg_t *cfg, proxy_nft_t **ret);
void proxy_nft_free(proxy_nft_t *n); /* accepts NULL */

/* Stages the desired state of one service port: sp (copied; NULL: remove key). Nothing reaches
 * the kernel before proxy_nft_commit(). -ENOMEM. */
int proxy_nft_stage(proxy_nft_t *n, const char *key, const proxy_svcport_t *sp);

/* Programs what was staged in one transaction: only the elements and chains that changed, or, when
 * full (or after a failed commit or before the first one), the whole table rebuilt and swapped in
 * atomically (add table; delete table; add table ...: no packet ever sees it empty). On failure
 * the next commit is a full one. Returns 1 when it was full, 0 when partial, -errno. */
int proxy_nft_commit(proxy_nft_t *n, bool full);

/* Removes the table (for tests and `--cleanup`). -errno; -ENOENT when absent is returned as 0. */
int proxy_nft_delete_table(proxy_nft_t *n);

void proxy_nft_get_stats(const proxy_nft_t *n, proxy_nft_stats_t *ret);

/* The service ports whose endpoints lost members since the last call, for UDP conntrack cleanup:
 * calls fn for each UDP frontend (addr zero: a NodePort on any address) with the endpoints that
 * still serve it. */
typedef void (*proxy_nft_stale_fn)(const proxy_addr_t *addr, uint16_t port, const proxy_ep_t *eps, size_t n_eps,
				   void *arg);
void proxy_nft_take_stale_udp(proxy_nft_t *n, proxy_nft_stale_fn fn, void *arg);
