/* The EndpointSlice controller (upstream pkg/controller/endpointslice) and the legacy Endpoints
 * mirror (pkg/controller/endpoint) as one controller: for each Service with a selector it keeps the
 * managed EndpointSlices and the v1 Endpoints object of the same name, from the Pods the selector
 * matches. Services without a selector are left alone (their slices and Endpoints are the user's).
 * Runs on the kclient's event loop; see eps_reconcile.h for the pure part. */
#pragma once
#include <stdbool.h>

#include <jansson.h>

#include "client/informer.h"
#include "client/kclient.h"

typedef struct eps_ctrl eps_ctrl_t;

/* Starts informers on services, managed endpointslices and endpoints, and a work queue with 5
 * parallel syncs (upstream's --concurrent-service-endpoint-syncs default). pods: the shared Pod
 * informer (all Pods), borrowed; it must not be started yet (an index and handlers are added to it),
 * and the caller starts it and frees it right after eps_ctrl_free() (the handlers stay registered:
 * no Pod event may come in between). On failure only the index may remain on it. *ret: caller
 * frees with eps_ctrl_free() (before the kclient). -ENOMEM, or informer_add_index()'s and
 * informer_add_handlers()' errors (-EBUSY once pods is started). */
int eps_ctrl_new(kclient_t *c, informer_t *pods, eps_ctrl_t **ret);
/* Stops: in-flight writes are cancelled (their results ignored). Accepts NULL. */
void eps_ctrl_free(eps_ctrl_t *e);

/* Syncs completed, for tests and metrics. */
unsigned long eps_ctrl_syncs(const eps_ctrl_t *e);

/* ---- the indexes, exposed for tests ---- */

/* Adds the index on Service selector pairs to svcs and the index on Pod label pairs to pods (either
 * may be NULL), as eps_ctrl_new() does. Before informer_start(); informer_add_index()'s errors. */
int eps_add_indexes(informer_t *svcs, informer_t *pods);
/* Sets key -> true in ret_keys (a JSON object) for every Service of svcs (indexed as above) whose
 * selector the pod's labels satisfy. 0 or -ENOMEM. */
int eps_services_of_pod(const informer_t *svcs, const json_t *pod, json_t *ret_keys);
/* The Pods of pods (indexed as above) that svc selects: a new array of borrowed references (increfs
 * of the cached objects); empty for a Service without a selector; NULL on ENOMEM. */
json_t *eps_pods_of_service(const informer_t *pods, const json_t *svc);

/* informer_index_fn: "ns/key=value" for each string label of a Pod. */
void eps_index_pod_labels(const json_t *pod, json_t *ret_values, void *arg);
/* informer_index_fn: "ns/key=value" for each pair of a Service's spec.selector (none without one). */
void eps_index_service_selector(const json_t *svc, json_t *ret_values, void *arg);
/* A Service selector (a plain map) against a label map: every pair present with an equal string
 * value. An absent or empty selector matches nothing here (such Services are not ours). */
bool eps_selector_matches(const json_t *selector, const json_t *labels);
