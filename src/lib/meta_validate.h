/* ObjectMeta validation and the name checks behind it, with kube-apiserver's exact messages
 * (k8s.io/apimachinery pkg/api/validation/objectmeta.go, pkg/util/validation/validation.go,
 * pkg/api/validate/content/kube.go). Pure functions over jansson values; errors are appended to a
 * field_err.h array (the caller owns it) so they become the causes of a 422 Invalid Status. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- Name checks -------------------------------------------------------------------------------
 * Each returns NULL when s is valid, else upstream's first message for it (a static string, never
 * freed). Upstream may report several messages for one value (e.g. too long AND bad characters) and
 * emits one field error per message; name_check()/name_check_field() give all of them. */
const char *check_dns1123_label(const char *s);     /* IsDNS1123Label: namespaces */
const char *check_dns1123_subdomain(const char *s); /* IsDNS1123Subdomain: most object names */
const char *check_dns1035_label(const char *s);     /* IsDNS1035Label: services */
const char *check_qualified_name(const char *s);    /* IsQualifiedName: label keys, finalizers */
const char *check_label_value(const char *s);       /* IsValidLabelValue */
const char *check_iana_svc_name(const char *s);     /* IsValidPortName: named ports */

enum name_check {
	NAME_CHECK_DNS1123_LABEL,
	NAME_CHECK_DNS1123_SUBDOMAIN,
	NAME_CHECK_DNS1035_LABEL,
	NAME_CHECK_QUALIFIED_NAME,
	NAME_CHECK_LABEL_VALUE,
	NAME_CHECK_IANA_SVC_NAME,
};
#define NAME_CHECK_MAX_MSGS 6

/* Stores every upstream message for s (static strings) in ret_msgs, in upstream's order, and returns
 * how many (0: valid). */
size_t name_check(enum name_check kind, const char *s, const char *ret_msgs[NAME_CHECK_MAX_MSGS]);
/* Appends one "Invalid value" error per message at field, as upstream's
 * `for _, msg := range IsX(v) { allErrs = append(allErrs, field.Invalid(path, v, msg)) }`. */
void name_check_field(json_t *errs, const char *field, enum name_check kind, const char *s);

/* ---- ObjectMeta ------------------------------------------------------------------------------ */
enum name_rule { NAME_DNS1123_SUBDOMAIN, NAME_DNS1123_LABEL, NAME_DNS1035_LABEL };

/* The ValidateNameFunc upstream uses for a resource (plural as in the URL): namespaces are DNS-1123
 * labels, services DNS-1035 labels, every other kind Portico serves (pods, nodes, endpoints,
 * configmaps, events, endpointslices, deployments, leases) DNS-1123 subdomains. */
enum name_rule meta_name_rule(const char *plural);

/* ValidateObjectMeta for create, paths under "metadata.": generateName (prefix rule: a trailing '-'
 * is masked), name ("name or generateName is required" unless generateName is set, so callers may
 * validate before or after generating the name), namespace (required and a DNS-1123 label when
 * namespaced, "not allowed on this type" otherwise), generation >= 0, labels, annotations (keys,
 * 256 KiB total), ownerReferences, finalizers, managedFields. meta may be NULL (treated as {}).
 * A member of the wrong JSON type gets an Invalid error ("must be of type string", ...): upstream's
 * decoder rejects those earlier with a 400, Portico's JSON path reaches here instead. */
void meta_validate(const json_t *meta, bool namespaced, enum name_rule rule, json_t *errs);

/* ValidateObjectMetaUpdate: no new finalizers once deletionTimestamp is set; resourceVersion must be
 * set (like upstream's generic store, callers allowing unconditional updates copy the stored
 * resourceVersion in first); generation not decremented; name, namespace, uid, creationTimestamp,
 * deletionTimestamp, deletionGracePeriodSeconds immutable ("field is immutable"); then the create
 * checks on the new labels, annotations, ownerReferences and managedFields. Upstream does not check
 * generateName on update, nor finalizer names. */
void meta_validate_update(const json_t *new_meta, const json_t *old_meta, json_t *errs);
