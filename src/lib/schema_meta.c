/* Schemas of the apimachinery types every kind embeds (meta/v1 ObjectMeta, ListMeta, Status,
 * LabelSelector, Condition, DeleteOptions) and of the special leaf types (Time, Quantity,
 * IntOrString, FieldsV1). Descriptions follow k8s.io/apimachinery's doc comments, shortened. */
#include "lib/schema_types.h"

const schema_type_t schema_t_time = {
	"io.k8s.apimachinery.pkg.apis.meta.v1.Time",
	"Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. "
	"Wrappers are provided for many of the factory methods that the time package offers.",
	NULL, SCHEMA_LEAF_TIME, false
};
const schema_type_t schema_t_microtime = {
	"io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
	"MicroTime is version of Time with microsecond level precision.",
	NULL, SCHEMA_LEAF_TIME, false
};
const schema_type_t schema_t_quantity = {
	"io.k8s.apimachinery.pkg.api.resource.Quantity",
	"Quantity is a fixed-point representation of a number. It provides convenient marshaling/"
	"unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\n"
	"The serialization format is: <quantity> ::= <signedNumber><suffix>, where suffix is a "
	"binary SI suffix (Ki | Mi | Gi | Ti | Pi | Ei), a decimal SI suffix (m | \"\" | k | M | G | "
	"T | P | E) or a decimal exponent (e<signedNumber> | E<signedNumber>).",
	NULL, SCHEMA_LEAF_QUANTITY, false
};
const schema_type_t schema_t_int_or_string = {
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString",
	"IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
	"marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to "
	"have, for example, a JSON field that can accept a name or number.",
	NULL, SCHEMA_LEAF_INT_OR_STRING, false
};
const schema_type_t schema_t_fields_v1 = {
	"io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
	"FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\n"
	"Each key is either a '.' representing the field itself, and will always map to an empty set, "
	"or a string representing a sub-field or item. The string will follow one of these four "
	"formats: 'f:<name>', 'v:<value>', 'k:<keys>', 'i:<index>'.",
	NULL, SCHEMA_LEAF_ANY, false
};
const schema_type_t schema_t_raw_extension = {
	"io.k8s.apimachinery.pkg.runtime.RawExtension",
	"RawExtension is used to hold extensions in external versions.",
	NULL, SCHEMA_LEAF_ANY, false
};

static const schema_field_t schema_t_owner_reference_fields[] = {
	F_STR_R("apiVersion", "API version of the referent."),
	F_BOOL("blockOwnerDeletion", "If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the "
		"owner cannot be deleted from the key-value store until this reference is removed. Defaults to false."),
	F_BOOL("controller", "If true, this reference points to the managing controller."),
	F_STR_R("kind", "Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"),
	F_STR_R("name", "Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"),
	F_STR_R("uid", "UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids"),
	F_END
};
static SCHEMA_OBJ(schema_t_owner_reference, "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
	"OwnerReference contains enough information to let you identify an owning object. An owning "
	"object must be in the same namespace as the dependent, or be cluster-scoped, so there is no "
	"namespace field.");

static const schema_field_t schema_t_managed_fields_entry_fields[] = {
	F_STR("apiVersion", "APIVersion defines the version of this resource that this field set applies to. "
		"The format is \"group/version\" just like the top-level APIVersion field."),
	F_STR("fieldsType", "FieldsType is the discriminator for the different fields format and version. "
		"There is currently only one possible value: \"FieldsV1\""),
	F_REF("fieldsV1", schema_t_fields_v1, "FieldsV1 holds the first JSON version format as described in the \"FieldsV1\" type."),
	F_STR("manager", "Manager is an identifier of the workflow managing these fields."),
	F_STR("operation", "Operation is the type of operation which lead to this ManagedFieldsEntry being "
		"created. The only valid values for this field are 'Apply' and 'Update'."),
	F_STR("subresource", "Subresource is the name of the subresource used to update that object, or empty "
		"string if the object was updated through the main resource."),
	F_REF("time", schema_t_time, "Time is the timestamp of when the ManagedFields entry was added."),
	F_END
};
static SCHEMA_OBJ(schema_t_managed_fields_entry, "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
	"ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that "
	"the fieldset applies to.");

