/* The service proxy's pure model: from a Service and its EndpointSlices (JSON as the API serves
 * them) to the desired state of each service port on this node — its frontends (ClusterIP,
 * externalIPs, load-balancer ingress IPs, NodePort), policies, and the endpoint sets chosen by
 * KEP-1669 (ready; else serving and terminating; never not ready). IPv4 only for now. No I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PROXY_PROTO_TCP  6
#define PROXY_PROTO_UDP  17
#define PROXY_PROTO_SCTP 132

#define PROXY_AFFINITY_DEFAULT_SEC 10800 /* upstream's DefaultClientIPServiceAffinitySeconds */
#define PROXY_MAX_ENDPOINTS 4096         /* per service port: more are ignored (and logged by callers) */
#define PROXY_MAX_FRONTENDS 64           /* externalIPs + ingress IPs per service port */
#define PROXY_MAX_RANGES    64           /* loadBalancerSourceRanges */

/* Addresses are IPv4 in network byte order, ports in host order. */
typedef struct proxy_ep {
	uint32_t addr;
	uint16_t port;
	bool local;    /* on this node (EndpointSlice nodeName) */
	bool has_node; /* the slice names its node */
} proxy_ep_t;

typedef struct proxy_cidr {
	uint32_t addr, mask; /* network order; addr already masked */
} proxy_cidr_t;

typedef struct proxy_svcport {
	char *key;  /* "ns/name:portname/proto", unique per service port; owned */
	char *ns, *name, *port_name; /* owned */
	uint8_t proto;
	uint16_t port;       /* the Service's port */
	uint16_t node_port;  /* 0: none */
	uint32_t cluster_ip; /* 0: none (headless, IPv6 only, or the cluster DNS address) */
	uint32_t ext_ips[PROXY_MAX_FRONTENDS]; /* spec.externalIPs */
	size_t n_ext;
	uint32_t lb_ips[PROXY_MAX_FRONTENDS];  /* status.loadBalancer.ingress[].ip */
	size_t n_lb;
	proxy_cidr_t src_ranges[PROXY_MAX_RANGES]; /* loadBalancerSourceRanges (empty: everyone) */
	size_t n_ranges;
	uint32_t affinity_sec; /* sessionAffinity ClientIP timeout; 0: no affinity */
	bool etp_local, itp_local;
	uint16_t hc_node_port; /* healthCheckNodePort (Local LoadBalancer Services); 0: none */
	/* KEP-1669 sets, each sorted by (addr, port): all = cluster-wide, local = this node's. */
	proxy_ep_t *all;
	size_t n_all;
	proxy_ep_t *local;
	size_t n_local;
	size_t n_local_ready; /* ready ones among local (the health check counts only those) */
	/* latest endpoints.kubernetes.io/last-change-trigger-time of the slices (epoch ns; 0: none) */
	int64_t trigger_ns;
} proxy_svcport_t;

typedef struct proxy_model_cfg {
	const char *node_name; /* for the Local sets */
	uint32_t cluster_dns;  /* a ClusterIP the node-local DNS answers: not programmed (0: none) */
} proxy_model_cfg_t;

/* The service ports of svc (a v1 Service) given the EndpointSlices that name it (label
 * kubernetes.io/service-name; borrowed array of n_slices objects). ExternalName Services, headless
 * Services without external frontends and ports of other protocols yield nothing. *ret: an array
 * of *ret_n elements (possibly 0 with *ret NULL), caller frees with proxy_svcports_free(). -ENOMEM. */
int proxy_model_service(const json_t *svc, const json_t *const *slices, size_t n_slices, const proxy_model_cfg_t *cfg,
			proxy_svcport_t **ret, size_t *ret_n);

void proxy_svcport_clear(proxy_svcport_t *sp); /* frees the members; accepts a zeroed struct */
void proxy_svcports_free(proxy_svcport_t *v, size_t n);

/* Deep copy (for keeping the last programmed state). -ENOMEM. */
int proxy_svcport_copy(const proxy_svcport_t *src, proxy_svcport_t *dst);

/* True when a and b would program the same thing (trigger time aside). */
bool proxy_svcport_equal(const proxy_svcport_t *a, const proxy_svcport_t *b);

/* "10.0.0.1" or "10.0.0.0/8" (host bits must be zero unless loose) to network order. -EINVAL. */
int proxy_parse_ip4(const char *s, uint32_t *ret);
int proxy_parse_cidr4(const char *s, bool loose, proxy_cidr_t *ret);

/* RFC 3339 time (as the trigger-time annotation carries it) to epoch ns; -EINVAL. */
int proxy_parse_time(const char *s, int64_t *ret_ns);
