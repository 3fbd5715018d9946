/* announce: the node agent's layer-2 announcer for load-balancer addresses of provider `pool`
 * (MetalLB's L2 mode). Per Service one node answers ARP (IPv4) and Neighbor Solicitations (IPv6)
 * for the Service's status.loadBalancer.ingress IPs, on the interface holding the node IP; it is
 * elected through a Lease kube-system/portico-lb.<ns>.<name> (holderIdentity = node name). The
 * address is never added to an interface: the proxy's rules take the traffic that arrives.
 *
 * Election: a short lease (1 s, renewed every 250 ms) so a dead announcer is replaced within about
 * 1.2 s. Candidates are the Ready Nodes without node.kubernetes.io/exclude-from-external-load-
 * balancers, and for externalTrafficPolicy Local only those with a ready endpoint of the Service
 * (EndpointSlices' nodeName). Every node ranks the candidates the same way (FNV-1a of node name and
 * Service, as MetalLB ranks without memberlist); when the lease expires the first candidate tries
 * at once and each later one waits ANNOUNCE_STAGGER_MS more, so takeovers rarely collide, and the
 * Lease's resourceVersion makes sure only one wins. A holder that stops being a candidate releases
 * the lease. The new announcer sends gratuitous ARP / unsolicited NA at once, 5 times 1 s apart,
 * then every 10 s, and records a nodeAssigned event on the Service. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "client/kclient.h"

#define ANNOUNCE_LEASE_MS    1000 /* leaseDurationSeconds 1 */
#define ANNOUNCE_RENEW_MS    250
#define ANNOUNCE_STAGGER_MS  150  /* per rank after the first candidate */
#define ANNOUNCE_MARGIN_MS   200  /* stop answering this long before others may take over */
#define ANNOUNCE_TICK_MS     50
#define ANNOUNCE_GARP_COUNT  5
#define ANNOUNCE_GARP_GAP_MS 1000
#define ANNOUNCE_REFRESH_MS  10000
#define ANNOUNCE_LEASE_LABEL "portico.io/lb-announcer"

typedef struct announce_config {
	const char *node_name; /* this Node, the Lease holder identity */
	const char *node_ip;   /* answers go out of the interface holding it */
} announce_config_t;

typedef struct announce announce_t;

/* Starts the informers (Services, EndpointSlices, Nodes, kube-system ConfigMaps and the announcer
 * Leases) and the announcer on base. Strings are copied. *ret: caller frees with announce_free()
 * before the kclient. -EINVAL without node name or with a bad node IP, -ENOMEM. The raw sockets
 * are opened once the interface is found (retried each tick), so a missing interface or privilege
 * is logged, not fatal. */
int announce_start(struct event_base *base, kclient_t *c, const announce_config_t *cfg, announce_t **ret);
/* Stops answering at once and releases the Leases this node holds, so another node takes over
 * without waiting for them to expire; the requests need the event loop to run a little longer
 * (ANNOUNCE_RELEASE_GRACE_MS). Nothing is announced or elected afterwards. Accepts NULL. */
void announce_release(announce_t *a);
#define ANNOUNCE_RELEASE_GRACE_MS 300
/* Stops answering and frees everything (pending requests are cancelled). Accepts NULL. */
void announce_free(announce_t *a);

/* ---- pure decisions (exposed for tests) ------------------------------------------------------- */

/* The provider the ConfigMap data selects, read with the controller's parser (lb_config_parse): 1
 * for pool (data.provider "pool", or no provider with pools configured), 0 for nodes or webhook,
 * -EINVAL for an invalid ConfigMap (the caller keeps its previous choice, as the controller keeps
 * the last good configuration). data may be NULL (no ConfigMap: nodes). */
int announce_provider_pool(const json_t *data);

/* True when svc is a LoadBalancer Service of Portico's class (loadBalancerClass unset or
 * portico.io/lb) with at least one ingress IP. */
bool announce_svc_wanted(const json_t *svc);

/* The ingress IPs of svc: IPv4 addresses into v4 (4 bytes each, at most max4), IPv6 into v6 (16
 * each, at most max6); counts into *ret_n4 / *ret_n6. Unparsable entries are skipped. */
void announce_svc_ips(const json_t *svc, uint8_t (*v4)[4], size_t max4, size_t *ret_n4, uint8_t (*v6)[16],
		      size_t max6, size_t *ret_n6);

/* True when node may announce: Ready condition True and no exclude-from-external-load-balancers
 * label (any value, as upstream). */
bool announce_node_eligible(const json_t *node);

/* True when the EndpointSlice has an endpoint on node_name that is ready (conditions.ready true or
 * absent, as the API defines "unknown" as ready). */
bool announce_slice_ready_on(const json_t *slice, const char *node_name);

/* The ranking key of node for Service key "ns/name" (FNV-1a 64 over "node/ns/name", mixed). */
uint64_t announce_rank_key(const char *node_name, const char *svc_key);

/* The rank of self among cands (n names), leaving out holder (may be NULL): 0 is first. Sorted by
 * announce_rank_key, ties by name. -1 when self is not a candidate. */
int announce_rank(const char *svc_key, const char *self, const char *const *cands, size_t n, const char *holder);

typedef enum announce_act {
	ANNOUNCE_NONE = 0,
	ANNOUNCE_CREATE,   /* no Lease: create it, holder self */
	ANNOUNCE_RENEW,    /* ours: renew */
	ANNOUNCE_TAKEOVER, /* expired or released: write holder self with its resourceVersion */
	ANNOUNCE_RELEASE,  /* ours but no longer a candidate: clear the holder */
} announce_act_t;

/* What one node knows about one Service's election at now_ms (a monotonic clock). */
typedef struct announce_view {
	uint64_t now_ms;
	bool candidate;         /* this node may announce the Service */
	int rank;               /* announce_rank(), >= 0 when candidate */
	bool lease_known;       /* the Lease informer has synced */
	bool lease_exists;
	bool held_by_self;      /* holderIdentity is this node */
	bool holder_empty;      /* released (no holderIdentity) */
	uint64_t observed_ms;   /* when the Lease (or its absence) last changed, on our clock */
	uint64_t last_write_ms; /* when our last write was sent; 0: never */
	uint64_t last_ok_ms;    /* when our last successful write making us holder was sent; 0: never */
} announce_view_t;

/* The next step, and in *ret_announce whether this node answers for the Service now: only while it
 * holds the Lease through a write sent less than ANNOUNCE_LEASE_MS - ANNOUNCE_MARGIN_MS ago (others
 * may take over ANNOUNCE_LEASE_MS after they saw that write, which is later than we sent it). */
announce_act_t announce_decide(const announce_view_t *v, bool *ret_announce);

/* The Lease name for Service key "ns/name": "portico-lb.<ns>.<name>" ('.' cannot appear in either
 * part, so names never collide) into buf; -ENAMETOOLONG when buf is short. */
int announce_lease_name(const char *svc_key, char *buf, size_t len);
