/* OpenAPI v3 documents generated from the resource registry and field schemas, shaped as
 * kube-apiserver emits them (kube-openapi's builder3): one document per group-version with its
 * resource paths and operations, and components.schemas under upstream's definition names. */
#include "api/openapi.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/resources.h"
#include "lib/schema.h"

#define OPENAPI_MAX_GV 16
#define OPENAPI_REF_PREFIX "#/components/schemas/"

typedef struct openapi_gv {
	const char *group, *version;
	char path[128];   /* "api/v1", "apis/apps/v1" */
	char hash[33];
	json_t *doc;
} openapi_gv_t;

/* Built once by openapi_build() and read-only afterwards: the documents are pure functions of
 * compiled-in data, so there is nothing to invalidate. */
static struct {
	openapi_gv_t gv[OPENAPI_MAX_GV];
	size_t n;
	json_t *index;
} openapi_cache;
static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;

/* ---- schemas ---- */

static json_t *oa_ref(const char *name)
{
	char buf[256];

	snprintf(buf, sizeof(buf), OPENAPI_REF_PREFIX "%s", name);
	return json_pack("{s:s}", "$ref", buf);
}

static json_t *oa_prim(uint8_t prim)
{
	switch (prim) {
	case SCHEMA_INT32:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
	case SCHEMA_INT64:
		return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
	case SCHEMA_BOOL:
		return json_pack("{s:s}", "type", "boolean");
	case SCHEMA_DOUBLE:
		return json_pack("{s:s, s:s}", "type", "number", "format", "double");
	default:
		return json_pack("{s:s}", "type", "string");
	}
}

/* An item of a list or map: primitives carry upstream's zero-value default, object references
 * are wrapped in allOf (kube-openapi v3 style) with default {}, leaf types are a bare $ref. */
static json_t *oa_item(const schema_field_t *f)
{
	json_t *o;

	if (f->prim != SCHEMA_REF) {
		o = oa_prim(f->prim);
		if (o && f->prim == SCHEMA_STRING)
			json_object_set_new(o, "default", json_string(""));
		return o;
	}
	if (f->type->leaf != SCHEMA_LEAF_NONE)
		return oa_ref(f->type->name);
	return json_pack("{s:[o], s:{}}", "allOf", oa_ref(f->type->name), "default");
}

