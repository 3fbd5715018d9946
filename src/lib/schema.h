/* Field schemas of the served kinds: one compact, static description per Go struct upstream
 * (io.k8s.api.core.v1.ServiceSpec, ...), used both to emit the OpenAPI v3 components that
 * `kubectl explain` reads and to find the unknown fields that fieldValidation=Strict rejects.
 * Pure data and pure functions, no I/O. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/resources.h"

/* What a field holds: a JSON primitive, or a named type (schema_type_t). */
enum schema_prim {
	SCHEMA_REF = 0,      /* a named type: schema_field_t.type */
	SCHEMA_STRING,
	SCHEMA_INT32,
	SCHEMA_INT64,
	SCHEMA_BOOL,
	SCHEMA_DOUBLE,
};

/* How it holds it: one value, a JSON array of them, or a JSON object of string -> value. */
enum schema_shape {
	SCHEMA_ONE = 0,
	SCHEMA_LIST,
	SCHEMA_MAP,
};

/* A named type that is not an object with fields (upstream's special-cased Go types). */
enum schema_leaf {
	SCHEMA_LEAF_NONE = 0,     /* an object described by fields */
	SCHEMA_LEAF_TIME,         /* metav1.Time / MicroTime: an RFC 3339 string */
	SCHEMA_LEAF_QUANTITY,     /* resource.Quantity: "100m", "1Gi" or a number */
	SCHEMA_LEAF_INT_OR_STRING,/* intstr.IntOrString */
	SCHEMA_LEAF_ANY,          /* arbitrary JSON (FieldsV1, RawExtension): never checked */
};

typedef struct schema_type schema_type_t;

typedef struct schema_field {
	const char *name;            /* the JSON key; NULL ends a field list */
	uint8_t prim;                /* enum schema_prim */
	uint8_t shape;               /* enum schema_shape */
	bool required;               /* listed in the OpenAPI "required" array */
	const schema_type_t *type;   /* for SCHEMA_REF */
	const char *description;
} schema_field_t;

struct schema_type {
	const char *name;            /* upstream definition name, "io.k8s.api.core.v1.ServiceSpec" */
	const char *description;
	const schema_field_t *fields;/* NULL-name-terminated; NULL for leaves */
	uint8_t leaf;                /* enum schema_leaf */
	/* Not every upstream field is listed here: accept (and never descend into) keys this table
	 * does not know, so a valid upstream manifest is never rejected for our omission. */
	bool preserve_unknown;
};

/* The schema of a served kind, or of autoscaling/v1 Scale (group "autoscaling", kind "Scale");
 * NULL when unknown. Static data, never freed. */
const schema_type_t *schema_type_by_kind(const char *group, const char *kind);
/* Shorthand for schema_type_by_kind(r->group, r->kind). */
const schema_type_t *schema_for(const k8s_resource_t *r);
/* Looks a type up by its upstream definition name among all types reachable from the served
 * kinds; NULL when unknown. */
const schema_type_t *schema_type_by_name(const char *name);

/* Collects the fields of obj that the kind's schema does not know, as upstream's strict decoder
 * names them: "spec.foo", "spec.ports[0].bar", in document order. Fields under preserved types
 * and type-mismatched values (a string where an object belongs) are not reported; the decoder
 * proper reports those. At most SCHEMA_MAX_UNKNOWN paths are collected.
 * On success *ret_fields is a new JSON array of strings (empty when none; caller owns it) and
 * the count is returned; -EINVAL if r has no schema or obj is NULL, -ENOMEM. */
#define SCHEMA_MAX_UNKNOWN 1000
int schema_unknown_fields(const k8s_resource_t *r, const json_t *obj, json_t **ret_fields);
/* Same, against any type (e.g. the Scale of a /scale request). */
int schema_unknown_fields_type(const schema_type_t *t, const json_t *obj, json_t **ret_fields);

/* The message of apimachinery's strictDecodingError for fields (an array of paths):
 * `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`, in the array's
 * order, paths quoted as Go's %q does. New string the caller frees; NULL when fields is not a
 * non-empty array or on ENOMEM. */
char *schema_strict_error(const json_t *fields);
/* The whole 400 BadRequest message a create or update gets from kube-apiserver:
 * `Service in version "v1" cannot be handled as a Service: strict decoding error: ...`.
 * Caller frees; NULL as above. */
char *schema_strict_error_for(const k8s_resource_t *r, const json_t *fields);
