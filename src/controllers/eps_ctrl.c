/* The EndpointSlice controller's loop: informers feed a work queue of Service keys; a sync computes
 * the plan (eps_reconcile) and sends its writes, finishing the key when every write has answered.
 *
 * Stale caches: after writing, our informers may not have seen our own writes when the key comes
 * round again, and acting on the old cache would create duplicate slices (upstream's
 * EndpointSliceTracker exists for this). Portico's resourceVersions are one global, increasing
 * revision, so we remember the highest revision we wrote per Service and the slices we deleted, and
 * postpone a sync until the informers have reached that revision and stopped holding those slices.
 *
 * Finding work without scans (the Pod informer is the controller manager's shared one): Pods are
 * indexed by label pair "ns/key=value" and Services by selector pair, so a Pod event looks up only
 * the Services whose selector pairs it carries (counting hits per Service: all pairs hit, it
 * matches), and a Service sync reads only the Pods carrying its rarest selector pair. A Service
 * selector is a plain map (SelectorFromValidatedSet), so pair equality is the whole match.
 *
 * No garbage collector yet: slices carry an ownerReference to their Service, but when a Service is
 * gone this controller deletes its managed slices (and its Endpoints) itself, as upstream's
 * endpoints controller does for Endpoints. */
#include "controllers/eps_ctrl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/eps_reconcile.h"
#include "core/log.h"

#define EPS_PARALLEL 5
#define EPS_SLICES_PATH "/apis/discovery.k8s.io/v1/endpointslices"
#define EPS_STALE_RETRY_MS 50
#define EPS_WAIT_SYNC_MS 100
#define EPS_IDX_POD_LABEL "eps-label"   /* on the shared Pod informer: "ns/key=value" per label */
#define EPS_IDX_SVC_SELECTOR "eps-sel"  /* on our Service informer: "ns/key=value" per selector pair */
/* ns (63) + key (253 prefix + 63 name) + value (63) as the API server validates them, with room */
#define EPS_PAIR_MAX 1024

typedef struct eps_sync eps_sync_t;

typedef struct eps_op {
	eps_sync_t *s;
	kclient_req_t *req;
	char *name;   /* slice name for deletes, NULL otherwise */
	bool is_endpoints, is_delete;
	struct eps_op *next;
} eps_op_t;

struct eps_sync {
	eps_ctrl_t *e;
	char *key;
	int pending, err;
	long long max_slice_rv, max_ep_rv;
	json_t *deleted; /* slice names */
	eps_op_t *ops;
	eps_sync_t *next, *prev;
};

struct eps_ctrl {
	kclient_t *c;
	informer_t *svcs, *slices, *eps;
	informer_t *pods; /* the controller manager's shared Pod informer, borrowed */
	workqueue_t *q;
	json_t *tracker;  /* service key -> {"slices_rv": n, "ep_rv": n, "deleted": {name: true}, "waiting": true
			   * once a sync was postponed for it} */
	json_t *triggers; /* service key -> trigger time of the first change not yet synced */
	eps_sync_t *syncs;
	unsigned long nsyncs;
};

static const char *meta(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

static long long rv_num(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	v = strtoll(s, &end, 10);
	return *end ? -1 : v;
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", tmp, ts.tv_nsec);
}

/* ---- event handlers ---- */

static void enqueue(eps_ctrl_t *e, const char *key, bool changed)
{
	if (changed && !json_object_get(e->triggers, key)) {
		char t[48];
		now_rfc3339(t, sizeof(t));
		json_object_set_new(e->triggers, key, json_string(t));
	}
	workqueue_add(e->q, key);
}

static void svc_changed(informer_t *inf, const json_t *obj, void *arg)
{
	char *key = informer_key_of(obj);

	if (key)
		enqueue(arg, key, true);
	free(key);
}

static void svc_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	svc_changed(inf, obj, arg);
}

/* "ns/key=value" into buf; false when it does not fit (never for validated objects). */
static bool pair_key(char *buf, size_t len, const char *ns, const char *k, const char *v)
{
	int n = snprintf(buf, len, "%s/%s=%s", ns ? ns : "", k, v);
	return n >= 0 && (size_t)n < len;
}

