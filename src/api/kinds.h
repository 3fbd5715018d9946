/* Per-kind behaviour behind the generic REST code: defaulting, validation, status handling and
 * side effects of writes (the Service allocators). Mirrors upstream's registry strategies
 * (pkg/registry/<group>/<kind>/strategy.go). */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"

/* Admission of r->obj (create when r->old is NULL, else update of r->old; status_only for the
 * status subresource, where r->obj already holds old's spec and metadata): defaults, strategy
 * fix-ups, validation (metadata and spec), allocation. Returns NULL to go on, or a Status to answer
 * with (422 with all causes, 500 for a full range); on success r may hold a transaction that
 * kind_after_write() ends. */
json_t *kind_admit(api_req_t *r, bool status_only);
/* After a write (or a dry run, err = -ECANCELED, or a write that was never queued): commits or rolls
 * back r's transaction; after a durable delete releases what the object held and deletes
 * dependents the upstream registry deletes with it (a Service's Endpoints). */
void kind_after_write(api_req_t *r, int err);
/* Whether a change of spec bumps metadata.generation. */
bool kind_tracks_generation(const k8s_resource_t *res);
/* At start, after the store is loaded: configuration and allocator state from stored objects.
 * Returns 0 or a negative errno (bad --service-cidr...). */
int kind_init(api_server_t *srv);
void kind_free(api_server_t *srv);
/* The ClusterIP of the kubernetes Service (first address of the service CIDR), for bootstrap. */
const char *kind_kubernetes_service_ip(api_server_t *srv);