static json_t *oa_property(const schema_field_t *f)
{
	json_t *o;

	switch (f->shape) {
	case SCHEMA_LIST:
		o = json_pack("{s:s, s:o}", "type", "array", "items", oa_item(f));
		break;
	case SCHEMA_MAP:
		o = json_pack("{s:s, s:o}", "type", "object", "additionalProperties", oa_item(f));
		break;
	default:
		if (f->prim != SCHEMA_REF)
			o = oa_prim(f->prim);
		else if (f->type->leaf != SCHEMA_LEAF_NONE)
			/* explain resolves the ref and prints its type ("string" for Time) or, for
			 * untyped IntOrString and Quantity, the definition's short name. */
			o = json_pack("{s:[o]}", "allOf", oa_ref(f->type->name));
		else
			o = json_pack("{s:[o], s:{}}", "allOf", oa_ref(f->type->name), "default");
	}
	if (o && f->description && json_object_set_new(o, "description", json_string(f->description)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *oa_gvk(const char *group, const char *version, const char *kind)
{
	/* Exactly these three keys: explain matches operation and schema GVKs by deep equality. */
	return json_pack("{s:s, s:s, s:s}", "group", group, "kind", kind, "version", version);
}

/* Adds t and every type it references to schemas (once each). gvk_kind non-NULL marks a
 * top-level kind with its x-kubernetes-group-version-kind list. */
static int oa_add_type(json_t *schemas, const schema_type_t *t, const char *group, const char *version,
		       const char *gvk_kind, int depth)
{
	json_t *s, *props, *req;

	if (!t)
		return -EINVAL;
	if (depth > 32)
		return -ELOOP;
	if (json_object_get(schemas, t->name))
		return 0;
	switch (t->leaf) {
	case SCHEMA_LEAF_TIME:
		s = json_pack("{s:s, s:s, s:s}", "description", t->description, "type", "string", "format", "date-time");
		break;
	case SCHEMA_LEAF_QUANTITY:
		s = json_pack("{s:s, s:[{s:s},{s:s}]}", "description", t->description,
			      "oneOf", "type", "string", "type", "number");
		break;
	case SCHEMA_LEAF_INT_OR_STRING:
		s = json_pack("{s:s, s:s, s:[{s:s},{s:s}]}", "description", t->description,
			      "format", "int-or-string", "oneOf", "type", "integer", "type", "string");
		break;
	case SCHEMA_LEAF_ANY:
		s = json_pack("{s:s, s:s}", "description", t->description, "type", "object");
		break;
	default:
		s = json_pack("{s:s, s:s}", "description", t->description, "type", "object");
	}
	/* Inserted before recursing, so a reference back to t stops here. */
	if (!s || json_object_set_new(schemas, t->name, s) < 0)
		return -ENOMEM;
	if (t->leaf != SCHEMA_LEAF_NONE || !t->fields)
		return 0;
	if (t->preserve_unknown && json_object_set_new(s, "x-kubernetes-preserve-unknown-fields", json_true()) < 0)
		return -ENOMEM;
	if (gvk_kind && json_object_set_new(s, "x-kubernetes-group-version-kind",
			json_pack("[o]", oa_gvk(group, version, gvk_kind))) < 0)
		return -ENOMEM;
	if (!t->fields[0].name)
		return 0;
	props = json_object();
	req = json_array();
	if (json_object_set_new(s, "properties", props) < 0) {
		json_decref(req);
		return -ENOMEM;
	}
	for (const schema_field_t *f = t->fields; f->name; f++) {
		if (json_object_set_new(props, f->name, oa_property(f)) < 0)
			goto nomem;
		if (f->required && json_array_append_new(req, json_string(f->name)) < 0)
			goto nomem;
		if (f->prim == SCHEMA_REF) {
			int r = oa_add_type(schemas, f->type, group, version, NULL, depth + 1);
			if (r < 0) {
				json_decref(req);
				return r;
			}
		}
	}
	if (json_array_size(req) > 0)
		return json_object_set_new(s, "required", req) < 0 ? -ENOMEM : 0;
	json_decref(req);
	return 0;
nomem:
	json_decref(req);
	return -ENOMEM;
}

/* <Kind>List: {apiVersion, items, kind, metadata: ListMeta}, named after the kind's definition. */
static int oa_add_list(json_t *schemas, const k8s_resource_t *r, const schema_type_t *t)
{
	char name[256], kind[128], desc[256];
	json_t *s;

	snprintf(name, sizeof(name), "%sList", t->name);
	snprintf(kind, sizeof(kind), "%sList", r->kind);
	snprintf(desc, sizeof(desc), "%sList is a list of %s objects.", r->kind, r->kind);
	s = json_pack("{s:s, s:s, s:[s], s:{s:{s:s, s:s}, s:{s:s, s:s, s:o}, s:{s:s, s:s}, s:{s:[o], s:{}, s:s}},"
		      " s:[o]}",
		      "description", desc, "type", "object", "required", "items",
		      "properties",
		      "apiVersion", "description", "APIVersion defines the versioned schema of this representation of an object.",
		      "type", "string",
		      "items", "description", "List of objects.", "type", "array", "items", json_pack("{s:[o], s:{}}",
				"allOf", oa_ref(t->name), "default"),
		      "kind", "description", "Kind is a string value representing the REST resource this object represents.",
		      "type", "string",
		      "metadata", "allOf", oa_ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"), "default",
		      "description", "Standard list metadata.",
		      "x-kubernetes-group-version-kind", oa_gvk(r->group, r->version, kind));
	if (!s || json_object_set_new(schemas, name, s) < 0)
		return -ENOMEM;
	return 0;
}

/* ---- operations ---- */

typedef struct oa_param {
	const char *name, *type, *desc;
} oa_param_t;

static const oa_param_t oa_p_list[] = {
	{ "allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". "
		"Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the "
		"server's discretion. If this is not a watch, this field is ignored." },
	{ "continue", "string", "The continue option should be set when retrieving more results from the "
		"server. Since this value is server defined, clients may only use the continue value from a "
		"previous query result with identical query parameters (except for the value of continue)." },
	{ "fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. "
		"Defaults to everything." },
	{ "labelSelector", "string", "A selector to restrict the list of returned objects by their labels. "
		"Defaults to everything." },
	{ "limit", "integer", "limit is a maximum number of responses to return for a list call. If more items "
		"exist, the server will set the `continue` field on the list metadata to a value that can be used "
		"with the same initial query to retrieve the next set of results." },
	{ "resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request "
		"may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions "
		"for details.\n\nDefaults to unset" },
	{ "resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to "
		"list calls.\n\nDefaults to unset" },
	{ "sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In "
		"that case, the watch stream will begin with synthetic events to produce the current state of "
		"objects in the collection." },
	{ "timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, "
		"regardless of any activity or inactivity." },
	{ "watch", "boolean", "Watch for changes to the described resources and return them as a stream of "
		"add, update, and remove notifications. Specify resourceVersion." },
	{ NULL, NULL, NULL }
};

#define OA_DRYRUN { "dryRun", "string", "When present, indicates that modifications should not be persisted. " \
	"An invalid or unrecognized dryRun directive will result in an error response and no further " \
	"processing of the request. Valid values are: - All: all dry run stages will be processed" }
#define OA_FIELDMANAGER { "fieldManager", "string", "fieldManager is a name associated with the actor or " \
	"entity that is making these changes. The value must be less than or 128 characters long, and only " \
	"contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint." }
/* The parameter kubectl's query param verifier looks for; see openapi.h. */
#define OA_FIELDVALIDATION { "fieldValidation", "string", "fieldValidation instructs the server on how to " \
	"handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid " \
	"values are: - Ignore: This will ignore any unknown fields that are silently dropped from the " \
	"object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: " \
	"This will send a warning via the standard warning response header for each unknown field that " \
	"is dropped from the object, and for each duplicate field that is encountered. - Strict: This " \
	"will fail the request with a BadRequest error if any unknown fields would be dropped from the " \
	"object, or if any duplicate fields are present. The error returned from the server will contain " \
	"all unknown and duplicate fields encountered." }

