/* The load-balancer controller's loop (see lb_ctrl.h). A work queue of Service keys fed by the
 * Service, EndpointSlice, Node and ConfigMap informers; one sync at a time per key, each a short
 * chain of asynchronous steps (finalizer write, provider call, status write). What a Service last
 * got is remembered per key as fingerprints of its spec and of its node set, so Node heartbeats and
 * our own status writes do not start new provider calls or events. */
#include "controllers/lb_ctrl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "client/workqueue.h"
#include "controllers/ctrl_util.h"
#include "controllers/lb_logic.h"
#include "controllers/lb_provider.h"
#include "core/log.h"
#include "lib/lb_config.h"
#include "lib/lb_pool.h"

#define LB_PARALLEL       4
#define LB_WAIT_SYNC_MS   100
#define LB_CONFLICT_MS    200 /* a 409: the informer brings the newer object soon */
#define LB_RETRY_SOON     1   /* finish(): requeue shortly, not a failure */
#define LB_SLICE_LABEL    "kubernetes.io/service-name"

enum { STEP_ADD_FIN, STEP_ENSURE, STEP_STATUS, STEP_REMOVE, STEP_DEL_STATUS, STEP_DEL_FIN };

typedef struct lb_op {
	lb_ctrl_t *l;
	char *key;
	json_t *svc;     /* the Service as last written or seen */
	json_t *nodes;   /* lb_nodes_eligible() for it */
	json_t *target;  /* the ingress to write */
	uint64_t sfp, nfp;
	int step;
	bool update_only;
	bool quiet; /* a periodic re-ensure of an unchanged Service: events only when something changed */
	kclient_req_t *req;
	lb_provider_op_t *pop;
	/* a provider result that arrived before the provider call returned */
	bool in_call, have_result;
	int res_err;
	json_t *res_ingress;
	char *res_msg;
	struct lb_op *next, *prev;
} lb_op_t;

struct lb_ctrl {
	kclient_t *c;
	informer_t *svcs, *slices, *cms, *nodes;
	workqueue_t *q;
	lb_config_t cfg;
	lb_provider_t *prov;
	lb_pool_t *pool;
	bool need_rebuild;
	/* the ConfigMap is invalid and no good configuration was seen since start: touch nothing (the
	 * Services' status may come from a configuration we cannot reconstruct) */
	bool blocked;
	unsigned cfg_gen;
	uint64_t nodes_fp;
	json_t *state; /* key -> {"sfp", "nfp": hex strings, "ing": ingress, "amsg": last allocation error, "fails",
			* "resync": true when the periodic resync asked for a full ensure} */
	lb_op_t *ops;
	struct event *resync_ev;
	int resync_sec; /* the period resync_ev runs at; 0: not armed */
};

/* ---- per-key state ---- */

static json_t *state_get(lb_ctrl_t *l, const char *key, bool create)
{
	json_t *st = json_object_get(l->state, key);

	if (!st && create) {
		st = json_object();
		if (!st || json_object_set_new(l->state, key, st) < 0)
			return NULL;
	}
	return st;
}

static void fp_str(uint64_t v, char buf[17])
{
	snprintf(buf, 17, "%016" PRIx64, v);
}

static bool state_fp_eq(const json_t *st, const char *k, uint64_t v)
{
	char buf[17];
	const char *s = json_string_value(json_object_get(st, k));

	fp_str(v, buf);
	return s && strcmp(s, buf) == 0;
}

