/* The Deployment controller's loop: informers on Deployments and Pods feed a work queue of
 * Deployment keys; a sync asks deploy_plan() what to do and sends the Pod creates and deletes and the
 * status write, finishing the key once every write has answered.
 *
 * Stale caches (upstream's ControllerExpectations): right after our writes the Pod informer may not
 * show them yet, and acting on it would create Pods twice. Resource versions are one global revision,
 * so we remember the highest revision we wrote per Deployment and the Pods we deleted, and postpone a
 * sync until the informers have reached that revision and no longer hold those Pods as active. */
#include "controllers/deploy_ctrl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/ctrl_util.h"
#include "controllers/deploy_logic.h"
#include "core/log.h"

#define DEPLOY_PARALLEL 5
#define DEPLOY_STALE_RETRY_MS 50
#define DEPLOY_WAIT_SYNC_MS 100
#define DEPLOY_COMPONENT "deployment-controller"

typedef struct deploy_sync deploy_sync_t;

typedef struct deploy_op {
	deploy_sync_t *s;
	kclient_req_t *req;
	char *pod;        /* the pod deleted, NULL otherwise */
	bool is_deploy;   /* the status write */
	struct deploy_op *next;
} deploy_op_t;

struct deploy_sync {
	deploy_ctrl_t *d;
	char *key;
	int pending, err;
	long long pods_rv, deploy_rv;
	json_t *deleted;  /* pod names */
	json_t *deploy;   /* a copy of the Deployment, for events */
	deploy_op_t *ops;
	deploy_sync_t *next, *prev;
};

struct deploy_ctrl {
	kclient_t *c;
	informer_t *deps, *pods;
	workqueue_t *q;
	bool own_pods;
	json_t *tracker; /* key -> {"pods_rv": n, "deploy_rv": n, "deleted": {name: true}} */
	deploy_sync_t *syncs;
};

/* ---- event handlers ---- */

static void deploy_changed(informer_t *inf, const json_t *obj, void *arg)
{
	deploy_ctrl_t *d = arg;
	char *key = informer_key_of(obj);

	if (key)
		workqueue_add(d->q, key);
	free(key);
}

static void deploy_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	deploy_changed(inf, obj, arg);
}

/* A pod's controlling Deployment, as "ns/name" into buf; false when it has none. */
static bool pod_owner_key(const json_t *pod, char *buf, size_t len)
{
	const json_t *ref = ctrl_controller_ref(pod);
	const char *kind = ctrl_str(ref, "kind"), *name = ctrl_str(ref, "name"), *ns = ctrl_meta(pod, "namespace");

	if (!kind || strcmp(kind, "Deployment") != 0 || !name || !ns)
		return false;
	return (size_t)snprintf(buf, len, "%s/%s", ns, name) < len;
}

static void pod_changed(informer_t *inf, const json_t *obj, void *arg)
{
	deploy_ctrl_t *d = arg;
	char key[600];

	if (pod_owner_key(obj, key, sizeof(key)))
		workqueue_add(d->q, key);
}

static void pod_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	deploy_ctrl_t *d = arg;
	char k1[600], k2[600];
	bool h1 = pod_owner_key(old, k1, sizeof(k1)), h2 = pod_owner_key(obj, k2, sizeof(k2));

	if (h1 && (!h2 || strcmp(k1, k2) != 0))
		workqueue_add(d->q, k1);
	if (h2)
		workqueue_add(d->q, k2);
}

/* index "owner": the uid of the pod's controlling Deployment */
static void index_pod_owner(const json_t *obj, json_t *ret_values, void *arg)
{
	const json_t *ref = ctrl_controller_ref(obj);
	const char *kind = ctrl_str(ref, "kind"), *uid = ctrl_str(ref, "uid");

	if (kind && uid && strcmp(kind, "Deployment") == 0)
		json_array_append_new(ret_values, json_string(uid));
}

/* ---- the sync ---- */

