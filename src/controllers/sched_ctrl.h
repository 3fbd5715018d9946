/* The minimal scheduler: sets spec.nodeName on Pods that have none (schedulerName
 * default-scheduler), choosing among Ready, schedulable Nodes that match the Pod's nodeSelector the
 * one with the fewest Pods. A Pod that fits nowhere stays Pending with PodScheduled=False
 * (Unschedulable) and a FailedScheduling event, and is tried again when Nodes change and every 60 s.
 * Portico serves no pods/binding subresource, so binding is a PUT of the Pod with its
 * resourceVersion (only a Pod still unbound is bound), then PodScheduled=True through pods/status. */
#pragma once
#include "client/informer.h"
#include "client/kclient.h"

typedef struct sched_ctrl sched_ctrl_t;

/* pods, nodes: shared informers not started yet (borrowed; the caller starts them and frees them
 * after this controller), or both NULL for our own. Adds the indexes "sched-node", "sched-pending". */
int sched_ctrl_new(kclient_t *c, informer_t *pods, informer_t *nodes, sched_ctrl_t **ret);
void sched_ctrl_free(sched_ctrl_t *s); /* accepts NULL */