static void state_set_fp(json_t *st, uint64_t sfp, uint64_t nfp)
{
	char buf[17];

	fp_str(sfp, buf);
	json_object_set_new(st, "sfp", json_string(buf));
	fp_str(nfp, buf);
	json_object_set_new(st, "nfp", json_string(buf));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a retry depends on: the Service part, whether it is being deleted, and the configuration.
 * While a key waits out its back-off, updates that leave this unchanged (our own finalizer write,
 * status writes) do not cut the wait short; a real change does, as upstream's queue does. */
static uint64_t retry_fp(const lb_ctrl_t *l, const json_t *svc)
{
	uint64_t h = lb_fp_service(svc) ^ ((uint64_t)l->cfg_gen * 0x9e3779b97f4a7c15ULL);

	if (json_object_get(json_object_get(svc, "metadata"), "deletionTimestamp"))
		h ^= 0x5bd1e9955bd1e995ULL;
	return h;
}

/* ---- queueing ---- */

static bool interesting(const json_t *svc)
{
	return lb_svc_wants_lb(svc) || lb_svc_needs_cleanup(svc);
}

static void enqueue_all(lb_ctrl_t *l)
{
	const json_t *cache = informer_cache(l->svcs), *svc;
	const char *key;

	json_object_foreach((json_t *)cache, key, svc)
		if (interesting(svc))
			workqueue_add(l->q, key);
}

/* Addresses were released or the configuration changed: Services left without one try again. */
static void kick_pending(lb_ctrl_t *l)
{
	const char *key;
	json_t *st;

	json_object_foreach(l->state, key, st) {
		if (json_object_get(st, "amsg")) {
			json_object_del(st, "sfp");
			workqueue_add(l->q, key);
		}
	}
}

/* ---- operations ---- */

static void op_free(lb_op_t *op)
{
	lb_ctrl_t *l = op->l;

	if (op->prev)
		op->prev->next = op->next;
	else if (l->ops == op)
		l->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	if (op->req)
		kclient_cancel(op->req);
	if (op->pop && l->prov)
		l->prov->ops->cancel(l->prov, op->pop);
	json_decref(op->svc);
	json_decref(op->nodes);
	json_decref(op->target);
	json_decref(op->res_ingress);
	free(op->res_msg);
	free(op->key);
	free(op);
}

/* Ends the sync of op's key: 0 success, LB_RETRY_SOON, or < 0 a failure (back-off). */
static void finish(lb_op_t *op, int err)
{
	lb_ctrl_t *l = op->l;
	json_t *st = state_get(l, op->key, err < 0);

	workqueue_done(l->q, op->key, 0);
	if (err == LB_RETRY_SOON) {
		workqueue_add_after(l->q, op->key, LB_CONFLICT_MS);
	} else if (err < 0) {
		int fails = st ? (int)json_integer_value(json_object_get(st, "fails")) + 1 : 1;
		long delay = lb_backoff_ms(fails);
		if (st) {
			char buf[17];
			json_object_set_new(st, "fails", json_integer(fails));
			json_object_del(st, "sfp"); /* the next sync must call the provider again */
			/* a little before the delayed add is due (the queue's timer counts from the loop's
			 * cached time), so that add is never mistaken for an early one */
			json_object_set_new(st, "until", json_integer(now_ms() + delay - 500));
			fp_str(retry_fp(l, op->svc), buf);
			json_object_set_new(st, "ffp", json_string(buf));
		}
		log_info("lb controller: %s: retry %d in %ld ms", op->key, fails, delay);
		workqueue_add_after(l->q, op->key, delay);
	} else if (st) {
		json_object_del(st, "fails");
		json_object_del(st, "until");
		json_object_del(st, "ffp");
	}
	op_free(op);
}

static void emit(lb_op_t *op, const char *type, const char *reason, const char *msg)
{
	ctrl_event_emit(op->l->c, op->svc, "v1", "Service", type, reason, msg, LB_COMPONENT);
}

static void api_done(int status, json_t *body, void *arg);

static int api_put(lb_op_t *op, const json_t *obj, bool status)
{
	char path[700];
	int rc;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/services/%s%s", ctrl_meta(obj, "namespace"),
		 ctrl_meta(obj, "name"), status ? "/status" : "");
	rc = kclient_request(op->l->c, "PUT", path, obj, NULL, api_done, op, &op->req);
	if (rc < 0)
		op->req = NULL;
	return rc;
}

static void provider_done(int err, const json_t *ingress, const char *msg, void *arg);
static void handle_result(lb_op_t *op);

/* Calls the provider; the result is handled here or in provider_done(), never both. */
static void call_provider(lb_op_t *op)
{
	lb_ctrl_t *l = op->l;
	lb_provider_op_t *pop = NULL;
	int rc;

	op->in_call = true;
	op->have_result = false;
	if (op->step == STEP_REMOVE)
		rc = l->prov->ops->remove(l->prov, op->key, op->svc, provider_done, op, &pop);
	else if (op->update_only)
		rc = l->prov->ops->update(l->prov, op->key, op->svc, op->nodes, provider_done, op, &pop);
	else
		rc = l->prov->ops->ensure(l->prov, op->key, op->svc, op->nodes, provider_done, op, &pop);
	op->in_call = false;
	if (rc < 0) {
		log_err("lb controller: %s: provider %s: %s", op->key, l->prov->ops->name, strerror(-rc));
		finish(op, rc);
		return;
	}
	if (op->have_result) {
		handle_result(op);
		return;
	}
	op->pop = pop;
}