static void index_pairs(const json_t *obj, const json_t *map, json_t *ret_values)
{
	const char *ns = meta(obj, "namespace"), *k;
	const json_t *v;
	char pair[EPS_PAIR_MAX];

	json_object_foreach((json_t *)map, k, v) {
		const char *s = json_string_value(v);
		if (s && pair_key(pair, sizeof(pair), ns, k, s))
			json_array_append_new(ret_values, json_string(pair));
	}
}

void eps_index_pod_labels(const json_t *pod, json_t *ret_values, void *arg)
{
	index_pairs(pod, json_object_get(json_object_get(pod, "metadata"), "labels"), ret_values);
}

void eps_index_service_selector(const json_t *svc, json_t *ret_values, void *arg)
{
	if (eps_service_has_selector(svc))
		index_pairs(svc, json_object_get(json_object_get(svc, "spec"), "selector"), ret_values);
}

bool eps_selector_matches(const json_t *selector, const json_t *labels)
{
	const char *k;
	const json_t *v;

	if (!json_is_object(selector) || json_object_size(selector) == 0)
		return false;
	json_object_foreach((json_t *)selector, k, v) {
		const char *want = json_string_value(v), *have = json_string_value(json_object_get(labels, k));
		if (!want || !have || strcmp(want, have) != 0)
			return false;
	}
	return true;
}

/* Calls fn for every Service whose selector the pod's labels satisfy: the Services indexed under one
 * of the pod's label pairs, counting the pairs that hit; a Service hit by all of its pairs matches. */
static int services_of_pod(const informer_t *svcs, const json_t *pod, void (*fn)(const char *key, void *arg),
			   void *arg)
{
	const char *ns = meta(pod, "namespace"), *lk, *sk;
	const json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels"), *lv, *t;
	json_t *hits = NULL; /* service key -> pairs hit so far, for selectors of more than one pair */
	char pair[EPS_PAIR_MAX];

	json_object_foreach((json_t *)labels, lk, lv) {
		const json_t *keys;
		if (!json_is_string(lv) || !pair_key(pair, sizeof(pair), ns, lk, json_string_value(lv)))
			continue;
		keys = informer_index_keys(svcs, EPS_IDX_SVC_SELECTOR, pair);
		json_object_foreach((json_t *)keys, sk, t) {
			const json_t *svc = informer_get(svcs, sk);
			size_t need = json_object_size(json_object_get(json_object_get(svc, "spec"), "selector"));
			json_int_t n;
			if (need <= 1) {
				fn(sk, arg);
				continue;
			}
			if (!hits && !(hits = json_object()))
				return -ENOMEM;
			n = json_integer_value(json_object_get(hits, sk)) + 1;
			if ((size_t)n == need)
				fn(sk, arg);
			else
				json_object_set_new(hits, sk, json_integer(n));
		}
	}
	json_decref(hits);
	return 0;
}

static void enqueue_changed(const char *key, void *arg)
{
	enqueue(arg, key, true);
}

static void enqueue_services_of(eps_ctrl_t *e, const json_t *pod)
{
	services_of_pod(e->svcs, pod, enqueue_changed, e);
}

static void add_key(const char *key, void *arg)
{
	json_object_set_new(arg, key, json_true());
}

int eps_services_of_pod(const informer_t *svcs, const json_t *pod, json_t *ret_keys)
{
	return services_of_pod(svcs, pod, add_key, ret_keys);
}

int eps_add_indexes(informer_t *svcs, informer_t *pods)
{
	int rc = 0;

	if (svcs)
		rc = informer_add_index(svcs, EPS_IDX_SVC_SELECTOR, eps_index_service_selector, NULL);
	if (rc >= 0 && pods)
		rc = informer_add_index(pods, EPS_IDX_POD_LABEL, eps_index_pod_labels, NULL);
	return rc;
}

static void pod_added(informer_t *inf, const json_t *obj, void *arg)
{
	enqueue_services_of(arg, obj);
}

