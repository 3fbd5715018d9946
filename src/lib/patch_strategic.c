/* Kubernetes strategic merge patch, the apply half of k8s.io/apimachinery/pkg/util/strategicpatch
 * (patch.go: mergeMap, mergeSlice, mergePatchIntoOriginal) as kube-apiserver runs it for
 * application/strategic-merge-patch+json, with the patchStrategy/patchMergeKey struct tags of
 * k8s.io/api for the served kinds written out as a table. Error wording is upstream's
 * (k8s.io/apimachinery/pkg/util/mergepatch/errors.go); Go values in messages print as fmt's %v. */
#include "lib/patch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMP_DIRECTIVE     "$patch"
#define SMP_RETAIN_KEYS   "$retainKeys"
#define SMP_ORDER_PREFIX  "$setElementOrder/"
#define SMP_DELETE_PREFIX "$deleteFromPrimitiveList/"
#define SMP_PATH_MAX      96
/* Error replies stay small: a Go %v rendering longer than this is cut. */
#define SMP_ECHO_MAX      4096

/* One struct tag. key != NULL marks a list with patchStrategy "merge": "" for a list of primitives
 * (union), else its patchMergeKey. type names the shared type of the value, or of each element of
 * a merge list, whose rows then apply below it. Every list not listed here is replaced whole
 * (no patchStrategy tag: upstream's default); every object merges key by key. "retainKeys" in a
 * tag only shapes the patches kubectl computes and is not needed to apply one. */
typedef struct smp_row {
	const char *scope; /* a kind, a shared type, or "*" for every kind */
	const char *path;  /* dot-separated JSON field names within scope */
	const char *key;
	const char *type;
} smp_row_t;

static const smp_row_t smp_rows[] = {
	{ "*", "metadata", NULL, "ObjectMeta" },
	/* k8s.io/apimachinery meta/v1 ObjectMeta */
	{ "ObjectMeta", "finalizers", "", NULL },
	{ "ObjectMeta", "ownerReferences", "uid", NULL },
	/* core/v1: NamespaceStatus, ServiceSpec/ServiceStatus, NodeSpec/NodeStatus. Endpoints (subsets),
	 * Event, ConfigMap, discovery/v1 EndpointSlice (endpoints, ports: listType=atomic) and
	 * coordination/v1 Lease carry no list strategies beyond metadata. */
	{ "Namespace", "status.conditions", "type", NULL },
	{ "Service", "spec.ports", "port", NULL },
	{ "Service", "status.conditions", "type", NULL },
	{ "Node", "spec.podCIDRs", "", NULL },
	{ "Node", "status.conditions", "type", NULL },
	{ "Node", "status.addresses", "type", NULL },
	{ "Pod", "spec", NULL, "PodSpec" },
	{ "Pod", "status", NULL, "PodStatus" },
	/* apps/v1 DeploymentSpec.template is a PodTemplateSpec; DeploymentStatus.conditions */
	{ "Deployment", "spec.template.metadata", NULL, "ObjectMeta" },
	{ "Deployment", "spec.template.spec", NULL, "PodSpec" },
	{ "Deployment", "status.conditions", "type", NULL },
	/* core/v1 PodSpec (tolerations, readinessGates: no strategy) */
	{ "PodSpec", "volumes", "name", NULL },
	{ "PodSpec", "initContainers", "name", "Container" },
	{ "PodSpec", "containers", "name", "Container" },
	{ "PodSpec", "ephemeralContainers", "name", "Container" },
	{ "PodSpec", "imagePullSecrets", "name", NULL },
	{ "PodSpec", "hostAliases", "ip", NULL },
	{ "PodSpec", "topologySpreadConstraints", "topologyKey", NULL },
	{ "PodSpec", "schedulingGates", "name", NULL },
	{ "PodSpec", "resourceClaims", "name", NULL },
	/* core/v1 Container and EphemeralContainerCommon (envFrom, resizePolicy: no strategy) */
	{ "Container", "ports", "containerPort", NULL },
	{ "Container", "env", "name", NULL },
	{ "Container", "volumeMounts", "mountPath", NULL },
	{ "Container", "volumeDevices", "devicePath", NULL },
	/* core/v1 PodStatus */
	{ "PodStatus", "conditions", "type", NULL },
	{ "PodStatus", "podIPs", "ip", NULL },
	{ "PodStatus", "hostIPs", "ip", NULL },
	{ "PodStatus", "resourceClaimStatuses", "name", NULL },
};

/* Where the merge stands in the schema: scope NULL once outside anything the table knows. */
typedef struct smp_cur {
	const char *scope;
	bool is_kind;
	char path[SMP_PATH_MAX];
} smp_cur_t;

typedef struct smp {
	int rc;
	char *err;
} smp_t;