static void provider_done(int err, const json_t *ingress, const char *msg, void *arg)
{
	lb_op_t *op = arg;

	op->pop = NULL;
	op->res_err = err;
	json_decref(op->res_ingress);
	op->res_ingress = ingress ? json_deep_copy(ingress) : NULL;
	free(op->res_msg);
	op->res_msg = msg ? strdup(msg) : NULL;
	op->have_result = true;
	if (!op->in_call)
		handle_result(op);
}

/* Writes the target ingress when it differs from the status, then records success. */
static void write_status(lb_op_t *op)
{
	json_t *upd;

	if (lb_ingress_equal(lb_svc_ingress(op->svc), op->target)) {
		json_t *st = state_get(op->l, op->key, true);
		if (st) {
			state_set_fp(st, op->sfp, op->nfp);
			json_object_set(st, "ing", op->target ? op->target : json_array());
		}
		finish(op, 0);
		return;
	}
	upd = lb_svc_with_ingress(op->svc, op->target);
	op->step = STEP_STATUS;
	if (!upd || api_put(op, upd, true) < 0)
		finish(op, -ENOMEM);
	json_decref(upd);
}

static void remove_finalizer(lb_op_t *op)
{
	json_t *upd = lb_svc_with_finalizer(op->svc, false);

	op->step = STEP_DEL_FIN;
	if (!upd || api_put(op, upd, false) < 0)
		finish(op, -ENOMEM);
	json_decref(upd);
}

static void handle_result(lb_op_t *op)
{
	lb_ctrl_t *l = op->l;
	const char *msg = op->res_msg ? op->res_msg : "unknown error";
	char text[600];
	json_t *st;

	op->have_result = false;
	if (op->step == STEP_REMOVE) {
		if (op->res_err < 0) {
			snprintf(text, sizeof(text), "Error syncing load balancer: failed to delete load balancer: %s", msg);
			emit(op, "Warning", "SyncLoadBalancerFailed", text);
			finish(op, -EIO);
			return;
		}
		kick_pending(l);
		if (lb_svc_ingress(op->svc) && !json_object_get(json_object_get(op->svc, "metadata"), "deletionTimestamp")) {
			json_t *upd = lb_svc_with_ingress(op->svc, NULL);
			op->step = STEP_DEL_STATUS;
			if (!upd || api_put(op, upd, true) < 0)
				finish(op, -ENOMEM);
			json_decref(upd);
			return;
		}
		remove_finalizer(op);
		return;
	}
	st = state_get(l, op->key, true);
	if (op->res_err < 0 && lb_provider_err_is_allocation(op->res_err)) {
		/* an address cannot be had as asked: <pending> until addresses or the configuration change */
		const char *prev = json_string_value(json_object_get(st, "amsg"));
		if (!prev || strcmp(prev, msg) != 0) {
			snprintf(text, sizeof(text), "Failed to allocate IP for \"%s\": %s", op->key, msg);
			emit(op, "Warning", "AllocationFailed", text);
		}
		if (st)
			json_object_set_new(st, "amsg", json_string(msg));
		json_decref(op->target);
		op->target = json_array();
		write_status(op);
		return;
	}
	if (op->res_err < 0) {
		snprintf(text, sizeof(text), "Error syncing load balancer: failed to %s load balancer: %s",
			 op->update_only ? "update" : "ensure", msg);
		if (op->update_only) {
			/* upstream's message for a failed host update */
			snprintf(text, sizeof(text), "Error updating load balancer with new hosts: %s", msg);
			emit(op, "Warning", "UpdateLoadBalancerFailed", text);
		} else {
			emit(op, "Warning", "SyncLoadBalancerFailed", text);
		}
		finish(op, -EIO);
		return;
	}
	if (st)
		json_object_del(st, "amsg");
	if (op->update_only) {
		emit(op, "Normal", "UpdatedLoadBalancer", "Updated load balancer with new hosts");
		json_decref(op->target);
		op->target = op->res_ingress ? json_incref(op->res_ingress) : json_deep_copy(lb_svc_ingress(op->svc));
	} else {
		json_decref(op->target);
		op->target = op->res_ingress ? json_incref(op->res_ingress) : json_array();
		if (!op->quiet || !lb_ingress_equal(lb_svc_ingress(op->svc), op->target)) {
			if (op->quiet)
				log_info("lb controller: %s: periodic resync: the provider's ingress changed", op->key);
			emit(op, "Normal", "EnsuredLoadBalancer", "Ensured load balancer");
		}
	}
	write_status(op);
}

