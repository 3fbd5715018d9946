/* Node health from Leases (see nodelc_ctrl.h). A timer walks the cached Nodes; each write is fire
 * and forget with its resourceVersion, and the next round repeats whatever did not stick. */
#include "controllers/nodelc_ctrl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "client/informer.h"
#include "controllers/ctrl_util.h"
#include "core/log.h"

#define NODELC_LEASES "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"

struct nodelc_ctrl {
	kclient_t *c;
	informer_t *nodes, *leases, *pods;
	struct event *timer;
	int grace_sec;
	json_t *probes;   /* node name -> {"seen": monotonic seconds, "lease": renewTime, "hb": heartbeat} */
	json_t *inflight; /* "node/<name>" or pod key -> true while a write is pending */
	struct nodelc_op *ops;
	bool own;
};

typedef struct nodelc_op {
	nodelc_ctrl_t *n;
	kclient_req_t *req;
	char key[600];
	struct nodelc_op *next, *prev;
} nodelc_op_t;

static void op_free(nodelc_op_t *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else if (op->n->ops == op)
		op->n->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	json_object_del(op->n->inflight, op->key);
	kclient_cancel(op->req);
	free(op);
}

static long long mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static const char *ready_heartbeat(const json_t *node)
{
	const json_t *conds = json_object_get(json_object_get(node, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (ctrl_str(c, "type") && strcmp(ctrl_str(c, "type"), "Ready") == 0)
			return ctrl_str(c, "lastHeartbeatTime");
	return NULL;
}

/* Record a probe for node name when what it shows (lease renewTime or heartbeat) changed. */
static void probe(nodelc_ctrl_t *n, const char *name, const char *field, const char *value)
{
	json_t *p = json_object_get(n->probes, name), *v = json_object_get(p, field);

	if (!p) {
		p = json_object();
		if (!p)
			return;
		json_object_set_new(n->probes, name, p);
	} else if (v && (value ? json_is_string(v) && strcmp(json_string_value(v), value) == 0 : json_is_null(v))) {
		return;
	}
	json_object_set_new(p, field, value ? json_string(value) : json_null());
	json_object_set_new(p, "seen", json_integer(mono_sec()));
}

static void node_seen(informer_t *inf, const json_t *obj, void *arg)
{
	const char *name = ctrl_meta(obj, "name");

	if (name)
		probe(arg, name, "hb", ready_heartbeat(obj));
}

static void node_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	node_seen(inf, obj, arg);
}

static void node_gone(informer_t *inf, const json_t *obj, void *arg)
{
	nodelc_ctrl_t *n = arg;

	if (ctrl_meta(obj, "name"))
		json_object_del(n->probes, ctrl_meta(obj, "name"));
}

static void lease_seen(informer_t *inf, const json_t *obj, void *arg)
{
	const char *name = ctrl_meta(obj, "name");

	if (name)
		probe(arg, name, "lease", ctrl_str(json_object_get(obj, "spec"), "renewTime"));
}

static void lease_updated(informer_t *inf, const json_t *old, const json_t *obj, void *arg)
{
	lease_seen(inf, obj, arg);
}

static void index_pod_node(const json_t *obj, json_t *ret_values, void *arg)
{
	const char *node = ctrl_str(json_object_get(obj, "spec"), "nodeName");

	if (node && *node)
		json_array_append_new(ret_values, json_string(node));
}

static void write_done(int status, json_t *body, void *arg)
{
	nodelc_op_t *op = arg;

	if (status < 200 || status >= 300)
		log_debug("node lifecycle: write for %s answered %d", op->key, status);
	op->req = NULL;
	op_free(op);
}

static void nodelc_write(nodelc_ctrl_t *n, const char *key, const char *path, const json_t *body)
{
	nodelc_op_t *op;

	if (json_object_get(n->inflight, key) || !(op = calloc(1, sizeof(*op))))
		return;
	op->n = n;
	snprintf(op->key, sizeof(op->key), "%s", key);
	json_object_set_new(n->inflight, key, json_true());
	op->next = n->ops;
	if (n->ops)
		n->ops->prev = op;
	n->ops = op;
	if (kclient_request(n->c, "PUT", path, body, NULL, write_done, op, &op->req) < 0) {
		op->req = NULL;
		op_free(op);
	}
}

/* Sets condition type of the object's status.conditions (status, reason, message), keeping
 * lastHeartbeatTime; returns true when something changed. */
static bool set_condition(json_t *obj, const char *type, const char *status, const char *reason, const char *msg,
			  const char *now)
{
	json_t *st = json_object_get(obj, "status"), *conds, *c;
	size_t i;

	if (!json_is_object(st))
		json_object_set_new(obj, "status", st = json_object());
	conds = json_object_get(st, "conditions");
	if (!json_is_array(conds))
		json_object_set_new(st, "conditions", conds = json_array());
	json_array_foreach(conds, i, c) {
		if (!ctrl_str(c, "type") || strcmp(ctrl_str(c, "type"), type) != 0)
			continue;
		if (ctrl_str(c, "status") && strcmp(ctrl_str(c, "status"), status) == 0)
			return false;
		json_object_set_new(c, "status", json_string(status));
		json_object_set_new(c, "lastTransitionTime", json_string(now));
		if (reason)
			json_object_set_new(c, "reason", json_string(reason));
		if (msg)
			json_object_set_new(c, "message", json_string(msg));
		return true;
	}
	c = json_pack("{s:s, s:s, s:s}", "type", type, "status", status, "lastTransitionTime", now);
	if (c && reason)
		json_object_set_new(c, "reason", json_string(reason));
	if (c && msg)
		json_object_set_new(c, "message", json_string(msg));
	json_array_append_new(conds, c);
	return true;
}

static void mark_pods_not_ready(nodelc_ctrl_t *n, const char *node, const char *now)
{
	const json_t *keys = informer_index_keys(n->pods, "nodelc-node", node), *v;
	const char *k;

	json_object_foreach((json_t *)keys, k, v) {
		const json_t *pod = informer_get(n->pods, k);
		const char *rs = ctrl_str(ctrl_pod_condition(pod, "Ready"), "status");
		const char *phase = ctrl_str(json_object_get(pod, "status"), "phase");
		json_t *upd;
		char path[700];
		if (!pod || !rs || strcmp(rs, "False") == 0 ||
		    (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
			continue;
		upd = json_deep_copy(pod);
		if (upd && set_condition(upd, "Ready", "False", NULL, NULL, now)) {
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status", ctrl_meta(pod, "namespace"),
				 ctrl_meta(pod, "name"));
			log_info("node lifecycle: node %s is not ready: marking pod %s not ready", node, k);
			nodelc_write(n, k, path, upd);
		}
		json_decref(upd);
	}
}

static void monitor(evutil_socket_t fd, short what, void *arg)
{
	nodelc_ctrl_t *n = arg;
	const json_t *cache, *node;
	const char *name;
	long long now_m = mono_sec();
	char now[32];

	if (!informer_has_synced(n->nodes) || !informer_has_synced(n->leases) || !informer_has_synced(n->pods))
		return;
	ctrl_time_format(time(NULL), now, sizeof(now));
	cache = informer_cache(n->nodes);
	json_object_foreach((json_t *)cache, name, node) {
		json_t *p = json_object_get(n->probes, name);
		const json_t *conds = json_object_get(json_object_get(node, "status"), "conditions"), *c;
		const char *ready = NULL;
		size_t i;
		if (!p) {
			probe(n, name, "hb", ready_heartbeat(node));
			continue;
		}
		json_array_foreach(conds, i, c)
			if (ctrl_str(c, "type") && strcmp(ctrl_str(c, "type"), "Ready") == 0)
				ready = ctrl_str(c, "status");
		if (now_m - json_integer_value(json_object_get(p, "seen")) > n->grace_sec) {
			if (!ready || strcmp(ready, "Unknown") != 0) {
				json_t *upd = json_deep_copy(node);
				char path[400], key[300];
				bool never = !ready;
				if (upd && set_condition(upd, "Ready", "Unknown",
							 never ? "NodeStatusNeverUpdated" : "NodeStatusUnknown",
							 never ? "Kubelet never posted node status."
							       : "Kubelet stopped posting node status.",
							 now)) {
					snprintf(path, sizeof(path), "/api/v1/nodes/%s/status", name);
					snprintf(key, sizeof(key), "node/%s", name);
					log_warn("node lifecycle: node %s: no lease renewal for %d s; Ready is now Unknown",
						 name, n->grace_sec);
					nodelc_write(n, key, path, upd);
				}
				json_decref(upd);
			}
		}
		/* pods of a node that is not Ready leave rotation, however it got there */
		if (!ready || strcmp(ready, "True") != 0) {
			if (ready || now_m - json_integer_value(json_object_get(p, "seen")) > n->grace_sec)
				mark_pods_not_ready(n, name, now);
		}
	}
}

int nodelc_ctrl_new(kclient_t *c, int grace_sec, informer_t *pods, informer_t *nodes, nodelc_ctrl_t **ret)
{
	nodelc_ctrl_t *n = calloc(1, sizeof(*n));
	informer_handlers_t hn = { node_seen, node_updated, node_gone, NULL };
	informer_handlers_t hl = { lease_seen, lease_updated, NULL, NULL };
	struct timeval period;
	int rc = -ENOMEM, p;

	if (!n)
		return -ENOMEM;
	n->c = c;
	n->grace_sec = grace_sec > 0 ? grace_sec : NODELC_GRACE_SEC_DEFAULT;
	n->probes = json_object();
	n->inflight = json_object();
	if (!n->probes || !n->inflight)
		goto fail;
	hn.arg = hl.arg = n;
	n->own = !pods;
	if (pods) {
		n->pods = pods;
		n->nodes = nodes;
	}
	if ((!pods && (rc = informer_new(c, "/api/v1/nodes", NULL, &n->nodes)) < 0) ||
	    (rc = informer_new(c, NODELC_LEASES, NULL, &n->leases)) < 0 ||
	    (!pods && (rc = informer_new(c, "/api/v1/pods", NULL, &n->pods)) < 0))
		goto fail;
	if ((rc = informer_add_index(n->pods, "nodelc-node", index_pod_node, NULL)) < 0 ||
	    (rc = informer_add_handlers(n->nodes, &hn)) < 0 || (rc = informer_add_handlers(n->leases, &hl)) < 0)
		goto fail;
	rc = -ENOMEM;
	n->timer = event_new(kclient_base(c), -1, EV_PERSIST, monitor, n);
	if (!n->timer)
		goto fail;
	/* nodeMonitorPeriod 5 s; shorter for short grace periods so the deadline is not overshot much */
	p = n->grace_sec * 1000 / 4;
	if (p > 5000)
		p = 5000;
	if (p < 200)
		p = 200;
	period.tv_sec = p / 1000;
	period.tv_usec = (p % 1000) * 1000;
	event_add(n->timer, &period);
	informer_start(n->leases);
	if (n->own) {
		informer_start(n->nodes);
		informer_start(n->pods);
	}
	*ret = n;
	return 0;
fail:
	nodelc_ctrl_free(n);
	return rc;
}

void nodelc_ctrl_free(nodelc_ctrl_t *n)
{
	if (!n)
		return;
	if (n->timer)
		event_free(n->timer);
	while (n->ops)
		op_free(n->ops);
	informer_free(n->leases);
	if (n->own) {
		informer_free(n->nodes);
		informer_free(n->pods);
	}
	json_decref(n->probes);
	json_decref(n->inflight);
	free(n);
}
