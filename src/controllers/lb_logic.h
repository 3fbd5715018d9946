/* The load-balancer controller's decisions, pure (no I/O) so tests can drive them: which Services
 * are ours and what they need (upstream cloud-provider controllers/service: wantsLoadBalancer,
 * needsCleanup, the node predicates), the allocator request a Service makes, the nodes and ingress
 * lists, the webhook protocol's JSON (docs/loadbalancers.md), and the retry back-off. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/lb_pool.h"

#define LB_FINALIZER         "service.kubernetes.io/load-balancer-cleanup"
#define LB_ANN_IPS           "portico.io/load-balancer-ips"
#define LB_ANN_SHARED        "portico.io/allow-shared-ip"
#define LB_LABEL_EXCLUDE     "node.kubernetes.io/exclude-from-external-load-balancers"
#define LB_COMPONENT         "service-controller"
#define LB_BACKOFF_MIN_MS    5000   /* upstream minRetryDelay */
#define LB_BACKOFF_MAX_MS    300000 /* upstream maxRetryDelay */
#define LB_WEBHOOK_API       "lb.portico.io/v1"

/* spec.loadBalancerClass unset or Portico's: upstream leaves other classes to their controllers. */
bool lb_svc_ours(const json_t *svc);
/* Type LoadBalancer, ours (upstream wantsLoadBalancer). */
bool lb_svc_wants_lb(const json_t *svc);
bool lb_svc_has_finalizer(const json_t *svc);
/* Has our finalizer and is being deleted or no longer of type LoadBalancer (upstream needsCleanup). */
bool lb_svc_needs_cleanup(const json_t *svc);
/* externalTrafficPolicy Local (only meaningful for NodePort/LoadBalancer). */
bool lb_svc_local(const json_t *svc);

/* The allocator request of svc: key (borrowed, must outlive req), the share key, ports, IP families
 * and the requested addresses (the annotation wins over spec.loadBalancerIP). The request borrows
 * strings from svc. -EINVAL with a message for a malformed request (bad address, more than one
 * address of one family, too many ports). */
int lb_svc_request(const json_t *svc, const char *key, lb_request_t *ret, char *err, size_t errlen);

/* The nodes a load balancer may use, as the providers see them: a new JSON array, sorted by name,
 * of {"name", "addresses": [InternalIPs], "readyEndpoints": N} for each Node in nodes (an object
 * key -> Node, an informer cache) that is Ready and not labelled LB_LABEL_EXCLUDE and has an
 * InternalIP. local: node name -> number of ready endpoints of the Service there (NULL: all 0).
 * NULL on ENOMEM. */
json_t *lb_nodes_eligible(const json_t *nodes, const json_t *local);
/* Ready endpoints per node name from a Service's EndpointSlices (an array of slices): a new object
 * node name -> count. Endpoints without nodeName or with ready=false are not counted. */
json_t *lb_local_endpoints(const json_t *slices);

/* status.loadBalancer.ingress for addresses: [{"ip": "...", "ipMode": "VIP"}]; new reference. */
json_t *lb_ingress_from_addrs(const lb_addr_t *addrs, size_t n);
/* The `nodes` provider's ingress: the addresses of eligible nodes (only those with ready endpoints
 * when local), each once, sorted. */
json_t *lb_ingress_from_nodes(const json_t *eligible, bool local);
/* Same ingress points (ip and hostname, in any order)? NULL counts as empty. */
bool lb_ingress_equal(const json_t *a, const json_t *b);
/* The Service's status.loadBalancer.ingress, borrowed; NULL when none. */
const json_t *lb_svc_ingress(const json_t *svc);

/* A copy of svc with our finalizer added (present) or removed; new reference, NULL on ENOMEM. */
json_t *lb_svc_with_finalizer(const json_t *svc, bool present);
/* A copy of svc with status.loadBalancer = {ingress} (ingress NULL or empty: {}). */
json_t *lb_svc_with_ingress(const json_t *svc, const json_t *ingress);

/* The delay before retry number failures (1 for the first failure): 5 s doubling to 300 s. */
long lb_backoff_ms(int failures);

/* 64-bit FNV-1a fingerprints of what an ensure depends on: the Service part (uid, spec,
 * annotations) and the nodes part. Equal fingerprints mean nothing changed for the provider. */
uint64_t lb_fp_service(const json_t *svc);
uint64_t lb_fp_json(const json_t *j);

/* The webhook protocol. lb_webhook_request: the request body for op ("ensure", "update", "delete");
 * nodes may be NULL for delete. New reference, NULL on ENOMEM. */
json_t *lb_webhook_request(const char *op, const json_t *svc, const json_t *nodes);
/* Reads a reply: status 200 with {"ingress": [{"ip"|"hostname"}...]} (ensure/update; update may
 * omit ingress) or any 2xx for delete. Returns 0 with *ret_ingress (new reference, normalised: ips
 * get ipMode VIP; NULL for delete) or a negative errno with a message in err: -EPROTO for a
 * malformed reply, -EIO for a non-2xx status (the reply's "error" text, sanitised, when it has one). */
int lb_webhook_reply(const char *op, int status, const json_t *body, json_t **ret_ingress, char *err, size_t errlen);
