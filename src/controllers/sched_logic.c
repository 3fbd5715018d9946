/* Node choice for the minimal scheduler (see sched_logic.h). */
#include "controllers/sched_logic.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controllers/ctrl_util.h"

bool sched_pod_pending(const json_t *pod)
{
	const json_t *spec = json_object_get(pod, "spec");
	const char *node = ctrl_str(spec, "nodeName"), *sched = ctrl_str(spec, "schedulerName");

	if (node && *node)
		return false;
	if (sched && *sched && strcmp(sched, SCHED_NAME) != 0)
		return false;
	return ctrl_pod_active(pod);
}

static const char *node_ready_status(const json_t *node)
{
	const json_t *conds = json_object_get(json_object_get(node, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (ctrl_str(c, "type") && strcmp(ctrl_str(c, "type"), "Ready") == 0)
			return ctrl_str(c, "status");
	return NULL;
}

bool sched_node_ready(const json_t *node)
{
	const char *s = node_ready_status(node);

	return s && strcmp(s, "True") == 0;
}

/* nodeSelector: every pair must be among the node's labels */
static bool selector_fits(const json_t *pod, const json_t *node)
{
	const json_t *sel = json_object_get(json_object_get(pod, "spec"), "nodeSelector"), *v;
	const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
	const char *k;

	json_object_foreach((json_t *)sel, k, v) {
		const json_t *have = json_object_get(labels, k);
		if (!json_is_string(have) || !json_equal(have, v))
			return false;
	}
	return true;
}

enum { WHY_SELECTOR, WHY_NOT_READY, WHY_UNREACHABLE, WHY_UNSCHEDULABLE, WHY_N };

int sched_pick(const json_t *pod, const json_t *nodes, const json_t *counts, const char **ret_node, char *msg,
	       size_t len)
{
	/* upstream's wording; sorted as upstream sorts the reasons */
	static const char *const why_text[WHY_N] = {
		[WHY_SELECTOR] = "node(s) didn't match Pod's node affinity/selector",
		[WHY_NOT_READY] = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
		[WHY_UNREACHABLE] = "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
		[WHY_UNSCHEDULABLE] = "node(s) were unschedulable",
	};
	static const int order[WHY_N] = { WHY_SELECTOR, WHY_NOT_READY, WHY_UNREACHABLE, WHY_UNSCHEDULABLE };
	int why[WHY_N] = { 0 };
	const char *best = NULL;
	json_int_t best_n = 0;
	const json_t *n;
	size_t i, off;
	bool first = true;

	json_array_foreach(nodes, i, n) {
		const char *name = ctrl_meta(n, "name"), *rs = node_ready_status(n);
		json_int_t cnt;
		if (!name)
			continue;
		if (json_is_true(json_object_get(json_object_get(n, "spec"), "unschedulable"))) {
			why[WHY_UNSCHEDULABLE]++;
			continue;
		}
		if (!rs || strcmp(rs, "True") != 0) {
			why[rs && strcmp(rs, "False") == 0 ? WHY_NOT_READY : WHY_UNREACHABLE]++;
			continue;
		}
		if (!selector_fits(pod, n)) {
			why[WHY_SELECTOR]++;
			continue;
		}
		cnt = json_integer_value(json_object_get(counts, name));
		if (!best || cnt < best_n || (cnt == best_n && strcmp(name, best) < 0)) {
			best = name;
			best_n = cnt;
		}
	}
	if (best) {
		*ret_node = best;
		return 0;
	}
	if (json_array_size(nodes) == 0) {
		snprintf(msg, len, "no nodes available to schedule pods");
		return -ENOENT;
	}
	off = (size_t)snprintf(msg, len, "0/%zu nodes are available:", json_array_size(nodes));
	for (int k = 0; k < WHY_N && off < len; k++) {
		int w = order[k];
		if (!why[w])
			continue;
		off += (size_t)snprintf(msg + off, len - off, "%s %d %s", first ? "" : ",", why[w], why_text[w]);
		first = false;
	}
	if (off < len)
		snprintf(msg + off, len - off, ".");
	return -ENOENT;
}
