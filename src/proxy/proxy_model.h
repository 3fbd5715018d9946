/* The service proxy's pure model: from a Service and its EndpointSlices (JSON as the API serves
 * them) to the desired state of each service port on this node — its frontends (ClusterIP,
 * externalIPs, load-balancer ingress IPs, NodePort), policies, and the endpoint sets chosen by
 * KEP-1669 (ready; else serving and terminating; never not ready). One family at a time, as
 * kube-proxy runs one proxier per family: an IPv4 pass sees the Service's IPv4 addresses and IPv4
 * EndpointSlices only, an IPv6 pass the IPv6 ones. No I/O. */
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

/* An address of either family, network byte order: IPv4 in v4 (the other 12 bytes zero), IPv6 in
 * b. All zero: none. Ports are in host order. */
typedef union proxy_addr {
	uint32_t v4;
	uint8_t b[16];
} proxy_addr_t;

typedef struct proxy_ep {
	proxy_addr_t addr;
	uint16_t port;
	bool local;    /* on this node (EndpointSlice nodeName) */
	bool has_node; /* the slice names its node */
} proxy_ep_t;

typedef struct proxy_cidr {
	proxy_addr_t addr, mask; /* network order; addr already masked */
} proxy_cidr_t;

typedef struct proxy_svcport {
	char *key;  /* "ns/name:portname/proto", unique per service port; owned */
	char *ns, *name, *port_name; /* owned */
	int family;          /* AF_INET or AF_INET6: every address below is of this family */
	uint8_t proto;
	uint16_t port;       /* the Service's port */
	uint16_t node_port;  /* 0: none */
	proxy_addr_t cluster_ip; /* zero: none (headless, none of this family, or the cluster DNS address) */
	/* The three lists below are owned arrays of exactly their n_ entries (NULL when none): the
	 * proxy keeps two svcports per service port, and fixed arrays of the maxima cost ~3.8 KiB each. */
	proxy_addr_t *ext_ips; /* spec.externalIPs of the family, at most PROXY_MAX_FRONTENDS */
	size_t n_ext;
	proxy_addr_t *lb_ips;  /* status.loadBalancer.ingress[].ip of the family, at most PROXY_MAX_FRONTENDS */
	size_t n_lb;
	/* loadBalancerSourceRanges of the family (at most PROXY_MAX_RANGES); none (or a /0 among them):
	 * everyone, as upstream */
	proxy_cidr_t *src_ranges;
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
	const char *node_name;    /* for the Local sets */
	int family;               /* AF_INET (also 0) or AF_INET6 */
	proxy_addr_t cluster_dns; /* a ClusterIP the node-local DNS answers: not programmed (zero: none) */
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

/* "10.0.0.1" / "fd00::1", or "10.0.0.0/8" / "fd00::/64" (host bits must be zero unless loose),
 * to network order. family: AF_INET, AF_INET6, or AF_UNSPEC for either. Returns the address's
 * family, or -EINVAL (also for one of the other family). */
int proxy_parse_ip(const char *s, int family, proxy_addr_t *ret);
int proxy_parse_cidr(const char *s, int family, bool loose, proxy_cidr_t *ret);
/* IPv4 only, for callers that hold uint32_t addresses. */
int proxy_parse_ip4(const char *s, uint32_t *ret);
int proxy_parse_cidr4(const char *s, bool loose, proxy_cidr_t *ret);

bool proxy_addr_is_zero(const proxy_addr_t *a);
static inline bool proxy_addr_eq(const proxy_addr_t *a, const proxy_addr_t *b)
{
	return !__builtin_memcmp(a->b, b->b, 16);
}
/* 4 or 16 */
static inline size_t proxy_addr_len(int family)
{
	return family == 10 /* AF_INET6 */ ? 16 : 4;
}

/* RFC 3339 time (as the trigger-time annotation carries it) to epoch ns; -EINVAL. */
int proxy_parse_time(const char *s, int64_t *ret_ns);