static void pod_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	if (!json_equal(json_object_get(json_object_get(old, "metadata"), "labels"),
			json_object_get(json_object_get(obj, "metadata"), "labels")))
		enqueue_services_of(arg, old);
	enqueue_services_of(arg, obj);
}

static void slice_service_key(const json_t *slice, void (*fn)(eps_ctrl_t *, const char *), eps_ctrl_t *e)
{
	const char *ns = meta(slice, "namespace"),
		   *svc = json_string_value(json_object_get(json_object_get(json_object_get(slice, "metadata"), "labels"),
							    EPS_LABEL_SERVICE_NAME));
	char *key;

	if (!ns || !svc || !*svc || asprintf(&key, "%s/%s", ns, svc) < 0)
		return;
	fn(e, key);
	free(key);
}

static void enqueue_plain(eps_ctrl_t *e, const char *key)
{
	enqueue(e, key, false);
}

static void slice_changed(informer_t *inf, const json_t *obj, void *arg)
{
	slice_service_key(obj, enqueue_plain, arg);
}

static void slice_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	slice_service_key(obj, enqueue_plain, arg);
}

static void ep_deleted(informer_t *inf, const json_t *obj, void *arg)
{
	char *key = informer_key_of(obj);

	if (key)
		enqueue(arg, key, false);
	free(key);
}

/* Our own Endpoints write arriving: a sync postponed until the cache holds it can go now rather
 * than at its retry timer (slice events enqueue the Service anyway). */
static void ep_written(informer_t *inf, const json_t *obj, void *arg)
{
	eps_ctrl_t *e = arg;
	char *key = informer_key_of(obj);

	if (key && json_is_true(json_object_get(json_object_get(e->tracker, key), "waiting")))
		enqueue(e, key, false);
	free(key);
}

static void ep_written_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	ep_written(inf, obj, arg);
}

static void index_slice_service(const json_t *obj, json_t *ret_values, void *arg)
{
	const char *ns = meta(obj, "namespace"),
		   *svc = json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"),
							    EPS_LABEL_SERVICE_NAME));
	char *key;

	if (!ns || !svc || asprintf(&key, "%s/%s", ns, svc) < 0)
		return;
	json_array_append_new(ret_values, json_string(key));
	free(key);
}

/* ---- the sync ---- */

static void sync_free(eps_sync_t *s)
{
	eps_op_t *op;

	if (!s)
		return;
	while ((op = s->ops)) {
		s->ops = op->next;
		kclient_cancel(op->req);
		free(op->name);
		free(op);
	}
	if (s->prev)
		s->prev->next = s->next;
	else if (s->e->syncs == s)
		s->e->syncs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	json_decref(s->deleted);
	free(s->key);
	free(s);
}

/* Ends the sync when its last write has answered: remember what we wrote, finish the key. */
static void sync_release(eps_sync_t *s)
{
	eps_ctrl_t *e = s->e;
	char *key = s->key;
	int err = s->err;

	if (--s->pending > 0)
		return;
	if (s->max_slice_rv > 0 || s->max_ep_rv > 0 || json_object_size(s->deleted) > 0) {
		json_t *t = json_pack("{s:I, s:I, s:O}", "slices_rv", (json_int_t)s->max_slice_rv, "ep_rv",
				      (json_int_t)s->max_ep_rv, "deleted", s->deleted);
		if (t)
			json_object_set_new(e->tracker, key, t);
	}
	if (err == 0)
		json_object_del(e->triggers, key);
	else
		log_warn("endpointslice: sync of service %s failed (%s); will retry", key, strerror(-err));
	e->nsyncs++;
	s->key = NULL;
	sync_free(s);
	workqueue_done(e->q, key, err); /* err < 0: back again after the key's back-off */
	free(key);
}