static const oa_param_t oa_p_write[] = { OA_DRYRUN, OA_FIELDMANAGER, OA_FIELDVALIDATION, { NULL, NULL, NULL } };
static const oa_param_t oa_p_patch[] = {
	OA_DRYRUN, OA_FIELDMANAGER, OA_FIELDVALIDATION,
	{ "force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire "
		"conflicting fields owned by other people. Force flag must be unset for non-apply patch requests." },
	{ NULL, NULL, NULL }
};
#define OA_DELETE_PARAMS \
	OA_DRYRUN, \
	{ "gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value " \
		"must be non-negative integer. The value zero indicates delete immediately." }, \
	{ "ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "if set to true, it will trigger an " \
		"unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error." }, \
	{ "orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be " \
		"deprecated in 1.7." }, \
	{ "propagationPolicy", "string", "Whether and how garbage collection will be performed. Acceptable " \
		"values are: 'Orphan', 'Background', 'Foreground'." }
static const oa_param_t oa_p_delete[] = { OA_DELETE_PARAMS, { NULL, NULL, NULL } };

static int oa_append_params(json_t *arr, const oa_param_t *p)
{
	for (; p->name; p++)
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "description", p->desc,
				"in", "query", "name", p->name, "schema", "type", p->type, "uniqueItems", 1)) < 0)
			return -ENOMEM;
	return 0;
}