/* Go's reflect type of a decoded JSON value, which upstream compares to choose merge or replace.
 * kube decodes patches preserving integers, so int64 and float64 differ as jansson's types do. */
enum { GT_NIL, GT_BOOL, GT_INT, GT_FLOAT, GT_STRING, GT_MAP, GT_SLICE };

static int go_type(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
	case JSON_FALSE: return GT_BOOL;
	case JSON_INTEGER: return GT_INT;
	case JSON_REAL: return GT_FLOAT;
	case JSON_STRING: return GT_STRING;
	case JSON_OBJECT: return GT_MAP;
	case JSON_ARRAY: return GT_SLICE;
	default: return GT_NIL;
	}
}

static const char *go_type_name(int t)
{
	static const char *const names[] = { "<nil>", "bool", "int64", "float64", "string",
					     "map[string]interface {}", "[]interface {}" };
	return names[t];
}

/* Go's == on interface{} values: same dynamic type and value. NULL (absent) is Go's nil. Maps and
 * slices make Go panic; here they simply never match. */
static bool go_eq(const json_t *a, const json_t *b)
{
	int t = go_type(a);

	if (t != go_type(b))
		return false;
	switch (t) {
	case GT_NIL: return true;
	case GT_BOOL: return json_typeof(a) == json_typeof(b);
	case GT_INT: return json_integer_value(a) == json_integer_value(b);
	case GT_FLOAT: return json_real_value(a) == json_real_value(b);
	case GT_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	default: return false;
	}
}

/* strconv.FormatFloat(f, 'g', -1, 64), which %v uses: the shortest digits that read back, in
 * exponent form when the exponent is < -4 or >= 6 (the shortest-precision rule). */
static void go_print_float(FILE *f, double d)
{
	char buf[48];
	int prec;
	long exp;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
	exp = strtol(strchr(buf, 'e') + 1, NULL, 10);
	if (exp < -4 || exp >= 6)
		fputs(buf, f);
	else
		fprintf(f, "%.*f", prec - 1 - (int)exp > 0 ? prec - 1 - (int)exp : 0, d);
}

static int go_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* fmt's %v (verb 'v') or %s (verb 's') of a decoded JSON value: maps as map[k:v ...] with sorted
 * keys, slices as [a b], %s of a non-string as %!s(type=value). */
static void go_print(FILE *f, const json_t *v, char verb)
{
	int t = go_type(v);

	if (verb == 's' && t != GT_STRING && t != GT_MAP && t != GT_SLICE) {
		fprintf(f, "%%!s(%s=", go_type_name(t));
		go_print(f, v, 'v');
		fputc(')', f);
		return;
	}
	switch (t) {
	case GT_NIL: fputs("<nil>", f); break;
	case GT_BOOL: fputs(json_is_true(v) ? "true" : "false", f); break;
	case GT_INT: fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case GT_FLOAT: go_print_float(f, json_real_value(v)); break;
	case GT_STRING: fwrite(json_string_value(v), 1, json_string_length(v), f); break;
	case GT_SLICE:
		fputc('[', f);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				fputc(' ', f);
			go_print(f, json_array_get(v, i), verb);
		}
		fputc(']', f);
		break;
	case GT_MAP: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		const char *k;
		json_t *m;
		if (!keys)
			break;
		json_object_foreach((json_t *)v, k, m)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), go_key_cmp);
		fputs("map[", f);
		for (i = 0; i < n; i++) {
			fprintf(f, "%s%s:", i ? " " : "", keys[i]);
			go_print(f, json_object_get(v, keys[i]), verb);
		}
		fputc(']', f);
		free(keys);
		break;
	}
	}
}

/* Formats an error: "%v" and "%s" in fmt take the next json_t * argument (printed as Go would),
 * "%S" the next C string; "%%" is a percent sign. Sets x->rc and x->err (cut at SMP_ECHO_MAX). */
static void smp_fail(smp_t *x, int rc, const char *fmt, ...)
{
	va_list ap;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	x->rc = rc;
	free(x->err);
	x->err = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	va_start(ap, fmt);
	for (const char *c = fmt; *c; c++) {
		if (*c != '%' || c[1] == '\0') {
			fputc(*c, f);
			continue;
		}
		c++;
		if (*c == 'v' || *c == 's')
			go_print(f, va_arg(ap, const json_t *), *c);
		else if (*c == 'S')
			fputs(va_arg(ap, const char *), f);
		else
			fputc(*c, f);
	}
	va_end(ap);
	if (fclose(f) == 0 && buf) {
		if (len > SMP_ECHO_MAX)
			strcpy(buf + SMP_ECHO_MAX - 3, "...");
		x->err = buf;
	} else {
		free(buf);
	}
}

static void smp_oom(smp_t *x)
{
	x->rc = -ENOMEM;
}

