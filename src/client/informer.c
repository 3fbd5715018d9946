/* The informer: list, then watch from the list's resourceVersion, keeping a cache and indexes.
 * The cache is a jansson object (a hash table) of immutable objects; indexes map an index value to
 * the set of keys that carry it. Semantics follow client-go's reflector (tools/cache/reflector.go):
 * bookmarks only advance the resourceVersion; a 410 Expired means the server's history no longer
 * reaches ours, so relist and replace the cache, reporting the differences as events. */
#include "client/informer.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define INF_MAX_HANDLERS 16
#define INF_MAX_INDEXES  16
#define INF_BACKOFF_MIN_MS 1000
#define INF_BACKOFF_MAX_MS 30000
#define INF_PAGE 500 /* items per list page: client-go's pager uses 500 too */

typedef struct inf_index {
	char *name;
	informer_index_fn fn;
	void *arg;
	json_t *map; /* value -> {key: true} */
} inf_index_t;

struct informer {
	kclient_t *c;
	char *path;
	char *query; /* "labelSelector=..&fieldSelector=.." already URL-escaped, or NULL */
	informer_handlers_t h[INF_MAX_HANDLERS];
	int nh;
	inf_index_t idx[INF_MAX_INDEXES];
	int nidx;
	json_t *cache; /* key -> object (as the transform returned it) */
	informer_transform_fn transform;
	void *transform_arg;
	json_t *seen;   /* the list in progress: keys kept so far (the rest go stale at its end) */
	char *cont;     /* its continue token for the next page, or NULL */
	char *rv;
	bool synced, started;
	kclient_req_t *req;     /* the list or watch in flight */
	struct event *retry_ev; /* back-off timer */
	bool retry_list;        /* what the timer does: list (true) or watch */
	int backoff_ms;
};

char *informer_key_of(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace")),
		   *name = json_string_value(json_object_get(md, "name"));
	char *key;

	if (!name || !*name)
		return NULL;
	if (ns && *ns) {
		if (asprintf(&key, "%s/%s", ns, name) < 0)
			return NULL;
		return key;
	}
	return strdup(name);
}

void informer_index_namespace(const json_t *obj, json_t *ret_values, void *arg)
{
	const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));

	json_array_append_new(ret_values, json_string(ns ? ns : ""));
}

static const char *obj_rv(const json_t *obj)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	return rv ? rv : "";
}

static void set_rv(informer_t *inf, const char *rv)
{
	char *dup;

	if (!rv || !*rv || (inf->rv && strcmp(inf->rv, rv) == 0))
		return;
	dup = strdup(rv);
	if (!dup)
		return;
	free(inf->rv);
	inf->rv = dup;
}

static void index_apply(informer_t *inf, const json_t *obj, const char *key, bool add)
{
	for (int i = 0; i < inf->nidx; i++) {
		inf_index_t *x = &inf->idx[i];
		json_t *vals = json_array(), *v;
		size_t j;

		if (!vals)
			continue;
		x->fn(obj, vals, x->arg);
		json_array_foreach(vals, j, v) {
			const char *s = json_string_value(v);
			json_t *set;
			if (!s)
				continue;
			set = json_object_get(x->map, s);
			if (add) {
				if (!set) {
					set = json_object();
					if (!set || json_object_set_new(x->map, s, set) < 0)
						continue;
				}
				json_object_set_new(set, key, json_true());
			} else if (set) {
				json_object_del(set, key);
				if (json_object_size(set) == 0)
					json_object_del(x->map, s);
			}
		}
		json_decref(vals);
	}
}

/* Puts obj (the cache's copy; a reference is taken) under key and tells the handlers. */
static void cache_store(informer_t *inf, const char *key, json_t *obj)
{
	json_t *old = json_incref(json_object_get(inf->cache, key));

	if (old)
		index_apply(inf, old, key, false);
	if (json_object_set(inf->cache, key, obj) < 0) {
		json_decref(old);
		return;
	}
	index_apply(inf, obj, key, true);
	for (int i = 0; i < inf->nh; i++) {
		if (old && inf->h[i].on_update)
			inf->h[i].on_update(inf, old, obj, inf->h[i].arg);
		else if (!old && inf->h[i].on_add)
			inf->h[i].on_add(inf, obj, inf->h[i].arg);
	}
	json_decref(old);
}