/* The JSON and YAML media types, each with the same schema reference. */
static json_t *oa_content(const char *schema, bool watch)
{
	json_t *c = json_pack("{s:{s:o}, s:{s:o}}", "application/json", "schema", oa_ref(schema),
			      "application/yaml", "schema", oa_ref(schema));
	if (c && watch && json_object_set_new(c, "application/json;stream=watch",
			json_pack("{s:o}", "schema", oa_ref(schema))) < 0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

typedef struct oa_ctx {
	const k8s_resource_t *r;
	const char *kind_schema;  /* "io.k8s.api.core.v1.Service" */
	char list_schema[256];    /* "...ServiceList" */
	char gv_title[128];       /* "CoreV1" */
	char tag[128];            /* "core_v1" */
	const char *gvk_group, *gvk_version, *gvk_kind;
} oa_ctx_t;

enum oa_op {
	OA_LIST, OA_LIST_ALL, OA_CREATE, OA_DELETECOLLECTION, OA_READ, OA_REPLACE, OA_PATCH, OA_DELETE,
};

static const struct {
	const char *method, *action, *verb, *desc;
} oa_ops[] = {
	[OA_LIST] = { "get", "list", "list", "list or watch objects of kind %s" },
	[OA_LIST_ALL] = { "get", "list", "list", "list or watch objects of kind %s" },
	[OA_CREATE] = { "post", "post", "create", "create a %s" },
	[OA_DELETECOLLECTION] = { "delete", "deletecollection", "delete", "delete collection of %s" },
	[OA_READ] = { "get", "get", "read", "read the specified %s" },
	[OA_REPLACE] = { "put", "put", "replace", "replace the specified %s" },
	[OA_PATCH] = { "patch", "patch", "patch", "partially update the specified %s" },
	[OA_DELETE] = { "delete", "delete", "delete", "delete a %s" },
};

/* Adds one operation to path item pi. sub is NULL, "status" or "scale". */
static int oa_add_op(json_t *pi, const oa_ctx_t *c, enum oa_op op, const char *sub)
{
	const k8s_resource_t *r = c->r;
	bool scale = sub && strcmp(sub, "scale") == 0;
	const char *kind = scale ? "Scale" : r->kind;
	const char *body = scale ? "io.k8s.api.autoscaling.v1.Scale" : c->kind_schema;
	char opid[256], desc[256], subtitle[32] = "";
	json_t *o, *params, *resp;

	if (sub) {
		snprintf(subtitle, sizeof(subtitle), "%s", sub);
		subtitle[0] = (char)toupper((unsigned char)subtitle[0]);
	}
	snprintf(opid, sizeof(opid), "%s%s%s%s%s%s%s", oa_ops[op].verb, c->gv_title,
		 op == OA_DELETECOLLECTION ? "Collection" : "",
		 r->namespaced && op != OA_LIST_ALL ? "Namespaced" : "", r->kind, subtitle,
		 op == OA_LIST_ALL ? "ForAllNamespaces" : "");
	if (sub)
		snprintf(desc, sizeof(desc), "%s %s of the specified %s",
			 op == OA_READ ? "read" : op == OA_PATCH ? "partially update" : "replace", sub, r->kind);
	else
		snprintf(desc, sizeof(desc), oa_ops[op].desc, r->kind);

	params = json_array();
	o = json_pack("{s:s, s:s, s:o, s:[s], s:s, s:o}", "description", desc, "operationId", opid,
		      "parameters", params, "tags", c->tag, "x-kubernetes-action", oa_ops[op].action,
		      "x-kubernetes-group-version-kind",
		      scale ? oa_gvk("autoscaling", "v1", "Scale") : oa_gvk(c->gvk_group, c->gvk_version, kind));
	if (!o || json_object_set_new(pi, oa_ops[op].method, o) < 0)
		return -ENOMEM;

	switch (op) {
	case OA_LIST:
	case OA_LIST_ALL:
		if (oa_append_params(params, oa_p_list) < 0)
			return -ENOMEM;
		resp = json_pack("{s:{s:s, s:o}}", "200", "description", "OK", "content", oa_content(c->list_schema, true));
		break;
	case OA_CREATE:
	case OA_REPLACE:
		if (oa_append_params(params, oa_p_write) < 0 ||
		    json_object_set_new(o, "requestBody", json_pack("{s:o, s:b}", "content",
				oa_content(body, false), "required", 1)) < 0)
			return -ENOMEM;
		resp = json_pack("{s:{s:s, s:o}, s:{s:s, s:o}}", "200", "description", "OK", "content",
				 oa_content(body, false), "201", "description", "Created", "content",
				 oa_content(body, false));
		if (resp && op == OA_CREATE && json_object_set_new(resp, "202", json_pack("{s:s, s:o}",
				"description", "Accepted", "content", oa_content(body, false))) < 0) {
			json_decref(resp);
			resp = NULL;
		}
		break;
	case OA_PATCH: {
		/* No strategic-merge-patch+json here on purpose: see openapi.h. */
		json_t *patch = json_pack("{s:o, s:o, s:o}",
			"application/apply-patch+yaml", json_pack("{s:o}", "schema", oa_ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch")),
			"application/json-patch+json", json_pack("{s:o}", "schema", oa_ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch")),
			"application/merge-patch+json", json_pack("{s:o}", "schema", oa_ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch")));
		if (oa_append_params(params, oa_p_patch) < 0 ||
		    json_object_set_new(o, "requestBody", json_pack("{s:o, s:b}", "content", patch, "required", 1)) < 0)
			return -ENOMEM;
		resp = json_pack("{s:{s:s, s:o}, s:{s:s, s:o}}", "200", "description", "OK", "content",
				 oa_content(body, false), "201", "description", "Created", "content",
				 oa_content(body, false));
		break;
	}
	case OA_DELETE:
		if (oa_append_params(params, oa_p_delete) < 0)
			return -ENOMEM;
		goto delete_body;
	case OA_DELETECOLLECTION:
		if (oa_append_params(params, oa_p_delete) < 0 || oa_append_params(params, oa_p_list) < 0)
			return -ENOMEM;
delete_body:
		if (json_object_set_new(o, "requestBody", json_pack("{s:{s:{s:o}}}", "content", "application/json",
				"schema", oa_ref("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"))) < 0)
			return -ENOMEM;
		resp = json_pack("{s:{s:s, s:o}, s:{s:s, s:o}}", "200", "description", "OK", "content",
				 oa_content(op == OA_DELETE ? body : "io.k8s.apimachinery.pkg.apis.meta.v1.Status", false),
				 "202", "description", "Accepted", "content",
				 oa_content(op == OA_DELETE ? body : "io.k8s.apimachinery.pkg.apis.meta.v1.Status", false));
		break;
	default:
		/* OA_READ: no query parameters beyond the path's "pretty". */
		resp = json_pack("{s:{s:s, s:o}}", "200", "description", "OK", "content", oa_content(body, false));
	}
	if (!resp)
		return -ENOMEM;
	if (json_object_set_new(resp, "401", json_pack("{s:s}", "description", "Unauthorized")) < 0 ||
	    json_object_set_new(o, "responses", resp) < 0)
		return -ENOMEM;
	return 0;
}

/* A path item with its path-level parameters: {name} and {namespace} as the template needs,
 * plus "pretty". */
static json_t *oa_path_item(json_t *paths, const char *path, const k8s_resource_t *r, bool ns, bool name)
{
	json_t *pi, *params = json_array();

	pi = json_pack("{s:o}", "parameters", params);
	if (!pi || json_object_set_new(paths, path, pi) < 0)
		return NULL;
	if (name && json_array_append_new(params, json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:b}}",
			"description", "name of the resource", "in", "path", "name", "name", "required", 1,
			"schema", "type", "string", "uniqueItems", 1)) < 0)
		return NULL;
	if (ns && json_array_append_new(params, json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:b}}",
			"description", "object name and auth scope, such as for teams and projects", "in", "path",
			"name", "namespace", "required", 1, "schema", "type", "string", "uniqueItems", 1)) < 0)
		return NULL;
	if (json_array_append_new(params, json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}",
			"description", "If 'true', then the output is pretty printed. Defaults to 'false' unless the "
			"user-agent indicates a browser or command-line HTTP tool (curl and wget).",
			"in", "query", "name", "pretty", "schema", "type", "string", "uniqueItems", 1)) < 0)
		return NULL;
	return pi;
}

