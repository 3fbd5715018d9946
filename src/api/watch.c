/* Watches: a chunked stream of JSON events fed from the store's event window. The store calls us
 * synchronously for each committed event; we format and queue it on the connection at once, so a
 * slow client only grows its own output buffer — past a limit it is cut off, as kube-apiserver
 * drops unresponsive watchers — and never stalls the loop or the other watchers. */
#include "api/api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/log.h"
#include "lib/selector.h"
#include "lib/status.h"
#include "lib/table.h"

#define WATCH_MAX_BUFFERED (32u * 1024 * 1024) /* per watcher: past this the client is too slow */
#define WATCH_DEFAULT_TIMEOUT 1800            /* seconds, when the client gives none */
#define WATCH_BOOKMARK_INTERVAL 60

typedef struct client_count {
	struct client_count *next;
	char addr[64];
	unsigned n;
} client_count_t;

typedef struct watcher {
	struct watcher *next, *prev; /* srv->watchers */
	api_req_t *r;
	struct evhttp_connection *conn;
	store_watch_t *sw;
	selector_t *lsel, *fsel;
	struct event *timeout_ev, *bookmark_ev, *end_ev, *flush_ev;
	struct evbuffer *pending;    /* events formatted this loop pass, sent as one chunk */
	client_count_t *client;
	int64_t last_rev;
	bool table, columns_sent, ended;
	size_t prefix_len;
} watcher_t;

static client_count_t *client_get(api_server_t *srv, const char *addr)
{
	client_count_t *c;

	for (c = srv->clients; c; c = c->next)
		if (strcmp(c->addr, addr) == 0)
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->next = srv->clients;
	srv->clients = c;
	return c;
}

static void client_put(api_server_t *srv, client_count_t *cc)
{
	client_count_t **pp;

	if (!cc || --cc->n > 0)
		return;
	for (pp = &srv->clients; *pp; pp = &(*pp)->next)
		if (*pp == cc) {
			*pp = cc->next;
			free(cc);
			return;
		}
}

static void watcher_free(watcher_t *w)
{
	api_server_t *srv = w->r->srv;

	if (w->prev)
		w->prev->next = w->next;
	else if (srv->watchers == w)
		srv->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;

	store_unwatch(w->sw);
	if (w->timeout_ev)
		event_free(w->timeout_ev);
	if (w->bookmark_ev)
		event_free(w->bookmark_ev);
	if (w->end_ev)
		event_free(w->end_ev);
	if (w->flush_ev)
		event_free(w->flush_ev);
	if (w->pending)
		evbuffer_free(w->pending);
	selector_free(w->lsel);
	selector_free(w->fsel);
	client_put(srv, w->client);
	srv->watches--;
	log_debug("watch %s%s%s ended after %llu us (%s)", w->r->path ? w->r->path : "",
		  w->r->ns ? " in " : "", w->r->ns ? w->r->ns : "",
		  (unsigned long long)(api_now_usec() - w->r->start_usec), w->r->user ? w->r->user : "?");
	if (srv->metrics)
		api_metrics_observe(srv->metrics, "watch", w->r->res->plural, 200, api_now_usec() - w->r->start_usec);
	w->r->req = NULL;
	api_req_free(w->r);
	free(w);
}

/* Ends the stream and frees the watcher. Runs from its own event so that it is never inside a
 * store callback or an evhttp callback that still uses the connection. */
static void end_cb(evutil_socket_t fd, short what, void *arg)
{
	watcher_t *w = arg;

	if (w->conn)
		evhttp_connection_set_closecb(w->conn, NULL, NULL);
	if (w->conn && evbuffer_get_length(w->pending) > 0)
		evhttp_send_reply_chunk(w->r->req, w->pending); /* e.g. the ERROR event before the end */
	/* With the connection gone, evhttp detached the request; this frees it either way. */
	evhttp_send_reply_end(w->r->req);
	watcher_free(w);
}

