/* Cluster DNS on a node: wiring of dns_sys, dns_server, dns_feed and the HTTP endpoints CoreDNS
 * has (health :8080/health, ready :8181/ready, Prometheus :9153/metrics). */
#include "dns/dns_node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/log.h"
#include "dns/dns_feed.h"
#include "dns/dns_msg.h"
#include "dns/dns_server.h"
#include "dns/dns_sys.h"
#include "dns/dns_zone.h"

struct dns_node {
	dns_zone_t *zone;
	dns_server_t *srv;
	dns_feed_t *feed;
	struct evhttp *http[3]; /* health, ready, metrics */
	char domain[256];
};

static int parse_addr(const char *s, size_t len, struct sockaddr_storage *ret)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	unsigned long p = 53;

	memset(ret, 0, sizeof(*ret));
	if (len == 0 || len > INET6_ADDRSTRLEN + 8)
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = memchr(s, ']', len);
		if (!end || (size_t)(end - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		if (end + 1 < s + len) {
			if (end[1] != ':')
				return -EINVAL;
			port = end + 2;
		}
	} else {
		const char *colon = memchr(s, ':', len);
		size_t hl = colon ? (size_t)(colon - s) : len;
		if (colon && memchr(colon + 1, ':', len - hl - 1)) /* a bare IPv6 address */
			colon = NULL, hl = len;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port) {
		char pb[8], *end;
		size_t pl = (size_t)(s + len - port);
		if (pl == 0 || pl >= sizeof(pb))
			return -EINVAL;
		memcpy(pb, port, pl);
		pb[pl] = '\0';
		errno = 0;
		p = strtoul(pb, &end, 10);
		if (errno || *end || p == 0 || p > 65535)
			return -EINVAL;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ret;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
	} else {
		return -EINVAL;
	}
	return 0;
}

int dns_node_parse_upstreams(const char *s, struct sockaddr_storage *addrs, int max)
{
	int n = 0;

	while (*s) {
		size_t len = strcspn(s, ",");
		if (len) {
			if (n == max || parse_addr(s, len, &addrs[n]) < 0)
				return -EINVAL;
			n++;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return n;
}

int dns_node_read_resolv(const char *path, struct sockaddr_storage *addrs, int max)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *p = line, *v;
		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
			continue;
		v = p + 10 + strspn(p + 10, " \t");
		size_t len = strcspn(v, " \t\r\n%"); /* a zone index (fe80::1%eth0) is not supported */
		if (len && v[len] != '%' && parse_addr(v, len, &addrs[n]) == 0)
			n++;
	}
	fclose(f);
	return n;
}

/* ---- HTTP */

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype, struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evhttp_send_reply(req, code, reason, b);
}