static void smp_err_no_merge_key(smp_t *x, const json_t *m, const char *key)
{
	smp_fail(x, -EPROTO, "map: %v does not contain declared merge key: %S", m, key);
}

static void smp_err_bad_arg(smp_t *x, const char *expected, const json_t *actual)
{
	smp_fail(x, -EPROTO, "expected a %S, but received a %S", expected, go_type_name(go_type(actual)));
}

/* ---- the schema table ---- */

static const smp_row_t *smp_find(const smp_cur_t *c, const char *path)
{
	for (size_t i = 0; i < sizeof(smp_rows) / sizeof(smp_rows[0]); i++) {
		const smp_row_t *row = &smp_rows[i];
		if (strcmp(row->path, path) == 0 &&
		    (strcmp(row->scope, c->scope) == 0 || (c->is_kind && strcmp(row->scope, "*") == 0)))
			return row;
	}
	return NULL;
}

/* The row for field of the object at c (NULL: no tag) and the cursor below it: for a merge list,
 * the cursor of its elements. A field name with a dot cannot be a schema field and must not
 * alias a dotted table path. */
static const smp_row_t *smp_field(const smp_cur_t *c, const char *field, smp_cur_t *ret_child)
{
	size_t pl = strlen(c->path), fl = strlen(field);
	const smp_row_t *row;

	ret_child->scope = NULL;
	ret_child->is_kind = false;
	ret_child->path[0] = '\0';
	if (!c->scope || strchr(field, '.') || pl + fl + 2 > SMP_PATH_MAX)
		return NULL;
	if (pl) {
		memcpy(ret_child->path, c->path, pl);
		ret_child->path[pl++] = '.';
	}
	memcpy(ret_child->path + pl, field, fl + 1);
	row = smp_find(c, ret_child->path);
	if (row && (row->type || row->key)) {
		ret_child->scope = row->type;
		ret_child->path[0] = '\0';
	} else {
		ret_child->scope = c->scope;
		ret_child->is_kind = c->is_kind;
	}
	return row;
}

/* ---- value helpers (all recursion is bounded by the checked document depth) ---- */

/* discardNullValuesFromPatch: null members vanish from a value taken whole from the patch, because
 * kube applies with IgnoreUnmatchedNulls. */
static void smp_discard_nulls(json_t *v)
{
	const char *k;
	void *tmp;
	json_t *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, m) {
			if (json_is_null(m))
				json_object_del(v, k);
			else
				smp_discard_nulls(m);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			smp_discard_nulls(m);
	}
}

/* removeDirectives: a value taken whole from the patch loses every map that carries $patch.
 * Returns false when v itself is such a map (the field is then dropped). Edits v in place. */
static bool smp_remove_directives(json_t *v)
{
	const char *k;
	void *tmp;
	json_t *m;

	if (json_is_object(v)) {
		if (json_object_get(v, SMP_DIRECTIVE))
			return false;
		json_object_foreach_safe(v, tmp, k, m) {
			if (!smp_remove_directives(m))
				json_object_del(v, k);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v);) {
			if (!smp_remove_directives(json_array_get(v, i)))
				json_array_remove(v, i);
			else
				i++;
		}
	}
	return true;
}

/* findMapInSliceBasedOnKeyValue: index of the first map in l whose key equals val, -1 if none,
 * -2 with x set when an element is not a map. */
static long smp_find_by_key(smp_t *x, const json_t *l, const char *key, const json_t *val)
{
	for (size_t i = 0; i < json_array_size(l); i++) {
		json_t *e = json_array_get(l, i), *kv;
		if (!json_is_object(e)) {
			x->rc = -EPROTO;
			free(x->err);
			if (asprintf(&x->err, "value for key %zu is not a map.", i) < 0)
				x->err = NULL;
			return -2;
		}
		kv = json_object_get(e, key);
		if (kv && go_eq(kv, val))
			return (long)i;
	}
	return -1;
}

/* The value index() compares: the merge key of a map (nil when absent or not a map), or the item. */
static const json_t *smp_cmp_val(const json_t *item, const char *key, bool is_map)
{
	if (!is_map)
		return item;
	return json_is_object(item) ? json_object_get(item, key) : NULL;
}

/* index(): position of item in l by merge key (maps) or value, -1 when absent. */
static long smp_index(const json_t *l, const json_t *item, const char *key, bool is_map)
{
	const json_t *want = smp_cmp_val(item, key, is_map);

	for (size_t i = 0; i < json_array_size(l); i++)
		if (go_eq(want, smp_cmp_val(json_array_get(l, i), key, is_map)))
			return (long)i;
	return -1;
}

static bool smp_is_delete_item(const json_t *v)
{
	json_t *d = json_object_get(v, SMP_DIRECTIVE);
	return json_is_string(d) && strcmp(json_string_value(d), "delete") == 0;
}

