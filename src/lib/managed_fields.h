/* metadata.managedFields bookkeeping as kube-apiserver does it (k8s.io/apimachinery
 * pkg/util/managedfields/internal over sigs.k8s.io/structured-merge-diff): field sets in the FieldsV1
 * format ("f:name", "k:{...}", "v:value", "i:index", "." for a set member), the typed walks over
 * objects (field set of an object, comparison, merge, removal) with the list and map types of the
 * served kinds, and the Update operation every create/update/patch records. Server-side apply is in
 * lib/ssa.h on top of this. Pure code: no I/O, nothing global, inputs never modified unless said.
 *
 * Ownership: every json_t * argument is borrowed; functions returning json_t * or char * return a new
 * reference / allocation the caller frees (NULL on ENOMEM). Errors are negative errno; nothing is
 * written to an output parameter on failure except *ret_err. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/resources.h"

/* Recursion bound for objects and field sets (deeper input fails with -E2BIG). */
#define MF_MAX_DEPTH 100
/* Longest granular list walked (keyed lists are indexed by sorting). */
#define MF_MAX_LIST 10000
/* Upstream's DefaultMaxUpdateManagers: older Update entries merge into "ancient-changes". */
#define MF_MAX_UPDATE_MANAGERS 10
/* Upstream's FieldManagerMaxLength. */
#define MF_MANAGER_MAX 128

/* ---- the Update operation (create, update, patch, status) -------------------------------------- */

/* Records a write by manager in new_obj.metadata.managedFields, as upstream's FieldManager.Update:
 *   - the entries start from new_obj's managedFields when the client sent a non-empty valid list
 *     (kubectl replace/edit send them back), from old_obj's otherwise; `[]` or `[{}]` resets them;
 *     for a subresource the client's list is ignored;
 *   - an existing object (old_obj != NULL) with no entries stays untracked (skipNonAppliedManager);
 *   - the fields that changed from old_obj (NULL on create: from an empty object) to new_obj are
 *     taken from every other manager and added to manager's Update entry (apiVersion of r,
 *     subresource when not NULL), whose time becomes now; an unchanged write changes nothing;
 *   - server-owned metadata (name, uid, resourceVersion, ...) is never owned; writes to the main
 *     resource of a kind with a status subresource never own "status", status writes own only it;
 *   - more than MF_MAX_UPDATE_MANAGERS Update entries: the oldest merge into "ancient-changes".
 * Call it on the object about to be stored, after admission. manager "" or NULL counts as "unknown"
 * (buildManagerInfoManager). On failure (-ENOMEM, -E2BIG, -EINVAL for an object the schema cannot
 * walk) new_obj gets old_obj's managedFields back, as upstream's UpdateNoErrors does, so the caller
 * may ignore the result. */
int mf_update(const k8s_resource_t *r, json_t *new_obj, const json_t *old_obj, const char *manager,
	      const char *subresource, time_t now);

/* The manager of a write, as upstream's managerOrUserAgent: the fieldManager query parameter when
 * set, else the User-Agent up to its first "/", non-printable characters dropped, cut at
 * MF_MANAGER_MAX bytes ("kubectl/v1.33.0 (linux/amd64) ..." -> "kubectl"). Caller frees. */
char *mf_manager_or_user_agent(const char *field_manager, const char *user_agent);

/* Checks of the fieldManager query parameter that every write verb makes (ValidateFieldManager):
 * at most MF_MANAGER_MAX bytes, printable characters only. Appends field_err causes for the field
 * "fieldManager" to errs; returns how many. The caller answers 422 with
 * status_invalid("meta.k8s.io", "CreateOptions" | "UpdateOptions" | "PatchOptions", "", errs). */
int mf_validate_manager(const char *field_manager, json_t *errs);

/* ---- field sets ----------------------------------------------------------------------------------
 * A set is a JSON object tree: each key is a canonical path element ("f:port", "k:{"port":80,
 * "protocol":"TCP"}" with keys sorted and Go's JSON encoding, "v:"a"", "i:0"); the key "." marks the
 * node as a member. Empty nodes are never kept. The FieldsV1 wire form writes a member without
 * children as {} and one with children with a leading ".": {}. */

json_t *mf_set_new(void);
/* FieldsV1 -> set, canonicalizing keys; unknown element types are skipped as upstream does.
 * -EINVAL (message in *ret_err) when malformed, -E2BIG when deeper than MF_MAX_DEPTH. */
int mf_set_from_fields(const json_t *fields_v1, json_t **ret, char **ret_err);
/* set -> FieldsV1 (members and children in upstream's order, "." first). */
json_t *mf_set_to_fields(const json_t *set);
/* Marks path (n canonical elements) as a member. 0 or -ENOMEM; n == 0 does nothing. */
int mf_set_insert(json_t *set, const char *const *path, size_t n);
bool mf_set_has(const json_t *set, const char *const *path, size_t n);
bool mf_set_empty(const json_t *set);
json_t *mf_set_union(const json_t *a, const json_t *b);
json_t *mf_set_difference(const json_t *a, const json_t *b);
json_t *mf_set_intersection(const json_t *a, const json_t *b);
/* a without b's members and everything below them (upstream's RecursiveDifference). */
json_t *mf_set_recursive_difference(const json_t *a, const json_t *b);
/* Calls fn for every member path, in upstream's Set.Iterate order (members of a node, then its
 * children); stops at the first non-zero return, which it returns. */
