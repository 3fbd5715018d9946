/* The forwarder's answer cache: shared by the workers (64 striped locks, so a name asked through
 * any worker is asked upstream once), a 4-way set-associative table
 * keyed by (lower-cased name, type, class, DO). Entries hold the stored form of an upstream reply
 * (dns_msg.h) and expire by its TTL: positive answers by their least TTL, negative ones by the SOA
 * (RFC 2308 s5), both capped. A hit is answered without allocating. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "dns/dns_msg.h"

typedef struct dns_cache dns_cache_t;

/* entries: rounded up to a power of two (at least 4). NULL on ENOMEM. Free with dns_cache_free(). */
dns_cache_t *dns_cache_new(size_t entries, uint32_t max_ttl, uint32_t max_neg_ttl);
void dns_cache_free(dns_cache_t *c);

/* On a live entry for q: the reply for q into out (dns_msg_reply) and 1; 0 on a miss. */
int dns_cache_get(dns_cache_t *c, const dns_query_t *q, uint64_t now_ms, uint8_t *out, size_t cap, size_t *ret_len);

/* Stores the stored-form msg (len octets, cacheable for ttl seconds) for q's question, replacing an
 * expired or the oldest entry of its set. 0, or -ENOMEM; ttl 0 stores nothing. */
int dns_cache_put(dns_cache_t *c, const dns_query_t *q, const uint8_t *msg, size_t len, uint32_t ttl, bool negative,
		  uint64_t now_ms);

size_t dns_cache_count(const dns_cache_t *c);
