/* Server-side apply (PATCH with application/apply-patch+yaml) as kube-apiserver runs it: the
 * structured-merge-diff Apply (merge, prune of what the manager stopped applying, conflicts with
 * other managers) inside upstream's field-manager stack (version check, last-applied upgrade path
 * for kubectl, before-first-apply, managedFields encoding). Pure code on lib/managed_fields.h.
 *
 * Ownership: every json_t * argument is borrowed. On success *ret_obj is a new object the caller
 * owns; on failure *ret_status, when set, is a new Status the caller answers with (NULL for
 * -ENOMEM: answer 500). Nothing else is written on failure. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "lib/resources.h"

/* Upstream's LastAppliedConfigAnnotation. */
#define SSA_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/* Applies the configuration `applied` (the parsed request body) for manager on live (NULL when the
 * object does not exist: the apply creates it). force is the `force` query parameter.
 * Returns 0 with *ret_obj the object to store: live merged with the applied configuration, the
 * fields manager applied before and no longer applies removed unless another manager owns them,
 * and metadata.managedFields rewritten (manager's Apply entry owns exactly the applied fields;
 * its time is `now` unless the object is unchanged). The object is neither defaulted nor
 * validated: run admission on it as for any create (live NULL: answer 201) or update (200).
 * When *ret_obj equals live apart from nothing, the caller's "no change, no write" rule keeps the
 * resourceVersion, as upstream does for a repeated apply.
 * Failures and their Status (*ret_status):
 *   -EBADMSG  400 BadRequest: a body that is not an object ("error decoding patch: ..."), a
 *             different apiVersion/kind ("invalid object type: /v1, Kind=Pod"), a body with
 *             metadata.managedFields ("metadata.managedFields must be nil");
 *   -EPROTO   500 with no reason, as upstream's plain errors: "failed to create typed patch
 *             object (ns/name; /v1, Kind=Service): .spec.ports: duplicate entries for key [...]",
 *             undecodable stored managedFields;
 *   -EBUSY    409 Conflict with details.causes of type FieldManagerConflict:
 *             `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1:
 *             .spec.ports[port=80,protocol="TCP"].targetPort`;
 *   -E2BIG    413: deeper than MF_MAX_DEPTH or a list longer than MF_MAX_LIST;
 *   -ENOMEM   (no Status).
 * The caller still checks, as upstream's patch handler does after apply: the name of *ret_obj
 * against the URL ("the name of the object (x) does not match the name on the URL (y)", 400) and
 * its namespace against the request's. */
int ssa_apply(const k8s_resource_t *r, const json_t *live, const json_t *applied, const char *manager,
	      bool force, time_t now, json_t **ret_obj, json_t **ret_status);

/* The PatchOptions/CreateOptions/UpdateOptions checks kube-apiserver makes before any write
 * (ValidatePatchOptions, ValidateFieldManager): options_kind is "PatchOptions", "CreateOptions" or
 * "UpdateOptions"; apply says whether the patch is an apply patch; force_param is the raw `force`
 * query parameter (NULL when absent). Returns NULL when fine, else a 422 Status, e.g.
 * `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply
 * patch`, `force: Forbidden: may not be specified for non-apply patch`. */
json_t *ssa_options_status(const char *options_kind, bool apply, const char *field_manager, const char *force_param);

/* strconv.ParseBool of a query parameter ("1", "t", "T", "TRUE", "true", "True", and the false
 * forms); -EINVAL for anything else. */
int ssa_parse_bool(const char *s, bool *ret);
