/* The scheduler's loop (see sched_ctrl.h): a work queue of Pod keys fed by the Pod and Node
 * informers. Pods bound by us but not yet seen bound by the informer are "assumed" (upstream's
 * scheduler cache does the same), so a burst of Pods spreads over the Nodes instead of piling onto
 * the one the stale cache says is emptiest. */
#include "controllers/sched_ctrl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/ctrl_util.h"
#include "controllers/sched_logic.h"
#include "core/log.h"

#define SCHED_PARALLEL 8
#define SCHED_RETRY_MS 60000
#define SCHED_WAIT_SYNC_MS 100

typedef struct sched_op {
	sched_ctrl_t *s;
	kclient_req_t *req;
	char *key, *node;
	int step; /* 0: bind, 1: PodScheduled=True, 2: PodScheduled=False */
	struct sched_op *next, *prev;
} sched_op_t;

struct sched_ctrl {
	kclient_t *c;
	informer_t *nodes, *pods;
	workqueue_t *q;
	bool own;
	json_t *assumed; /* pod key -> node name */
	json_t *failed;  /* pod key -> last FailedScheduling message */
	sched_op_t *ops;
};

/* ---- handlers ---- */

static void pod_seen(informer_t *inf, const json_t *obj, void *arg)
{
	sched_ctrl_t *s = arg;
	char *key = informer_key_of(obj);

	if (!key)
		return;
	if (!sched_pod_pending(obj)) {
		json_object_del(s->assumed, key);
		json_object_del(s->failed, key);
	} else {
		workqueue_add(s->q, key);
	}
	free(key);
}

static void pod_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	pod_seen(inf, obj, arg);
}

static void pod_gone(informer_t *inf, const json_t *obj, void *arg)
{
	sched_ctrl_t *s = arg;
	char *key = informer_key_of(obj);

	if (key) {
		json_object_del(s->assumed, key);
		json_object_del(s->failed, key);
	}
	free(key);
}

/* A Node appeared or changed: every pending Pod gets another chance. */
static void node_changed(informer_t *inf, const json_t *obj, void *arg)
{
	sched_ctrl_t *s = arg;
	const json_t *keys = informer_index_keys(s->pods, "sched-pending", "1"), *v;
	const char *k;

	json_object_foreach((json_t *)keys, k, v)
		workqueue_add(s->q, k);
}

static void node_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	node_changed(inf, obj, arg);
}