static void sync_free(deploy_sync_t *s)
{
	deploy_op_t *op;

	if (!s)
		return;
	while ((op = s->ops)) {
		s->ops = op->next;
		kclient_cancel(op->req);
		free(op->pod);
		free(op);
	}
	if (s->prev)
		s->prev->next = s->next;
	else if (s->d->syncs == s)
		s->d->syncs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	json_decref(s->deleted);
	json_decref(s->deploy);
	free(s->key);
	free(s);
}

static void sync_release(deploy_sync_t *s)
{
	deploy_ctrl_t *d = s->d;
	char *key = s->key;
	int err = s->err;

	if (--s->pending > 0)
		return;
	if (s->pods_rv > 0 || s->deploy_rv > 0 || json_object_size(s->deleted) > 0) {
		json_t *t = json_pack("{s:I, s:I, s:O}", "pods_rv", (json_int_t)s->pods_rv, "deploy_rv",
				      (json_int_t)s->deploy_rv, "deleted", s->deleted);
		if (t)
			json_object_set_new(d->tracker, key, t);
	}
	if (err < 0)
		log_warn("deployment: sync of %s failed (%s); will retry", key, strerror(-err));
	s->key = NULL;
	sync_free(s);
	workqueue_done(d->q, key, err);
	free(key);
}

static void op_done(int status, json_t *body, void *arg)
{
	deploy_op_t *op = arg;
	deploy_sync_t *s = op->s;
	long long rv = ctrl_rv_num(ctrl_meta(body, "resourceVersion"));
	char msg[400];

	op->req = NULL;
	if (status >= 200 && status < 300) {
		if (op->is_deploy) {
			if (rv > s->deploy_rv)
				s->deploy_rv = rv;
		} else {
			if (rv > s->pods_rv)
				s->pods_rv = rv;
			if (op->pod) {
				json_object_set_new(s->deleted, op->pod, json_true());
				snprintf(msg, sizeof(msg), "Deleted pod: %s", op->pod);
				ctrl_event_emit(s->d->c, s->deploy, "apps/v1", "Deployment", "Normal", "SuccessfulDelete", msg,
						DEPLOY_COMPONENT);
			} else if (ctrl_meta(body, "name")) {
				snprintf(msg, sizeof(msg), "Created pod: %s", ctrl_meta(body, "name"));
				ctrl_event_emit(s->d->c, s->deploy, "apps/v1", "Deployment", "Normal", "SuccessfulCreate", msg,
						DEPLOY_COMPONENT);
			}
		}
	} else if (status == 404 && op->pod) {
		json_object_set_new(s->deleted, op->pod, json_true());
	} else {
		log_debug("deployment: %s: write answered %d", s->key, status);
		if (!op->is_deploy && !op->pod) {
			snprintf(msg, sizeof(msg), "Error creating: pod creation answered %d", status);
			ctrl_event_emit(s->d->c, s->deploy, "apps/v1", "Deployment", "Warning", "FailedCreate", msg,
					DEPLOY_COMPONENT);
		}
		s->err = status < 0 ? status : -EIO;
	}
	sync_release(s);
}

static int op_send(deploy_sync_t *s, const char *method, const char *path, const json_t *body, const char *pod,
		   bool is_deploy)
{
	deploy_op_t *op = calloc(1, sizeof(*op));
	int rc;

	if (!op)
		return -ENOMEM;
	op->s = s;
	op->is_deploy = is_deploy;
	if (pod && !(op->pod = strdup(pod))) {
		free(op);
		return -ENOMEM;
	}
	op->next = s->ops;
	s->ops = op;
	s->pending++;
	rc = kclient_request(s->d->c, method, path, body, NULL, op_done, op, &op->req);
	if (rc < 0) {
		op->req = NULL;
		s->pending--;
		s->err = rc;
	}
	return rc;
}