static void on_health(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	if (!b)
		return;
	evbuffer_add_printf(b, "OK");
	reply(req, 200, "OK", "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

static void on_ready(struct evhttp_request *req, void *arg)
{
	dns_node_t *n = arg;
	struct evbuffer *b = evbuffer_new();
	bool ok = dns_feed_synced(n->feed);

	if (!b)
		return;
	evbuffer_add_printf(b, ok ? "OK" : "not synced");
	reply(req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

static const char *rcode_name(int rc)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };

	if (rc >= 0 && rc < 6)
		return names[rc];
	return rc == 16 ? "BADVERS" : NULL;
}

static void hist(struct evbuffer *b, const char *name, const double *le, int nb, const uint64_t *buckets,
		 uint64_t sum_ns, uint64_t count)
{
	uint64_t cum = 0;

	evbuffer_add_printf(b, "# TYPE %s histogram\n", name);
	for (int i = 0; i < nb; i++) {
		cum += buckets[i];
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], (unsigned long long)cum);
	}
	cum += buckets[nb];
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
			    (unsigned long long)cum, name, (double)sum_ns / 1e9, name, (unsigned long long)count);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	dns_node_t *n = arg;
	struct evbuffer *b = evbuffer_new();
	dns_stats_t st;
	dns_feed_stats_t fs;

	if (!b)
		return;
	dns_server_stats(n->srv, &st);
	dns_feed_stats(n->feed, &fs);
	evbuffer_add_printf(b, "# HELP portico_dns_requests_total DNS queries received, by transport.\n"
			       "# TYPE portico_dns_requests_total counter\n"
			       "portico_dns_requests_total{proto=\"udp\"} %llu\nportico_dns_requests_total{proto=\"tcp\"} %llu\n",
			    (unsigned long long)st.queries_udp, (unsigned long long)st.queries_tcp);
	evbuffer_add_printf(b, "# HELP portico_dns_requests_type_total DNS queries by question type.\n"
			       "# TYPE portico_dns_requests_type_total counter\n");
	for (int i = 0; i < DNS_STAT_QT_N; i++)
		evbuffer_add_printf(b, "portico_dns_requests_type_total{type=\"%s\"} %llu\n", dns_stats_qtype_name[i],
				    (unsigned long long)st.qtype[i]);
	evbuffer_add_printf(b, "# HELP portico_dns_responses_total DNS replies by rcode.\n"
			       "# TYPE portico_dns_responses_total counter\n");
	for (int i = 0; i < DNS_STAT_RCODES; i++) {
		const char *name = rcode_name(i);
		if (st.rcode[i] || (name && i < 6))
			name ? evbuffer_add_printf(b, "portico_dns_responses_total{rcode=\"%s\"} %llu\n", name,
						   (unsigned long long)st.rcode[i])
			     : evbuffer_add_printf(b, "portico_dns_responses_total{rcode=\"%d\"} %llu\n", i,
						   (unsigned long long)st.rcode[i]);
	}
	evbuffer_add_printf(b, "# HELP portico_dns_request_duration_seconds Time from receipt to reply.\n");
	hist(b, "portico_dns_request_duration_seconds", dns_stats_bucket_le, DNS_STAT_BUCKETS, st.lat_bucket,
	     st.lat_sum_ns, st.lat_count);
	evbuffer_add_printf(b,
			    "# TYPE portico_dns_cache_hits_total counter\nportico_dns_cache_hits_total %llu\n"
			    "# TYPE portico_dns_cache_misses_total counter\nportico_dns_cache_misses_total %llu\n"
			    "# TYPE portico_dns_forward_requests_total counter\nportico_dns_forward_requests_total %llu\n"
			    "# TYPE portico_dns_forward_timeouts_total counter\nportico_dns_forward_timeouts_total %llu\n"
			    "# TYPE portico_dns_forward_bad_replies_total counter\nportico_dns_forward_bad_replies_total %llu\n"
			    "# TYPE portico_dns_forward_tcp_retries_total counter\nportico_dns_forward_tcp_retries_total %llu\n"
			    "# TYPE portico_dns_truncated_total counter\nportico_dns_truncated_total %llu\n"
			    "# TYPE portico_dns_dropped_total counter\nportico_dns_dropped_total %llu\n"
			    "# TYPE portico_dns_tcp_connections_total counter\nportico_dns_tcp_connections_total %llu\n"
			    "# TYPE portico_dns_tcp_refused_total counter\nportico_dns_tcp_refused_total %llu\n"
			    "# TYPE portico_dns_loop_detected gauge\nportico_dns_loop_detected %d\n"
			    "# TYPE portico_dns_zone_names gauge\nportico_dns_zone_names %zu\n"
			    "# TYPE portico_dns_feed_events_total counter\nportico_dns_feed_events_total %llu\n"
			    "# TYPE portico_dns_feed_relists_total counter\nportico_dns_feed_relists_total %llu\n"
			    "# TYPE portico_dns_programming_duration_max_seconds gauge\n"
			    "portico_dns_programming_duration_max_seconds %.9f\n",
			    (unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses,
			    (unsigned long long)st.forwarded, (unsigned long long)st.upstream_timeouts,
			    (unsigned long long)st.upstream_errors, (unsigned long long)st.upstream_tcp,
			    (unsigned long long)st.truncated,
			    (unsigned long long)st.dropped, (unsigned long long)st.tcp_conns,
			    (unsigned long long)st.tcp_refused, dns_server_loop_detected(n->srv) ? 1 : 0,
			    dns_zone_names(n->zone), (unsigned long long)fs.events, (unsigned long long)fs.relists,
			    (double)fs.lat_max_ns / 1e9);
	evbuffer_add_printf(b, "# HELP portico_dns_programming_duration_seconds From a watch event's arrival to "
			       "the change being answerable.\n");
	hist(b, "portico_dns_programming_duration_seconds", dns_feed_bucket_le, DNS_FEED_BUCKETS, fs.lat_bucket,
	     fs.lat_sum_ns, fs.lat_count);
	reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

static int http_on(struct event_base *base, int port, const char *path, void (*cb)(struct evhttp_request *, void *),
		   void *arg, struct evhttp **ret)
{
	struct evhttp *h;

	*ret = NULL;
	if (port < 0)
		return 0;
	if (!(h = evhttp_new(base)))
		return -ENOMEM;
	evhttp_set_timeout(h, 10);
	evhttp_set_max_headers_size(h, 8192);
	evhttp_set_max_body_size(h, 0);
	evhttp_set_cb(h, path, cb, arg);
	if (evhttp_bind_socket(h, "0.0.0.0", (ev_uint16_t)port) < 0) {
		int rc = errno ? -errno : -EADDRINUSE;
		evhttp_free(h);
		return rc;
	}
	*ret = h;
	return 0;
}

/* ---- lifetime */

int dns_node_start(struct event_base *base, kclient_t *c, const dns_node_config_t *cfg, dns_node_t **ret)
{
	dns_node_t *n = calloc(1, sizeof(*n));
	dns_server_config_t sc = { 0 };
	struct sockaddr_storage ups[DNS_SERVER_MAX_UPSTREAMS * 2];
	const char *cdns = cfg->cluster_dns ? cfg->cluster_dns : DNS_NODE_CLUSTER_DNS_DEFAULT;
	int port = cfg->port ? cfg->port : 53, nup, rc;
	struct sockaddr_in *a;
	struct in_addr cip;

	if (!n)
		return -ENOMEM;
	if (port < 1 || port > 65535 || inet_pton(AF_INET, cdns, &cip) != 1) {
		rc = -EINVAL;
		goto fail;
	}
	a = (struct sockaddr_in *)&sc.listen[sc.nlisten++];
	a->sin_family = AF_INET;
	a->sin_addr = cip;
	a->sin_port = htons((uint16_t)port);
	if (cfg->node_ip && strcmp(cfg->node_ip, cdns) != 0) {
		if (parse_addr(cfg->node_ip, strlen(cfg->node_ip), &sc.listen[sc.nlisten]) < 0) {
			rc = -EINVAL;
			goto fail;
		}
		if (sc.listen[sc.nlisten].ss_family == AF_INET)
			((struct sockaddr_in *)&sc.listen[sc.nlisten])->sin_port = htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&sc.listen[sc.nlisten])->sin6_port = htons((uint16_t)port);
		sc.nlisten++;
	}
	if (cfg->upstream)
		nup = dns_node_parse_upstreams(cfg->upstream, ups, (int)(sizeof(ups) / sizeof(ups[0])));
	else
		nup = dns_node_read_resolv(cfg->resolv_conf ? cfg->resolv_conf : "/etc/resolv.conf", ups,
					   (int)(sizeof(ups) / sizeof(ups[0])));
	if (nup < 0) {
		rc = -EINVAL;
		goto fail;
	}
	for (int i = 0; i < nup && sc.nupstream < DNS_SERVER_MAX_UPSTREAMS; i++) {
		bool self = false;
		for (size_t k = 0; k < sc.nlisten; k++)
			self |= dns_sockaddr_equal(&ups[i], &sc.listen[k]);
		/* an upstream that is ourselves is a loop from the start; and one socket family */
		if (self || (sc.nupstream && ups[i].ss_family != sc.upstream[0].ss_family)) {
			log_warn("dns: upstream #%d skipped (%s)", i + 1, self ? "it is this server" : "mixed families");
			continue;
		}
		sc.upstream[sc.nupstream++] = ups[i];
	}
	if (sc.nupstream == 0)
		log_warn("dns: no upstream resolver: names outside %s are refused",
			 cfg->cluster_domain ? cfg->cluster_domain : DNS_ZONE_DEFAULT);
	sc.workers = cfg->workers;
	n->zone = dns_zone_new(cfg->cluster_domain, cfg->ttl ? cfg->ttl : DNS_TTL_DEFAULT);
	if (!n->zone) {
		rc = -EINVAL;
		goto fail;
	}
	if (!cfg->no_sys) {
		if ((rc = dns_sys_address(&cip)) < 0)
			log_warn("dns: cannot put %s on interface %s: %s", cdns, DNS_SYS_IFNAME, strerror(-rc));
		else if (rc == 1)
			log_info("dns: no dummy interface driver: %s is on lo (label %s)", cdns, DNS_SYS_LO_LABEL);
		if ((rc = dns_sys_notrack(&cip, (uint16_t)port)) < 0)
			log_warn("dns: cannot install the NOTRACK table %s: %s", DNS_SYS_TABLE, strerror(-rc));
	}
	if ((rc = dns_server_start(n->zone, &sc, &n->srv)) < 0) {
		log_err("dns: cannot serve port %d: %s", port, strerror(-rc));
		goto fail;
	}
	if ((rc = dns_feed_new(c, n->zone, n->srv, &n->feed)) < 0)
		goto fail;
	if ((rc = http_on(base, cfg->health_port ? cfg->health_port : 8080, "/health", on_health, n, &n->http[0])) < 0 ||
	    (rc = http_on(base, cfg->ready_port ? cfg->ready_port : 8181, "/ready", on_ready, n, &n->http[1])) < 0 ||
	    (rc = http_on(base, cfg->metrics_port ? cfg->metrics_port : 9153, "/metrics", on_metrics, n, &n->http[2])) < 0) {
		log_err("dns: cannot listen for health/ready/metrics: %s", strerror(-rc));
		goto fail;
	}
	log_info("dns: serving %s on %s%s%s port %d with %d workers, %zu upstream(s)",
		 cfg->cluster_domain ? cfg->cluster_domain : DNS_ZONE_DEFAULT, cdns, sc.nlisten > 1 ? " and " : "",
		 sc.nlisten > 1 ? cfg->node_ip : "", port, dns_server_workers(n->srv), sc.nupstream);
	*ret = n;
	return 0;
fail:
	dns_node_free(n);
	return rc;
}

void dns_node_free(dns_node_t *n)
{
	if (!n)
		return;
	for (int i = 0; i < 3; i++)
		if (n->http[i])
			evhttp_free(n->http[i]);
	dns_feed_free(n->feed);
	dns_server_free(n->srv);
	dns_zone_free(n->zone);
	free(n);
}
