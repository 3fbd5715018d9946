/* The DNS feed: paged list, then watch, per kind; see dns_feed.h. The semantics follow client-go's
 * reflector (list, watch from the list's resourceVersion with bookmarks, relist on 410 Expired,
 * back-off on errors) without its store. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "core/log.h"
#include "dns/dns_feed.h"

#define PAGE_LIMIT 250 /* objects per list page: bounds the parsed JSON held at once */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000

const double dns_feed_bucket_le[DNS_FEED_BUCKETS] = { 0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032,
						      0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048 };

static const struct {
	const char *path;
	dns_kind_t kind;
} kinds[3] = {
	{ "/api/v1/services", DNS_KIND_SERVICE },
	{ "/apis/discovery.k8s.io/v1/endpointslices", DNS_KIND_ENDPOINTSLICE },
	{ "/api/v1/pods", DNS_KIND_POD },
};

struct dns_feed;

struct watcher {
	struct dns_feed *f;
	int k; /* index into kinds */
	kclient_req_t *req;
	struct event *retry;
	bool retry_list, synced;
	int backoff_ms;
	uint32_t gen; /* the resync generation of the list in progress */
	char rv[32];
};

struct dns_feed {
	kclient_t *c;
	dns_zone_t *z;
	dns_server_t *srv;
	struct watcher w[3];
	dns_feed_stats_t st;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void do_list(struct watcher *w, const char *cont);
static void do_watch(struct watcher *w);

static void set_rv(struct watcher *w, const char *rv)
{
	if (rv && *rv && strlen(rv) < sizeof(w->rv))
		snprintf(w->rv, sizeof(w->rv), "%s", rv);
}

static void retry_later(struct watcher *w, bool list)
{
	struct timeval tv;

	w->retry_list = list;
	if (w->backoff_ms < BACKOFF_MIN_MS)
		w->backoff_ms = BACKOFF_MIN_MS;
	tv.tv_sec = w->backoff_ms / 1000;
	tv.tv_usec = (w->backoff_ms % 1000) * 1000;
	evtimer_add(w->retry, &tv);
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;

	if (w->retry_list || !w->rv[0])
		do_list(w, NULL);
	else
		do_watch(w);
}

static void apply(struct watcher *w, const json_t *obj, bool deleted)
{
	struct dns_feed *f = w->f;

	if (f->srv)
		dns_server_zone_lock(f->srv);
	int rc = dns_zone_apply(f->z, kinds[w->k].kind, obj, deleted);
	if (f->srv)
		dns_server_zone_unlock(f->srv);
	if (rc < 0 && rc != -EINVAL)
		f->st.apply_errors++;
	if (kinds[w->k].kind == DNS_KIND_SERVICE && dns_zone_resync_wanted(f->z, DNS_KIND_ENDPOINTSLICE)) {
		struct watcher *sw = &f->w[1];
		log_info("dns: a Service turned headless: relisting EndpointSlices");
		kclient_cancel(sw->req);
		sw->req = NULL;
		evtimer_del(sw->retry);
		do_list(sw, NULL);
	}
}

static void on_list(int status, json_t *body, void *arg)
{
	struct watcher *w = arg;
	struct dns_feed *f = w->f;
	const json_t *items = json_object_get(body, "items"), *item, *md = json_object_get(body, "metadata");
	const char *cont = json_string_value(json_object_get(md, "continue"));
	size_t i;

	w->req = NULL;
	if (status != 200 || !json_is_array(items)) {
		log_warn("dns: list %s: %d", kinds[w->k].path, status);
		retry_later(w, true); /* 410 for a stale continue token too: start over */
		return;
	}
	json_array_foreach(items, i, item)
		apply(w, item, false);
	if (cont && *cont) {
		do_list(w, cont);
		return;
	}
	/* the whole list is in: what the zone holds from before and the list did not name is gone */
	if (f->srv)
		dns_server_zone_lock(f->srv);
	size_t gone = dns_zone_resync_end(f->z, kinds[w->k].kind, w->gen);
	if (f->srv)
		dns_server_zone_unlock(f->srv);
	if (gone)
		log_info("dns: relist of %s removed %zu objects", kinds[w->k].path, gone);
	/* the pages' JSON trees are gone, but glibc keeps their memory below the heap top: hand it
	 * back, or a big first list sets the agent's RSS for good */
	malloc_trim(0);
	set_rv(w, json_string_value(json_object_get(md, "resourceVersion")));
	w->synced = true;
	w->backoff_ms = 0;
	do_watch(w);
}

static void do_list(struct watcher *w, const char *cont)
{
	struct dns_feed *f = w->f;
	char *path = NULL, *esc = NULL;
	int rc;

	if (!cont) {
		f->st.relists++;
		if (f->srv)
			dns_server_zone_lock(f->srv);
		w->gen = dns_zone_resync_begin(f->z, kinds[w->k].kind);
		if (f->srv)
			dns_server_zone_unlock(f->srv);
	} else if (!(esc = kclient_query_escape(cont))) {
		retry_later(w, true);
		return;
	}
	if (asprintf(&path, "%s?limit=%d%s%s", kinds[w->k].path, PAGE_LIMIT, esc ? "&continue=" : "", esc ? esc : "") < 0)
		path = NULL;
	free(esc);
	rc = path ? kclient_request(f->c, "GET", path, NULL, NULL, on_list, w, &w->req) : -ENOMEM;
	free(path);
	if (rc < 0) {
		w->req = NULL;
		retry_later(w, true);
	}
}

static void on_event(json_t *ev, void *arg)
{
	struct watcher *w = arg;
	struct dns_feed *f = w->f;
	uint64_t t0 = now_ns();
	const char *type = json_string_value(json_object_get(ev, "type"));
	const json_t *obj = json_object_get(ev, "object");
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

	if (!type || !json_is_object(obj))
		return;
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0 || strcmp(type, "DELETED") == 0) {
		apply(w, obj, type[0] == 'D');
		set_rv(w, rv);
		/* programming latency: from the event's arrival to the change being answerable */
		uint64_t ns = now_ns() - t0;
		int b = 0;
		while (b < DNS_FEED_BUCKETS && ns > (uint64_t)(dns_feed_bucket_le[b] * 1e9))
			b++;
		f->st.events++;
		f->st.lat_bucket[b]++;
		f->st.lat_sum_ns += ns;
		f->st.lat_count++;
		if (ns > f->st.lat_max_ns)
			f->st.lat_max_ns = ns;
	} else if (strcmp(type, "BOOKMARK") == 0) {
		set_rv(w, rv);
	} else if (strcmp(type, "ERROR") == 0) {
		kclient_cancel(w->req);
		w->req = NULL;
		if (json_integer_value(json_object_get(obj, "code")) == 410) {
			w->rv[0] = '\0';
			do_list(w, NULL); /* our history is gone from the server's window */
		} else {
			retry_later(w, true);
		}
	}
}

