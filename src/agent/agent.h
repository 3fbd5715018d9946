/* The node agent's API-server side (the kubelet's registration, node status and node lease loops):
 * it registers the Node, renews its Lease in kube-node-lease every AGENT_RENEW_SEC, and keeps the
 * Node's status (addresses, capacity, conditions with the Ready heartbeat, nodeInfo) current. All on
 * one kclient's event loop. */
#pragma once
#include "agent/agent_node.h"
#include "client/kclient.h"

typedef struct agent agent_t;

/* info: copied (strings too). Starts registering at once; failed steps are retried with back-off
 * (100 ms doubling to 7 s, as the kubelet's registration). *ret: caller frees with agent_free()
 * before the kclient. -EINVAL without name or ip, -ENOMEM. */
int agent_new(kclient_t *c, const agent_node_info_t *info, agent_t **ret);
void agent_free(agent_t *a); /* accepts NULL; pending requests are cancelled */

/* True once the Node exists (for logs and tests). */
bool agent_registered(const agent_t *a);