int mf_set_iterate(const json_t *set, int (*fn)(const char *const *path, size_t n, void *ud), void *ud);
/* fieldpath.Path.String(): ".spec.ports[port=80,protocol=\"TCP\"].targetPort". Caller frees. */
char *mf_path_string(const char *const *path, size_t n);
/* Go's encoding/json of v (object keys sorted, <>& escaped as \u003c...), as upstream writes key
 * values and the last-applied annotation. Caller frees. */
char *mf_go_json(const json_t *v);

/* ---- typed walks (structured-merge-diff typed.TypedValue) for the served kind r ----------------- */

typedef struct mf_cmp {
	json_t *added, *removed, *modified; /* sets */
} mf_cmp_t;

/* ToFieldSet: every leaf, list item and (for maps) key of obj. Fails on list items without their
 * keys and, unless allow_dups, duplicate keys ("duplicate entries for key [name=\"a\"]", path first).
 * 0, -EINVAL (*ret_err), -E2BIG, -ENOMEM. */
int mf_to_set(const k8s_resource_t *r, const json_t *obj, bool allow_dups, json_t **ret, char **ret_err);
/* Compare(lhs, rhs); lhs NULL is an empty object. */
int mf_compare(const k8s_resource_t *r, const json_t *lhs, const json_t *rhs, mf_cmp_t *ret, char **ret_err);
void mf_cmp_free(mf_cmp_t *c);
/* Merge(lhs, rhs): rhs wins for leaves and atomic values, maps and keyed lists merge, list order as
 * upstream's merge (rhs order, lhs-only items kept where they were). */
int mf_merge(const k8s_resource_t *r, const json_t *lhs, const json_t *rhs, json_t **ret, char **ret_err);
/* RemoveItems(obj, set). */
int mf_remove_items(const k8s_resource_t *r, const json_t *obj, const json_t *set, json_t **ret);
/* EnsureNamedFieldsAreMembers: set plus every struct field that has members below it. */
json_t *mf_ensure_named(const k8s_resource_t *r, const json_t *set);

/* ---- managedFields entries ----------------------------------------------------------------------- */

typedef struct mf_entry {
	char *manager;
	char *operation;   /* "Apply" or "Update" */
	char *api_version;
	char *subresource; /* "" for the main resource */
	char *time;        /* RFC 3339, NULL when unknown */
	json_t *set;
} mf_entry_t;

typedef struct mf_entries {
	mf_entry_t *v;
	size_t n;
} mf_entries_t;

/* Decodes metadata.managedFields (NULL or JSON null: none) with upstream's checks ("operation must
 * be `Apply` or `Update`", "apiVersion must not be empty", "missing fieldsType in managed fields
 * entry N", ...). An entry with the identity of an earlier one replaces it. */
int mf_entries_decode(const json_t *managed_fields, mf_entries_t *ret, char **ret_err);
/* Encodes in upstream's order (operation, time, manager, apiVersion, subresource); NULL when
 * there are no entries (the caller removes metadata.managedFields). *ret_json is set to NULL
 * or a new array. */
int mf_entries_encode(const mf_entries_t *e, json_t **ret_json);
void mf_entries_free(mf_entries_t *e);
/* The entry with that identity (apiVersion counts for Update only); NULL when absent. */
mf_entry_t *mf_entries_find(mf_entries_t *e, const char *manager, const char *operation,
			    const char *api_version, const char *subresource);
/* Finds or appends (with an empty set and no time). NULL on ENOMEM. */
mf_entry_t *mf_entries_get(mf_entries_t *e, const char *manager, const char *operation,
			   const char *api_version, const char *subresource);
/* Removes entries whose set is empty. */
void mf_entries_prune(mf_entries_t *e);
/* upstream's BuildManagerIdentifier: {"manager":..,"operation":..[,"apiVersion":..][,"subresource":..]}
 * (Go-encoded); printManager's text: "\"kubectl\"" for appliers, "\"x\" using v1" for updaters,
 * with " with subresource \"status\"" when set. Caller frees. */
char *mf_entry_identity(const mf_entry_t *en);
char *mf_entry_describe(const mf_entry_t *en);

/* RFC 3339 UTC seconds ("2025-01-02T03:04:05Z") into buf. */
void mf_time_format(time_t t, char buf[21]);

/* The empty object of kind r as upstream's create starts from (metadata, spec and status present
 * and empty, as the typed zero value converts), the "old" object of a create. */
json_t *mf_empty_object(const k8s_resource_t *r);
/* The paths that are never owned (upstream's stripMetaManager set). */
json_t *mf_strip_set(void);
/* The reset-fields filter of r for a subresource (NULL: main resource): the set to remove with
 * mf_set_recursive_difference, or NULL when nothing is filtered. */
json_t *mf_reset_fields(const k8s_resource_t *r, const char *subresource);