/* sliceElementType: the one Go type of every element of a and b. Lists of lists are refused with
 * ErrNoListOfLists, which kube-apiserver answers with 422. Returns the type or -1 with x set. */
static int smp_elem_type(smp_t *x, const json_t *a, const json_t *b)
{
	const json_t *lists[2] = { a, b };
	int prev = -1;

	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < json_array_size(lists[l]); i++) {
			int t = go_type(json_array_get(lists[l], i));
			if (prev < 0) {
				prev = t;
				if (t == GT_SLICE) {
					smp_fail(x, -EINVAL, "lists of lists are not supported");
					return -1;
				}
			} else if (prev != t) {
				json_t *both = json_pack("[OO]", a, b);
				if (!both) {
					smp_oom(x);
					return -1;
				}
				smp_fail(x, -EPROTO, "list element types are not identical: %v", both);
				json_decref(both);
				return -1;
			}
		}
	}
	if (prev < 0)
		smp_fail(x, -EPROTO, "no elements in any of the given slices");
	return prev;
}

/* ---- element order (upstream normalizeElementOrder and helpers) ---- */

typedef struct smp_item {
	json_t *v;
	long idx;
} smp_item_t;

/* normalizeSliceOrder: sorts items stably by their position in order; items missing from order
 * compare "less" as upstream's comparator does, and the sort is Go's insertion sort (what
 * sort.SliceStable runs on short lists), so even those land where kube puts them. For lists of
 * maps, "$patch: delete" items go last. Returns a new array or NULL with x set. */
static json_t *smp_sort(smp_t *x, const json_t *items, const json_t *order, const char *key, bool is_map)
{
	size_t n = json_array_size(items), m = 0, i;
	smp_item_t *a = calloc(n ? n : 1, sizeof(*a));
	json_t *out = json_array(), *dels = json_array();

	if (!a || !out || !dels) {
		smp_oom(x);
		goto fail;
	}
	if (is_map) {
		/* validateMergeKeyInLists */
		const json_t *lists[2] = { items, order };
		for (int l = 0; l < 2; l++) {
			for (i = 0; i < json_array_size(lists[l]); i++) {
				json_t *e = json_array_get(lists[l], i);
				if (!json_is_object(e)) {
					smp_err_bad_arg(x, "map[string]interface {}", e);
					goto fail;
				}
				if (!json_object_get(e, key)) {
					smp_err_no_merge_key(x, e, key);
					goto fail;
				}
			}
		}
	}
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(items, i);
		if (is_map && smp_is_delete_item(e)) {
			if (json_array_append(dels, e) < 0) {
				smp_oom(x);
				goto fail;
			}
			continue;
		}
		a[m].v = e;
		a[m].idx = smp_index(order, e, key, is_map);
		m++;
	}
	for (i = 1; i < m; i++) {
		for (size_t j = i; j > 0; j--) {
			bool less = a[j].idx >= 0 && a[j - 1].idx >= 0 ? a[j].idx < a[j - 1].idx : true;
			if (!less)
				break;
			smp_item_t t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
	}
	for (i = 0; i < m; i++)
		if (json_array_append(out, a[i].v) < 0) {
			smp_oom(x);
			goto fail;
		}
	if (json_array_extend(out, dels) < 0) {
		smp_oom(x);
		goto fail;
	}
	free(a);
	json_decref(dels);
	return out;
fail:
	free(a);
	json_decref(out);
	json_decref(dels);
	return NULL;
}

/* normalizeElementOrder + mergeSortedSlice: sorts the patch items by patch_order and the
 * server-only items by server_order, then interleaves them, a server-only item going first only
 * when both are in server_order and it comes earlier there. */
static json_t *smp_normalize(smp_t *x, const json_t *patch_items, const json_t *server_only,
			     const json_t *patch_order, const json_t *server_order, const char *key, bool is_map)
{
	json_t *p = smp_sort(x, patch_items, patch_order, key, is_map);
	json_t *s = p ? smp_sort(x, server_only, server_order, key, is_map) : NULL;
	json_t *out = s ? json_array() : NULL;
	size_t i = 0, j = 0, np, ns;
	long *pi = NULL, *si = NULL;

	if (!out)
		goto done;
	np = json_array_size(p);
	ns = json_array_size(s);
	pi = calloc(np ? np : 1, sizeof(*pi));
	si = calloc(ns ? ns : 1, sizeof(*si));
	if (!pi || !si) {
		json_decref(out);
		out = NULL;
		smp_oom(x);
		goto done;
	}
	for (size_t k = 0; k < np; k++)
		pi[k] = smp_index(server_order, json_array_get(p, k), key, is_map);
	for (size_t k = 0; k < ns; k++)
		si[k] = smp_index(server_order, json_array_get(s, k), key, is_map);
	while (i < ns || j < np) {
		json_t *next;
		if (i < ns && (j >= np || (si[i] >= 0 && pi[j] >= 0 && si[i] < pi[j])))
			next = json_array_get(s, i++);
		else
			next = json_array_get(p, j++);
		if (json_array_append(out, next) < 0) {
			json_decref(out);
			out = NULL;
			smp_oom(x);
			goto done;
		}
	}
done:
	free(pi);
	free(si);
	json_decref(p);
	json_decref(s);
	return out;
}