static void op_done(int status, json_t *body, void *arg)
{
	eps_op_t *op = arg;
	eps_sync_t *s = op->s;
	long long rv = rv_num(meta(body, "resourceVersion"));

	op->req = NULL;
	if (status >= 200 && status < 300) {
		if (op->name) {
			json_object_set_new(s->deleted, op->name, json_true());
		} else if (op->is_endpoints) {
			if (rv > s->max_ep_rv)
				s->max_ep_rv = rv;
		} else if (rv > s->max_slice_rv) {
			s->max_slice_rv = rv;
		}
	} else if (status == 404 && op->is_delete) {
		if (op->name) /* already gone: fine */
			json_object_set_new(s->deleted, op->name, json_true());
	} else {
		/* 409 Conflict (our cache was behind) and the rest: retry with back-off */
		log_debug("endpointslice: %s: write answered %d", s->key, status);
		s->err = status < 0 ? status : -EIO;
	}
	sync_release(s);
}

static int op_send(eps_sync_t *s, const char *method, const char *path, const json_t *body, const char *del_name,
		   bool is_endpoints)
{
	eps_op_t *op = calloc(1, sizeof(*op));
	int rc;

	if (!op)
		return -ENOMEM;
	op->s = s;
	op->is_endpoints = is_endpoints;
	op->is_delete = strcmp(method, "DELETE") == 0;
	if (del_name && !(op->name = strdup(del_name))) {
		free(op);
		return -ENOMEM;
	}
	op->next = s->ops;
	s->ops = op;
	s->pending++;
	rc = kclient_request(s->e->c, method, path, body, NULL, op_done, op, &op->req);
	if (rc < 0) {
		op->req = NULL;
		s->pending--;
		s->err = rc;
	}
	return rc;
}

/* Has the cache caught up with what we last wrote for key? */
static bool cache_fresh(eps_ctrl_t *e, const char *key)
{
	json_t *t = json_object_get(e->tracker, key), *v;
	const char *name;
	const char *slash = strchr(key, '/');

	if (!t)
		return true;
	if (rv_num(informer_resource_version(e->slices)) < json_integer_value(json_object_get(t, "slices_rv")) ||
	    rv_num(informer_resource_version(e->eps)) < json_integer_value(json_object_get(t, "ep_rv")))
		goto stale;
	json_object_foreach(json_object_get(t, "deleted"), name, v) {
		char *skey;
		bool present;
		if (!slash || asprintf(&skey, "%.*s/%s", (int)(slash - key), key, name) < 0)
			continue;
		present = informer_get(e->slices, skey) != NULL;
		free(skey);
		if (present)
			goto stale;
	}
	json_object_del(e->tracker, key);
	return true;
stale:
	json_object_set_new(t, "waiting", json_true());
	return false;
}

/* The Pods svc selects: those carrying its rarest selector pair, then the full match. */
json_t *eps_pods_of_service(const informer_t *pods, const json_t *svc)
{
	const char *ns = meta(svc, "namespace"), *k;
	const json_t *sel = json_object_get(json_object_get(svc, "spec"), "selector"), *v, *best = NULL;
	size_t best_n = (size_t)-1;
	json_t *out = json_array();
	char pair[EPS_PAIR_MAX];

	if (!out)
		return NULL;
	json_object_foreach((json_t *)sel, k, v) {
		const json_t *keys;
		size_t n;
		if (!json_is_string(v) || !pair_key(pair, sizeof(pair), ns, k, json_string_value(v)))
			return out; /* cannot match anything (the API server validates selectors) */
		keys = informer_index_keys(pods, EPS_IDX_POD_LABEL, pair);
		n = json_object_size(keys);
		if (n == 0)
			return out;
		if (n < best_n) {
			best = keys;
			best_n = n;
		}
	}
	json_object_foreach((json_t *)best, k, v) {
		const json_t *pod = informer_get(pods, k);
		if (pod && eps_selector_matches(sel, json_object_get(json_object_get(pod, "metadata"), "labels")))
			json_array_append(out, (json_t *)pod);
	}
	return out;
}

static json_t *service_slices(eps_ctrl_t *e, const char *key)
{
	const json_t *keys = informer_index_keys(e->slices, "svc", key), *v;
	json_t *out = json_array();
	const char *k;

	json_object_foreach((json_t *)keys, k, v) {
		const json_t *s = informer_get(e->slices, k);
		if (s && out)
			json_array_append(out, (json_t *)s);
	}
	return out;
}

