/* The service proxy (kube-proxy's job): Service and EndpointSlice informers on the agent's event
 * loop, the model (proxy_model.c) turned into nftables changes (proxy_nft.c) one transaction per
 * sync, UDP conntrack cleanup (proxy_ct.c), and the health and metrics server (proxy_health.c).
 * The kernel's rules are left in place when the proxy stops, so traffic never depends on it or on
 * the API server being up; a starting proxy swaps in a complete table once its informers synced. */
#pragma once
#include <event2/event.h>

#include "client/kclient.h"

#define PROXY_HEALTH_PORT_DEFAULT 10256
#define PROXY_CLUSTER_CIDR_DEFAULT "10.42.0.0/16"
#define PROXY_SERVICE_CIDR_DEFAULT "10.43.0.0/16"
#define PROXY_CLUSTER_DNS_DEFAULT "10.43.0.10"

typedef struct proxy_config {
	const char *node_name;          /* for externalTrafficPolicy/internalTrafficPolicy Local */
	const char *node_ip;            /* the node's primary address */
	const char *nodeport_addresses; /* comma-separated addresses, IPv4 and IPv6; NULL or "": node_ip */
	const char *cluster_cidr;       /* "CIDR[,CIDR]", one per family; NULL: PROXY_CLUSTER_CIDR_DEFAULT */
	const char *service_cidr;       /* "CIDR[,CIDR]", one per family; NULL: PROXY_SERVICE_CIDR_DEFAULT */
	const char *cluster_dns;        /* NULL: PROXY_CLUSTER_DNS_DEFAULT; "": none */
	int health_port;                /* 0: PROXY_HEALTH_PORT_DEFAULT; < 0: no health server */
	const char *health_bind;        /* NULL: "0.0.0.0" */
} proxy_config_t;

typedef struct proxy proxy_t;

/* Starts the proxy on base with client c (both borrowed; free the proxy before them). Strings in
 * cfg are copied. -EINVAL for a bad address or CIDR in cfg, -EPERM without CAP_NET_ADMIN,
 * -EADDRINUSE for the health port, -ENOMEM. *ret: caller frees with proxy_free(). */
int proxy_start(struct event_base *base, kclient_t *c, const proxy_config_t *cfg, proxy_t **ret);
void proxy_free(proxy_t *p); /* accepts NULL; the kernel's rules stay */

/* Checks a configuration without starting anything (for flag parsing). -EINVAL. */
int proxy_config_check(const proxy_config_t *cfg);