/* partitionMapsByPresentInList / partitionPrimitivesByPresentInList. */
static int smp_partition(smp_t *x, const json_t *merged, const json_t *by, const char *key,
			 json_t **ret_in, json_t **ret_out)
{
	json_t *in = json_array(), *out = json_array();

	if (!in || !out)
		goto oom;
	for (size_t i = 0; i < json_array_size(merged); i++) {
		json_t *v = json_array_get(merged, i);
		bool found = false;
		if (key[0]) {
			json_t *kv;
			long at;
			if (!json_is_object(v)) {
				smp_err_bad_arg(x, "map[string]interface {}", v);
				goto fail;
			}
			kv = json_object_get(v, key);
			if (!kv) {
				smp_err_no_merge_key(x, v, key);
				goto fail;
			}
			at = smp_find_by_key(x, by, key, kv);
			if (at == -2)
				goto fail;
			found = at >= 0;
		} else {
			for (size_t j = 0; j < json_array_size(by) && !found; j++)
				found = go_eq(v, json_array_get(by, j));
		}
		if (json_array_append(found ? in : out, v) < 0)
			goto oom;
	}
	*ret_in = in;
	*ret_out = out;
	return 0;
oom:
	smp_oom(x);
fail:
	json_decref(in);
	json_decref(out);
	return -1;
}

/* ---- the merge ---- */

static json_t *smp_merge_map(smp_t *x, json_t *orig, json_t *patch, const smp_cur_t *cur);

static bool smp_list_too_long(smp_t *x, const json_t *l, const char *field)
{
	if (json_array_size(l) <= PATCH_SMP_MAX_LIST)
		return false;
	x->rc = -E2BIG;
	free(x->err);
	if (asprintf(&x->err, "the list %.128s has %zu items; a strategic merge patch merges at most %d",
		     field, json_array_size(l), PATCH_SMP_MAX_LIST) < 0)
		x->err = NULL;
	return true;
}

/* mergeSlice for a list with patchStrategy "merge". orig and patch are borrowed; the elements of
 * orig may be edited in place (they belong to our private copy of the target). key is "" for a list
 * of primitives. Returns a new reference or NULL with x set. */
