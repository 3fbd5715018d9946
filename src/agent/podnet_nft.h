/* The pod network's masquerade rules through nftables netlink (libnftnl + libmnl), one transaction:
 * table ip portico-pods, chain postrouting (nat hook postrouting, priority srcnat):
 *   ip saddr POD_CIDR ip daddr != CLUSTER_CIDR ip daddr != SERVICE_CIDR counter masquerade
 * Pod-to-pod traffic (also across nodes, through host-gw routes) keeps its pod source address;
 * traffic leaving the cluster leaves with the node's address. */
#pragma once
#include <stdint.h>

#define PODNET_NFT_TABLE "portico-pods"
#define PODNET_NFT_CHAIN "postrouting"

typedef struct podnet_cidr {
	uint32_t net; /* network byte order */
	int len;
} podnet_cidr_t;

/* Replaces the table's whole content (creates it when absent) in one batch: the old rules are never
 * missing for a moment and a repeat is harmless. Existing NATed connections keep their mapping
 * (conntrack holds it). Negative errno (the kernel's) on failure, nothing changed then. */
int podnet_nft_sync(const podnet_cidr_t *pod, const podnet_cidr_t *cluster, const podnet_cidr_t *service);
/* Removes the table; 0 also when absent. */
int podnet_nft_delete(void);
