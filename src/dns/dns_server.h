/* The DNS server: worker threads (one per usable CPU) that each own a UDP and a TCP socket per
 * listen address (SO_REUSEPORT spreads the load), answer from the cluster zone in recvmmsg/sendmmsg
 * batches without allocating, and forward names outside the zone to upstream resolvers through a
 * shared cache. The zone is shared: the feed (another thread) changes it only between
 * dns_server_zone_lock() and dns_server_zone_unlock(). */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/dns_zone.h"

#define DNS_SERVER_MAX_ADDRS     4
#define DNS_SERVER_MAX_UPSTREAMS 3 /* as resolv.conf's MAXNS */

typedef struct dns_server_config {
	struct sockaddr_storage listen[DNS_SERVER_MAX_ADDRS]; /* address and port each */
	size_t nlisten;
	struct sockaddr_storage upstream[DNS_SERVER_MAX_UPSTREAMS];
	size_t nupstream; /* 0: outside names are REFUSED */
	int workers;      /* 0: the CPUs this process may run on */
	int tcp_idle_ms;  /* 0: 10 s (RFC 7766 s6.2.3 leaves it to the server; CoreDNS uses 10 s) */
	int tcp_max_conns; /* all workers together; 0: 1024 */
	size_t cache_size; /* forwarder cache entries (rounded up to a power of 2); 0: 8192 */
	uint32_t cache_max_ttl;     /* 0: 3600 */
	uint32_t cache_max_neg_ttl; /* 0: 1800 (RFC 2308 s5 leaves it to the resolver; CoreDNS's cap) */
} dns_server_config_t;

/* Counters, summed over workers by dns_server_stats(). */
enum { DNS_STAT_QT_A, DNS_STAT_QT_AAAA, DNS_STAT_QT_SRV, DNS_STAT_QT_PTR, DNS_STAT_QT_TXT, DNS_STAT_QT_CNAME,
       DNS_STAT_QT_SOA, DNS_STAT_QT_NS, DNS_STAT_QT_ANY, DNS_STAT_QT_AXFR, DNS_STAT_QT_IXFR, DNS_STAT_QT_OTHER,
       DNS_STAT_QT_N };
#define DNS_STAT_RCODES 24 /* rcodes 0..22, and 23 for anything above */
#define DNS_STAT_BUCKETS 16 /* latency: 0.25 ms doubling to 8.192 s, then +Inf */

typedef struct dns_stats {
	uint64_t queries_udp, queries_tcp;
	uint64_t qtype[DNS_STAT_QT_N];
	uint64_t rcode[DNS_STAT_RCODES];
	uint64_t lat_bucket[DNS_STAT_BUCKETS + 1]; /* not cumulative; last is +Inf */
	uint64_t lat_sum_ns, lat_count;
	uint64_t dropped;    /* no reply: malformed beyond a header, responses, send failures */
	uint64_t truncated;  /* TC=1 replies */
	uint64_t cache_hits, cache_misses;
	uint64_t forwarded, upstream_timeouts, upstream_errors;
	uint64_t upstream_tcp; /* truncated upstream answers asked again over TCP */
	uint64_t tcp_conns, tcp_refused; /* accepted, closed at once for the connection limit */
	uint64_t loops;      /* our loop probe came back */
} dns_stats_t;

extern const char *const dns_stats_qtype_name[DNS_STAT_QT_N];
extern const double dns_stats_bucket_le[DNS_STAT_BUCKETS];

typedef struct dns_server dns_server_t;

/* z: borrowed; it must outlive the server. Opens every socket (IP_FREEBIND: a listen address that is
 * not local yet still binds) and starts the workers. -EADDRINUSE and other errnos from bind; -ENOMEM.
 * *ret: caller frees with dns_server_free(), which stops and joins the workers. */
int dns_server_start(dns_zone_t *z, const dns_server_config_t *cfg, dns_server_t **ret);
void dns_server_free(dns_server_t *s);

/* The zone's write side: takes every worker's own lock in turn (a big-reader lock). A worker takes
 * only its own, uncontended, once per batch; so readers never share a cache line and the writer
 * waits at most one batch per worker. Not recursive; one writer thread. */
void dns_server_zone_lock(dns_server_t *s);
void dns_server_zone_unlock(dns_server_t *s);

void dns_server_stats(dns_server_t *s, dns_stats_t *ret);
int dns_server_workers(const dns_server_t *s);
/* True once the loop probe sent at start came back to us: forwarding is then off (SERVFAIL). */
bool dns_server_loop_detected(const dns_server_t *s);