static json_t *smp_merge_slice(smp_t *x, json_t *orig, json_t *patch, const smp_cur_t *elem,
			       const char *key, bool is_delete_list, const char *field)
{
	json_t *cur_orig = NULL, *cur_patch = NULL, *merged = NULL, *in = NULL, *out = NULL, *res = NULL;
	size_t i;
	int t;

	if (json_array_size(orig) == 0 && json_array_size(patch) == 0)
		return json_incref(orig);
	if (smp_list_too_long(x, orig, field) || smp_list_too_long(x, patch, field))
		return NULL;
	t = smp_elem_type(x, orig, patch);
	if (t < 0)
		return NULL;
	if (t != GT_MAP) {
		merged = json_array();
		if (!merged)
			goto oom;
		if (is_delete_list) {
			/* deleteFromSlice: $deleteFromPrimitiveList/<field> lists values to drop. */
			for (i = 0; i < json_array_size(orig); i++) {
				json_t *v = json_array_get(orig, i);
				bool drop = false;
				for (size_t j = 0; j < json_array_size(patch) && !drop; j++)
					drop = go_eq(v, json_array_get(patch, j));
				if (!drop && json_array_append(merged, v) < 0)
					goto oom;
			}
			return merged;
		}
		/* A union without duplicates; the order is fixed below, so which copy survives does not
		 * matter. */
		const json_t *both[2] = { orig, patch };
		for (int l = 0; l < 2; l++) {
			for (i = 0; i < json_array_size(both[l]); i++) {
				json_t *v = json_array_get(both[l], i);
				bool dup = false;
				for (size_t j = 0; j < json_array_size(merged) && !dup; j++)
					dup = go_eq(v, json_array_get(merged, j));
				if (!dup && json_array_append(merged, v) < 0)
					goto oom;
			}
		}
		cur_orig = json_incref(orig);
		cur_patch = json_incref(patch);
		key = "";
	} else {
		bool replace = false;

		if (!key[0]) {
			smp_fail(x, -EPROTO, "cannot merge lists without merge key for %S", field);
			return NULL;
		}
		/* mergeSliceWithSpecialElements: $patch elements delete by key or replace the list. */
		cur_orig = json_copy(orig);
		cur_patch = json_array();
		if (!cur_orig || !cur_patch)
			goto oom;
		for (i = 0; i < json_array_size(patch); i++) {
			json_t *v = json_array_get(patch, i), *d = json_object_get(v, SMP_DIRECTIVE);
			const char *ds = json_string_value(d);
			if (!d) {
				if (json_array_append(cur_patch, v) < 0)
					goto oom;
			} else if (ds && strcmp(ds, "delete") == 0) {
				json_t *kv = json_object_get(v, key);
				long at;
				if (!kv) {
					smp_err_no_merge_key(x, v, key);
					goto fail;
				}
				while ((at = smp_find_by_key(x, cur_orig, key, kv)) >= 0)
					json_array_remove(cur_orig, (size_t)at);
				if (at == -2)
					goto fail;
			} else if (ds && strcmp(ds, "replace") == 0) {
				replace = true; /* keep going: other $patch elements are still pruned */
			} else if (ds && strcmp(ds, "merge") == 0) {
				smp_fail(x, -EPROTO, "merging lists cannot yet be specified in the patch");
				goto fail;
			} else {
				smp_fail(x, -EPROTO, "unknown patch type: %s in map: %v", d, v);
				goto fail;
			}
		}
		if (replace) {
			json_decref(cur_orig);
			cur_orig = cur_patch;
			cur_patch = json_array();
			if (!cur_patch)
				goto oom;
		}
		/* mergeSliceWithoutSpecialElements: merge into the element with the same key, or append. */
		merged = json_copy(cur_orig);
		if (!merged)
			goto oom;
		for (i = 0; i < json_array_size(cur_patch); i++) {
			json_t *v = json_array_get(cur_patch, i), *kv = json_object_get(v, key);
			long at;
			if (!kv) {
				smp_err_no_merge_key(x, v, key);
				goto fail;
			}
			at = smp_find_by_key(x, merged, key, kv);
			if (at == -2)
				goto fail;
			if (at >= 0) {
				json_t *m = smp_merge_map(x, json_incref(json_array_get(merged, (size_t)at)), v, elem);
				if (!m || json_array_set_new(merged, (size_t)at, m) < 0)
					goto fail;
			} else if (json_array_append(merged, v) < 0) {
				goto oom;
			}
		}
	}
	/* Enforce the order: patch items in patch order, the rest where the server had them. */
	if (smp_partition(x, merged, cur_patch, key, &in, &out) < 0)
		goto fail;
	res = smp_normalize(x, in, out, cur_patch, cur_orig, key, t == GT_MAP);
	goto done;
oom:
	smp_oom(x);
fail:
	res = NULL;
done:
	json_decref(cur_orig);
	json_decref(cur_patch);
	json_decref(merged);
	json_decref(in);
	json_decref(out);
	return res;
}

/* applyRetainKeysDirective: every key of orig not in $retainKeys goes, and every key the patch
 * sets must be in it. Returns 0 or -1 with x set. */
static int smp_retain_keys(smp_t *x, json_t *orig, json_t *patch)
{
	json_t *keep = json_incref(json_object_get(patch, SMP_RETAIN_KEYS)), *v;
	const char *k;
	void *tmp;
	int rc = -1;

	if (!keep)
		return 0;
	json_object_del(patch, SMP_RETAIN_KEYS);
	if (!json_is_array(keep)) {
		smp_fail(x, -EBADMSG, "invalid patch format of retainKeys");
		goto out;
	}
	json_object_foreach(patch, k, v) {
		json_t *ks = json_string(k);
		bool found = false;
		if (json_is_null(v) || strncmp(k, SMP_DELETE_PREFIX, strlen(SMP_DELETE_PREFIX)) == 0 ||
		    strncmp(k, SMP_ORDER_PREFIX, strlen(SMP_ORDER_PREFIX)) == 0) {
			json_decref(ks);
			continue;
		}
		if (!ks) {
			smp_oom(x);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(keep) && !found; i++)
			found = go_eq(ks, json_array_get(keep, i));
		json_decref(ks);
		if (!found) {
			smp_fail(x, -EBADMSG, "invalid patch format of retainKeys");
			goto out;
		}
	}
	json_object_foreach_safe(orig, tmp, k, v) {
		json_t *ks = json_string(k);
		bool found = false;
		if (!ks) {
			smp_oom(x);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(keep) && !found; i++)
			found = go_eq(ks, json_array_get(keep, i));
		json_decref(ks);
		if (!found)
			json_object_del(orig, k);
	}
	rc = 0;
out:
	json_decref(keep);
	return rc;
}

/* validatePatchWithSetOrderList: the patch list's items (deletions and directives aside) must
 * appear in the $setElementOrder list in the same relative order. */