static void cache_delete_key(informer_t *inf, const char *key);

/* An object from the list or the watch (borrowed): through the transform into the cache, or out of
 * it when the transform drops it. only_if_changed: a relist, where an unchanged resourceVersion
 * means nothing happened (the transform is not run again). seen: the list's keys, or NULL. */
static void ingest(informer_t *inf, json_t *obj, bool only_if_changed, json_t *seen)
{
	char *key = informer_key_of(obj);
	const json_t *old;
	json_t *kept;

	if (!key)
		return;
	old = json_object_get(inf->cache, key);
	if (old && only_if_changed && strcmp(obj_rv(old), obj_rv(obj)) == 0) {
		if (seen)
			json_object_set_new(seen, key, json_true());
		free(key);
		return;
	}
	kept = inf->transform ? inf->transform(obj, inf->transform_arg) : json_incref(obj);
	if (!kept) {
		cache_delete_key(inf, key);
		free(key);
		return;
	}
	if (seen)
		json_object_set_new(seen, key, json_true());
	cache_store(inf, key, kept);
	json_decref(kept);
	free(key);
}

static void cache_delete_key(informer_t *inf, const char *key)
{
	json_t *old = json_incref(json_object_get(inf->cache, key));

	if (!old)
		return;
	index_apply(inf, old, key, false);
	json_object_del(inf->cache, key);
	for (int i = 0; i < inf->nh; i++)
		if (inf->h[i].on_delete)
			inf->h[i].on_delete(inf, old, inf->h[i].arg);
	json_decref(old);
}

static void cache_delete(informer_t *inf, const json_t *obj)
{
	char *key = informer_key_of(obj);

	if (key)
		cache_delete_key(inf, key);
	free(key);
}

static void do_list(informer_t *inf);
static void do_watch(informer_t *inf);

static void schedule_retry(informer_t *inf, bool list)
{
	struct timeval tv;

	inf->retry_list = list;
	if (inf->backoff_ms < INF_BACKOFF_MIN_MS)
		inf->backoff_ms = INF_BACKOFF_MIN_MS;
	tv.tv_sec = inf->backoff_ms / 1000;
	tv.tv_usec = (inf->backoff_ms % 1000) * 1000;
	evtimer_add(inf->retry_ev, &tv);
	inf->backoff_ms *= 2;
	if (inf->backoff_ms > INF_BACKOFF_MAX_MS)
		inf->backoff_ms = INF_BACKOFF_MAX_MS;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	informer_t *inf = arg;

	if (inf->retry_list || !inf->rv)
		do_list(inf);
	else
		do_watch(inf);
}

static void list_reset(informer_t *inf)
{
	json_decref(inf->seen);
	inf->seen = NULL;
	free(inf->cont);
	inf->cont = NULL;
}

static void list_page(informer_t *inf);

static void on_list(int status, json_t *body, void *arg)
{
	informer_t *inf = arg;
	json_t *items = json_object_get(body, "items"), *item, *stale;
	const json_t *md = json_object_get(body, "metadata");
	const char *key, *cont = json_string_value(json_object_get(md, "continue"));
	void *tmp;
	size_t i;

	inf->req = NULL;
	if (status == 410 && inf->cont) {
		do_list(inf); /* the snapshot behind the continue token is compacted: start over */
		return;
	}
	if (status != 200 || !json_is_array(items) || !inf->seen) {
		list_reset(inf);
		schedule_retry(inf, true);
		return;
	}
	json_array_foreach(items, i, item)
		ingest(inf, item, true, inf->seen);
	free(inf->cont);
	inf->cont = NULL;
	if (cont && *cont) {
		inf->cont = strdup(cont);
		if (!inf->cont) {
			list_reset(inf);
			schedule_retry(inf, true);
			return;
		}
		list_page(inf);
		return;
	}
	stale = json_array();
	if (!stale) {
		list_reset(inf);
		schedule_retry(inf, true);
		return;
	}
	json_object_foreach_safe(inf->cache, tmp, key, item) {
		if (!json_object_get(inf->seen, key))
			json_array_append_new(stale, json_string(key));
	}
	json_array_foreach(stale, i, item)
		cache_delete_key(inf, json_string_value(item));
	json_decref(stale);
	list_reset(inf);
	set_rv(inf, json_string_value(json_object_get(md, "resourceVersion")));
	inf->synced = true;
	inf->backoff_ms = 0;
	/* the pages' parsed trees are gone; hand the freed heap back (a big list leaves megabytes) */
	malloc_trim(0);
	do_watch(inf);
}

