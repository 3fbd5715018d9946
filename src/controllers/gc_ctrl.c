/* The garbage collector's loop (see gc_ctrl.h). One informer per watched kind, each with two
 * indexes: "gc-uid" (the object's own) and "gc-owner" (the uids its ownerReferences name). Work items are
 * "<kind index>|<key>"; a sync looks at the object both as a dependent (are its owners alive?) and
 * as an owner (does it carry our finalizers?). An owner missing from our cache is confirmed with a
 * live GET before anything is deleted, since the informers of two kinds are not in step. */
#include "controllers/gc_ctrl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/ctrl_util.h"
#include "controllers/gc_logic.h"
#include "core/log.h"
#include "lib/resources.h"

#define GC_PARALLEL 20
#define GC_WAIT_SYNC_MS 100

static const struct gc_kind {
	const char *group, *version, *plural, *kind;
} GC_KINDS[] = {
	{ "", "v1", "pods", "Pod" },
	{ "", "v1", "services", "Service" },
	{ "", "v1", "endpoints", "Endpoints" },
	{ "", "v1", "configmaps", "ConfigMap" },
	{ "discovery.k8s.io", "v1", "endpointslices", "EndpointSlice" },
	{ "apps", "v1", "deployments", "Deployment" },
};
#define GC_NKINDS (sizeof(GC_KINDS) / sizeof(GC_KINDS[0]))

typedef struct gc_ctrl gc_ctrl_t;

typedef struct gc_watch {
	gc_ctrl_t *g;
	size_t idx;
	informer_t *inf;
} gc_watch_t;

typedef struct gc_sync gc_sync_t;

typedef struct gc_op {
	gc_sync_t *s;
	kclient_req_t *req;
	size_t ref;  /* lookups: the ownerReference index */
	bool lookup;
	struct gc_op *next;
} gc_op_t;

struct gc_sync {
	gc_ctrl_t *g;
	char *qkey;
	size_t kind;
	json_t *obj;
	gc_owner_state_t *states;
	size_t nrefs;
	int pending, err;
	bool acting; /* lookups answered, writes sent */
	gc_op_t *ops;
	gc_sync_t *next, *prev;
};

struct gc_ctrl {
	kclient_t *c;
	gc_watch_t w[GC_NKINDS];
	workqueue_t *q;
	gc_sync_t *syncs;
	bool own_pods;
};

/* ---- paths ---- */

