/* Schema lookups and strict field validation: walks a request object alongside its kind's schema
 * and names every key the schema does not know, the way apimachinery's strict decoder
 * (sigs.k8s.io/json with DisallowUnknownFields) does: "spec.ports[0].nodeport". */
#include "lib/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"
#include "lib/schema_types.h"

/* Known paths are schema field names and array indexes, so this only bounds pathological
 * nesting; a deeper path is simply not descended into (missing an error beats a false one). */
#define SCHEMA_PATH_MAX 1024
/* Unknown keys are echoed back in the error, as upstream does; cap what a client can make us echo. */
#define SCHEMA_KEY_MAX 256

static const struct {
	const char *group, *kind;
	const schema_type_t *type;
} schema_kinds[] = {
	{ "", "Service", &schema_t_service },
	{ "", "Namespace", &schema_t_namespace },
	{ "", "ConfigMap", &schema_t_configmap },
	{ "", "Endpoints", &schema_t_endpoints },
	{ "", "Event", &schema_t_event },
	{ "", "Node", &schema_t_node },
	{ "", "Pod", &schema_t_pod },
	{ "apps", "Deployment", &schema_t_deployment },
	{ "autoscaling", "Scale", &schema_t_scale },
	{ "discovery.k8s.io", "EndpointSlice", &schema_t_endpoint_slice },
	{ "coordination.k8s.io", "Lease", &schema_t_lease },
};

/* Roots for name lookups: the kinds plus the meta types operations refer to directly. */
static const schema_type_t *const schema_extra_roots[] = {
	&schema_t_status, &schema_t_delete_options, &schema_t_patch, &schema_t_list_meta,
};

const schema_type_t *schema_type_by_kind(const char *group, const char *kind)
{
	if (!group || !kind)
		return NULL;
	for (size_t i = 0; i < sizeof(schema_kinds) / sizeof(schema_kinds[0]); i++)
		if (strcmp(schema_kinds[i].group, group) == 0 && strcmp(schema_kinds[i].kind, kind) == 0)
			return schema_kinds[i].type;
	return NULL;
}

const schema_type_t *schema_for(const k8s_resource_t *r)
{
	return r ? schema_type_by_kind(r->group, r->kind) : NULL;
}

/* Depth-first search; the type graph is a small acyclic tree of static data, and depth bounds
 * the recursion should a cycle ever be added. */
static const schema_type_t *schema_find_name(const schema_type_t *t, const char *name, int depth)
{
	if (depth > 32)
		return NULL;
	if (strcmp(t->name, name) == 0)
		return t;
	if (!t->fields)
		return NULL;
	for (const schema_field_t *f = t->fields; f->name; f++) {
		if (f->prim != SCHEMA_REF)
			continue;
		const schema_type_t *hit = schema_find_name(f->type, name, depth + 1);
		if (hit)
			return hit;
	}
	return NULL;
}

const schema_type_t *schema_type_by_name(const char *name)
{
	const schema_type_t *hit;

	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(schema_kinds) / sizeof(schema_kinds[0]); i++)
		if ((hit = schema_find_name(schema_kinds[i].type, name, 0)))
			return hit;
	for (size_t i = 0; i < sizeof(schema_extra_roots) / sizeof(schema_extra_roots[0]); i++)
		if ((hit = schema_find_name(schema_extra_roots[i], name, 0)))
			return hit;
	return NULL;
}

/* ---- strict validation ---- */

struct schema_walk {
	json_t *out;
	char path[SCHEMA_PATH_MAX];
	size_t len;
	int err;
};

static const schema_field_t *schema_field_find(const schema_type_t *t, const char *key)
{
	if (!t->fields)
		return NULL;
	/* Case-sensitive, as sigs.k8s.io/json matches: "nodeport" is not "nodePort". */
	for (const schema_field_t *f = t->fields; f->name; f++)
		if (strcmp(f->name, key) == 0)
			return f;
	return NULL;
}

/* Length of the longest prefix of s, at most max bytes, that does not split a UTF-8 sequence. */
static size_t schema_utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void schema_report(struct schema_walk *w, const char *key)
{
	size_t klen = schema_utf8_prefix(key, SCHEMA_KEY_MAX);
	char *s;
	int n;

	if (w->err || json_array_size(w->out) >= SCHEMA_MAX_UNKNOWN)
		return;
	n = asprintf(&s, "%.*s%s%.*s", (int)w->len, w->path, w->len ? "." : "", (int)klen, key);
	if (n < 0) {
		w->err = -ENOMEM;
		return;
	}
	if (json_array_append_new(w->out, json_string(s)) < 0)
		w->err = -ENOMEM;
	free(s);
}