static void api_done(int status, json_t *body, void *arg)
{
	lb_op_t *op = arg;

	op->req = NULL;
	if (status == 409) {
		finish(op, LB_RETRY_SOON);
		return;
	}
	if (status == 404) {
		/* gone: nothing left to write (upstream ignores NotFound here too) */
		if (op->step == STEP_DEL_FIN || op->step == STEP_DEL_STATUS)
			emit(op, "Normal", "DeletedLoadBalancer", "Deleted load balancer");
		finish(op, 0);
		return;
	}
	if (status != 200 || !json_is_object(body)) {
		char text[300];
		const char *what = op->step == STEP_ADD_FIN ? "failed to add load balancer cleanup finalizer" :
				   op->step == STEP_DEL_FIN ? "failed to remove load balancer cleanup finalizer" :
							      "failed to update load balancer status";
		snprintf(text, sizeof(text), "Error syncing load balancer: %s: HTTP %d", what, status);
		emit(op, "Warning", "SyncLoadBalancerFailed", text);
		finish(op, -EIO);
		return;
	}
	json_decref(op->svc);
	op->svc = json_incref(body);
	{
		/* the informer may lag behind our own write: a sync must not act on an older copy */
		json_t *st = state_get(op->l, op->key, true);
		if (st && ctrl_meta(body, "resourceVersion"))
			json_object_set_new(st, "rv", json_string(ctrl_meta(body, "resourceVersion")));
	}
	switch (op->step) {
	case STEP_ADD_FIN:
		op->step = STEP_ENSURE;
		call_provider(op);
		return;
	case STEP_STATUS: {
		json_t *st = state_get(op->l, op->key, true);
		if (st) {
			state_set_fp(st, op->sfp, op->nfp);
			json_object_set(st, "ing", op->target ? op->target : json_array());
		}
		finish(op, 0);
		return;
	}
	case STEP_DEL_STATUS:
		remove_finalizer(op);
		return;
	case STEP_DEL_FIN:
		emit(op, "Normal", "DeletedLoadBalancer", "Deleted load balancer");
		json_object_del(op->l->state, op->key);
		finish(op, 0);
		return;
	default:
		finish(op, 0);
	}
}

static lb_op_t *op_new(lb_ctrl_t *l, const char *key, const json_t *svc)
{
	lb_op_t *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->l = l;
	op->key = strdup(key);
	op->svc = json_deep_copy(svc);
	if (!op->key || !op->svc) {
		free(op->key);
		json_decref(op->svc);
		free(op);
		return NULL;
	}
	op->next = l->ops;
	if (l->ops)
		l->ops->prev = op;
	l->ops = op;
	return op;
}

/* The eligible nodes for svc, with ready endpoints per node for Local Services. */
static json_t *nodes_for(lb_ctrl_t *l, const json_t *svc, const char *key)
{
	json_t *slices = NULL, *local = NULL, *nodes;

	if (lb_svc_local(svc)) {
		const json_t *keys = informer_index_keys(l->slices, "svc", key), *v;
		const char *k;
		slices = json_array();
		json_object_foreach((json_t *)keys, k, v) {
			const json_t *s = informer_get(l->slices, k);
			if (s && slices)
				json_array_append(slices, (json_t *)s);
		}
		local = lb_local_endpoints(slices);
	}
	nodes = lb_nodes_eligible(informer_cache(l->nodes), local);
	json_decref(slices);
	json_decref(local);
	return nodes;
}

