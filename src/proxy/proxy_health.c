/* The proxy's health, metrics and health-check-node-port servers (see proxy_health.h), after
 * kube-proxy's pkg/proxy/healthcheck (proxy_health.go and service_health.go). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "core/log.h"
#include "proxy/proxy_health.h"

/* upstream's healthTimeout: twice the default iptables/nftables sync period (30 s) */
#define HEALTH_TIMEOUT_NS (60LL * 1000000000LL)
#define MAX_HC 1024

typedef struct hc {
	uint16_t port;
	char *ns, *name;
	unsigned local;
	bool wanted;
	struct evhttp *http;
	struct proxy_health *owner;
} hc_t;

struct proxy_health {
	struct event_base *base;
	struct evhttp *http;
	const proxy_status_t *st;
	char *bind;
	hc_t *hcs;
	size_t n_hcs;
};

void proxy_hist_observe(proxy_hist_t *h, double seconds)
{
	size_t i;

	for (i = 0; i < PROXY_HIST_BUCKETS; i++)
		if (seconds <= h->le[i])
			h->counts[i]++;
	h->count++;
	h->sum += seconds;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool proxy_health_ok(const proxy_status_t *st, int64_t now)
{
	if (!st->synced)
		return false;
	return !st->pending_since_ns || now - st->pending_since_ns < HEALTH_TIMEOUT_NS;
}

/* RFC 3339 with fractional seconds, as Go's time.Time marshals to JSON */
static void fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char base[32];

	gmtime_r(&s, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lldZ", base, (long long)(ns % 1000000000));
}

static void reply_json(struct evhttp_request *req, int code, json_t *j, const char *extra_name, const char *extra_val)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (extra_name)
		evhttp_add_header(h, extra_name, extra_val);
	if (b && s)
		evbuffer_add_printf(b, "%s", s);
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Service Unavailable", b);
	if (b)
		evbuffer_free(b);
	free(s);
}

static void hist_print(struct evbuffer *b, const char *name, const char *help, const proxy_hist_t *h)
{
	size_t i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < PROXY_HIST_BUCKETS; i++)
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i], (unsigned long long)h->counts[i]);
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
			    (unsigned long long)h->count, name, h->sum, name, (unsigned long long)h->count);
}