/* Appends a path segment; false (path unchanged) when it would not fit. */
static bool schema_push(struct schema_walk *w, const char *fmt_key, size_t index, bool is_index)
{
	int n;

	if (is_index)
		n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "[%zu]", index);
	else
		n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "%s%s", w->len ? "." : "", fmt_key);
	if (n < 0 || (size_t)n >= sizeof(w->path) - w->len) {
		w->path[w->len] = '\0';
		return false;
	}
	w->len += (size_t)n;
	return true;
}

static void schema_walk_obj(struct schema_walk *w, const schema_type_t *t, const json_t *obj);

static void schema_walk_value(struct schema_walk *w, const schema_field_t *f, const json_t *val)
{
	size_t saved = w->len, i;
	const json_t *elem;

	if (f->prim != SCHEMA_REF || f->type->leaf != SCHEMA_LEAF_NONE)
		return;
	if (!schema_push(w, f->name, 0, false))
		return;
	switch (f->shape) {
	case SCHEMA_ONE:
		schema_walk_obj(w, f->type, val);
		break;
	case SCHEMA_LIST:
		/* A non-array is a type error the decoder reports; nothing to name here. */
		if (!json_is_array(val))
			break;
		json_array_foreach(val, i, elem) {
			size_t base = w->len;
			if (!schema_push(w, NULL, i, true))
				break;
			schema_walk_obj(w, f->type, elem);
			w->len = base;
			w->path[base] = '\0';
		}
		break;
	default:
		/* Maps of objects: none of the served kinds has one whose values are checked. */
		break;
	}
	w->len = saved;
	w->path[saved] = '\0';
}

static void schema_walk_obj(struct schema_walk *w, const schema_type_t *t, const json_t *obj)
{
	const char *key;
	json_t *val;

	if (t->leaf != SCHEMA_LEAF_NONE || !json_is_object(obj))
		return;
	/* jansson iterates in insertion order, i.e. document order, the order the decoder reports. */
	json_object_foreach((json_t *)obj, key, val) {
		const schema_field_t *f = schema_field_find(t, key);
		if (w->err)
			return;
		if (!f) {
			if (!t->preserve_unknown)
				schema_report(w, key);
			continue;
		}
		schema_walk_value(w, f, val);
	}
}

int schema_unknown_fields_type(const schema_type_t *t, const json_t *obj, json_t **ret_fields)
{
	struct schema_walk *w;
	int r;

	if (!t || !obj || !ret_fields)
		return -EINVAL;
	/* The path buffer is 1 KiB; keep it off small worker stacks. */
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->out = json_array();
	if (!w->out) {
		free(w);
		return -ENOMEM;
	}
	schema_walk_obj(w, t, obj);
	if (w->err) {
		r = w->err;
		json_decref(w->out);
	} else {
		r = (int)json_array_size(w->out);
		*ret_fields = w->out;
	}
	free(w);
	return r;
}

int schema_unknown_fields(const k8s_resource_t *r, const json_t *obj, json_t **ret_fields)
{
	return schema_unknown_fields_type(schema_for(r), obj, ret_fields);
}

/* ---- messages ---- */

char *schema_strict_error(const json_t *fields)
{
	static const char prefix[] = "strict decoding error: ";
	size_t i, len = sizeof(prefix) - 1, cap;
	const json_t *v;
	char *out;

	if (!json_is_array(fields) || json_array_size(fields) == 0)
		return NULL;
	cap = len + 1;
	out = malloc(cap);
	if (!out)
		return NULL;
	memcpy(out, prefix, len + 1);
	/* apimachinery's strictDecodingError joins each error's text with ", ". */
	json_array_foreach(fields, i, v) {
		const char *path = json_string_value(v);
		char *q, *grown;
		size_t ql, need;
		bool sep;

		if (!path)
			continue;
		q = ferr_quote(path);
		if (!q)
			goto fail;
		ql = strlen(q);
		sep = len > sizeof(prefix) - 1;
		need = len + 2 + sizeof("unknown field ") - 1 + ql + 1;
		if (need > cap) {
			cap = need * 2;
			grown = realloc(out, cap);
			if (!grown) {
				free(q);
				goto fail;
			}
			out = grown;
		}
		len += (size_t)sprintf(out + len, "%sunknown field %s", sep ? ", " : "", q);
		free(q);
	}
	return out;
fail:
	free(out);
	return NULL;
}

char *schema_strict_error_for(const k8s_resource_t *r, const json_t *fields)
{
	char *inner, *out;

	if (!r)
		return NULL;
	inner = schema_strict_error(fields);
	if (!inner)
		return NULL;
	/* Upstream (apiserver handlers, transformDecodeError): the version is printed without the group. */
	if (asprintf(&out, "%s in version \"%s\" cannot be handled as a %s: %s", r->kind, r->version, r->kind, inner) < 0)
		out = NULL;
	free(inner);
	return out;
}