static void start_ensure(lb_op_t *op)
{
	lb_ctrl_t *l = op->l;
	json_t *st = state_get(l, op->key, false);
	bool has_fin = lb_svc_has_finalizer(op->svc), periodic;

	op->nodes = nodes_for(l, op->svc, op->key);
	if (!op->nodes) {
		finish(op, -ENOMEM);
		return;
	}
	op->sfp = lb_fp_service(op->svc) ^ ((uint64_t)l->cfg_gen * 0x9e3779b97f4a7c15ULL);
	/* a pool address does not depend on the nodes (its announcer does, in the agent) */
	op->nfp = l->cfg.provider == LB_PROVIDER_POOL ? 0 : lb_fp_json(op->nodes);
	periodic = st && json_is_true(json_object_get(st, "resync"));
	if (periodic)
		json_object_del(st, "resync");
	if (st && has_fin && state_fp_eq(st, "sfp", op->sfp) && state_fp_eq(st, "nfp", op->nfp) &&
	    (json_object_get(st, "amsg") || lb_ingress_equal(lb_svc_ingress(op->svc), json_object_get(st, "ing")))) {
		if (!periodic) {
			finish(op, 0); /* nothing changed since the last sync */
			return;
		}
		/* nothing changed here, but the provider's side may have (its state lost, a load
		 * balancer removed behind our back): ensure again, quietly unless that finds a change */
		op->quiet = true;
	}
	op->update_only = !periodic && st && has_fin && state_fp_eq(st, "sfp", op->sfp) &&
			  !json_object_get(st, "amsg") &&
			  lb_ingress_equal(lb_svc_ingress(op->svc), json_object_get(st, "ing"));
	if (!op->update_only && !op->quiet) {
		emit(op, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer");
		if (!json_array_size(op->nodes) && l->cfg.provider != LB_PROVIDER_POOL)
			emit(op, "Warning", "UnAvailableLoadBalancer", "There are no available nodes for LoadBalancer");
	}
	if (!has_fin) {
		/* upstream: always add the finalizer before provisioning, so the Service cannot go
		 * before its load balancer does */
		json_t *upd = lb_svc_with_finalizer(op->svc, true);
		op->step = STEP_ADD_FIN;
		if (!upd || api_put(op, upd, false) < 0)
			finish(op, -ENOMEM);
		json_decref(upd);
		return;
	}
	op->step = STEP_ENSURE;
	call_provider(op);
}

/* The pool's holders from the Services' status, before anything is handed out (a restarted
 * server must neither lose nor duplicate an address). */
static void rebuild(lb_ctrl_t *l)
{
	const json_t *cache = informer_cache(l->svcs), *svc, *ing;
	const char *key;
	size_t i;
	int n = 0;

	lb_pool_clear(l->pool);
	json_object_foreach((json_t *)cache, key, svc) {
		lb_request_t req;
		char err[128];
		if (!lb_svc_wants_lb(svc) || !lb_svc_has_finalizer(svc) ||
		    lb_svc_request(svc, key, &req, err, sizeof(err)) < 0)
			continue;
		json_array_foreach(lb_svc_ingress(svc), i, ing) {
			lb_addr_t a;
			if (lb_addr_parse(json_string_value(json_object_get(ing, "ip")), &a) == 0 &&
			    lb_pool_occupy(l->pool, &req, &a))
				n++;
		}
	}
	l->need_rebuild = false;
	log_info("lb controller: pool rebuilt: %d address holdings from Service status", n);
}

static void sync_svc(workqueue_t *q, const char *key, void *arg)
{
	lb_ctrl_t *l = arg;
	const json_t *svc;
	lb_op_t *op;

	if (!informer_has_synced(l->svcs) || !informer_has_synced(l->nodes) || !informer_has_synced(l->slices) ||
	    !informer_has_synced(l->cms)) {
		workqueue_done(q, key, 0);
		workqueue_add_after(q, key, LB_WAIT_SYNC_MS);
		return;
	}
	if (l->blocked) {
		workqueue_done(q, key, 0);
		return;
	}
	if (l->need_rebuild)
		rebuild(l);
	svc = informer_get(l->svcs, key);
	if (svc) {
		const json_t *st = state_get(l, key, false);
		long long seen = ctrl_rv_num(ctrl_meta(svc, "resourceVersion"));
		long long wrote = ctrl_rv_num(json_string_value(json_object_get(st, "rv")));
		if (seen >= 0 && wrote >= 0 && seen < wrote) {
			/* its update event is on the way and queues the key again */
			workqueue_done(q, key, 0);
			return;
		}
		if (json_integer_value(json_object_get(st, "until")) > now_ms() &&
		    state_fp_eq(st, "ffp", retry_fp(l, svc))) {
			workqueue_done(q, key, 0); /* backing off; the delayed add brings it back */
			return;
		}
	}
	if (!svc || !lb_svc_ours(svc) || (!lb_svc_wants_lb(svc) && !lb_svc_needs_cleanup(svc))) {
		/* gone, or never ours, or cleaned up already */
		if (lb_pool_release(l->pool, key) > 0)
			kick_pending(l);
		if (!svc || !lb_svc_wants_lb(svc))
			json_object_del(l->state, key);
		workqueue_done(q, key, 0);
		return;
	}
	op = op_new(l, key, svc);
	if (!op) {
		workqueue_done(q, key, -ENOMEM);
		return;
	}
	if (lb_svc_needs_cleanup(svc)) {
		emit(op, "Normal", "DeletingLoadBalancer", "Deleting load balancer");
		op->step = STEP_REMOVE;
		call_provider(op);
		return;
	}
	if (json_object_get(json_object_get(svc, "metadata"), "deletionTimestamp")) {
		finish(op, 0); /* going away without our finalizer: nothing was provisioned */
		return;
	}
	start_ensure(op);
}

/* ---- periodic resync ---- */

/* Upstream's service controller re-syncs on a period too (nodeSyncPeriod, informer resyncs): a
 * provider with state of its own can lose a load balancer (state wiped, removed by hand) while
 * nothing changes here. Every period each provisioned Service of such a provider gets a full,
 * idempotent ensure. The pool and nodes providers keep nothing outside this process: no drift. */
static void resync_tick(evutil_socket_t fd, short what, void *arg)
{
	lb_ctrl_t *l = arg;
	const json_t *cache = informer_cache(l->svcs), *svc;
	const char *key;
	int n = 0;

	(void)fd;
	(void)what;
	if (l->blocked || !l->prov || l->cfg.provider != LB_PROVIDER_WEBHOOK || !informer_has_synced(l->svcs))
		return;
	json_object_foreach((json_t *)cache, key, svc) {
		json_t *st;

		if (!lb_svc_ours(svc) || !lb_svc_wants_lb(svc) || !lb_svc_has_finalizer(svc))
			continue;
		st = state_get(l, key, true);
		if (!st)
			continue;
		json_object_set_new(st, "resync", json_true());
		workqueue_add(l->q, key);
		n++;
	}
	log_debug("lb controller: periodic resync of %d load balancers", n);
}

/* (Re)arms the resync timer for a period of sec seconds (0: off). */
static void resync_arm(lb_ctrl_t *l, int sec)
{
	struct timeval tv = { sec, 0 };

	if (!l->resync_ev || sec == l->resync_sec)
		return;
	event_del(l->resync_ev);
	l->resync_sec = sec;
	if (sec > 0)
		event_add(l->resync_ev, &tv);
	if (sec > 0)
		log_info("lb controller: periodic resync every %d s", sec);
	else
		log_info("lb controller: periodic resync off");
}

/* ---- configuration ---- */

static void cfg_event(lb_ctrl_t *l, const json_t *cm, const char *type, const char *reason, const char *msg)
{
	if (cm)
		ctrl_event_emit(l->c, cm, "v1", "ConfigMap", type, reason, msg, LB_COMPONENT);
}

/* Ends provider calls in flight (their provider is going away): they run again soon. */
static void abandon_provider_ops(lb_ctrl_t *l)
{
	lb_op_t *op = l->ops, *next;

	for (; op; op = next) {
		next = op->next;
		if (op->pop) {
			l->prov->ops->cancel(l->prov, op->pop);
			op->pop = NULL;
			finish(op, LB_RETRY_SOON);
		}
	}
}

/* A configuration that cannot be used: say so on the ConfigMap. Before any good one was applied
 * nothing is touched at all (the Services' status may come from a configuration we cannot see). */
static void config_rejected(lb_ctrl_t *l, const json_t *cm, int rc, const char *err)
{
	char text[700];

	if (!l->cfg_gen) {
		l->blocked = true;
		snprintf(text, sizeof(text), "Invalid %s configuration, and no good one since the start: "
			 "load balancers are left as they are until it is fixed: %s",
			 LB_CONFIG_NAME, rc == -ENOMEM ? "out of memory" : err);
	} else {
		snprintf(text, sizeof(text), "Invalid %s configuration, the last good one stays in force: %s",
			 LB_CONFIG_NAME, rc == -ENOMEM ? "out of memory" : err);
	}
	log_warn("lb controller: %s", text);
	cfg_event(l, cm, "Warning", "InvalidConfiguration", text);
}

static void apply_config(lb_ctrl_t *l, const json_t *cm)
{
	lb_config_t cfg;
	lb_provider_t *prov = NULL;
	char err[512], text[700];
	int rc;

	rc = lb_config_parse(cm ? json_object_get(cm, "data") : NULL, &cfg, err, sizeof(err));
	if (rc < 0) {
		config_rejected(l, cm, rc, err);
		return;
	}
	if (l->prov && lb_config_equal(&cfg, &l->cfg) && !l->blocked) {
		resync_arm(l, cfg.resync_period_sec);
		l->cfg.resync_period_sec = cfg.resync_period_sec;
		lb_config_free(&cfg);
		return;
	}
	if (cfg.provider == LB_PROVIDER_POOL && lb_pool_set_ranges(l->pool, cfg.pools, cfg.npools) < 0) {
		lb_config_free(&cfg);
		return;
	}
	/* the pool provider stays when only the pools change: holders keep their addresses */
	if (!(cfg.provider == LB_PROVIDER_POOL && l->prov && l->cfg.provider == LB_PROVIDER_POOL)) {
		if (cfg.provider == LB_PROVIDER_POOL)
			rc = lb_provider_pool_new(l->pool, &prov);
		else if (cfg.provider == LB_PROVIDER_NODES)
			rc = lb_provider_nodes_new(&prov);
		else
			rc = lb_provider_webhook_new(kclient_base(l->c), &cfg, &prov, err, sizeof(err));
		if (rc < 0) {
			config_rejected(l, cm, rc, err);
			lb_config_free(&cfg);
			return;
		}
		if (l->prov) {
			abandon_provider_ops(l);
			l->prov->ops->free(l->prov);
		}
		l->prov = prov;
		if (cfg.provider == LB_PROVIDER_POOL)
			l->need_rebuild = true;
		else
			lb_pool_clear(l->pool);
	}
	lb_config_free(&l->cfg);
	l->cfg = cfg;
	l->cfg_gen++;
	resync_arm(l, cfg.resync_period_sec);
	l->blocked = false;
	snprintf(text, sizeof(text), "Load-balancer provider %s%s", l->prov->ops->name,
		 cfg.provider == LB_PROVIDER_POOL ? " with the configured pools" : "");
	log_info("lb controller: %s (configuration %u)", text, l->cfg_gen);
	if (cm)
		cfg_event(l, cm, "Normal", "ConfigurationApplied", text);
	kick_pending(l);
	enqueue_all(l);
}

static bool is_our_cm(const json_t *cm)
{
	const char *name = ctrl_meta(cm, "name"), *ns = ctrl_meta(cm, "namespace");

	return name && ns && strcmp(name, LB_CONFIG_NAME) == 0 && strcmp(ns, LB_CONFIG_NAMESPACE) == 0;
}

static void cm_added(informer_t *inf, const json_t *obj, void *arg)
{
	if (is_our_cm(obj))
		apply_config(arg, obj);
}

static void cm_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	cm_added(inf, obj, arg);
}