static void sync_service(workqueue_t *q, const char *key, void *arg)
{
	eps_ctrl_t *e = arg;
	const json_t *svc;
	json_t *slices = NULL, *pods = NULL, *want_ep = NULL, *s;
	const json_t *have_ep;
	eps_plan_t plan = { 0 };
	eps_sync_t *sy;
	char *ns = NULL, *name = NULL, path[1024];
	const char *slash = strchr(key, '/');
	size_t i;
	int rc = -ENOMEM;

	if (!slash) {
		workqueue_done(q, key, 0);
		return;
	}
	if (!informer_has_synced(e->svcs) || !informer_has_synced(e->pods) || !informer_has_synced(e->slices) ||
	    !informer_has_synced(e->eps) || !cache_fresh(e, key)) {
		workqueue_done(q, key, 0);
		workqueue_add_after(q, key, informer_has_synced(e->eps) ? EPS_STALE_RETRY_MS : EPS_WAIT_SYNC_MS);
		return;
	}
	sy = calloc(1, sizeof(*sy));
	if (!sy) {
		workqueue_done(q, key, -ENOMEM);
		return;
	}
	sy->e = e;
	sy->key = strdup(key);
	sy->deleted = json_object();
	if (!sy->key || !sy->deleted) {
		json_decref(sy->deleted);
		free(sy->key);
		free(sy);
		workqueue_done(q, key, -ENOMEM);
		return;
	}
	/* pending stays >= 1 while ops are being sent, so no answer can finish the sync early */
	sy->pending = 1;
	sy->next = e->syncs;
	if (e->syncs)
		e->syncs->prev = sy;
	e->syncs = sy;
	ns = strndup(key, (size_t)(slash - key));
	name = strdup(slash + 1);
	slices = service_slices(e, key);
	if (!ns || !name || !slices)
		goto fail;
	svc = informer_get(e->svcs, key);
	have_ep = informer_get(e->eps, key);
	if (!svc) {
		/* gone: its managed slices and its Endpoints go too (no garbage collector yet) */
		json_array_foreach(slices, i, s) {
			snprintf(path, sizeof(path), "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", ns,
				 meta(s, "name"));
			op_send(sy, "DELETE", path, NULL, meta(s, "name"), false);
		}
		if (have_ep) {
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/endpoints/%s", ns, name);
			op_send(sy, "DELETE", path, NULL, NULL, true);
		}
	} else if (eps_service_has_selector(svc)) {
		const char *trig = json_string_value(json_object_get(e->triggers, key));
		pods = eps_pods_of_service(e->pods, svc);
		if (!pods || eps_reconcile(svc, pods, slices, trig, 0, &plan) < 0)
			goto fail;
		snprintf(path, sizeof(path), "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ns);
		json_array_foreach(plan.create, i, s)
			op_send(sy, "POST", path, s, NULL, false);
		json_array_foreach(plan.update, i, s) {
			snprintf(path, sizeof(path), "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", ns,
				 meta(s, "name"));
			op_send(sy, "PUT", path, s, NULL, false);
		}
		json_array_foreach(plan.remove, i, s) {
			snprintf(path, sizeof(path), "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", ns,
				 meta(s, "name"));
			op_send(sy, "DELETE", path, NULL, meta(s, "name"), false);
		}
		want_ep = eps_endpoints_desired(svc, pods, trig);
		if (!want_ep)
			goto fail;
		if (!have_ep) {
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/endpoints", ns);
			op_send(sy, "POST", path, want_ep, NULL, true);
		} else if (!eps_endpoints_equal(have_ep, want_ep)) {
			/* keep the stored metadata (uid, resourceVersion for the conflict check, other annotations) */
			json_t *upd = json_deep_copy(have_ep), *md = upd ? json_object_get(upd, "metadata") : NULL;
			json_t *ann = json_object_get(md, "annotations");
			if (!upd)
				goto fail;
			json_object_set(md, "labels", json_object_get(json_object_get(want_ep, "metadata"), "labels"));
			if (trig) {
				if (!json_is_object(ann)) {
					ann = json_object();
					json_object_set_new(md, "annotations", ann);
				}
				json_object_set_new(ann, EPS_ANNOT_TRIGGER, json_string(trig));
			} else if (json_is_object(ann)) {
				json_object_del(ann, EPS_ANNOT_TRIGGER);
			}
			if (json_object_get(want_ep, "subsets"))
				json_object_set(upd, "subsets", json_object_get(want_ep, "subsets"));
			else
				json_object_del(upd, "subsets");
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/endpoints/%s", ns, name);
			op_send(sy, "PUT", path, upd, NULL, true);
			json_decref(upd);
		}
	}
	/* else: a Service without a selector; its slices and Endpoints belong to the user */
	rc = 0;
fail:
	if (rc < 0 && sy->err == 0)
		sy->err = rc;
	eps_plan_clear(&plan);
	json_decref(want_ep);
	json_decref(pods);
	json_decref(slices);
	free(ns);
	free(name);
	sync_release(sy); /* the guard taken above */
}

unsigned long eps_ctrl_syncs(const eps_ctrl_t *e)
{
	return e->nsyncs;
}

int eps_ctrl_new(kclient_t *c, informer_t *pods, eps_ctrl_t **ret)
{
	eps_ctrl_t *e = calloc(1, sizeof(*e));
	informer_handlers_t hs = { svc_changed, svc_updated, svc_changed, NULL };
	informer_handlers_t hp = { pod_added, pod_updated, pod_added, NULL };
	informer_handlers_t hsl = { slice_changed, slice_updated, slice_changed, NULL };
	informer_handlers_t he = { ep_written, ep_written_update, ep_deleted, NULL };
	int rc = -ENOMEM;

	if (!e)
		return -ENOMEM;
	e->c = c;
	e->pods = pods;
	e->tracker = json_object();
	e->triggers = json_object();
	if (!e->tracker || !e->triggers)
		goto fail;
	hs.arg = hp.arg = hsl.arg = he.arg = e;
	if ((rc = workqueue_new(kclient_base(c), EPS_PARALLEL, sync_service, e, &e->q)) < 0 ||
	    (rc = informer_new(c, "/api/v1/services", NULL, &e->svcs)) < 0 ||
	    (rc = informer_new(c, EPS_SLICES_PATH, EPS_LABEL_MANAGED_BY "=" EPS_CONTROLLER_NAME, &e->slices)) < 0 ||
	    (rc = informer_new(c, "/api/v1/endpoints", NULL, &e->eps)) < 0)
		goto fail;
	/* the shared Pod informer last: a failure before its handler is added leaves nothing of ours on
	 * it but the (stateless) index */
	if ((rc = eps_add_indexes(e->svcs, NULL)) < 0 ||
	    (rc = informer_add_index(e->slices, "svc", index_slice_service, NULL)) < 0 ||
	    (rc = informer_add_handlers(e->svcs, &hs)) < 0 || (rc = informer_add_handlers(e->slices, &hsl)) < 0 ||
	    (rc = informer_add_handlers(e->eps, &he)) < 0 || (rc = eps_add_indexes(NULL, e->pods)) < 0 ||
	    (rc = informer_add_handlers(e->pods, &hp)) < 0)
		goto fail;
	informer_start(e->svcs); /* the Pod informer is started by its owner */
	informer_start(e->slices);
	informer_start(e->eps);
	*ret = e;
	return 0;
fail:
	eps_ctrl_free(e);
	return rc;
}

void eps_ctrl_free(eps_ctrl_t *e)
{
	if (!e)
		return;
	while (e->syncs) {
		eps_sync_t *s = e->syncs;
		workqueue_done(e->q, s->key, 0);
		sync_free(s);
	}
	informer_free(e->svcs); /* e->pods is borrowed */
	informer_free(e->slices);
	informer_free(e->eps);
	workqueue_free(e->q);
	json_decref(e->tracker);
	json_decref(e->triggers);
	free(e);
}
