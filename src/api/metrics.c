/* /metrics in the Prometheus text format: requests by verb, resource and code with a latency
 * histogram (names as kube-apiserver's), open watches, and the store's commit latency. */
#include "api/api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#define METRICS_MAX_SERIES 512 /* verbs x resources x codes actually seen; bounded */

static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

typedef struct series {
	char verb[20];
	char resource[32];
	int code;
	unsigned long long count;
	double sum;
	unsigned long long hist[NBUCKETS];
} series_t;

struct api_metrics {
	series_t *s;
	size_t n;
};

int api_metrics_new(api_metrics_t **ret)
{
	api_metrics_t *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->s = calloc(METRICS_MAX_SERIES, sizeof(series_t));
	if (!m->s) {
		free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void api_metrics_free(api_metrics_t *m)
{
	if (!m)
		return;
	free(m->s);
	free(m);
}

void api_metrics_observe(api_metrics_t *m, const char *verb, const char *resource, int code, uint64_t usec)
{
	series_t *s = NULL;
	double sec = (double)usec / 1e6;

	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].code == code && strcmp(m->s[i].verb, verb) == 0 && strcmp(m->s[i].resource, resource) == 0) {
			s = &m->s[i];
			break;
		}
	if (!s) {
		if (m->n == METRICS_MAX_SERIES)
			return;
		s = &m->s[m->n++];
		snprintf(s->verb, sizeof(s->verb), "%s", verb);
		snprintf(s->resource, sizeof(s->resource), "%s", resource);
		s->code = code;
	}
	s->count++;
	s->sum += sec;
	for (size_t b = 0; b < NBUCKETS; b++)
		if (sec <= buckets[b])
			s->hist[b]++;
}

void api_metrics_render(api_server_t *srv, struct evbuffer *out)
{
	api_metrics_t *m = srv->metrics;
	store_stats_t st;
	static const char *const store_le[] = { "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
						"0.01",   "0.025",   "0.05",   "0.1",   "0.25" };

	evbuffer_add_printf(out, "# HELP apiserver_request_total Counter of apiserver requests broken out for each "
				 "verb, resource and HTTP response code.\n# TYPE apiserver_request_total counter\n");
	for (size_t i = 0; i < m->n; i++)
		evbuffer_add_printf(out, "apiserver_request_total{verb=\"%s\",resource=\"%s\",code=\"%d\"} %llu\n",
				    m->s[i].verb, m->s[i].resource, m->s[i].code, m->s[i].count);
	evbuffer_add_printf(out, "# HELP apiserver_request_duration_seconds Response latency distribution in seconds "
				 "for each verb, resource and code.\n# TYPE apiserver_request_duration_seconds "
				 "histogram\n");
	for (size_t i = 0; i < m->n; i++) {
		const series_t *s = &m->s[i];
		for (size_t b = 0; b < NBUCKETS; b++)
			evbuffer_add_printf(out,
					    "apiserver_request_duration_seconds_bucket{verb=\"%s\",resource=\"%s\","
					    "code=\"%d\",le=\"%g\"} %llu\n",
					    s->verb, s->resource, s->code, buckets[b], s->hist[b]);
		evbuffer_add_printf(out,
				    "apiserver_request_duration_seconds_bucket{verb=\"%s\",resource=\"%s\",code=\"%d\","
				    "le=\"+Inf\"} %llu\n",
				    s->verb, s->resource, s->code, s->count);
		evbuffer_add_printf(out,
				    "apiserver_request_duration_seconds_sum{verb=\"%s\",resource=\"%s\",code=\"%d\"} %.6f\n"
				    "apiserver_request_duration_seconds_count{verb=\"%s\",resource=\"%s\",code=\"%d\"} %llu\n",
				    s->verb, s->resource, s->code, s->sum, s->verb, s->resource, s->code, s->count);
	}
	evbuffer_add_printf(out, "# HELP apiserver_registered_watchers Number of currently registered watchers.\n"
				 "# TYPE apiserver_registered_watchers gauge\napiserver_registered_watchers %u\n",
			    srv->watches);
	store_get_stats(srv->store, &st);
	evbuffer_add_printf(out, "# HELP portico_store_commit_duration_seconds Latency of one durable store commit "
				 "(a group of writes).\n# TYPE portico_store_commit_duration_seconds histogram\n");
	{
		unsigned long long cum = 0;
		for (size_t b = 0; b < 11; b++) {
			cum += st.commit_usec_hist[b];
			evbuffer_add_printf(out, "portico_store_commit_duration_seconds_bucket{le=\"%s\"} %llu\n",
					    store_le[b], cum);
		}
		evbuffer_add_printf(out, "portico_store_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				    (unsigned long long)st.commits);
	}
	evbuffer_add_printf(out,
			    "portico_store_commit_duration_seconds_sum %.6f\nportico_store_commit_duration_seconds_count "
			    "%llu\n# TYPE portico_store_writes_total counter\nportico_store_writes_total %llu\n"
			    "# TYPE portico_store_keys gauge\nportico_store_keys %zu\n"
			    "# TYPE portico_store_window_events gauge\nportico_store_window_events %zu\n",
			    (double)st.commit_usec_total / 1e6, (unsigned long long)st.commits,
			    (unsigned long long)st.writes, st.keys, st.window_events);
}