static void index_pod_node(const json_t *obj, json_t *ret_values, void *arg)
{
	const char *node = ctrl_str(json_object_get(obj, "spec"), "nodeName");
	const char *phase = ctrl_str(json_object_get(obj, "status"), "phase");

	if (node && *node && !(phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
		json_array_append_new(ret_values, json_string(node));
}

static void index_pod_pending(const json_t *obj, json_t *ret_values, void *arg)
{
	if (sched_pod_pending(obj))
		json_array_append_new(ret_values, json_string("1"));
}

/* ---- writes ---- */

static void op_free(sched_op_t *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else if (op->s->ops == op)
		op->s->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	kclient_cancel(op->req);
	free(op->key);
	free(op->node);
	free(op);
}

static void op_done(int status, json_t *body, void *arg);

static int op_send(sched_ctrl_t *s, sched_op_t *op, const char *method, const char *path, const json_t *body)
{
	int rc = kclient_request(s->c, method, path, body, NULL, op_done, op, &op->req);

	if (rc < 0)
		op->req = NULL;
	return rc;
}

static sched_op_t *op_new(sched_ctrl_t *s, const char *key, const char *node, int step)
{
	sched_op_t *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->s = s;
	op->step = step;
	op->key = strdup(key);
	op->node = node ? strdup(node) : NULL;
	if (!op->key || (node && !op->node)) {
		free(op->key);
		free(op->node);
		free(op);
		return NULL;
	}
	op->next = s->ops;
	if (s->ops)
		s->ops->prev = op;
	s->ops = op;
	return op;
}

/* pod (a whole Pod) with its PodScheduled condition set; new reference */
static json_t *with_scheduled(const json_t *pod, const char *status, const char *reason, const char *msg)
{
	json_t *p = json_deep_copy(pod), *st, *conds, *c, *cur;
	char now[32];
	size_t i;

	if (!p)
		return NULL;
	st = json_object_get(p, "status");
	if (!json_is_object(st))
		json_object_set_new(p, "status", st = json_object());
	conds = json_object_get(st, "conditions");
	if (!json_is_array(conds))
		json_object_set_new(st, "conditions", conds = json_array());
	ctrl_time_format(time(NULL), now, sizeof(now));
	c = json_pack("{s:s, s:s, s:n, s:s}", "type", "PodScheduled", "status", status, "lastProbeTime",
		      "lastTransitionTime", now);
	if (!c) {
		json_decref(p);
		return NULL;
	}
	if (reason)
		json_object_set_new(c, "reason", json_string(reason));
	if (msg)
		json_object_set_new(c, "message", json_string(msg));
	json_array_foreach(conds, i, cur) {
		if (ctrl_str(cur, "type") && strcmp(ctrl_str(cur, "type"), "PodScheduled") == 0) {
			if (ctrl_str(cur, "status") && strcmp(ctrl_str(cur, "status"), status) == 0 &&
			    ctrl_str(cur, "lastTransitionTime"))
				json_object_set(c, "lastTransitionTime", json_object_get(cur, "lastTransitionTime"));
			json_array_set_new(conds, i, c);
			return p;
		}
	}
	json_array_append_new(conds, c);
	return p;
}

static void op_done(int status, json_t *body, void *arg)
{
	sched_op_t *op = arg;
	sched_ctrl_t *s = op->s;
	char path[700], msg[600];
	const char *ns = ctrl_meta(body, "namespace"), *name = ctrl_meta(body, "name");

	op->req = NULL;
	if (op->step == 0) {
		if (status == 200 && ns && name) {
			json_t *upd = with_scheduled(body, "True", NULL, NULL);
			snprintf(msg, sizeof(msg), "Successfully assigned %s/%s to %s", ns, name, op->node);
			ctrl_event_emit(s->c, body, "v1", "Pod", "Normal", "Scheduled", msg, SCHED_NAME);
			workqueue_done(s->q, op->key, 0);
			if (upd) {
				snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status", ns, name);
				op->step = 1;
				if (op_send(s, op, "PUT", path, upd) == 0) {
					json_decref(upd);
					return;
				}
				json_decref(upd);
			}
		} else {
			/* 409: the Pod changed under us (maybe bound elsewhere); look again */
			log_debug("scheduler: binding %s to %s answered %d", op->key, op->node, status);
			json_object_del(s->assumed, op->key);
			workqueue_done(s->q, op->key, status == 404 ? 0 : -EIO);
		}
	} else if (status < 200 || status >= 300) {
		log_debug("scheduler: status of %s answered %d", op->key, status);
	}
	op_free(op);
}

static void sync_pod(workqueue_t *q, const char *key, void *arg)
{
	sched_ctrl_t *s = arg;
	const json_t *pod, *nk, *v, *cache;
	json_t *nodes = NULL, *counts = NULL;
	const char *node = NULL, *k;
	char msg[1024], path[700];
	sched_op_t *op;
	int rc;

	if (!informer_has_synced(s->nodes) || !informer_has_synced(s->pods)) {
		workqueue_done(q, key, 0);
		workqueue_add_after(q, key, SCHED_WAIT_SYNC_MS);
		return;
	}
	pod = informer_get(s->pods, key);
	if (!pod || !sched_pod_pending(pod) || json_object_get(s->assumed, key)) {
		workqueue_done(q, key, 0);
		return;
	}
	nodes = json_array();
	counts = json_object();
	if (!nodes || !counts)
		goto nomem;
	cache = informer_cache(s->nodes);
	json_object_foreach((json_t *)cache, k, nk) {
		const json_t *bound = informer_index_keys(s->pods, "sched-node", k);
		json_array_append(nodes, (json_t *)nk);
		json_object_set_new(counts, k, json_integer((json_int_t)json_object_size(bound)));
	}
	/* assumed bindings the informer has not shown yet */
	json_object_foreach(s->assumed, k, v) {
		const char *n = json_string_value(v);
		if (n)
			json_object_set_new(counts, n, json_integer(json_integer_value(json_object_get(counts, n)) + 1));
	}
	rc = sched_pick(pod, nodes, counts, &node, msg, sizeof(msg));
	if (rc == 0) {
		json_t *upd = json_deep_copy(pod);
		if (!upd || !(op = op_new(s, key, node, 0))) {
			json_decref(upd);
			goto nomem;
		}
		json_object_set_new(json_object_get(upd, "spec"), "nodeName", json_string(node));
		json_object_set_new(s->assumed, key, json_string(node));
		json_object_del(s->failed, key);
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ctrl_meta(pod, "namespace"),
			 ctrl_meta(pod, "name"));
		if (op_send(s, op, "PUT", path, upd) < 0) {
			json_object_del(s->assumed, key);
			op_free(op);
			json_decref(upd);
			goto nomem;
		}
		json_decref(upd);
		json_decref(nodes);
		json_decref(counts);
		return; /* finished when the bind answers */
	}
	/* unschedulable: condition and event when the reason is new, then wait for a Node change */
	if (!json_object_get(s->failed, key) || strcmp(json_string_value(json_object_get(s->failed, key)), msg) != 0) {
		const json_t *cur = ctrl_pod_condition(pod, "PodScheduled");
		json_object_set_new(s->failed, key, json_string(msg));
		ctrl_event_emit(s->c, pod, "v1", "Pod", "Warning", "FailedScheduling", msg, SCHED_NAME);
		if (!cur || strcmp(ctrl_str(cur, "status") ? ctrl_str(cur, "status") : "", "False") != 0 ||
		    strcmp(ctrl_str(cur, "message") ? ctrl_str(cur, "message") : "", msg) != 0) {
			json_t *upd = with_scheduled(pod, "False", "Unschedulable", msg);
			if (upd && (op = op_new(s, key, NULL, 2))) {
				snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status",
					 ctrl_meta(pod, "namespace"), ctrl_meta(pod, "name"));
				if (op_send(s, op, "PUT", path, upd) < 0)
					op_free(op);
			}
			json_decref(upd);
		}
	}
	json_decref(nodes);
	json_decref(counts);
	workqueue_done(q, key, 0);
	workqueue_add_after(q, key, SCHED_RETRY_MS);
	return;
nomem:
	json_decref(nodes);
	json_decref(counts);
	workqueue_done(q, key, -ENOMEM);
}

