/* The garbage collector (upstream pkg/controller/garbagecollector, without its full graph): for
 * the kinds with dependents in Portico (Pods, Services, Endpoints, ConfigMaps, EndpointSlices,
 * Deployments) it deletes objects whose owners are all gone (background propagation), deletes
 * first the dependents of an owner carrying the foregroundDeletion finalizer and then removes that
 * finalizer, and for an owner carrying the "orphan" finalizer removes the ownerReferences to it from
 * its dependents and then the finalizer. Owners of other kinds are looked up with a GET. */
#pragma once
#include "client/informer.h"
#include "client/kclient.h"

typedef struct gc_ctrl gc_ctrl_t;

/* pods: a shared pod informer not started yet (borrowed; the caller starts it and frees it after
 * this controller), or NULL for our own. Adds the indexes "gc-uid" and "gc-owner". */
int gc_ctrl_new(kclient_t *c, informer_t *pods, gc_ctrl_t **ret);
void gc_ctrl_free(gc_ctrl_t *g); /* accepts NULL */
