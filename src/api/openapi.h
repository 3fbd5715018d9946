/* OpenAPI v3 documents (GET /openapi/v3 and /openapi/v3/<path>), one per served group-version,
 * generated from the resource registry and the field schemas (lib/schema.h) in kube-apiserver's
 * shape. Two clients depend on the details:
 *  - kubectl create/apply --validate=strict (query_param_verifier_v3.go) looks for a PATCH
 *    operation whose "x-kubernetes-group-version-kind" is the object's GVK and which lists a
 *    "fieldValidation" parameter; finding it, kubectl sends ?fieldValidation=Strict and skips
 *    client-side validation (which would need /openapi/v2).
 *  - kubectl explain (explain/v2 templates) finds the kind's GVK on a resource path operation,
 *    then the components schema whose "x-kubernetes-group-version-kind" list contains it, and walks
 *    "properties", "allOf"/"$ref", "items" and "additionalProperties" from there.
 * Patch operations deliberately omit application/strategic-merge-patch+json from their request
 * body: kubectl apply then computes strategic merge patches from its compiled-in Go types
 * instead of from our schemas, which carry no x-kubernetes-patch-strategy/merge-key.
 *
 * Documents are built once (thread-safe) and shared: the functions below return a new reference
 * (caller json_decref()s it) to an object that must NOT be modified. */
#pragma once
#include <jansson.h>

/* {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=<HEX>"}, "apis/apps/v1":...}};
 * NULL on ENOMEM. */
json_t *openapi_v3_index(void);
/* The OpenAPI 3.0 document for "api/v1", "apis/apps/v1", ... (no leading slash, no query);
 * NULL for an unknown path or on ENOMEM. */
json_t *openapi_v3_doc(const char *path);
/* The hash in that document's serverRelativeURL (upper-case hex, stable across restarts of the
 * same build), for ETag and for answering ?hash= requests with Cache-Control: immutable;
 * NULL for an unknown path. Static storage. */
const char *openapi_v3_hash(const char *path);
