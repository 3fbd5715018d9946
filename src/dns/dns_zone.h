/* The cluster zone: an in-memory index of the records the Kubernetes DNS-Based Service Discovery
 * spec (schema 1.1.0) derives from Services, EndpointSlices and Pods, updated one object at a time
 * and answering parsed queries with one hash lookup per name and no allocation. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns_wire.h"

#define DNS_ZONE_DEFAULT   "cluster.local"
#define DNS_TTL_DEFAULT    5
#define DNS_SCHEMA_VERSION "1.1.0"

typedef struct dns_zone dns_zone_t;

typedef enum dns_kind {
	DNS_KIND_SERVICE,
	DNS_KIND_ENDPOINTSLICE,
	DNS_KIND_POD,
} dns_kind_t;

/* dns_zone_answer() results besides negative errnos */
enum {
	DNS_ZONE_ANSWERED = 0, /* out holds the reply */
	DNS_ZONE_NOTAUTH = 1,  /* not ours (outside the zone, or a reverse name we hold nothing for):
				* the server forwards it; out is untouched */
};

/* A zone for `zone` (NULL: cluster.local) whose records carry `ttl` seconds. The SOA follows
 * CoreDNS: ns.dns.<zone>, hostmaster.<zone>, serial = time of the last change, refresh 7200, retry
 * 1800, expire 86400, minimum = ttl (so negative answers are cached for ttl, RFC 2308 s5), SOA TTL
 * min(ttl, 300). Returns NULL on an invalid zone name or ENOMEM. Caller frees with dns_zone_free(). */
dns_zone_t *dns_zone_new(const char *zone, uint32_t ttl);
void dns_zone_free(dns_zone_t *z);

/* "Service", "EndpointSlice", "Pod" to a kind, else -EINVAL. */
int dns_zone_kind(const char *kind);

/* Adds or replaces (deleted=false: ADDED and MODIFIED alike) or removes (deleted=true) one object
 * as the API serves it: v1 Service, discovery.k8s.io/v1 EndpointSlice, v1 Pod. obj is borrowed; a
 * deleted object needs only its metadata. Objects may come in any order (a slice before its
 * Service). Headless records follow ready endpoints (conditions.ready absent counts as ready;
 * publishNotReadyAddresses or the tolerate-unready annotation take all); pods in phase Succeeded or
 * Failed count as deleted. Answers returned after this call see the change. Returns 0, -EINVAL for
 * an object without namespace/name, or -ENOMEM (the object's records may then be incomplete until
 * its next update). Not thread-safe against dns_zone_answer(): one thread, or the caller's lock. */
int dns_zone_apply(dns_zone_t *z, dns_kind_t kind, const json_t *obj, bool deleted);

/* Answers q (from dns_query_parse) into out. q->rcode != 0 gets that error reply. Within the zone:
 * the records, NODATA (NOERROR + SOA in authority) for an existing name without the type (empty
 * non-terminals included), NXDOMAIN + SOA for a name that does not exist; TC=1 when the answer does
 * not fit the requester's size (dns_reply_limit). Returns DNS_ZONE_ANSWERED with *ret_len set,
 * DNS_ZONE_NOTAUTH, or -ENOBUFS when cap cannot hold the header and question. */
int dns_zone_answer(const dns_zone_t *z, const dns_query_t *q, uint8_t *out, size_t cap, size_t *ret_len);

/* A hint for a batch of queries, under the same lock as dns_zone_answer(): starts loading the
 * memory that answering q reads first, so the cache misses of a batch overlap instead of
 * following one another. Stage 0: the hash bucket of q's name; stage 1 (once stage 0 has been
 * issued for the whole batch): the name's entry. Answers are the same with or without it. */
void dns_zone_prefetch(const dns_zone_t *z, const dns_query_t *q, int stage);

/* Relist support for a feed that keeps no cache of its own: resync_begin() starts a generation for
 * kind; every object applied afterwards is stamped with it; resync_end() removes the objects of
 * that kind not applied since (they vanished while the watch was down). Returns the count removed. */
uint32_t dns_zone_resync_begin(dns_zone_t *z, dns_kind_t kind);
size_t dns_zone_resync_end(dns_zone_t *z, dns_kind_t kind, uint32_t gen);

/* True (once) when the zone needs every object of kind applied again: EndpointSlices of a Service
 * that turned headless, whose endpoints were not kept while it was not. The feed relists. */
bool dns_zone_resync_wanted(dns_zone_t *z, dns_kind_t kind);

/* For an ExternalName owner asked for another type than CNAME: its target (uncompressed wire form,
 * case as written in the Service) into out when the target is outside the zone, so the server can
 * follow it upstream. Returns the target's length, or 0 when there is nothing to follow. */
int dns_zone_cname_target(const dns_zone_t *z, const dns_query_t *q, uint8_t out[DNS_NAME_MAX]);

/* number of names in the index (empty non-terminals included), for tests and metrics */
size_t dns_zone_names(const dns_zone_t *z);