/* Requests the next page of the list in progress (the first when inf->cont is NULL). */
static void list_page(informer_t *inf)
{
	char *path, *esc = NULL;
	int rc;

	if (inf->cont && !(esc = kclient_query_escape(inf->cont))) {
		list_reset(inf);
		schedule_retry(inf, true);
		return;
	}
	rc = asprintf(&path, "%s?limit=%d%s%s%s%s", inf->path, INF_PAGE, esc ? "&continue=" : "", esc ? esc : "",
		      inf->query ? "&" : "", inf->query ? inf->query : "");
	free(esc);
	if (rc < 0) {
		list_reset(inf);
		schedule_retry(inf, true);
		return;
	}
	rc = kclient_request(inf->c, "GET", path, NULL, NULL, on_list, inf, &inf->req);
	free(path);
	if (rc < 0) {
		inf->req = NULL;
		list_reset(inf);
		schedule_retry(inf, true);
	}
}

/* Starts a list from its first page. */
static void do_list(informer_t *inf)
{
	list_reset(inf);
	inf->seen = json_object();
	if (!inf->seen) {
		schedule_retry(inf, true);
		return;
	}
	list_page(inf);
}

static void relist_now(informer_t *inf)
{
	kclient_cancel(inf->req);
	inf->req = NULL;
	do_list(inf);
}

void informer_relist(informer_t *inf)
{
	if (!inf->started)
		return;
	evtimer_del(inf->retry_ev);
	relist_now(inf);
}

static void on_watch_event(json_t *ev, void *arg)
{
	informer_t *inf = arg;
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");

	if (!type || !json_is_object(obj))
		return;
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		ingest(inf, obj, false, NULL);
		set_rv(inf, obj_rv(obj));
	} else if (strcmp(type, "DELETED") == 0) {
		cache_delete(inf, obj);
		set_rv(inf, obj_rv(obj));
	} else if (strcmp(type, "BOOKMARK") == 0) {
		set_rv(inf, obj_rv(obj));
	} else if (strcmp(type, "ERROR") == 0) {
		json_int_t code = json_integer_value(json_object_get(obj, "code"));
		if (code == 410) {
			relist_now(inf); /* "too old resource version": our history is gone */
		} else {
			kclient_cancel(inf->req);
			inf->req = NULL;
			schedule_retry(inf, true);
		}
	}
}

void informer_apply_event(informer_t *inf, json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));

	if (type && strcmp(type, "ERROR") != 0)
		on_watch_event(ev, inf);
}

static void on_watch_done(int status, json_t *body, void *arg)
{
	informer_t *inf = arg;

	inf->req = NULL;
	if (status == 200) {
		inf->backoff_ms = 0;
		do_watch(inf); /* the server's timeoutSeconds ran out: go on from where we are */
	} else if (status == 410) {
		do_list(inf);
	} else {
		schedule_retry(inf, false);
	}
}

static void do_watch(informer_t *inf)
{
	char *path;
	int rc, timeout = 300 + (int)(random() % 300); /* client-go: minWatchTimeout 5 min, jittered */

	if (asprintf(&path, "%s?watch=true&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d%s%s",
		     inf->path, inf->rv ? inf->rv : "", timeout, inf->query ? "&" : "", inf->query ? inf->query : "") < 0) {
		schedule_retry(inf, false);
		return;
	}
	rc = kclient_stream(inf->c, path, on_watch_event, on_watch_done, inf, &inf->req);
	free(path);
	if (rc < 0) {
		inf->req = NULL;
		schedule_retry(inf, false);
	}
}