static void gauge_print(struct evbuffer *b, const char *name, const char *type, const char *help, double v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

static void on_main(struct evhttp_request *req, void *arg)
{
	proxy_health_t *h = arg;
	const proxy_status_t *st = h->st;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	int64_t now = now_ns();

	if (!path)
		path = "/";
	if (!strcmp(path, "/healthz") || !strcmp(path, "/livez")) {
		char lu[48], ct[48];
		bool ok = proxy_health_ok(st, now);
		json_t *j;

		fmt_time(st->last_updated_ns ? st->last_updated_ns : 0, lu, sizeof(lu));
		fmt_time(now, ct, sizeof(ct));
		j = json_pack("{s:s,s:s}", "lastUpdated", lu, "currentTime", ct);
		if (j && !strcmp(path, "/healthz"))
			json_object_set_new(j, "nodeEligible", json_true());
		reply_json(req, ok ? 200 : 503, j, NULL, NULL);
		json_decref(j);
		return;
	}
	if (!strcmp(path, "/metrics")) {
		struct evbuffer *b = evbuffer_new();

		if (!b) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		hist_print(b, "kubeproxy_sync_full_proxy_rules_duration_seconds",
			   "SyncProxyRules latency in seconds for full resyncs", &st->full);
		hist_print(b, "kubeproxy_sync_partial_proxy_rules_duration_seconds",
			   "SyncProxyRules latency in seconds for partial resyncs", &st->partial);
		hist_print(b, "kubeproxy_network_programming_duration_seconds",
			   "In Cluster Network Programming Latency in seconds", &st->latency);
		gauge_print(b, "kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge",
			    "The last time proxy rules were successfully synced", (double)st->last_updated_ns / 1e9);
		gauge_print(b, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", "counter",
			    "Number of failed nftables transactions", (double)st->failures);
		gauge_print(b, "portico_proxy_nftables_elements", "gauge", "Map and set elements programmed",
			    (double)st->elements);
		gauge_print(b, "portico_proxy_nftables_chains", "gauge", "Chains in the proxy's table", (double)st->chains);
		gauge_print(b, "portico_proxy_nftables_rules", "gauge", "Rules in the proxy's table", (double)st->rules);
		gauge_print(b, "portico_proxy_service_ports", "gauge", "Service ports programmed", (double)st->svcports);
		gauge_print(b, "portico_proxy_conntrack_deleted_total", "counter",
			    "Stale UDP conntrack entries deleted", (double)st->conntrack_deleted);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	evhttp_send_error(req, 404, NULL);
}

static void on_hc(struct evhttp_request *req, void *arg)
{
	hc_t *hc = arg;
	bool healthy = proxy_health_ok(hc->owner->st, now_ns());
	char weight[16];
	json_t *j = json_pack("{s:{s:s,s:s},s:I,s:b}", "service", "namespace", hc->ns, "name", hc->name, "localEndpoints",
			      (json_int_t)hc->local, "serviceProxyHealthy", healthy);

	snprintf(weight, sizeof(weight), "%u", hc->local);
	reply_json(req, hc->local > 0 && healthy ? 200 : 503, j, "X-Load-Balancing-Endpoint-Weight", weight);
	json_decref(j);
}

int proxy_health_new(struct event_base *base, const char *bind, int port, const proxy_status_t *st,
		     proxy_health_t **ret)
{
	proxy_health_t *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->base = base;
	h->st = st;
	h->bind = strdup(bind ? bind : "0.0.0.0");
	h->hcs = calloc(MAX_HC, sizeof(*h->hcs));
	if (!h->bind || !h->hcs) {
		proxy_health_free(h);
		return -ENOMEM;
	}
	if (port >= 0) {
		h->http = evhttp_new(base);
		if (!h->http) {
			proxy_health_free(h);
			return -ENOMEM;
		}
		evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
		evhttp_set_max_headers_size(h->http, 8192);
		evhttp_set_max_body_size(h->http, 0);
		evhttp_set_timeout(h->http, 30);
		evhttp_set_gencb(h->http, on_main, h);
		if (evhttp_bind_socket(h->http, h->bind, (ev_uint16_t)port) < 0) {
			proxy_health_free(h);
			return -EADDRINUSE;
		}
	}
	*ret = h;
	return 0;
}

static void hc_close(hc_t *hc)
{
	if (hc->http)
		evhttp_free(hc->http);
	free(hc->ns);
	free(hc->name);
	memset(hc, 0, sizeof(*hc));
}

void proxy_health_free(proxy_health_t *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n_hcs; i++)
		hc_close(&h->hcs[i]);
	if (h->http)
		evhttp_free(h->http);
	free(h->hcs);
	free(h->bind);
	free(h);
}

void proxy_health_hc_begin(proxy_health_t *h)
{
	size_t i;

	for (i = 0; i < h->n_hcs; i++)
		h->hcs[i].wanted = false;
}

void proxy_health_hc_want(proxy_health_t *h, uint16_t port, const char *ns, const char *name, unsigned local_eps)
{
	size_t i;
	hc_t *hc;

	for (i = 0; i < h->n_hcs; i++) {
		hc = &h->hcs[i];
		if (hc->port != port)
			continue;
		if (hc->wanted && (strcmp(hc->ns, ns) || strcmp(hc->name, name)))
			return; /* two Services on one port: the first keeps it (the API forbids this) */
		if (strcmp(hc->ns, ns) || strcmp(hc->name, name)) {
			char *a = strdup(ns), *b = strdup(name);
			if (!a || !b) {
				free(a);
				free(b);
				return;
			}
			free(hc->ns);
			free(hc->name);
			hc->ns = a;
			hc->name = b;
		}
		hc->local = local_eps;
		hc->wanted = true;
		return;
	}
	if (h->n_hcs == MAX_HC)
		return;
	hc = &h->hcs[h->n_hcs];
	hc->port = port;
	hc->ns = strdup(ns);
	hc->name = strdup(name);
	hc->local = local_eps;
	hc->wanted = true;
	hc->owner = h;
	if (!hc->ns || !hc->name) {
		hc_close(hc);
		return;
	}
	h->n_hcs++;
}

void proxy_health_hc_end(proxy_health_t *h)
{
	size_t i = 0;

	while (i < h->n_hcs) {
		hc_t *hc = &h->hcs[i];
		if (!hc->wanted) {
			hc_close(hc);
			if (i != h->n_hcs - 1) {
				*hc = h->hcs[h->n_hcs - 1];
				memset(&h->hcs[h->n_hcs - 1], 0, sizeof(*hc));
				if (hc->http)
					evhttp_set_gencb(hc->http, on_hc, hc); /* it moved */
			}
			h->n_hcs--;
			continue;
		}
		if (!hc->http) {
			hc->http = evhttp_new(h->base);
			if (hc->http) {
				evhttp_set_allowed_methods(hc->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
				evhttp_set_max_headers_size(hc->http, 8192);
				evhttp_set_max_body_size(hc->http, 0);
				evhttp_set_timeout(hc->http, 30);
				evhttp_set_gencb(hc->http, on_hc, hc);
				if (evhttp_bind_socket(hc->http, h->bind, hc->port) < 0) {
					log_warn("proxy: health check port %u for %s/%s: cannot listen", hc->port, hc->ns,
						 hc->name);
					evhttp_free(hc->http);
					hc->http = NULL; /* retried at the next sync */
				}
			}
		}
		i++;
	}
}
