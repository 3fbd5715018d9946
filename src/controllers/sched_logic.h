/* The scheduler's pure part: which Pods want a node and which node a Pod gets (a minimal
 * kube-scheduler: the NodeUnschedulable, NodeName/NodeSelector and not-ready filters of
 * pkg/scheduler/framework/plugins, then the fewest Pods first, ties by name). No I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SCHED_NAME "default-scheduler"

/* No nodeName, our schedulerName (or none), not being deleted, not in a terminal phase. */
bool sched_pod_pending(const json_t *pod);
/* The node's Ready condition is True. */
bool sched_node_ready(const json_t *node);

/* Picks a node for pod from nodes (an array of Node objects); counts maps node name -> number of
 * Pods already bound there (absent: 0). On success returns 0 and *ret_node (borrowed from nodes).
 * Otherwise -ENOENT and msg holds upstream's FailedScheduling wording, e.g. "0/3 nodes are
 * available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) were unschedulable.",
 * or "no nodes available to schedule pods" when there are none. */
int sched_pick(const json_t *pod, const json_t *nodes, const json_t *counts, const char **ret_node, char *msg,
	       size_t len);