static int smp_validate_order(smp_t *x, const json_t *plist, const json_t *order, const char *key)
{
	size_t p = 0, s = 0, n = 0;
	json_t *keep;
	int rc = -1;

	if (json_array_size(order) == 0 || json_array_size(plist) == 0)
		return 0;
	keep = json_array();
	if (!keep) {
		smp_oom(x);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(plist); i++) {
		json_t *v = json_array_get(plist, i);
		if (key[0]) {
			if (!json_is_object(v)) {
				smp_err_bad_arg(x, "map[string]interface {}", v);
				goto out;
			}
			if (smp_is_delete_item(v))
				continue;
		}
		if (json_array_append(keep, v) < 0) {
			smp_oom(x);
			goto out;
		}
	}
	n = json_array_size(keep);
	while (p < n && s < json_array_size(order)) {
		json_t *a = json_array_get(keep, p), *b = json_array_get(order, s);
		bool eq;
		if (json_is_object(a) && json_object_get(a, SMP_DIRECTIVE)) {
			p++;
			continue;
		}
		if (!key[0]) {
			eq = go_eq(a, b);
		} else {
			/* mergeKeyValueEqual */
			if (!json_is_object(b)) {
				smp_err_bad_arg(x, "map[string]interface {}", b);
				goto out;
			}
			if (!json_object_get(a, key)) {
				smp_err_no_merge_key(x, a, key);
				goto out;
			}
			if (!json_object_get(b, key)) {
				smp_err_no_merge_key(x, b, key);
				goto out;
			}
			eq = go_eq(json_object_get(a, key), json_object_get(b, key));
		}
		if (eq)
			p++;
		s++;
	}
	if (p < n && s >= json_array_size(order)) {
		smp_fail(x, -EPROTO, "the order in patch list:\n%v\n doesn't match $setElementOrder list:\n%v", plist, order);
		goto out;
	}
	rc = 0;
out:
	json_decref(keep);
	return rc;
}

/* mergePatchIntoOriginal: each $setElementOrder/<field> merges <field> now and orders the result
 * (precedence: $setElementOrder, then patch order, then live order), consuming both keys. */
