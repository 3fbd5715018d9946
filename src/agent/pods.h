/* The agent's pod loop (the kubelet's pod workers and status manager): the Pods bound to this node
 * (an informer with fieldSelector spec.nodeName=<node>) get a sandbox from the pod network, their
 * containers from the exec runtime with the Kubernetes service variables, probes, and a status
 * written through pods/status only when it changed; deleted Pods are stopped with their grace period,
 * torn down and finally deleted (grace 0, uid precondition). Events as the kubelet words them
 * (source component "kubelet", host the node). At start, running pods are adopted and those whose
 * Pod is gone collected. Everything runs on the kclient's event loop. */
#pragma once
#include <stdbool.h>

#include "agent/runtime.h"
#include "client/informer.h"
#include "client/kclient.h"

typedef struct pods pods_t;

typedef struct pods_config {
	const char *node_name;      /* required */
	const char *node_ip;        /* required: hostIP, and the host-gw next hop other nodes use */
	const char *data_dir;       /* required: DATA/pods, DATA/ipam, DATA/netns live under it */
	const char *cluster_cidr;   /* NULL: 10.42.0.0/16 */
	const char *service_cidr;   /* NULL: 10.43.0.0/16 */
	const char *cluster_dns;    /* NULL: 10.43.0.10 */
	const char *cluster_domain; /* NULL: cluster.local */
	const char *exe;            /* the binary supervisors run as; NULL: /proc/self/exe */
} pods_config_t;

/* Starts the informers (Pods of this node, Services, Nodes) and the runtime; sandboxes wait for the
 * Node's spec.podCIDR. Strings copied. *ret: caller frees with pods_free() before the kclient.
 * Negative errno. */
int pods_new(kclient_t *c, const pods_config_t *cfg, pods_t **ret);
/* Frees the agent's side; pods keep running (a restarted agent adopts them). Accepts NULL. */
void pods_free(pods_t *m);

/* The runtime (for the log endpoint: runtime_log_path()), borrowed; NULL never. */
runtime_t *pods_runtime(pods_t *m);
/* The Nodes informer, borrowed. Slimmed (pods.c node_keep): metadata name/resourceVersion,
 * spec.podCIDR and the first InternalIP in status.addresses. */
informer_t *pods_nodes(pods_t *m);
/* The pod's object by uid as last seen (borrowed until the next loop turn); NULL when unknown. */
const json_t *pods_find(pods_t *m, const char *uid);
/* The Pod ns/name bound to this node as the informer last saw it (borrowed until the next loop
 * turn); NULL when this node has no such pod. For the log server. */
const json_t *pods_find_name(pods_t *m, const char *ns, const char *name);