/* Appends name=<escaped value> to the list and watch query. */
static int add_query(informer_t *inf, const char *name, const char *value)
{
	char *esc = kclient_query_escape(value), *q;
	int rc;

	if (!esc)
		return -ENOMEM;
	rc = asprintf(&q, "%s%s%s=%s", inf->query ? inf->query : "", inf->query ? "&" : "", name, esc);
	free(esc);
	if (rc < 0)
		return -ENOMEM;
	free(inf->query);
	inf->query = q;
	return 0;
}

int informer_new(kclient_t *c, const char *path, const char *selector, informer_t **ret)
{
	informer_t *inf = calloc(1, sizeof(*inf));

	if (!inf)
		return -ENOMEM;
	inf->c = c;
	inf->path = strdup(path);
	inf->cache = json_object();
	inf->retry_ev = evtimer_new(kclient_base(c), on_retry, inf);
	if (!inf->path || !inf->cache || !inf->retry_ev ||
	    (selector && *selector && add_query(inf, "labelSelector", selector) < 0)) {
		informer_free(inf);
		return -ENOMEM;
	}
	*ret = inf;
	return 0;
}

int informer_set_field_selector(informer_t *inf, const char *selector)
{
	if (inf->started)
		return -EBUSY;
	if (!selector || !*selector)
		return 0;
	return add_query(inf, "fieldSelector", selector);
}

void informer_free(informer_t *inf)
{
	if (!inf)
		return;
	kclient_cancel(inf->req);
	if (inf->retry_ev)
		event_free(inf->retry_ev);
	for (int i = 0; i < inf->nidx; i++) {
		free(inf->idx[i].name);
		json_decref(inf->idx[i].map);
	}
	json_decref(inf->cache);
	list_reset(inf);
	free(inf->path);
	free(inf->query);
	free(inf->rv);
	free(inf);
}

int informer_set_transform(informer_t *inf, informer_transform_fn fn, void *arg)
{
	if (inf->started)
		return -EBUSY;
	inf->transform = fn;
	inf->transform_arg = arg;
	return 0;
}

json_t *informer_meta_copy(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	static const char *const keep[] = { "name", "namespace", "resourceVersion" };
	json_t *out = json_object(), *m = json_object();

	if (!out || !m || json_object_set(out, "metadata", m) < 0) {
		json_decref(out);
		json_decref(m);
		return NULL;
	}
	json_decref(m);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(md, keep[i]);
		if (v && json_object_set(m, keep[i], v) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

int informer_add_handlers(informer_t *inf, const informer_handlers_t *h)
{
	if (inf->started)
		return -EBUSY;
	if (inf->nh >= INF_MAX_HANDLERS)
		return -E2BIG;
	inf->h[inf->nh++] = *h;
	return 0;
}

int informer_add_index(informer_t *inf, const char *name, informer_index_fn fn, void *arg)
{
	inf_index_t *x;

	if (inf->started)
		return -EBUSY;
	if (inf->nidx >= INF_MAX_INDEXES)
		return -E2BIG;
	for (int i = 0; i < inf->nidx; i++)
		if (strcmp(inf->idx[i].name, name) == 0)
			return -EEXIST;
	x = &inf->idx[inf->nidx];
	x->name = strdup(name);
	x->map = json_object();
	if (!x->name || !x->map) {
		free(x->name);
		json_decref(x->map);
		x->name = NULL;
		x->map = NULL;
		return -ENOMEM;
	}
	x->fn = fn;
	x->arg = arg;
	inf->nidx++;
	return 0;
}

int informer_start(informer_t *inf)
{
	if (inf->started)
		return -EBUSY;
	inf->started = true;
	do_list(inf);
	return 0;
}

bool informer_has_synced(const informer_t *inf)
{
	return inf->synced;
}

const json_t *informer_get(const informer_t *inf, const char *key)
{
	return json_object_get(inf->cache, key);
}

const json_t *informer_cache(const informer_t *inf)
{
	return inf->cache;
}

const json_t *informer_index_keys(const informer_t *inf, const char *name, const char *value)
{
	for (int i = 0; i < inf->nidx; i++)
		if (strcmp(inf->idx[i].name, name) == 0)
			return json_object_get(inf->idx[i].map, value);
	return NULL;
}

const char *informer_resource_version(const informer_t *inf)
{
	return inf->rv ? inf->rv : "";
}