static void cm_deleted(informer_t *inf, const json_t *obj, void *arg)
{
	if (is_our_cm(obj))
		apply_config(arg, NULL); /* back to the default */
}

/* ---- other informers ---- */

static void svc_added(informer_t *inf, const json_t *obj, void *arg)
{
	lb_ctrl_t *l = arg;
	char *key = informer_key_of(obj);

	if (key && interesting(obj))
		workqueue_add(l->q, key);
	free(key);
}

static void svc_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	lb_ctrl_t *l = arg;
	char *key = informer_key_of(obj);

	/* a type change away from LoadBalancer is seen through the finalizer (needsCleanup) */
	if (key && (interesting(obj) || interesting(old)))
		workqueue_add(l->q, key);
	free(key);
}

static void svc_deleted(informer_t *inf, const json_t *obj, void *arg)
{
	lb_ctrl_t *l = arg;
	char *key = informer_key_of(obj);

	if (key)
		workqueue_add(l->q, key); /* releases what it held */
	free(key);
}

static void index_slice_service(const json_t *obj, json_t *ret_values, void *arg)
{
	const char *svc = json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"),
							    LB_SLICE_LABEL));
	const char *ns = ctrl_meta(obj, "namespace");
	char buf[512];

	if (svc && ns) {
		snprintf(buf, sizeof(buf), "%s/%s", ns, svc);
		json_array_append_new(ret_values, json_string(buf));
	}
}