/* Has the cache caught up with what we last wrote for key? */
static bool cache_fresh(deploy_ctrl_t *d, const char *key)
{
	json_t *t = json_object_get(d->tracker, key), *v;
	const char *slash = strchr(key, '/'), *name;

	if (!t)
		return true;
	if (ctrl_rv_num(informer_resource_version(d->pods)) < json_integer_value(json_object_get(t, "pods_rv")) ||
	    ctrl_rv_num(informer_resource_version(d->deps)) < json_integer_value(json_object_get(t, "deploy_rv")))
		return false;
	json_object_foreach(json_object_get(t, "deleted"), name, v) {
		char pkey[600];
		const json_t *p;
		if (!slash)
			continue;
		snprintf(pkey, sizeof(pkey), "%.*s/%s", (int)(slash - key), key, name);
		p = informer_get(d->pods, pkey);
		if (p && ctrl_pod_active(p))
			return false;
	}
	json_object_del(d->tracker, key);
	return true;
}

static json_t *owned_pods(deploy_ctrl_t *d, const json_t *dep)
{
	const char *uid = ctrl_meta(dep, "uid");
	const json_t *keys = uid ? informer_index_keys(d->pods, "deploy-owner", uid) : NULL, *v;
	json_t *out = json_array();
	const char *k;

	json_object_foreach((json_t *)keys, k, v) {
		const json_t *p = informer_get(d->pods, k);
		if (p && out)
			json_array_append(out, (json_t *)p);
	}
	return out;
}

static int count_hash(const json_t *pods, const char *hash, bool want_equal)
{
	const json_t *p;
	size_t i;
	int n = 0;

	json_array_foreach(pods, i, p) {
		const char *h = json_string_value(
			json_object_get(json_object_get(json_object_get(p, "metadata"), "labels"), DEPLOY_HASH_LABEL));
		if (ctrl_pod_active(p) && (h && strcmp(h, hash) == 0) == want_equal)
			n++;
	}
	return n;
}

static void sync_deploy(workqueue_t *q, const char *key, void *arg)
{
	deploy_ctrl_t *d = arg;
	const json_t *dep;
	json_t *pods = NULL, *p;
	deploy_plan_t plan = { 0 };
	deploy_sync_t *sy;
	const char *slash = strchr(key, '/');
	char path[1024], ns[256];
	size_t i;
	int rc = -ENOMEM;

	if (!slash || (size_t)(slash - key) >= sizeof(ns)) {
		workqueue_done(q, key, 0);
		return;
	}
	if (!informer_has_synced(d->deps) || !informer_has_synced(d->pods) || !cache_fresh(d, key)) {
		workqueue_done(q, key, 0);
		workqueue_add_after(q, key, informer_has_synced(d->pods) ? DEPLOY_STALE_RETRY_MS : DEPLOY_WAIT_SYNC_MS);
		return;
	}
	dep = informer_get(d->deps, key);
	/* gone: its Pods go with the garbage collector; being deleted: nothing more to create */
	if (!dep || json_object_get(json_object_get(dep, "metadata"), "deletionTimestamp")) {
		json_object_del(d->tracker, key);
		workqueue_done(q, key, 0);
		return;
	}
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - key), key);
	pods = owned_pods(d, dep);
	if (!pods) {
		workqueue_done(q, key, -ENOMEM);
		return;
	}
	rc = deploy_plan(dep, pods, time(NULL), &plan);
	if (rc < 0) {
		/* malformed spec (the API validates, so rare): nothing to do until it changes */
		log_warn("deployment: %s: cannot plan (%s)", key, strerror(-rc));
		json_decref(pods);
		workqueue_done(q, key, rc == -EINVAL ? 0 : rc);
		return;
	}
	sy = calloc(1, sizeof(*sy));
	if (!sy || !(sy->key = strdup(key)) || !(sy->deleted = json_object()) || !(sy->deploy = json_deep_copy(dep))) {
		if (sy) {
			json_decref(sy->deleted);
			free(sy->key);
		}
		free(sy);
		deploy_plan_clear(&plan);
		json_decref(pods);
		workqueue_done(q, key, -ENOMEM);
		return;
	}
	sy->d = d;
	sy->pending = 1; /* the guard: no answer can finish the sync while we send */
	sy->next = d->syncs;
	if (d->syncs)
		d->syncs->prev = sy;
	d->syncs = sy;

	if (plan.create > 0 || json_array_size(plan.remove) > 0) {
		/* upstream's ScalingReplicaSet event, once per set this round */
		int n_new = count_hash(pods, plan.hash, true), removed_new = 0;
		char msg[600];
		json_array_foreach(plan.remove, i, p) {
			const char *h = json_string_value(json_object_get(
				json_object_get(json_object_get(p, "metadata"), "labels"), DEPLOY_HASH_LABEL));
			if (h && strcmp(h, plan.hash) == 0)
				removed_new++;
		}
		if (plan.create > 0)
			snprintf(msg, sizeof(msg), "Scaled up replica set %s from %d to %d", plan.rs_name, n_new,
				 n_new + plan.create);
		else if (removed_new > 0)
			snprintf(msg, sizeof(msg), "Scaled down replica set %s from %d to %d", plan.rs_name, n_new,
				 n_new - removed_new);
		else
			snprintf(msg, sizeof(msg), "Scaled down old replica sets of %s by %zu", ctrl_meta(dep, "name"),
				 json_array_size(plan.remove));
		ctrl_event_emit(d->c, dep, "apps/v1", "Deployment", "Normal", "ScalingReplicaSet", msg, DEPLOY_COMPONENT);
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	for (int n = 0; n < plan.create; n++) {
		json_t *pod = deploy_pod_new(dep, &plan);
		if (!pod) {
			sy->err = -ENOMEM;
			break;
		}
		op_send(sy, "POST", path, pod, NULL, false);
		json_decref(pod);
	}
	json_array_foreach(plan.remove, i, p) {
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, ctrl_meta(p, "name"));
		op_send(sy, "DELETE", path, NULL, ctrl_meta(p, "name"), false);
	}
	if (!deploy_status_equal(json_object_get(dep, "status"), plan.status)) {
		json_t *upd = json_deep_copy(dep);
		if (upd) {
			json_object_set(upd, "status", plan.status);
			snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s/status", ns,
				 ctrl_meta(dep, "name"));
			op_send(sy, "PUT", path, upd, NULL, true);
			json_decref(upd);
		} else {
			sy->err = -ENOMEM;
		}
	}
	if (plan.requeue_sec > 0)
		workqueue_add_after(q, key, plan.requeue_sec * 1000);
	deploy_plan_clear(&plan);
	json_decref(pods);
	sync_release(sy);
}