static void on_watch_done(int status, json_t *body, void *arg)
{
	struct watcher *w = arg;

	w->req = NULL;
	if (status == 200) {
		w->backoff_ms = 0;
		do_watch(w);
	} else if (status == 410) {
		w->rv[0] = '\0';
		do_list(w, NULL);
	} else {
		retry_later(w, false);
	}
}

static void do_watch(struct watcher *w)
{
	char *path;
	int rc, timeout = 300 + (int)(random() % 300);

	if (asprintf(&path, "%s?watch=true&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d",
		     kinds[w->k].path, w->rv, timeout) < 0) {
		retry_later(w, false);
		return;
	}
	rc = kclient_stream(w->f->c, path, on_event, on_watch_done, w, &w->req);
	free(path);
	if (rc < 0) {
		w->req = NULL;
		retry_later(w, false);
	}
}

int dns_feed_new(kclient_t *c, dns_zone_t *z, dns_server_t *srv, dns_feed_t **ret)
{
	dns_feed_t *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->c = c;
	f->z = z;
	f->srv = srv;
	for (int k = 0; k < 3; k++) {
		f->w[k].f = f;
		f->w[k].k = k;
		if (!(f->w[k].retry = evtimer_new(kclient_base(c), on_retry, &f->w[k]))) {
			dns_feed_free(f);
			return -ENOMEM;
		}
	}
	for (int k = 0; k < 3; k++)
		do_list(&f->w[k], NULL);
	*ret = f;
	return 0;
}

void dns_feed_free(dns_feed_t *f)
{
	if (!f)
		return;
	for (int k = 0; k < 3; k++) {
		kclient_cancel(f->w[k].req);
		if (f->w[k].retry)
			event_free(f->w[k].retry);
	}
	free(f);
}

bool dns_feed_synced(const dns_feed_t *f)
{
	return f->w[0].synced && f->w[1].synced && f->w[2].synced;
}

void dns_feed_stats(const dns_feed_t *f, dns_feed_stats_t *ret)
{
	*ret = f->st;
}