static const schema_field_t schema_t_object_meta_fields[] = {
	F_STRMAP("annotations", "Annotations is an unstructured key value map stored with a resource that may be "
		"set by external tools to store and retrieve arbitrary metadata. They are not queryable and "
		"should be preserved when modifying objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations"),
	F_REF("creationTimestamp", schema_t_time, "CreationTimestamp is a timestamp representing the server time "
		"when this object was created. Populated by the system. Read-only. Null for lists."),
	F_I64("deletionGracePeriodSeconds", "Number of seconds allowed for this object to gracefully terminate "
		"before it will be removed from the system. Only set when deletionTimestamp is also set. Read-only."),
	F_REF("deletionTimestamp", schema_t_time, "DeletionTimestamp is RFC 3339 date and time at which this "
		"resource will be deleted. This field is set by the server when a graceful deletion is requested "
		"by the user, and is not directly settable by a client. Read-only."),
	F_STRS("finalizers", "Must be empty before the object is deleted from the registry. Each entry is an "
		"identifier for the responsible component that will remove the entry from the list."),
	F_STR("generateName", "GenerateName is an optional prefix, used by the server, to generate a unique name "
		"ONLY IF the Name field has not been provided. The provided value has the same validation rules "
		"as the Name field, and may be truncated by the length of the suffix required to make the value "
		"unique on the server."),
	F_I64("generation", "A sequence number representing a specific generation of the desired state. "
		"Populated by the system. Read-only."),
	F_STRMAP("labels", "Map of string keys and values that can be used to organize and categorize (scope and "
		"select) objects. May match selectors of replication controllers and services. More info: "
		"https://kubernetes.io/docs/concepts/overview/working-with-objects/labels"),
	F_LIST("managedFields", schema_t_managed_fields_entry, "ManagedFields maps workflow-id and version to the "
		"set of fields that are managed by that workflow. This is mostly for internal housekeeping, and "
		"users typically shouldn't need to set or understand this field."),
	F_STR("name", "Name must be unique within a namespace. Is required when creating resources, although "
		"some resources may allow a client to request the generation of an appropriate name "
		"automatically. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"),
	F_STR("namespace", "Namespace defines the space within which each name must be unique. An empty "
		"namespace is equivalent to the \"default\" namespace. Must be a DNS_LABEL. Cannot be updated. "
		"More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces"),
	F_LIST("ownerReferences", schema_t_owner_reference, "List of objects depended by this object. If ALL "
		"objects in the list have been deleted, this object will be garbage collected. If this object "
		"is managed by a controller, then an entry in this list will point to this controller, with the "
		"controller field set to true. There cannot be more than one managing controller."),
	F_STR("resourceVersion", "An opaque value that represents the internal version of this object that can "
		"be used by clients to determine when objects have changed. May be used for optimistic "
		"concurrency, change detection, and the watch operation on a resource or set of resources. "
		"Populated by the system. Read-only."),
	F_STR("selfLink", "Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
	F_STR("uid", "UID is the unique in time and space value for this object. It is typically generated by "
		"the server on successful creation of a resource and is not allowed to change on PUT operations. "
		"Populated by the system. Read-only."),
	F_END
};
SCHEMA_OBJ(schema_t_object_meta, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
	"ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.");

static const schema_field_t schema_t_list_meta_fields[] = {
	F_STR("continue", "continue may be set if the user set a limit on the number of items returned, and "
		"indicates that the server has more data available. The value is opaque and may be used to "
		"issue another request to the endpoint that served this list to retrieve the next set of "
		"available objects."),
	F_I64("remainingItemCount", "remainingItemCount is the number of subsequent items in the list which are "
		"not included in this list response."),
	F_STR("resourceVersion", "String that identifies the server's internal version of this object that can "
		"be used by clients to determine when objects have changed. Value must be treated as opaque by "
		"clients and passed unmodified back to the server. Populated by the system. Read-only."),
	F_STR("selfLink", "Deprecated: selfLink is a legacy read-only field that is no longer populated by the system."),
	F_END
};
SCHEMA_OBJ(schema_t_list_meta, "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
	"ListMeta describes metadata that synthetic resources must have, including lists and various "
	"status objects. A resource may have only one of {ObjectMeta, ListMeta}.");

static const schema_field_t schema_t_label_selector_requirement_fields[] = {
	F_STR_R("key", "key is the label key that the selector applies to."),
	F_STR_R("operator", "operator represents a key's relationship to a set of values. Valid operators are "
		"In, NotIn, Exists and DoesNotExist."),
	F_STRS("values", "values is an array of string values. If the operator is In or NotIn, the values array "
		"must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty."),
	F_END
};
static SCHEMA_OBJ(schema_t_label_selector_requirement, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
	"A label selector requirement is a selector that contains values, a key, and an operator that "
	"relates the key and values.");

static const schema_field_t schema_t_label_selector_fields[] = {
	F_LIST("matchExpressions", schema_t_label_selector_requirement, "matchExpressions is a list of label "
		"selector requirements. The requirements are ANDed."),
	F_STRMAP("matchLabels", "matchLabels is a map of {key,value} pairs. A single {key,value} in the "
		"matchLabels map is equivalent to an element of matchExpressions, whose key field is \"key\", "
		"the operator is \"In\", and the values array contains only \"value\". The requirements are ANDed."),
	F_END
};
SCHEMA_OBJ(schema_t_label_selector, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
	"A label selector is a label query over a set of resources. The result of matchLabels and "
	"matchExpressions are ANDed. An empty label selector matches all objects. A null label "
	"selector matches no objects.");

static const schema_field_t schema_t_condition_fields[] = {
	F_REF_R("lastTransitionTime", schema_t_time, "lastTransitionTime is the last time the condition "
		"transitioned from one status to another."),
	F_STR_R("message", "message is a human readable message indicating details about the transition. This "
		"may be an empty string."),
	F_I64("observedGeneration", "observedGeneration represents the .metadata.generation that the condition "
		"was set based upon."),
	F_STR_R("reason", "reason contains a programmatic identifier indicating the reason for the condition's "
		"last transition. The value should be a CamelCase string. This field may not be empty."),
	F_STR_R("status", "status of the condition, one of True, False, Unknown."),
	F_STR_R("type", "type of condition in CamelCase or in foo.example.com/CamelCase."),
	F_END
};
SCHEMA_OBJ(schema_t_condition, "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
	"Condition contains details for one aspect of the current state of this API Resource.");

static const schema_field_t schema_t_status_cause_fields[] = {
	F_STR("field", "The field of the resource that has caused this error, as named by its JSON serialization."),
	F_STR("message", "A human-readable description of the cause of the error."),
	F_STR("reason", "A machine-readable description of the cause of the error. If this value is empty "
		"there is no information available."),
	F_END
};
static SCHEMA_OBJ(schema_t_status_cause, "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause",
	"StatusCause provides more information about an api.Status failure, including cases when "
	"multiple errors are encountered.");

static const schema_field_t schema_t_status_details_fields[] = {
	F_LIST("causes", schema_t_status_cause, "The Causes array includes more details associated with the "
		"StatusReason failure."),
	F_STR("group", "The group attribute of the resource associated with the status StatusReason."),
	F_STR("kind", "The kind attribute of the resource associated with the status StatusReason."),
	F_STR("name", "The name attribute of the resource associated with the status StatusReason (when there "
		"is a single name which can be described)."),
	F_I32("retryAfterSeconds", "If specified, the time in seconds before the operation should be retried."),
	F_STR("uid", "UID of the resource. (when there is a single resource which can be described)."),
	F_END
};
static SCHEMA_OBJ(schema_t_status_details, "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails",
	"StatusDetails is a set of additional properties that MAY be set by the server to provide "
	"additional information about a response.");

static const schema_field_t schema_t_status_fields[] = {
	F_STR("apiVersion", D_APIVERSION),
	F_I32("code", "Suggested HTTP return code for this status, 0 if not set."),
	F_REF("details", schema_t_status_details, "Extended data associated with the reason."),
	F_STR("kind", D_KIND),
	F_STR("message", "A human-readable description of the status of this operation."),
	F_REF("metadata", schema_t_list_meta, D_LISTMETA),
	F_STR("reason", "A machine-readable description of why this operation is in the \"Failure\" status."),
	F_STR("status", "Status of the operation. One of: \"Success\" or \"Failure\"."),
	F_END
};
SCHEMA_OBJ(schema_t_status, "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
	"Status is a return value for calls that don't return other objects.");

static const schema_field_t schema_t_preconditions_fields[] = {
	F_STR("resourceVersion", "Specifies the target ResourceVersion"),
	F_STR("uid", "Specifies the target UID."),
	F_END
};
static SCHEMA_OBJ(schema_t_preconditions, "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions",
	"Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.");

static const schema_field_t schema_t_delete_options_fields[] = {
	F_STR("apiVersion", D_APIVERSION),
	F_STRS("dryRun", "When present, indicates that modifications should not be persisted. Valid values are: "
		"- All: all dry run stages will be processed"),
	F_I64("gracePeriodSeconds", "The duration in seconds before the object should be deleted. Value must be "
		"non-negative integer. The value zero indicates delete immediately."),
	F_BOOL("ignoreStoreReadErrorWithClusterBreakingPotential", "if set to true, it will trigger an unsafe "
		"deletion of the resource in case the normal deletion flow fails with a corrupt object error."),
	F_STR("kind", D_KIND),
	F_BOOL("orphanDependents", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7."),
	F_REF("preconditions", schema_t_preconditions, "Must be fulfilled before a deletion is carried out. If "
		"not possible, a 409 Conflict status will be returned."),
	F_STR("propagationPolicy", "Whether and how garbage collection will be performed. Acceptable values are: "
		"'Orphan', 'Background', 'Foreground'."),
	F_END
};
SCHEMA_OBJ(schema_t_delete_options, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
	"DeleteOptions may be provided when deleting an API object.");

static const schema_field_t schema_t_patch_fields[] = { F_END };
/* A patch body is a JSON patch, merge patch or apply configuration: any JSON. */
const schema_type_t schema_t_patch = {
	"io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
	"Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
	schema_t_patch_fields, SCHEMA_LEAF_NONE, true
};
