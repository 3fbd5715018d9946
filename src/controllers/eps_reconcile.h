/* The EndpointSlice controller's pure part (KEP-0752, KEP-1669; upstream
 * staging/src/k8s.io/endpointslice/{reconciler.go,utils.go} and pkg/controller/endpoint): from a
 * Service, the Pods it selects and its existing managed slices, the slices to create, update and
 * delete, with minimal churn; and the legacy v1 Endpoints mirror. No I/O: every input is a borrowed
 * jansson tree as the API serves it, every output a new tree. */
#pragma once
#include <stdbool.h>

#include <jansson.h>

#define EPS_MAX_ENDPOINTS_PER_SLICE 100
#define EPS_CONTROLLER_NAME    "endpointslice-controller.k8s.io"
#define EPS_LABEL_SERVICE_NAME "kubernetes.io/service-name"
#define EPS_LABEL_MANAGED_BY   "endpointslice.kubernetes.io/managed-by"
#define EPS_LABEL_HEADLESS     "service.kubernetes.io/headless"
#define EPS_ANNOT_TRIGGER      "endpoints.kubernetes.io/last-change-trigger-time"

typedef struct eps_plan {
	json_t *create; /* array of new slices: metadata.generateName "<service>-", no name */
	json_t *update; /* array of whole slices to PUT (name and resourceVersion of the one replaced) */
	json_t *remove; /* array of existing slices to DELETE (borrowed copies: increfs of the inputs) */
} eps_plan_t;

/* Plans the slices of svc. pods: array of the Pods its selector matches (any order; those without an
 * IP or in a terminal phase are skipped here). slices: array of the existing slices labelled with the
 * service's name and managed by this controller. trigger_time: RFC 3339 time for the
 * last-change-trigger-time annotation of written slices, or NULL to drop it. max_per_slice <= 0 means
 * EPS_MAX_ENDPOINTS_PER_SLICE. An unchanged world gives an empty plan.
 * Returns 0 (plan filled; free with eps_plan_clear()) or -ENOMEM / -EINVAL (plan untouched). */
int eps_reconcile(const json_t *svc, const json_t *pods, const json_t *slices, const char *trigger_time,
		  int max_per_slice, eps_plan_t *ret);
void eps_plan_clear(eps_plan_t *p);
/* Number of writes the plan makes. */
size_t eps_plan_size(const eps_plan_t *p);

/* The legacy Endpoints object for svc (name and namespace of the Service, its labels plus the
 * headless label for a headless Service, subsets repacked and sorted as endpoints.RepackSubsets).
 * New reference; NULL on ENOMEM. */
json_t *eps_endpoints_desired(const json_t *svc, const json_t *pods, const char *trigger_time);
/* True when have (a stored Endpoints) already says what want does: same subsets and labels. */
bool eps_endpoints_equal(const json_t *have, const json_t *want);

/* ---- helpers, exposed for tests ---- */

/* podutil.FindPort: the container port a service port reaches on pod: a numeric targetPort as is (the
 * service port when targetPort is absent), a named one through the pod's container (and sidecar
 * init container) port names of the same protocol. -ENOENT when the pod has no such port. */
int eps_find_port(const json_t *pod, const json_t *svc_port);
/* ShouldPodBeInEndpoints: has an IP, not in phase Failed/Succeeded, and (unless include_terminating)
 * no deletionTimestamp. */
bool eps_pod_in_endpoints(const json_t *pod, bool include_terminating);
/* The Pod's Ready condition is True. */
bool eps_pod_ready(const json_t *pod);
/* Has a selector with at least one label (Services without one are left to their owners). */
bool eps_service_has_selector(const json_t *svc);