static int oa_add_resource(json_t *paths, const oa_ctx_t *c)
{
	const k8s_resource_t *r = c->r;
	char base[256], coll[384], item[448], sub[480];
	json_t *pi;

	if (r->group[0])
		snprintf(base, sizeof(base), "/apis/%s/%s", r->group, r->version);
	else
		snprintf(base, sizeof(base), "/api/%s", r->version);
	if (r->namespaced)
		snprintf(coll, sizeof(coll), "%s/namespaces/{namespace}/%s", base, r->plural);
	else
		snprintf(coll, sizeof(coll), "%s/%s", base, r->plural);
	snprintf(item, sizeof(item), "%s/{name}", coll);

	if (!(pi = oa_path_item(paths, coll, r, r->namespaced, false)) ||
	    oa_add_op(pi, c, OA_LIST, NULL) < 0 || oa_add_op(pi, c, OA_CREATE, NULL) < 0 ||
	    oa_add_op(pi, c, OA_DELETECOLLECTION, NULL) < 0)
		return -ENOMEM;
	if (!(pi = oa_path_item(paths, item, r, r->namespaced, true)) ||
	    oa_add_op(pi, c, OA_READ, NULL) < 0 || oa_add_op(pi, c, OA_REPLACE, NULL) < 0 ||
	    oa_add_op(pi, c, OA_PATCH, NULL) < 0 || oa_add_op(pi, c, OA_DELETE, NULL) < 0)
		return -ENOMEM;
	if (r->namespaced) {
		char all[320];
		snprintf(all, sizeof(all), "%s/%s", base, r->plural);
		if (!(pi = oa_path_item(paths, all, r, false, false)) || oa_add_op(pi, c, OA_LIST_ALL, NULL) < 0)
			return -ENOMEM;
	}
	for (int i = 0; i < 2; i++) {
		const char *s = i == 0 ? "status" : "scale";
		if (i == 0 ? !r->has_status : !r->has_scale)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", item, s);
		if (!(pi = oa_path_item(paths, sub, r, r->namespaced, true)) ||
		    oa_add_op(pi, c, OA_READ, s) < 0 || oa_add_op(pi, c, OA_REPLACE, s) < 0 ||
		    oa_add_op(pi, c, OA_PATCH, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* "CoreV1", "AppsV1", "DiscoveryV1": upstream's operationId infix (first DNS label of the group). */
static void oa_titles(const char *group, const char *version, char *title, size_t tlen, char *tag, size_t glen)
{
	char g[32];
	size_t n = strcspn(group, ".");

	if (n == 0)
		snprintf(g, sizeof(g), "core");
	else
		snprintf(g, sizeof(g), "%.*s", (int)(n < sizeof(g) - 1 ? n : sizeof(g) - 1), group);
	snprintf(tag, glen, "%s_%s", g, version);
	snprintf(title, tlen, "%s%s", g, version);
	title[0] = (char)toupper((unsigned char)title[0]);
	size_t gl = strlen(g);
	if (gl < tlen && title[gl])
		title[gl] = (char)toupper((unsigned char)title[gl]);
}

static json_t *oa_build_doc(const char *group, const char *version)
{
	json_t *doc, *paths = json_object(), *schemas = json_object();

	doc = json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0",
			"info", "title", "Kubernetes", "version", "unversioned",
			"paths", paths, "components", "schemas", schemas);
	if (!doc)
		return NULL;
	/* Types every document refers to from its operations. */
	if (oa_add_type(schemas, schema_type_by_name("io.k8s.apimachinery.pkg.apis.meta.v1.Status"), "", "v1", "Status", 0) < 0 ||
	    oa_add_type(schemas, schema_type_by_name("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"), "", "v1", "DeleteOptions", 0) < 0 ||
	    oa_add_type(schemas, schema_type_by_name("io.k8s.apimachinery.pkg.apis.meta.v1.Patch"), "", "", NULL, 0) < 0 ||
	    oa_add_type(schemas, schema_type_by_name("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"), "", "", NULL, 0) < 0)
		goto fail;
	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		const schema_type_t *t;
		oa_ctx_t c = { .r = r };

		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		t = schema_for(r);
		if (!t)
			continue;
		c.kind_schema = t->name;
		snprintf(c.list_schema, sizeof(c.list_schema), "%sList", t->name);
		oa_titles(group, version, c.gv_title, sizeof(c.gv_title), c.tag, sizeof(c.tag));
		c.gvk_group = r->group;
		c.gvk_version = r->version;
		c.gvk_kind = r->kind;
		if (oa_add_type(schemas, t, r->group, r->version, r->kind, 0) < 0 || oa_add_list(schemas, r, t) < 0)
			goto fail;
		if (r->has_scale && oa_add_type(schemas, schema_type_by_kind("autoscaling", "Scale"),
						"autoscaling", "v1", "Scale", 0) < 0)
			goto fail;
		if (oa_add_resource(paths, &c) < 0)
			goto fail;
	}
	return doc;
fail:
	json_decref(doc);
	return NULL;
}

/* 128-bit FNV-1a over the canonical (sorted, compact) text: a stable content digest. It only has
 * to change when the document does; nothing relies on it being cryptographic. */
static void oa_hash(const json_t *doc, char out[33])
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;

	if (s) {
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			h1 = (h1 ^ *p) * 0x100000001b3ULL;
			h2 = (h2 ^ *p) * 0x100000001b3ULL;
			h2 ^= h2 >> 29;
		}
		free(s);
	}
	snprintf(out, 33, "%016llX%016llX", (unsigned long long)h1, (unsigned long long)h2);
}

