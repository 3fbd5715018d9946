/* The node lifecycle controller's health part (upstream pkg/controller/nodelifecycle
 * monitorNodeHealth): a Node whose agent has not renewed its Lease in kube-node-lease (nor posted
 * a new Ready heartbeat) for the grace period gets its Ready condition set to Unknown
 * ("NodeStatusUnknown", "Kubelet stopped posting node status."), and the Ready condition of every Pod
 * bound to it is set to False (MarkPodsNotReady), so the EndpointSlice controller takes them out of
 * rotation. No taints and no eviction. Time is measured on our own clock from when we last saw the
 * Lease or heartbeat change, as upstream does, so clocks need not agree. */
#pragma once
#include "client/informer.h"
#include "client/kclient.h"

typedef struct nodelc_ctrl nodelc_ctrl_t;

#define NODELC_GRACE_SEC_DEFAULT 40 /* --node-monitor-grace-period */

/* grace_sec <= 0: NODELC_GRACE_SEC_DEFAULT. Checks every min(5 s, grace / 4). pods, nodes: shared
 * informers not started yet (borrowed; the caller starts them and frees them after this
 * controller), or both NULL for our own. Adds the index "nodelc-node". */
int nodelc_ctrl_new(kclient_t *c, int grace_sec, informer_t *pods, informer_t *nodes, nodelc_ctrl_t **ret);
void nodelc_ctrl_free(nodelc_ctrl_t *n); /* accepts NULL */
