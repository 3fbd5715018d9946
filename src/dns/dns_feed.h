/* The DNS feed: Services, EndpointSlices and Pods from the API server into the cluster zone. A
 * slim watcher rather than the informer: it keeps no copy of any object (the zone's index is the
 * only state), lists in pages so a big cluster is never one parsed JSON tree, and after a relist
 * removes what vanished through the zone's resync generations. Runs on a kclient's event loop; each
 * change is applied under the server's zone lock. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "client/kclient.h"
#include "dns/dns_server.h"
#include "dns/dns_zone.h"

#define DNS_FEED_BUCKETS 12 /* programming latency: 0.1 ms doubling to 204.8 ms, then +Inf */

typedef struct dns_feed_stats {
	uint64_t events, relists, apply_errors;
	uint64_t lat_bucket[DNS_FEED_BUCKETS + 1]; /* not cumulative */
	uint64_t lat_sum_ns, lat_count, lat_max_ns;
} dns_feed_stats_t;

extern const double dns_feed_bucket_le[DNS_FEED_BUCKETS];

typedef struct dns_feed dns_feed_t;

/* z and srv (may be NULL: no locking, for tests) are borrowed and must outlive the feed. Starts
 * listing at once. *ret: caller frees with dns_feed_free() before the kclient. */
int dns_feed_new(kclient_t *c, dns_zone_t *z, dns_server_t *srv, dns_feed_t **ret);
void dns_feed_free(dns_feed_t *f);

/* True once every kind has been listed completely once. */
bool dns_feed_synced(const dns_feed_t *f);
void dns_feed_stats(const dns_feed_t *f, dns_feed_stats_t *ret);