static void watcher_end(watcher_t *w)
{
	if (w->ended)
		return;
	w->ended = true;
	store_unwatch(w->sw);
	w->sw = NULL;
	event_active(w->end_ev, 0, 0);
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
	watcher_t *w = arg;

	w->conn = NULL;
	watcher_end(w);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	watcher_end(arg);
}

/* Sends what accumulated since the last flush as one HTTP chunk: a group commit of N writes becomes
 * one TLS record per watcher instead of N. */
static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	watcher_t *w = arg;
	struct bufferevent *bev;

	if (w->ended || evbuffer_get_length(w->pending) == 0)
		return;
	bev = w->conn ? evhttp_connection_get_bufferevent(w->conn) : NULL;
	if (bev && evbuffer_get_length(bufferevent_get_output(bev)) > WATCH_MAX_BUFFERED) {
		log_warn("watch of %s: client too slow, closing", w->r->res->plural);
		watcher_end(w);
		return;
	}
	evhttp_send_reply_chunk(w->r->req, w->pending);
}

static void send_chunk(watcher_t *w, struct evbuffer *buf)
{
	if (w->ended)
		return;
	if (evbuffer_get_length(w->pending) == 0)
		event_active(w->flush_ev, 0, 0);
	evbuffer_add_buffer(w->pending, buf);
}

static void send_json_event(watcher_t *w, const char *type, json_t *obj /* stolen */)
{
	json_t *ev = json_pack("{s:s, s:o}", "type", type, "object", obj);
	char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	struct evbuffer *buf = evbuffer_new();

	json_decref(ev);
	if (text && buf) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
		send_chunk(w, buf);
	}
	free(text);
	if (buf)
		evbuffer_free(buf);
}

static void send_object_event(watcher_t *w, const char *type, const store_val_t *val, json_t *parsed)
{
	if (w->table) {
		json_t *obj = parsed ? json_incref(parsed) : json_loadb(val->data, val->len, 0, NULL);
		json_t *rows = json_array(), *row;
		const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
		if (!obj || !rows) {
			json_decref(obj);
			json_decref(rows);
			return;
		}
		row = table_row(w->r->res, obj, time(NULL), (enum table_include)w->r->include);
		if (row)
			json_array_append_new(rows, row);
		send_json_event(w, type, table_new(w->r->res, rows, rv ? rv : "", NULL, -1, !w->columns_sent));
		w->columns_sent = true;
		json_decref(obj);
		return;
	}
	/* The stored bytes go out as they are: no parse, no re-encode. */
	{
		struct evbuffer *buf = evbuffer_new();
		if (!buf)
			return;
		evbuffer_add_printf(buf, "{\"type\":\"%s\",\"object\":", type);
		evbuffer_add(buf, val->data, val->len);
		evbuffer_add(buf, "}\n", 2);
		send_chunk(w, buf);
		evbuffer_free(buf);
	}
}

static bool obj_matches(watcher_t *w, const json_t *obj)
{
	if (!obj)
		return false;
	if (w->lsel && !label_selector_match(w->lsel, json_object_get(json_object_get(obj, "metadata"), "labels")))
		return false;
	if (w->fsel && !field_selector_match(w->fsel, w->r->res->plural, obj))
		return false;
	return true;
}

static void on_event(const store_event_t *ev, void *ud)
{
	watcher_t *w = ud;
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED" };

	if (w->ended)
		return;
	w->last_rev = ev->rev;
	if (!w->lsel && !w->fsel) {
		send_object_event(w, names[ev->type], ev->val, NULL);
		return;
	}
	{
		/* With a selector, an object entering or leaving the selection is an ADDED or DELETED to
		 * this watcher, as upstream's cacher reports it. */
		json_t *cur = json_loadb(ev->val->data, ev->val->len, 0, NULL);
		json_t *prev = ev->prev ? json_loadb(ev->prev->data, ev->prev->len, 0, NULL) : NULL;
		bool now = obj_matches(w, cur), before = ev->type != STORE_EV_ADDED && obj_matches(w, prev);
		const char *type = NULL;

		if (ev->type == STORE_EV_DELETED)
			type = before ? "DELETED" : NULL;
		else if (now && before)
			type = "MODIFIED";
		else if (now)
			type = "ADDED";
		else if (before)
			type = "DELETED";
		if (type)
			send_object_event(w, type, ev->val, cur);
		json_decref(cur);
		json_decref(prev);
	}
}

