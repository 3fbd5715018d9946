/* The EndpointSlice controller (upstream pkg/controller/endpointslice) and the legacy Endpoints
 * mirror (pkg/controller/endpoint) as one controller: for each Service with a selector it keeps the
 * managed EndpointSlices and the v1 Endpoints object of the same name, from the Pods the selector
 * matches. Services without a selector are left alone (their slices and Endpoints are the user's).
 * Runs on the kclient's event loop; see eps_reconcile.h for the pure part. */
#pragma once
#include "client/kclient.h"

typedef struct eps_ctrl eps_ctrl_t;

/* Starts informers on services, pods, managed endpointslices and endpoints, and a work queue with
 * 5 parallel syncs (upstream's --concurrent-service-endpoint-syncs default). *ret: caller frees
 * with eps_ctrl_free() (before the kclient). -ENOMEM. */
int eps_ctrl_new(kclient_t *c, eps_ctrl_t **ret);
/* Stops: in-flight writes are cancelled (their results ignored). Accepts NULL. */
void eps_ctrl_free(eps_ctrl_t *e);

/* Syncs completed, for tests and metrics. */
unsigned long eps_ctrl_syncs(const eps_ctrl_t *e);