/* "/api/v1/namespaces/ns/pods/name" for a kind of the served registry; -ENOENT when not served. */
static int obj_path(const char *api_version, const char *kind, const char *ns, const char *name, char *buf,
		    size_t len)
{
	char group[128] = "";
	const char *slash = strchr(api_version, '/'), *version = api_version;
	const k8s_resource_t *res;
	int n;

	if (slash) {
		snprintf(group, sizeof(group), "%.*s", (int)(slash - api_version), api_version);
		version = slash + 1;
	}
	res = k8s_resource_by_kind(group, kind);
	if (!res || strcmp(res->version, version) != 0 || !name)
		return -ENOENT;
	if (res->namespaced && !ns)
		return -ENOENT;
	if (*group)
		n = snprintf(buf, len, "/apis/%s/%s", group, version);
	else
		n = snprintf(buf, len, "/api/%s", version);
	if (res->namespaced)
		n += snprintf(buf + n, len - (size_t)n, "/namespaces/%s", ns);
	n += snprintf(buf + n, len - (size_t)n, "/%s/%s", res->plural, name);
	return (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static int kind_of(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < GC_NKINDS; i++) {
		char av[64];
		snprintf(av, sizeof(av), "%s%s%s", GC_KINDS[i].group, *GC_KINDS[i].group ? "/" : "", GC_KINDS[i].version);
		if (api_version && kind && strcmp(av, api_version) == 0 && strcmp(GC_KINDS[i].kind, kind) == 0)
			return (int)i;
	}
	return -1;
}

/* ---- queueing ---- */

static void enqueue(gc_ctrl_t *g, size_t kind, const char *key)
{
	char item[700];

	snprintf(item, sizeof(item), "%zu|%s", kind, key);
	workqueue_add(g->q, item);
}

static void enqueue_obj(gc_ctrl_t *g, size_t kind, const json_t *obj)
{
	char *key = informer_key_of(obj);

	if (key)
		enqueue(g, kind, key);
	free(key);
}

/* every cached object whose ownerReferences name uid */
static void enqueue_dependents(gc_ctrl_t *g, const char *uid)
{
	for (size_t i = 0; i < GC_NKINDS; i++) {
		const json_t *keys = informer_index_keys(g->w[i].inf, "gc-owner", uid), *v;
		const char *k;
		json_object_foreach((json_t *)keys, k, v)
			enqueue(g, i, k);
	}
}

/* the cached owners named by obj's ownerReferences */
static void enqueue_owners(gc_ctrl_t *g, const json_t *obj)
{
	const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *r;
	size_t i;

	json_array_foreach(refs, i, r) {
		int k = kind_of(ctrl_str(r, "apiVersion"), ctrl_str(r, "kind"));
		const json_t *keys, *v;
		const char *key;
		if (k < 0 || !ctrl_str(r, "uid"))
			continue;
		keys = informer_index_keys(g->w[k].inf, "gc-uid", ctrl_str(r, "uid"));
		json_object_foreach((json_t *)keys, key, v)
			enqueue(g, (size_t)k, key);
	}
}

static bool interesting(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");

	return json_array_size(json_object_get(md, "ownerReferences")) > 0 ||
	       (json_object_get(md, "deletionTimestamp") &&
		(gc_has_finalizer(obj, GC_FINALIZER_ORPHAN) || gc_has_finalizer(obj, GC_FINALIZER_FOREGROUND)));
}

static void on_add(informer_t *inf, const json_t *obj, void *arg)
{
	gc_watch_t *w = arg;

	if (interesting(obj))
		enqueue_obj(w->g, w->idx, obj);
}

static void on_update(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	gc_watch_t *w = arg;

	on_add(inf, obj, arg);
	/* a dependent that dropped its reference or is going away may unblock its owner */
	if (!json_equal(json_object_get(json_object_get(old, "metadata"), "ownerReferences"),
			json_object_get(json_object_get(obj, "metadata"), "ownerReferences")) ||
	    json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp"))
		enqueue_owners(w->g, old);
}

static void on_delete(informer_t *inf, const json_t *obj, void *arg)
{
	gc_watch_t *w = arg;
	const char *uid = ctrl_meta(obj, "uid");

	if (uid)
		enqueue_dependents(w->g, uid);
	enqueue_owners(w->g, obj);
}

static void index_uid(const json_t *obj, json_t *ret_values, void *arg)
{
	if (ctrl_meta(obj, "uid"))
		json_array_append_new(ret_values, json_string(ctrl_meta(obj, "uid")));
}

static void index_owner(const json_t *obj, json_t *ret_values, void *arg)
{
	const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *r;
	size_t i;

	json_array_foreach(refs, i, r)
		if (ctrl_str(r, "uid"))
			json_array_append_new(ret_values, json_string(ctrl_str(r, "uid")));
}

/* ---- the sync ---- */

static void sync_free(gc_sync_t *s)
{
	gc_op_t *op;

	while ((op = s->ops)) {
		s->ops = op->next;
		kclient_cancel(op->req);
		free(op);
	}
	if (s->prev)
		s->prev->next = s->next;
	else if (s->g->syncs == s)
		s->g->syncs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	json_decref(s->obj);
	free(s->states);
	free(s->qkey);
	free(s);
}

static void sync_act(gc_sync_t *s);

static void sync_release(gc_sync_t *s)
{
	gc_ctrl_t *g = s->g;
	char *qkey;
	int err;

	if (--s->pending > 0)
		return;
	if (!s->acting && s->err == 0) {
		s->acting = true;
		s->pending = 1;
		sync_act(s);
		if (--s->pending > 0)
			return;
	}
	qkey = s->qkey;
	err = s->err;
	s->qkey = NULL;
	if (err < 0)
		log_debug("gc: %s: %s; will retry", qkey, strerror(-err));
	sync_free(s);
	workqueue_done(g->q, qkey, err);
	free(qkey);
}

static void op_done(int status, json_t *body, void *arg)
{
	gc_op_t *op = arg;
	gc_sync_t *s = op->s;

	op->req = NULL;
	if (op->lookup) {
		const char *want = ctrl_str(json_array_get(json_object_get(json_object_get(s->obj, "metadata"),
									   "ownerReferences"),
							   op->ref),
					    "uid");
		if (status == 404 || (status == 200 && want && ctrl_meta(body, "uid") &&
				      strcmp(want, ctrl_meta(body, "uid")) != 0))
			s->states[op->ref] = GC_OWNER_ABSENT;
		else if (status == 200)
			s->states[op->ref] = json_object_get(json_object_get(body, "metadata"), "deletionTimestamp") &&
							     gc_has_finalizer(body, GC_FINALIZER_FOREGROUND)
						     ? GC_OWNER_FOREGROUND
						     : GC_OWNER_EXISTS;
		else
			s->err = status < 0 ? status : -EIO;
	} else if (!(status >= 200 && status < 300) && status != 404) {
		s->err = status < 0 ? status : -EIO;
	}
	sync_release(s);
}

static void op_send(gc_sync_t *s, const char *method, const char *path, const json_t *body, bool lookup, size_t ref)
{
	gc_op_t *op = calloc(1, sizeof(*op));

	if (!op) {
		s->err = -ENOMEM;
		return;
	}
	op->s = s;
	op->lookup = lookup;
	op->ref = ref;
	op->next = s->ops;
	s->ops = op;
	s->pending++;
	if (kclient_request(s->g->c, method, path, body, NULL, op_done, op, &op->req) < 0) {
		op->req = NULL;
		s->pending--;
		s->err = -ENOMEM;
	}
}

static void send_delete(gc_sync_t *s, const json_t *obj, size_t kind, const char *policy)
{
	char path[800];
	json_t *opts;

	{
		char av[64];
		snprintf(av, sizeof(av), "%s%s%s", GC_KINDS[kind].group, *GC_KINDS[kind].group ? "/" : "",
			 GC_KINDS[kind].version);
		if (obj_path(av, GC_KINDS[kind].kind, ctrl_meta(obj, "namespace"), ctrl_meta(obj, "name"), path,
			     sizeof(path)) < 0)
			return;
	}
	opts = json_pack("{s:s, s:s, s:s, s:{s:s?}}", "kind", "DeleteOptions", "apiVersion", "v1", "propagationPolicy",
			 policy, "preconditions", "uid", ctrl_meta(obj, "uid"));
	if (!opts) {
		s->err = -ENOMEM;
		return;
	}
	op_send(s, "DELETE", path, opts, false, 0);
	json_decref(opts);
}

static void send_put(gc_sync_t *s, const json_t *obj, size_t kind)
{
	char path[800], av[64];

	snprintf(av, sizeof(av), "%s%s%s", GC_KINDS[kind].group, *GC_KINDS[kind].group ? "/" : "", GC_KINDS[kind].version);
	if (obj_path(av, GC_KINDS[kind].kind, ctrl_meta(obj, "namespace"), ctrl_meta(obj, "name"), path,
		     sizeof(path)) == 0)
		op_send(s, "PUT", path, obj, false, 0);
}

/* Owners resolved: act on the object as a dependent, then as an owner. */
static void sync_act(gc_sync_t *s)
{
	gc_ctrl_t *g = s->g;
	const json_t *refs = json_object_get(json_object_get(s->obj, "metadata"), "ownerReferences");
	const char *uid = ctrl_meta(s->obj, "uid"), *fin = NULL;
	size_t n_dep = 0, n_block = 0, i;
	gc_action_t a = gc_decide(s->states, s->nrefs);

	if (a == GC_DELETE_BACKGROUND || a == GC_DELETE_FOREGROUND) {
		if (!json_object_get(json_object_get(s->obj, "metadata"), "deletionTimestamp")) {
			log_debug("gc: deleting %s: its owners are gone", s->qkey);
			send_delete(s, s->obj, s->kind, a == GC_DELETE_FOREGROUND ? "Foreground" : "Background");
		}
		return;
	}
	if (a == GC_DROP_DANGLING) {
		json_t *drop = json_object(), *upd;
		for (i = 0; i < s->nrefs; i++)
			if (s->states[i] == GC_OWNER_ABSENT && ctrl_str(json_array_get(refs, i), "uid"))
				json_object_set_new(drop, ctrl_str(json_array_get(refs, i), "uid"), json_true());
		upd = drop ? gc_without_owners(s->obj, drop) : NULL;
		if (upd)
			send_put(s, upd, s->kind);
		json_decref(upd);
		json_decref(drop);
		return;
	}
	if (!uid)
		return;
	/* as an owner */
	for (size_t k = 0; k < GC_NKINDS; k++) {
		const json_t *keys = informer_index_keys(g->w[k].inf, "gc-owner", uid), *v, *r;
		const char *key;
		json_object_foreach((json_t *)keys, key, v) {
			const json_t *dep = informer_get(g->w[k].inf, key);
			n_dep++;
			json_array_foreach(json_object_get(json_object_get(dep, "metadata"), "ownerReferences"), i, r)
				if (ctrl_str(r, "uid") && strcmp(ctrl_str(r, "uid"), uid) == 0 &&
				    json_is_true(json_object_get(r, "blockOwnerDeletion")))
					n_block++;
		}
	}
	switch (gc_owner_next(s->obj, n_dep, n_block, &fin)) {
	case GC_OWNER_NOTHING:
		break;
	case GC_OWNER_REMOVE_FINALIZER: {
		json_t *upd = gc_without_finalizer(s->obj, fin);
		log_debug("gc: %s: removing finalizer %s", s->qkey, fin);
		if (upd)
			send_put(s, upd, s->kind);
		json_decref(upd);
		break;
	}
	case GC_OWNER_ORPHAN_DEPENDENTS:
	case GC_OWNER_DELETE_DEPENDENTS: {
		bool orphan = gc_has_finalizer(s->obj, GC_FINALIZER_ORPHAN);
		json_t *drop = json_pack("{s:b}", uid, 1);
		for (size_t k = 0; k < GC_NKINDS; k++) {
			const json_t *keys = informer_index_keys(g->w[k].inf, "gc-owner", uid), *v;
			const char *key;
			json_object_foreach((json_t *)keys, key, v) {
				const json_t *dep = informer_get(g->w[k].inf, key);
				if (!dep)
					continue;
				if (orphan) {
					json_t *upd = gc_without_owners(dep, drop);
					if (upd)
						send_put(s, upd, k);
					json_decref(upd);
				} else if (!json_object_get(json_object_get(dep, "metadata"), "deletionTimestamp")) {
					send_delete(s, dep, k, "Background");
				}
			}
		}
		json_decref(drop);
		break;
	}
	}
}

static void sync_item(workqueue_t *q, const char *item, void *arg)
{
	gc_ctrl_t *g = arg;
	char *end;
	unsigned long kind = strtoul(item, &end, 10);
	const char *key = end + 1;
	const json_t *obj, *refs, *r;
	const char *ns;
	gc_sync_t *s;
	size_t i;

	if (*end != '|' || kind >= GC_NKINDS) {
		workqueue_done(q, item, 0);
		return;
	}
	for (size_t k = 0; k < GC_NKINDS; k++) {
		if (!informer_has_synced(g->w[k].inf)) {
			workqueue_done(q, item, 0);
			workqueue_add_after(q, item, GC_WAIT_SYNC_MS);
			return;
		}
	}
	obj = informer_get(g->w[kind].inf, key);
	if (!obj || !interesting(obj)) {
		workqueue_done(q, item, 0);
		return;
	}
	refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
	s = calloc(1, sizeof(*s));
	if (!s || !(s->qkey = strdup(item)) || !(s->obj = json_deep_copy(obj)) ||
	    !(s->states = calloc(json_array_size(refs) + 1, sizeof(*s->states)))) {
		if (s) {
			json_decref(s->obj);
			free(s->qkey);
		}
		free(s);
		workqueue_done(q, item, -ENOMEM);
		return;
	}
	s->g = g;
	s->kind = kind;
	s->nrefs = json_array_size(refs);
	s->pending = 1;
	s->next = g->syncs;
	if (g->syncs)
		g->syncs->prev = s;
	g->syncs = s;
	ns = ctrl_meta(obj, "namespace");
	json_array_foreach(refs, i, r) {
		const char *av = ctrl_str(r, "apiVersion"), *kd = ctrl_str(r, "kind"), *name = ctrl_str(r, "name"),
			   *uid = ctrl_str(r, "uid");
		int k = kind_of(av, kd);
		char path[800];
		if (k >= 0) {
			char okey[600];
			const json_t *owner;
			snprintf(okey, sizeof(okey), "%s/%s", ns ? ns : "", name ? name : "");
			owner = informer_get(g->w[k].inf, okey);
			if (owner && uid && ctrl_meta(owner, "uid") && strcmp(uid, ctrl_meta(owner, "uid")) == 0) {
				s->states[i] = json_object_get(json_object_get(owner, "metadata"), "deletionTimestamp") &&
							       gc_has_finalizer(owner, GC_FINALIZER_FOREGROUND)
						       ? GC_OWNER_FOREGROUND
						       : GC_OWNER_EXISTS;
				continue;
			}
		}
		/* not in our cache (or not a kind we watch): ask the server */
		if (!av || !kd || obj_path(av, kd, ns, name, path, sizeof(path)) < 0) {
			s->states[i] = GC_OWNER_UNKNOWN;
			continue;
		}
		s->states[i] = GC_OWNER_UNKNOWN;
		op_send(s, "GET", path, NULL, true, i);
	}
	sync_release(s);
}

int gc_ctrl_new(kclient_t *c, informer_t *pods, gc_ctrl_t **ret)
{
	gc_ctrl_t *g = calloc(1, sizeof(*g));
	int rc = -ENOMEM;

	if (!g)
		return -ENOMEM;
	g->c = c;
	g->own_pods = !pods;
	if ((rc = workqueue_new(kclient_base(c), GC_PARALLEL, sync_item, g, &g->q)) < 0)
		goto fail;
	for (size_t i = 0; i < GC_NKINDS; i++) {
		informer_handlers_t h = { on_add, on_update, on_delete, &g->w[i] };
		char path[200];
		g->w[i].g = g;
		g->w[i].idx = i;
		if (*GC_KINDS[i].group)
			snprintf(path, sizeof(path), "/apis/%s/%s/%s", GC_KINDS[i].group, GC_KINDS[i].version,
				 GC_KINDS[i].plural);
		else
			snprintf(path, sizeof(path), "/api/%s/%s", GC_KINDS[i].version, GC_KINDS[i].plural);
		if (i == 0 && pods)
			g->w[i].inf = pods; /* GC_KINDS[0] is pods */
		else if ((rc = informer_new(c, path, NULL, &g->w[i].inf)) < 0)
			goto fail;
		if ((rc = informer_add_index(g->w[i].inf, "gc-uid", index_uid, NULL)) < 0 ||
		    (rc = informer_add_index(g->w[i].inf, "gc-owner", index_owner, NULL)) < 0 ||
		    (rc = informer_add_handlers(g->w[i].inf, &h)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < GC_NKINDS; i++)
		if (i > 0 || g->own_pods)
			informer_start(g->w[i].inf);
	*ret = g;
	return 0;
fail:
	gc_ctrl_free(g);
	return rc;
}

void gc_ctrl_free(gc_ctrl_t *g)
{
	if (!g)
		return;
	while (g->syncs) {
		gc_sync_t *s = g->syncs;
		workqueue_done(g->q, s->qkey, 0);
		sync_free(s);
	}
	for (size_t i = 0; i < GC_NKINDS; i++)
		if (i > 0 || g->own_pods)
			informer_free(g->w[i].inf);
	workqueue_free(g->q);
	free(g);
}