static void slice_changed(informer_t *inf, const json_t *obj, void *arg)
{
	lb_ctrl_t *l = arg;
	json_t *vals = json_array();
	const json_t *svc;

	if (!vals)
		return;
	index_slice_service(obj, vals, NULL);
	if (json_array_size(vals)) {
		const char *key = json_string_value(json_array_get(vals, 0));
		svc = informer_get(l->svcs, key);
		if (svc && lb_svc_wants_lb(svc) && lb_svc_local(svc))
			workqueue_add(l->q, key);
	}
	json_decref(vals);
}

static void slice_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	slice_changed(inf, obj, arg);
}

/* Only a change of the eligible set (names, addresses, readiness, exclusion) matters. */
static void node_changed(informer_t *inf, const json_t *obj, void *arg)
{
	lb_ctrl_t *l = arg;
	json_t *nodes = lb_nodes_eligible(informer_cache(l->nodes), NULL);
	uint64_t fp;

	if (!nodes)
		return;
	fp = lb_fp_json(nodes);
	json_decref(nodes);
	if (fp == l->nodes_fp)
		return;
	l->nodes_fp = fp;
	if (informer_has_synced(l->svcs))
		enqueue_all(l);
}

static void node_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	node_changed(inf, obj, arg);
}

/* ---- life ---- */