static int smp_set_order(smp_t *x, json_t *orig, json_t *patch, const smp_cur_t *cur)
{
	const size_t plen = strlen(SMP_ORDER_PREFIX);
	size_t n = 0, i;
	char **names = calloc(json_object_size(patch) + 1, sizeof(*names));
	const char *k;
	json_t *v;
	int rc = -1;

	if (!names) {
		smp_oom(x);
		return -1;
	}
	json_object_foreach(patch, k, v) {
		if (strncmp(k, SMP_ORDER_PREFIX, plen) == 0 && !(names[n++] = strdup(k))) {
			smp_oom(x);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		json_t *order = json_incref(json_object_get(patch, names[i]));
		const char *field = names[i] + plen;
		json_t *ol, *pl, *merged = NULL, *in = NULL, *outl = NULL, *both = NULL, *empty = NULL;
		smp_cur_t elem;
		const smp_row_t *row = smp_field(cur, field, &elem);
		const char *key = row && row->key ? row->key : "";
		int t, step = -1;

		json_object_del(patch, names[i]);
		ol = json_object_get(orig, field);
		pl = json_object_get(patch, field);
		if (!json_is_array(order))
			smp_err_bad_arg(x, "[]interface {}", order);
		else if (ol && !json_is_array(ol))
			smp_err_bad_arg(x, "[]interface {}", ol);
		else if (pl && !json_is_array(pl))
			smp_err_bad_arg(x, "[]interface {}", pl);
		else if (!smp_list_too_long(x, order, field) && smp_validate_order(x, pl, order, key) == 0)
			step = 0;
		if (step == 0 && !ol && !pl)
			step = 1; /* nothing to order */
		if (step == 0) {
			if (ol && !pl) {
				merged = json_incref(ol);
			} else if (!ol) {
				smp_remove_directives(pl);
				merged = json_incref(pl);
			} else if (row && row->key) {
				merged = smp_merge_slice(x, ol, pl, &elem, key, false, field);
			} else {
				merged = json_incref(pl);
			}
			empty = json_array();
			if (!merged || !empty)
				step = -1;
		}
		if (step == 0 && smp_partition(x, merged, order, key, &in, &outl) < 0)
			step = -1;
		if (step == 0 && (t = smp_elem_type(x, ol ? ol : empty, pl ? pl : empty)) < 0)
			step = -1;
		if (step == 0) {
			both = smp_normalize(x, in, outl, order, ol ? ol : empty, key, t == GT_MAP);
			if (!both || json_object_set_new(orig, field, both) < 0)
				step = -1;
			else
				json_object_del(patch, field);
		}
		if (step < 0 && x->rc == 0)
			smp_oom(x);
		json_decref(order);
		json_decref(merged);
		json_decref(in);
		json_decref(outl);
		json_decref(empty);
		if (step < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* mergeMap. Consumes the reference to orig (NULL: absent); patch is borrowed but edited (it is our
 * private copy). Returns a new reference or NULL with x set. */
static json_t *smp_merge_map(smp_t *x, json_t *orig, json_t *patch, const smp_cur_t *cur)
{
	const size_t dlen = strlen(SMP_DELETE_PREFIX);
	json_t *d = json_object_get(patch, SMP_DIRECTIVE), *v;
	const char *k;

	if (d) {
		/* handleDirectiveInMergeMap: replace takes the patch as is, delete leaves an empty map. */
		const char *ds = json_string_value(d);
		json_decref(orig);
		if (ds && strcmp(ds, "replace") == 0) {
			json_object_del(patch, SMP_DIRECTIVE);
			return json_incref(patch);
		}
		if (ds && strcmp(ds, "delete") == 0) {
			json_t *e = json_object();
			if (!e)
				smp_oom(x);
			return e;
		}
		smp_fail(x, -EPROTO, "unknown patch type: %s in map: %v", d, patch);
		return NULL;
	}
	if (!orig && !(orig = json_object())) {
		smp_oom(x);
		return NULL;
	}
	if (smp_retain_keys(x, orig, patch) < 0 || smp_set_order(x, orig, patch, cur) < 0)
		goto fail;
	json_object_foreach(patch, k, v) {
		const char *name = k;
		bool is_delete_list = false;
		json_t *ov, *nv = NULL;
		smp_cur_t child;
		const smp_row_t *row;

		if (strncmp(k, SMP_DELETE_PREFIX, dlen) == 0) {
			/* preprocessDeletionListForMerging; an empty field name keeps the whole key. */
			is_delete_list = true;
			if (k[dlen])
				name = k + dlen;
		}
		if (json_is_null(v)) {
			json_object_del(orig, name);
			continue;
		}
		ov = json_object_get(orig, name);
		if (!ov || go_type(ov) != go_type(v)) {
			/* Absent, or of another type: the patch value wins, cleaned of nulls and directives. */
			if (is_delete_list)
				continue;
			smp_discard_nulls(v);
			if (!smp_remove_directives(v))
				json_object_del(orig, name);
			else if (json_object_set(orig, name, v) < 0)
				goto oom;
			continue;
		}
		row = smp_field(cur, name, &child);
		if (json_is_object(v)) {
			nv = smp_merge_map(x, json_incref(ov), v, &child);
		} else if (json_is_array(v)) {
			/* mergeSliceHandler: only patchStrategy "merge" merges; any other list (even one
			 * named by $deleteFromPrimitiveList, as upstream does) is replaced by the patch. */
			if (row && row->key)
				nv = smp_merge_slice(x, ov, v, &child, row->key, is_delete_list, name);
			else
				nv = json_incref(v);
		} else {
			nv = json_incref(v);
		}
		if (!nv)
			goto fail;
		if (json_object_set_new(orig, name, nv) < 0)
			goto oom;
	}
	return orig;
oom:
	smp_oom(x);
fail:
	json_decref(orig);
	return NULL;
}

int patch_strategic(const k8s_resource_t *r, const json_t *target, const json_t *patch, json_t **ret,
		    char **ret_err)
{
	smp_t x = { 0, NULL };
	smp_cur_t cur = { r ? r->kind : NULL, r != NULL, "" };
	json_t *t, *p, *out;

	if (!json_is_object(target) || !patch)
		return -EINVAL;
	if (!json_is_object(patch) && !json_is_null(patch)) {
		/* kube-apiserver decodes the body into map[string]interface{} and answers 400. */
		const char *kind = json_is_array(patch) ? "array" : json_is_string(patch) ? "string"
				 : json_is_boolean(patch) ? "bool" : "number";
		if (ret_err && asprintf(ret_err, "json: cannot unmarshal %s into Go value of type map[string]interface {}", kind) < 0)
			*ret_err = NULL;
		return -EBADMSG;
	}
	if (patch_doc_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    patch_doc_depth(patch, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH) {
		if (ret_err && !(*ret_err = strdup("json: exceeded max depth")))
			return -ENOMEM;
		return -EBADMSG;
	}
	t = json_deep_copy(target);
	if (!t)
		return -ENOMEM;
	if (json_is_null(patch)) {
		/* null decodes to an empty map: nothing changes */
		*ret = t;
		return 0;
	}
	p = json_deep_copy(patch);
	if (!p) {
		json_decref(t);
		return -ENOMEM;
	}
	out = smp_merge_map(&x, t, p, &cur);
	json_decref(p);
	if (!out) {
		if (ret_err && x.err)
			*ret_err = x.err;
		else
			free(x.err);
		return x.rc ? x.rc : -ENOMEM;
	}
	free(x.err);
	*ret = out;
	return 0;
}
