/* Internal to the schema module: the named types shared between the schema_*.c data files and
 * the table-building macros. Not for other modules; they use lib/schema.h. */
#pragma once
#include "lib/schema.h"

/* One field-table entry per upstream struct field. The R variants mark fields upstream lists
 * as "required" in OpenAPI (explain prints "-required-"); strict validation does not use it. */
#define SCHEMA_F(n, p, s, r, t, d) { (n), (p), (s), (r), (t), (d) }
#define F_STR(n, d)       SCHEMA_F(n, SCHEMA_STRING, SCHEMA_ONE, false, NULL, d)
#define F_STR_R(n, d)     SCHEMA_F(n, SCHEMA_STRING, SCHEMA_ONE, true, NULL, d)
#define F_STRS(n, d)      SCHEMA_F(n, SCHEMA_STRING, SCHEMA_LIST, false, NULL, d)
#define F_STRS_R(n, d)    SCHEMA_F(n, SCHEMA_STRING, SCHEMA_LIST, true, NULL, d)
#define F_STRMAP(n, d)    SCHEMA_F(n, SCHEMA_STRING, SCHEMA_MAP, false, NULL, d)
#define F_I32(n, d)       SCHEMA_F(n, SCHEMA_INT32, SCHEMA_ONE, false, NULL, d)
#define F_I32_R(n, d)     SCHEMA_F(n, SCHEMA_INT32, SCHEMA_ONE, true, NULL, d)
#define F_I64(n, d)       SCHEMA_F(n, SCHEMA_INT64, SCHEMA_ONE, false, NULL, d)
#define F_I64_R(n, d)     SCHEMA_F(n, SCHEMA_INT64, SCHEMA_ONE, true, NULL, d)
#define F_BOOL(n, d)      SCHEMA_F(n, SCHEMA_BOOL, SCHEMA_ONE, false, NULL, d)
#define F_BOOL_R(n, d)    SCHEMA_F(n, SCHEMA_BOOL, SCHEMA_ONE, true, NULL, d)
#define F_REF(n, t, d)    SCHEMA_F(n, SCHEMA_REF, SCHEMA_ONE, false, &(t), d)
#define F_REF_R(n, t, d)  SCHEMA_F(n, SCHEMA_REF, SCHEMA_ONE, true, &(t), d)
#define F_LIST(n, t, d)   SCHEMA_F(n, SCHEMA_REF, SCHEMA_LIST, false, &(t), d)
#define F_LIST_R(n, t, d) SCHEMA_F(n, SCHEMA_REF, SCHEMA_LIST, true, &(t), d)
#define F_MAP(n, t, d)    SCHEMA_F(n, SCHEMA_REF, SCHEMA_MAP, false, &(t), d)
#define F_END             SCHEMA_F(NULL, 0, 0, false, NULL, NULL)

/* An object type named var whose field table is var##_fields (defined just before). */
#define SCHEMA_OBJ(var, name, desc) \
	const schema_type_t var = { (name), (desc), var##_fields, SCHEMA_LEAF_NONE, false }
/* The same, for a type described in part: unknown keys inside it are accepted. */
#define SCHEMA_OBJ_OPEN(var, name, desc) \
	const schema_type_t var = { (name), (desc), var##_fields, SCHEMA_LEAF_NONE, true }

/* Descriptions every kind repeats (apimachinery's TypeMeta and ObjectMeta field docs). */
#define D_APIVERSION "APIVersion defines the versioned schema of this representation of an object. " \
	"Servers should convert recognized schemas to the latest internal value, and may reject " \
	"unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
#define D_KIND "Kind is a string value representing the REST resource this object represents. " \
	"Servers may infer this from the endpoint the client submits requests to. Cannot be updated. " \
	"In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
#define D_METADATA "Standard object's metadata. More info: " \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define D_LISTMETA "Standard list metadata. More info: " \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
#define D_SPEC_STATUS_URL "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"

/* The apiVersion/kind/metadata triple that opens every top-level kind. */
#define F_TYPEMETA \
	F_STR("apiVersion", D_APIVERSION), \
	F_STR("kind", D_KIND), \
	F_REF("metadata", schema_t_object_meta, D_METADATA)

/* schema_meta.c: apimachinery types */
extern const schema_type_t schema_t_time, schema_t_microtime, schema_t_quantity,
	schema_t_int_or_string, schema_t_fields_v1, schema_t_raw_extension;
extern const schema_type_t schema_t_object_meta, schema_t_list_meta, schema_t_label_selector,
	schema_t_condition, schema_t_status, schema_t_delete_options, schema_t_patch;

/* schema_core.c: core/v1 */
extern const schema_type_t schema_t_object_reference;
extern const schema_type_t schema_t_service, schema_t_namespace, schema_t_configmap,
	schema_t_endpoints, schema_t_event, schema_t_node, schema_t_pod,
	schema_t_pod_template_spec;

/* schema_apps.c: apps/v1, autoscaling/v1 Scale, discovery.k8s.io/v1, coordination.k8s.io/v1 */
extern const schema_type_t schema_t_deployment, schema_t_scale, schema_t_endpoint_slice,
	schema_t_lease;