int sched_ctrl_new(kclient_t *c, informer_t *pods, informer_t *nodes, sched_ctrl_t **ret)
{
	sched_ctrl_t *s = calloc(1, sizeof(*s));
	informer_handlers_t hp = { pod_seen, pod_updated, pod_gone, NULL };
	informer_handlers_t hn = { node_changed, node_updated, NULL, NULL };
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->c = c;
	s->assumed = json_object();
	s->failed = json_object();
	if (!s->assumed || !s->failed)
		goto fail;
	hp.arg = hn.arg = s;
	if ((rc = workqueue_new(kclient_base(c), SCHED_PARALLEL, sync_pod, s, &s->q)) < 0 ||
	    (!pods && (rc = informer_new(c, "/api/v1/nodes", NULL, &s->nodes)) < 0) ||
	    (!pods && (rc = informer_new(c, "/api/v1/pods", NULL, &s->pods)) < 0))
		goto fail;
	s->own = !pods;
	if (pods) {
		s->pods = pods;
		s->nodes = nodes;
	}
	if ((rc = informer_add_index(s->pods, "sched-node", index_pod_node, NULL)) < 0 ||
	    (rc = informer_add_index(s->pods, "sched-pending", index_pod_pending, NULL)) < 0 ||
	    (rc = informer_add_handlers(s->pods, &hp)) < 0 || (rc = informer_add_handlers(s->nodes, &hn)) < 0)
		goto fail;
	if (s->own) {
		informer_start(s->nodes);
		informer_start(s->pods);
	}
	*ret = s;
	return 0;
fail:
	sched_ctrl_free(s);
	return rc;
}

void sched_ctrl_free(sched_ctrl_t *s)
{
	if (!s)
		return;
	while (s->ops) {
		sched_op_t *op = s->ops;
		if (op->step == 0)
			workqueue_done(s->q, op->key, 0);
		op_free(op);
	}
	if (s->own) {
		informer_free(s->nodes);
		informer_free(s->pods);
	}
	workqueue_free(s->q);
	json_decref(s->assumed);
	json_decref(s->failed);
	free(s);
}

