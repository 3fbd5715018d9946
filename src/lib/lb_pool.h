/* The load-balancer address allocator (the `pool` provider's bookkeeping, MetalLB's allocator in
 * spirit). Pure: addresses come from the configured ranges; which Service holds which address is
 * only kept here, never stored — at start the controller rebuilds it from the Services' status
 * (lb_pool_occupy), as the ClusterIP allocator is rebuilt from spec.clusterIPs.
 *
 * Sharing (portico.io/allow-shared-ip: KEY, MetalLB's metallb.universe.tf/allow-shared-ip): one
 * address may be held by several Services when every holder carries the same non-empty key and no
 * two of them use the same port and protocol. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "lib/lb_config.h"

#define LB_POOL_MAX_PORTS 64
#define LB_POOL_MAX_IPS   4 /* requested addresses per Service */

typedef struct lb_port {
	char proto[8]; /* "TCP", "UDP", "SCTP" */
	int port;
} lb_port_t;

/* What one Service asks of the allocator. Strings are borrowed for the call. */
typedef struct lb_request {
	const char *key;   /* "ns/name": the holder's identity */
	const char *share; /* the allow-shared-ip key, or NULL */
	lb_port_t ports[LB_POOL_MAX_PORTS];
	size_t nports;
	int families[2]; /* spec.ipFamilies as AF_INET/AF_INET6, primary first; 0 ends */
	bool require_all_families; /* ipFamilyPolicy RequireDualStack */
	lb_addr_t requested[LB_POOL_MAX_IPS]; /* spec.loadBalancerIP or the annotation */
	size_t nrequested;
} lb_request_t;

typedef struct lb_pool lb_pool_t;

int lb_pool_new(lb_pool_t **ret); /* caller frees with lb_pool_free() */
void lb_pool_free(lb_pool_t *p);  /* accepts NULL */

/* Replaces the ranges (copied). Holders keep their addresses; an address outside every range is
 * given up by its Service at its next lb_pool_assign(). -ENOMEM. */
int lb_pool_set_ranges(lb_pool_t *p, const lb_range_t *ranges, size_t n);
/* Forgets every holder (a provider change; the rebuild follows). */
void lb_pool_clear(lb_pool_t *p);

/* Rebuild: records that req->key holds addr (from its status). false when the address is outside
 * the ranges or held incompatibly by another Service: then nothing is recorded, and the Service gets
 * another address at its next assignment. */
bool lb_pool_occupy(lb_pool_t *p, const lb_request_t *req, const lb_addr_t *addr);

/* Gives req->key its addresses: the requested ones when any are given; otherwise for each family
 * (one per family in req->families, when that family has a range): the address it already holds, or
 * one shared with a compatible holder of the same share key, or the lowest free one; a family whose
 * pools are full is skipped unless req->require_all_families (then, or when no family got one,
 * -ENOSPC). Addresses it
 * held and no longer needs are released. ret: up to 2 (or LB_POOL_MAX_IPS) addresses, *ret_n set.
 * Errors (nothing changes, err says why in MetalLB's words):
 *   -EADDRNOTAVAIL  a requested address is in no pool, or of a family the Service does not have
 *   -EADDRINUSE     a requested address is held by a Service that cannot share it
 *   -ENOSPC         no free address (or no pool of the Service's family)
 *   -EINVAL         an empty key */
int lb_pool_assign(lb_pool_t *p, const lb_request_t *req, lb_addr_t *ret, size_t *ret_n, char *err, size_t errlen);

/* Releases every address key holds. Returns how many it held. */
int lb_pool_release(lb_pool_t *p, const char *key);

/* The addresses key holds (up to max into ret); the count held. */
size_t lb_pool_held(const lb_pool_t *p, const char *key, lb_addr_t *ret, size_t max);
/* How many Services hold addr. */
size_t lb_pool_holders(const lb_pool_t *p, const lb_addr_t *addr);
/* Free addresses of family left in the ranges, saturated at max. */
unsigned long lb_pool_free_count(const lb_pool_t *p, int family, unsigned long max);
