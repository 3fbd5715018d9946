/* The proxy's HTTP side: kube-proxy's health server (/healthz, /livez with lastUpdated and
 * currentTime), /metrics in the Prometheus text format on the same port, and one health-check
 * server per healthCheckNodePort of a Local LoadBalancer Service, whose JSON tells load balancers
 * whether this node has local endpoints. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#define PROXY_HIST_BUCKETS 14

typedef struct proxy_hist {
	const double *le; /* PROXY_HIST_BUCKETS upper bounds, seconds */
	uint64_t counts[PROXY_HIST_BUCKETS];
	uint64_t count;
	double sum;
} proxy_hist_t;

void proxy_hist_observe(proxy_hist_t *h, double seconds);

/* What the health and metrics pages show; the proxy updates it, the server reads it. */
typedef struct proxy_status {
	bool synced;             /* the first full sync went through */
	int64_t last_updated_ns; /* the last successful sync (CLOCK_REALTIME) */
	int64_t pending_since_ns;/* the oldest change not yet programmed; 0: none */
	proxy_hist_t full, partial, latency;
	unsigned long failures, conntrack_deleted;
	size_t elements, chains, rules, svcports;
} proxy_status_t;

typedef struct proxy_health proxy_health_t;

/* Serves /healthz, /livez and /metrics on bind:port (port < 0: no main server; the health-check
 * servers still work). st is borrowed for the server's lifetime. -EADDRINUSE, -ENOMEM. */
int proxy_health_new(struct event_base *base, const char *bind, int port, const proxy_status_t *st,
		     proxy_health_t **ret);
void proxy_health_free(proxy_health_t *h);

/* True when the proxy is healthy as kube-proxy defines it: synced, and no change waiting longer
 * than the health timeout. */
bool proxy_health_ok(const proxy_status_t *st, int64_t now_ns);

/* Health-check servers: call hc_begin, then hc_want for each Local LoadBalancer Service with a
 * healthCheckNodePort, then hc_end, which closes the servers no longer wanted and opens new ones.
 * Strings are copied. */
void proxy_health_hc_begin(proxy_health_t *h);
void proxy_health_hc_want(proxy_health_t *h, uint16_t port, const char *ns, const char *name, unsigned local_eps);
void proxy_health_hc_end(proxy_health_t *h);