int deploy_ctrl_new(kclient_t *c, informer_t *pods, deploy_ctrl_t **ret)
{
	deploy_ctrl_t *d = calloc(1, sizeof(*d));
	informer_handlers_t hd = { deploy_changed, deploy_updated, deploy_changed, NULL };
	informer_handlers_t hp = { pod_changed, pod_updated, pod_changed, NULL };
	int rc = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->c = c;
	if (!(d->tracker = json_object()))
		goto fail;
	hd.arg = hp.arg = d;
	if ((rc = workqueue_new(kclient_base(c), DEPLOY_PARALLEL, sync_deploy, d, &d->q)) < 0 ||
	    (rc = informer_new(c, "/apis/apps/v1/deployments", NULL, &d->deps)) < 0 ||
	    (!pods && (rc = informer_new(c, "/api/v1/pods", NULL, &d->pods)) < 0))
		goto fail;
	d->own_pods = !pods;
	if (pods)
		d->pods = pods;
	if ((rc = informer_add_index(d->pods, "deploy-owner", index_pod_owner, NULL)) < 0 ||
	    (rc = informer_add_handlers(d->deps, &hd)) < 0 || (rc = informer_add_handlers(d->pods, &hp)) < 0)
		goto fail;
	informer_start(d->deps);
	if (d->own_pods)
		informer_start(d->pods);
	*ret = d;
	return 0;
fail:
	deploy_ctrl_free(d);
	return rc;
}

void deploy_ctrl_free(deploy_ctrl_t *d)
{
	if (!d)
		return;
	while (d->syncs) {
		deploy_sync_t *s = d->syncs;
		workqueue_done(d->q, s->key, 0);
		sync_free(s);
	}
	informer_free(d->deps);
	if (d->own_pods)
		informer_free(d->pods);
	workqueue_free(d->q);
	json_decref(d->tracker);
	free(d);
}