int lb_ctrl_new(kclient_t *c, informer_t *nodes, lb_ctrl_t **ret)
{
	lb_ctrl_t *l = calloc(1, sizeof(*l));
	informer_handlers_t hs = { svc_added, svc_updated, svc_deleted, NULL };
	informer_handlers_t hsl = { slice_changed, slice_updated, slice_changed, NULL };
	informer_handlers_t hc = { cm_added, cm_updated, cm_deleted, NULL };
	informer_handlers_t hn = { node_changed, node_updated, node_changed, NULL };
	int rc = -ENOMEM;

	if (!l)
		return -ENOMEM;
	l->c = c;
	l->nodes = nodes;
	hs.arg = hsl.arg = hc.arg = hn.arg = l;
	if (!(l->state = json_object()) || (rc = lb_pool_new(&l->pool)) < 0 ||
	    (rc = lb_config_parse(NULL, &l->cfg, NULL, 0)) < 0 || (rc = lb_provider_nodes_new(&l->prov)) < 0)
		goto fail;
	if ((rc = workqueue_new(kclient_base(c), LB_PARALLEL, sync_svc, l, &l->q)) < 0 ||
	    (rc = informer_new(c, "/api/v1/services", NULL, &l->svcs)) < 0 ||
	    (rc = informer_new(c, "/apis/discovery.k8s.io/v1/endpointslices", NULL, &l->slices)) < 0 ||
	    (rc = informer_new(c, "/api/v1/namespaces/" LB_CONFIG_NAMESPACE "/configmaps", NULL, &l->cms)) < 0)
		goto fail;
	if ((rc = informer_add_handlers(l->svcs, &hs)) < 0 || (rc = informer_add_handlers(l->slices, &hsl)) < 0 ||
	    (rc = informer_add_index(l->slices, "svc", index_slice_service, NULL)) < 0 ||
	    (rc = informer_add_handlers(l->cms, &hc)) < 0 || (rc = informer_add_handlers(l->nodes, &hn)) < 0)
		goto fail;
	l->resync_ev = event_new(kclient_base(c), -1, EV_PERSIST, resync_tick, l);
	if (!l->resync_ev) {
		rc = -ENOMEM;
		goto fail;
	}
	resync_arm(l, l->cfg.resync_period_sec);
	informer_start(l->cms);
	informer_start(l->svcs);
	informer_start(l->slices);
	*ret = l;
	return 0;
fail:
	lb_ctrl_free(l);
	return rc;
}

void lb_ctrl_free(lb_ctrl_t *l)
{
	if (!l)
		return;
	while (l->ops) {
		lb_op_t *op = l->ops;
		workqueue_done(l->q, op->key, 0);
		op_free(op);
	}
	if (l->resync_ev)
		event_free(l->resync_ev);
	informer_free(l->svcs);
	informer_free(l->slices);
	informer_free(l->cms);
	workqueue_free(l->q);
	if (l->prov)
		l->prov->ops->free(l->prov);
	lb_pool_free(l->pool);
	lb_config_free(&l->cfg);
	json_decref(l->state);
	free(l);
}