static void send_bookmark(watcher_t *w, bool initial_end)
{
	char rv[24];
	json_t *obj;

	snprintf(rv, sizeof(rv), "%" PRId64, w->last_rev);
	obj = json_pack("{s:s, s:s, s:{s:s}}", "kind", w->r->res->kind, "apiVersion",
			k8s_resource_api_version(w->r->res), "metadata", "resourceVersion", rv);
	if (obj && initial_end)
		json_object_set_new(json_object_get(obj, "metadata"), "annotations",
				    json_pack("{s:s}", "k8s.io/initial-events-end", "true"));
	if (obj)
		send_json_event(w, "BOOKMARK", obj);
}

static void on_bookmark(evutil_socket_t fd, short what, void *arg)
{
	send_bookmark(arg, false);
}

static int initial_item(const store_kv_t *kv, void *ud)
{
	watcher_t *w = ud;

	if (w->lsel || w->fsel) {
		json_t *obj = json_loadb(kv->val->data, kv->val->len, 0, NULL);
		if (obj_matches(w, obj))
			send_object_event(w, "ADDED", kv->val, obj);
		json_decref(obj);
	} else {
		send_object_event(w, "ADDED", kv->val, NULL);
	}
	return w->ended ? 1 : 0;
}

static int parse_rv(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

void watch_handle(api_req_t *r, int64_t from_rev, bool synthetic_added)
{
	api_server_t *srv = r->srv;
	const char *rvs = api_query(r, "resourceVersion"), *ls = api_query(r, "labelSelector"),
		   *fs = api_query(r, "fieldSelector"), *ts = api_query(r, "timeoutSeconds"),
		   *bm = api_query(r, "allowWatchBookmarks"), *sie = api_query(r, "sendInitialEvents");
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	char *addr = NULL, *err = NULL, *prefix;
	ev_uint16_t port;
	long long timeout = WATCH_DEFAULT_TIMEOUT;
	bool initial = synthetic_added, bookmarks = bm && strcmp(bm, "true") == 0;
	bool initial_end = sie && strcmp(sie, "true") == 0;
	watcher_t *w;
	int rc;

	w = calloc(1, sizeof(*w));
	if (!w) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	w->r = r;
	w->table = r->want_table;
	if (ls && *ls && label_selector_parse(ls, &w->lsel, &err) < 0)
		goto bad_selector;
	if (fs && *fs && (field_selector_parse(fs, &w->fsel, &err) < 0 ||
			  field_selector_validate(w->fsel, r->res->plural, &err) < 0))
		goto bad_selector;
	if (ts && *ts) {
		char *end;
		errno = 0;
		timeout = strtoll(ts, &end, 10);
		if (errno || *end || timeout < 0) {
			api_reply_status(r, status_bad_request("invalid timeoutSeconds parameter"));
			goto fail;
		}
		if (timeout == 0)
			timeout = WATCH_DEFAULT_TIMEOUT;
	}
	if (rvs && *rvs && strcmp(rvs, "0") != 0) {
		if (parse_rv(rvs, &from_rev) < 0) {
			api_reply_status(r, status_bad_request("invalid resourceVersion parameter"));
			goto fail;
		}
		initial = initial_end; /* an explicit revision: only changes after it (unless asked) */
	} else {
		from_rev = store_rev(srv->store);
	}
	w->end_ev = event_new(srv->base, -1, 0, end_cb, w);
	w->flush_ev = event_new(srv->base, -1, 0, flush_cb, w);
	w->pending = evbuffer_new();
	w->timeout_ev = evtimer_new(srv->base, on_timeout, w);
	if (bookmarks && !w->table)
		w->bookmark_ev = event_new(srv->base, -1, EV_PERSIST, on_bookmark, w);
	if (!w->end_ev || !w->flush_ev || !w->pending || !w->timeout_ev ||
	    (bookmarks && !w->table && !w->bookmark_ev)) {
		api_reply_status(r, status_internal("out of memory"));
		goto fail;
	}
	w->conn = evhttp_request_get_connection(r->req);
	if (w->conn) {
		evhttp_connection_get_peer(w->conn, &addr, &port);
		w->client = client_get(srv, addr ? addr : "?");
	}
	if (!w->client) {
		api_reply_status(r, status_internal("out of memory"));
		goto fail;
	}
	if (w->client->n >= API_MAX_WATCHES_PER_CLIENT) {
		/* upstream has no per-client limit; 429 is its answer to overload (max-in-flight) */
		w->client->n++;
		client_put(srv, w->client);
		api_reply_status(r, status_too_many("too many watches from this client"));
		goto fail;
	}
	w->client->n++;
	srv->watches++;
	w->next = srv->watchers;
	if (w->next)
		w->next->prev = w;
	srv->watchers = w;
	evhttp_add_header(h, "Content-Type",
			  w->table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json");
	evhttp_add_header(h, "Cache-Control", "no-cache, private");
	evhttp_send_reply_start(r->req, 200, "OK");
	/* The connection lives as long as the watch: its read/write timeouts must not end it. */
	evhttp_connection_set_timeout(w->conn, (int)(timeout + 60));
	evhttp_connection_set_closecb(w->conn, on_close, w);
	{
		struct timeval tv = { .tv_sec = timeout };
		evtimer_add(w->timeout_ev, &tv);
	}
	if (w->bookmark_ev) {
		struct timeval tv = { .tv_sec = WATCH_BOOKMARK_INTERVAL };
		event_add(w->bookmark_ev, &tv);
	}
	w->last_rev = from_rev;
	prefix = rest_key(r->res, r->ns, NULL);
	if (!prefix) {
		watcher_end(w);
		return;
	}
	if (initial) {
		/* Synthetic ADDED events for the state at from_rev, then the changes after it. */
		rc = store_list(srv->store, prefix, NULL, from_rev, initial_item, w);
		if (rc == 0 && initial_end)
			send_bookmark(w, true);
	}
	rc = store_watch(srv->store, prefix, from_rev, on_event, w, &w->sw);
	free(prefix);
	if (rc == STORE_E_COMPACTED) {
		char msg[128];
		snprintf(msg, sizeof(msg), "too old resource version: %" PRId64 " (%" PRId64 ")", from_rev,
			 store_oldest_rev(srv->store) - 1);
		send_json_event(w, "ERROR", status_gone(msg));
		watcher_end(w);
	} else if (rc < 0) {
		send_json_event(w, "ERROR", status_internal(strerror(-rc)));
		watcher_end(w);
	}
	return;
bad_selector:
	api_reply_status(r, status_bad_request(err ? err : "invalid selector"));
	free(err);
fail:
	if (w->end_ev)
		event_free(w->end_ev);
	if (w->flush_ev)
		event_free(w->flush_ev);
	if (w->pending)
		evbuffer_free(w->pending);
	if (w->timeout_ev)
		event_free(w->timeout_ev);
	if (w->bookmark_ev)
		event_free(w->bookmark_ev);
	selector_free(w->lsel);
	selector_free(w->fsel);
	free(w);
}

void watch_close_all(api_server_t *srv)
{
	while (srv->watchers) {
		watcher_t *w = srv->watchers;
		if (w->conn)
			evhttp_connection_set_closecb(w->conn, NULL, NULL);
		w->r->req = NULL; /* owned by its connection, which evhttp_free() frees */
		watcher_free(w);
	}
}
