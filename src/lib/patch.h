/* The three PATCH bodies kube-apiserver accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
 * and Kubernetes strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), applied to a
 * JSON document. Pure functions on jansson trees: no I/O, inputs never modified.
 *
 * Ownership: target and patch are borrowed. On success *ret is a new reference the caller owns
 * (json_decref). *ret_err, when the function takes one, is set only on failure and only when there is
 * a message; the caller free()s it. Nothing is written to an output parameter on failure except
 * *ret_err.
 *
 * Errors and the answer kube-apiserver gives for the same failure (so the PATCH handler can map them):
 *   -EBADMSG  the patch document is malformed: 400 BadRequest, message *ret_err.
 *   -EINVAL   the patch is well-formed but does not apply: 422 with reason "Invalid" and message
 *             "the server rejected our request due to an error in our request" (upstream builds it
 *             with errors.NewGenericServerResponse, which drops the detail; *ret_err holds it for logs).
 *   -EPROTO   strategic merge only: upstream returns a bare Go error, which kube-apiserver reports as
 *             a 500 Status with reason "" and message *ret_err (e.g. a list element missing its merge
 *             key: "map: map[image:x] does not contain declared merge key: name").
 *   -E2BIG    over a hard limit: 413 RequestEntityTooLarge, message *ret_err.
 *   -ENOMEM   out of memory (no message).
 * Documents nested deeper than PATCH_MAX_DEPTH fail with -EBADMSG (-EINVAL for patch_merge). */
#pragma once
#include <jansson.h>

#include "lib/resources.h"

/* Recursion bound for every engine. Kubernetes objects are a few dozen levels deep at most. */
#define PATCH_MAX_DEPTH 128
/* kube-apiserver's maxJSONPatchOperations (staging/.../endpoints/handlers/patch.go). */
#define PATCH_JSON_MAX_OPS 10000
/* kube-apiserver's default JSONPatchMaxCopyBytes: total bytes "copy" operations may add. */
#define PATCH_JSON_MAX_COPY_BYTES (3 * 1024 * 1024)
/* Longest list a strategic merge patch may merge element-wise (the ordering step is quadratic). */
#define PATCH_SMP_MAX_LIST 10000

/* RFC 7386 JSON merge patch. Follows the RFC exactly: a patch that is not an object replaces the
 * whole target (so the result may be an array, a scalar or null; kube-apiserver then fails to decode
 * it into the kind, so the caller must check that *ret is an object). Nulls inside objects delete;
 * arrays are replaced whole. Returns 0, -EINVAL (too deep) or -ENOMEM. */
int patch_merge(const json_t *target, const json_t *patch, json_t **ret);

/* RFC 6902 JSON patch with RFC 6901 pointers ("~1" is "/", "~0" is "~"; "-" appends in add, move
 * and copy destinations). All or nothing: the target is never touched and on any failure no result
 * is produced. ops must be an array of operation objects (else -EBADMSG with Go's decode wording,
 * as kube-apiserver answers). Failure messages follow gopkg.in/evanphx/json-patch.v4, which
 * kube-apiserver wraps, e.g. "testing value /a failed: test failed".
 * Deliberate divergences from that library toward RFC 6902: array indices are RFC 6901 strict (no
 * sign, no leading zero, no negative index), "replace" of a missing member fails (s4.3), a missing
 * "value" fails (s4.1), and "" addresses the whole document. */
int patch_json(const json_t *target, const json_t *ops, json_t **ret, char **ret_err);

/* Kubernetes strategic merge patch for the served kind r (apply side, as kube-apiserver runs it:
 * MergeParallelList and IgnoreUnmatchedNulls both on). target must be an object; patch must be an
 * object or null (else -EBADMSG: "json: cannot unmarshal array into Go value of type
 * map[string]interface {}"). Supports $patch (replace, delete; merge is rejected in lists as
 * upstream does), $retainKeys, $setElementOrder/<field> and $deleteFromPrimitiveList/<field>, with
 * the per-kind list strategies and merge keys of k8s.io/api (see the table in patch_strategic.c).
 * r may be NULL: every map merges, every list is replaced. */
int patch_strategic(const k8s_resource_t *r, const json_t *target, const json_t *patch, json_t **ret,
		    char **ret_err);

/* Nesting depth of v (a scalar is 1, a container 1 + its deepest member), counting no further than
 * limit + 1, so the walk's recursion is bounded by limit. Shared by the engines for their depth checks. */
int patch_doc_depth(const json_t *v, int limit);
