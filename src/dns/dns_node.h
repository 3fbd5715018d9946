/* Cluster DNS on a node: the agent's entry point. Makes the cluster DNS address local (dns_sys),
 * serves it and the node IP (dns_server), keeps the zone current from the API (dns_feed), and
 * answers /health, /ready and /metrics over HTTP on the agent's event loop. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "client/kclient.h"

#define DNS_NODE_CLUSTER_DNS_DEFAULT "10.43.0.10"

typedef struct dns_node_config {
	const char *cluster_dns;    /* NULL: DNS_NODE_CLUSTER_DNS_DEFAULT */
	const char *cluster_domain; /* NULL: cluster.local */
	const char *node_ip;        /* also served; NULL: only the cluster DNS address */
	const char *upstream;       /* "IP[:PORT],..." (IPv6 as [IP]:PORT); NULL: resolv_conf's nameservers */
	const char *resolv_conf;    /* NULL: /etc/resolv.conf */
	int port;                   /* 0: 53 */
	uint32_t ttl;               /* 0: 5 */
	int workers;                /* 0: one per usable CPU */
	int health_port, ready_port, metrics_port; /* 0: 8080, 8181, 9153; -1: off */
	bool no_sys;                /* leave the interface and nftables alone (tests without privileges) */
} dns_node_config_t;

typedef struct dns_node dns_node_t;

/* Starts everything; base and c are borrowed and must outlive the node. -EINVAL for a bad address
 * in cfg, errno from binding the DNS or HTTP ports. Failing to make the address local (no
 * CAP_NET_ADMIN) is logged, not fatal. *ret: caller frees with dns_node_free() before the kclient. */
int dns_node_start(struct event_base *base, kclient_t *c, const dns_node_config_t *cfg, dns_node_t **ret);
void dns_node_free(dns_node_t *n);

/* Parses "IP[:PORT],..." into addrs (port defaulting to 53); returns the count, -EINVAL on a bad
 * entry, at most max. Exposed for tests. */
int dns_node_parse_upstreams(const char *s, struct sockaddr_storage *addrs, int max);
/* nameserver lines of a resolv.conf file (port 53); returns the count (0 for a missing file). */
int dns_node_read_resolv(const char *path, struct sockaddr_storage *addrs, int max);
