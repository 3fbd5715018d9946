/* The pod network of one node (issue 6): a bridge `portico0` holding the node's pod gateway (the
 * first address of its podCIDR), per pod a network namespace and a veth pair into the bridge
 * (hairpin on), IPAM from the podCIDR persisted under the data dir, routes to the other nodes'
 * podCIDRs through their node IPs (host-gw), and masquerade for pod traffic leaving the cluster's
 * CIDRs. Netlink through libmnl; the masquerade rules through nftables netlink (libnftnl). Everything
 * lives in the network namespace the agent runs in. Synchronous calls: each is a few netlink round
 * trips (well under a millisecond), so they run on the agent's loop. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define PODNET_BRIDGE "portico0"

typedef struct podnet podnet_t;

typedef struct podnet_config {
	const char *data_dir;     /* agent data dir: IPAM under DATA/ipam/, netns files under DATA/netns/ */
	const char *pod_cidr;     /* this node's spec.podCIDR, e.g. "10.42.1.0/24" (IPv4) */
	const char *cluster_cidr; /* all pods, e.g. "10.42.0.0/16": not masqueraded between pods (NULL: that) */
	const char *service_cidr; /* e.g. "10.43.0.0/16": not masqueraded either (NULL: that) */
	const char *node_ip;      /* this node's InternalIP (may be NULL; routes via it are skipped) */
} podnet_config_t;

/* All calls are thread-safe; operations on different uids run concurrently (a create or delete of a
 * uid that another thread is creating or deleting at that moment gets -EBUSY). A pod uid is 1..64
 * characters of [A-Za-z0-9._-] not starting with '.' (-EINVAL otherwise).
 *
 * Sets up (or adopts, when already there: a restarted agent) the bridge with the gateway address,
 * net.ipv4.ip_forward=1, bridge-nf-call-iptables=1 (so the proxy's DNAT sees same-bridge replies),
 * and the masquerade table. Never flushes live pods' state. Strings are copied. *ret: caller frees
 * with podnet_free(), which leaves the kernel state in place (pods keep running). Negative errno. */
int podnet_new(const podnet_config_t *cfg, podnet_t **ret);
void podnet_free(podnet_t *p); /* accepts NULL */

/* One pod's network. */
typedef struct podnet_sandbox {
	char netns_path[512]; /* a bind-mounted nsfs file: DATA/netns/<uid> (setns() it) */
	char ip[16];          /* the pod's IPv4 address, e.g. "10.42.1.7" */
	char gateway[16];     /* the bridge address, the pod's default route */
	char host_if[16];     /* the veth end on the bridge */
} podnet_sandbox_t;

/* Creates the pod's namespace (lo up, eth0 with ip/prefix, default route via the gateway), the veth
 * pair with hairpin on the bridge port, and allocates its IP (persisted as DATA/ipam/<ip> holding the
 * uid, written atomically before the address is configured, so a restart never hands out a live
 * pod's IP). Idempotent: when the uid already has a sandbox, fills *ret with it and returns 0.
 * -ENOSPC when the podCIDR is exhausted; other negative errno. A failure leaves nothing behind. */
int podnet_sandbox_create(podnet_t *p, const char *pod_uid, podnet_sandbox_t *ret);
/* A create of a recorded uid whose sandbox is incomplete (a create or delete cut short by a crash)
 * rebuilds it with the same IP; of a complete one, puts hairpin and link-up back if changed and
 * touches nothing else (connections keep running).
 * The uid's sandbox; -ENOENT when it has none or only an incomplete one (create repairs that). */
int podnet_sandbox_get(podnet_t *p, const char *pod_uid, podnet_sandbox_t *ret);
/* Tears the sandbox down: veth, namespace file, IP released. Idempotent (0 when absent). */
int podnet_sandbox_delete(podnet_t *p, const char *pod_uid);
/* Calls fn for each pod uid holding a sandbox (after a restart: adopt or collect), in IP order,
 * including incomplete ones; fn is called without podnet's lock held and may create or delete. */
int podnet_sandbox_foreach(podnet_t *p, void (*fn)(const char *pod_uid, void *arg), void *arg);

/* host-gw: the other nodes' podCIDRs and node IPs. Replaces the set of routes podnet installed
 * (added, changed and removed routes only; the node's own podCIDR is skipped). The routes carry
 * protocol 80 in the main table, which is how podnet tells its own from others' (also after a
 * restart). -EINVAL for a malformed entry or one CIDR with two gateways, before anything changes;
 * otherwise every change is tried and the first kernel error returned. */
typedef struct podnet_route {
	const char *cidr; /* "10.42.2.0/24" */
	const char *via;  /* "192.0.2.12" */
} podnet_route_t;
int podnet_set_routes(podnet_t *p, const podnet_route_t *routes, size_t n);