static void openapi_build(void)
{
	json_t *index = json_object(), *ipaths = json_object();

	if (!index || !ipaths || json_object_set(index, "paths", ipaths) < 0)
		goto out;
	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		openapi_gv_t *gv = NULL;
		char url[256];

		for (size_t j = 0; j < openapi_cache.n; j++)
			if (strcmp(openapi_cache.gv[j].group, r->group) == 0 &&
			    strcmp(openapi_cache.gv[j].version, r->version) == 0)
				gv = &openapi_cache.gv[j];
		if (gv || openapi_cache.n == OPENAPI_MAX_GV)
			continue;
		gv = &openapi_cache.gv[openapi_cache.n];
		gv->group = r->group;
		gv->version = r->version;
		if (r->group[0])
			snprintf(gv->path, sizeof(gv->path), "apis/%s/%s", r->group, r->version);
		else
			snprintf(gv->path, sizeof(gv->path), "api/%s", r->version);
		gv->doc = oa_build_doc(r->group, r->version);
		if (!gv->doc)
			goto out;
		oa_hash(gv->doc, gv->hash);
		openapi_cache.n++;
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", gv->path, gv->hash);
		if (json_object_set_new(ipaths, gv->path, json_pack("{s:s}", "serverRelativeURL", url)) < 0)
			goto out;
	}
	openapi_cache.index = index;
	index = NULL;
out:
	/* On ENOMEM the index stays NULL and openapi_v3_index() reports it; built docs are kept. */
	json_decref(ipaths);
	json_decref(index);
}

json_t *openapi_v3_index(void)
{
	pthread_once(&openapi_once, openapi_build);
	return openapi_cache.index ? json_incref(openapi_cache.index) : NULL;
}

static const openapi_gv_t *openapi_find(const char *path)
{
	if (!path)
		return NULL;
	pthread_once(&openapi_once, openapi_build);
	for (size_t i = 0; i < openapi_cache.n; i++)
		if (strcmp(openapi_cache.gv[i].path, path) == 0)
			return &openapi_cache.gv[i];
	return NULL;
}

json_t *openapi_v3_doc(const char *path)
{
	const openapi_gv_t *gv = openapi_find(path);

	return gv ? json_incref(gv->doc) : NULL;
}

const char *openapi_v3_hash(const char *path)
{
	const openapi_gv_t *gv = openapi_find(path);

	return gv ? gv->hash : NULL;
}
