/* managedFields: FieldsV1 sets, the typed walks of sigs.k8s.io/structured-merge-diff (typed/
 * tofieldset.go, compare.go, merge.go, remove.go) over jansson trees, and the Update operation of
 * k8s.io/apimachinery pkg/util/managedfields/internal (fieldmanager.go and the managers it stacks).
 * The list and map types come from the +listType/+listMapKey/+mapType/+structType markers of
 * k8s.io/api 1.33 for the served kinds, written out as a table; anything not in it is an object of
 * named fields or an atomic list, as upstream's OpenAPI makes untagged Go types. */
#include "lib/managed_fields.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"
#include "lib/patch.h"
#include "lib/schema.h"

#define MF_PATH_MAX 128

/* ---- Go's encoding/json ------------------------------------------------------------------------ */

static void go_json_str(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			/* encoding/json's HTMLEscape default: <, > and & as \u00XX */
			fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
			fprintf(f, "\\u202%c", (unsigned char)s[i + 2] == 0xa8 ? '8' : '9'); /* U+2028, U+2029 */
			i += 2;
		} else {
			fputc(c, f);
		}
	}
	fputc('"', f);
}

/* strconv.FormatFloat(f, 'g'-like, -1, 64) as encoding/json uses it: shortest round-trip digits,
 * exponent form below 1e-6 and from 1e21. */
static void go_json_real(FILE *f, double d)
{
	char buf[64];
	int prec;
	double a = d < 0 ? -d : d;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		fputs(buf, f);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*g", prec, d);
	if (strchr(buf, 'e')) {
		/* %g chose an exponent that Go would not: print the plain decimal */
		char *e = strchr(buf, 'e');
		long ex = strtol(e + 1, NULL, 10);
		int decimals = prec - 1 - (int)ex;
		snprintf(buf, sizeof(buf), "%.*f", decimals > 0 ? decimals : 0, d);
	}
	fputs(buf, f);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int go_json_write(FILE *f, const json_t *v, int depth)
{
	if (depth > MF_MAX_DEPTH)
		return -E2BIG;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		const char *k;
		json_t *m;
		int rc = 0;
		if (!keys)
			return -ENOMEM;
		json_object_foreach((json_t *)v, k, m)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), key_cmp);
		fputc('{', f);
		for (i = 0; i < n && rc == 0; i++) {
			if (i)
				fputc(',', f);
			go_json_str(f, keys[i], strlen(keys[i]));
			fputc(':', f);
			rc = go_json_write(f, json_object_get(v, keys[i]), depth + 1);
		}
		fputc('}', f);
		free(keys);
		return rc;
	}
	case JSON_ARRAY:
		fputc('[', f);
		for (size_t i = 0; i < json_array_size(v); i++) {
			int rc;
			if (i)
				fputc(',', f);
			rc = go_json_write(f, json_array_get(v, i), depth + 1);
			if (rc < 0)
				return rc;
		}
		fputc(']', f);
		return 0;
	case JSON_STRING:
		go_json_str(f, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		go_json_real(f, json_real_value(v));
		return 0;
	case JSON_TRUE:
		fputs("true", f);
		return 0;
	case JSON_FALSE:
		fputs("false", f);
		return 0;
	default:
		fputs("null", f);
		return 0;
	}
}

/* mf_go_json of the common list-map key, an object of at most 8 members whose values are integers or
 * strings of plain printable ASCII, without stdio; NULL (with *ret_done false) for anything else. */
static char *go_json_flat(const json_t *v, bool *ret_done)
{
	const char *keys[8];
	size_t n = 0, need = 3, o = 0;
	const char *k;
	json_t *m;
	char *out;

	*ret_done = false;
	if (!json_is_object(v) || json_object_size(v) > 8)
		return NULL;
	json_object_foreach((json_t *)v, k, m) {
		const char *texts[2] = { k, json_is_string(m) ? json_string_value(m) : "" };
		if (!json_is_string(m) && !json_is_integer(m))
			return NULL;
		/* what go_json_str writes as is */
		for (int t = 0; t < 2; t++)
			for (const char *q = texts[t]; *q; q++)
				if (*q < 0x20 || *q > 0x7e || *q == '"' || *q == '\\' || *q == '<' || *q == '>' || *q == '&')
					return NULL;
		if (json_is_string(m) && strlen(json_string_value(m)) != json_string_length(m))
			return NULL; /* an embedded NUL */
		need += strlen(k) + 4 + (json_is_string(m) ? json_string_length(m) + 2 : 21);
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	out = malloc(need);
	if (!out) {
		*ret_done = true;
		return NULL;
	}
	out[o++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(keys[i]);
		m = json_object_get(v, keys[i]);
		if (i)
			out[o++] = ',';
		out[o++] = '"';
		memcpy(out + o, keys[i], kl);
		o += kl;
		out[o++] = '"';
		out[o++] = ':';
		if (json_is_string(m)) {
			size_t vl = json_string_length(m);
			out[o++] = '"';
			memcpy(out + o, json_string_value(m), vl);
			o += vl;
			out[o++] = '"';
		} else {
			o += (size_t)snprintf(out + o, need - o, "%" JSON_INTEGER_FORMAT, json_integer_value(m));
		}
	}
	out[o++] = '}';
	out[o] = '\0';
	*ret_done = true;
	return out;
}

char *mf_go_json(const json_t *v)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	bool done;
	int rc;

	/* list-map keys of every list item of every write come here: the usual ones skip stdio */
	out = go_json_flat(v, &done);
	if (done)
		return out;
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	rc = go_json_write(f, v, 0);
	if (fclose(f) != 0 || rc < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- path elements ----------------------------------------------------------------------------- */

static char *pe_field(const char *name)
{
	char *s;

	return asprintf(&s, "f:%s", name) < 0 ? NULL : s;
}

static char *pe_prefixed(char kind, const json_t *v)
{
	char *j = mf_go_json(v), *s = NULL;

	if (j && asprintf(&s, "%c:%s", kind, j) < 0)
		s = NULL;
	free(j);
	return s;
}

/* Go's %v of value.ToString: strings %q, numbers and booleans bare. */
static void value_to_string(FILE *f, const json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		s = ferr_quote(json_string_value(v));
		fputs(s ? s : "\"\"", f);
		free(s);
	} else if (json_is_real(v)) {
		go_json_real(f, json_real_value(v));
	} else if (json_is_integer(v)) {
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", f);
	} else if (json_is_null(v) || !v) {
		fputs("null", f);
	} else {
		char *j = mf_go_json(v);
		fputs(j ? j : "", f);
		free(j);
	}
}

/* PathElement.String() of one canonical element. */
static void pe_write_string(FILE *f, const char *pe)
{
	json_t *v;

	switch (pe[0]) {
	case 'f':
		fprintf(f, ".%s", pe + 2);
		return;
	case 'i':
		fprintf(f, "[%s]", pe + 2);
		return;
	case 'v':
		v = json_loads(pe + 2, JSON_DECODE_ANY, NULL);
		fputs("[=", f);
		value_to_string(f, v);
		fputc(']', f);
		json_decref(v);
		return;
	case 'k': {
		/* canonical keys are sorted by name, which is the order FieldList keeps */
		size_t n, i = 0;
		const char **keys;
		const char *k;
		json_t *m;
		v = json_loads(pe + 2, 0, NULL);
		n = json_object_size(v);
		keys = malloc((n ? n : 1) * sizeof(*keys));
		if (keys) {
			json_object_foreach(v, k, m)
				keys[i++] = k;
			qsort(keys, n, sizeof(*keys), key_cmp);
			fputc('[', f);
			for (i = 0; i < n; i++) {
				fprintf(f, "%s%s=", i ? "," : "", keys[i]);
				value_to_string(f, json_object_get(v, keys[i]));
			}
			fputc(']', f);
		}
		free(keys);
		json_decref(v);
		return;
	}
	default:
		fputs("{{invalid path element}}", f);
	}
}

char *mf_path_string(const char *const *path, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		pe_write_string(f, path[i]);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int pe_type_rank(char c)
{
	return c == 'f' ? 0 : c == 'k' ? 1 : c == 'v' ? 2 : 3;
}

/* PathElement.Compare: fields, then keys, then values, then indices; names and values in order. */
static int pe_cmp(const char *a, const char *b)
{
	int ra = pe_type_rank(a[0]), rb = pe_type_rank(b[0]);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a[0] == 'i') {
		long x = strtol(a + 2, NULL, 10), y = strtol(b + 2, NULL, 10);
		return x < y ? -1 : x > y;
	}
	return strcmp(a, b);
}

static int pe_cmp_q(const void *a, const void *b)
{
	return pe_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- sets ---------------------------------------------------------------------------------------- */

json_t *mf_set_new(void)
{
	return json_object();
}

static bool node_member(const json_t *n)
{
	return json_object_get(n, ".") != NULL;
}

bool mf_set_empty(const json_t *set)
{
	return !set || json_object_size(set) == 0;
}

int mf_set_insert(json_t *set, const char *const *path, size_t n)
{
	json_t *cur = set;

	for (size_t i = 0; i < n; i++) {
		json_t *c = json_object_get(cur, path[i]);
		if (!c) {
			c = json_object();
			if (!c || json_object_set_new(cur, path[i], c) < 0)
				return -ENOMEM;
		}
		cur = c;
	}
	if (n > 0 && !node_member(cur) && json_object_set_new(cur, ".", json_object()) < 0)
		return -ENOMEM;
	return 0;
}

bool mf_set_has(const json_t *set, const char *const *path, size_t n)
{
	const json_t *cur = set;

	for (size_t i = 0; i < n && cur; i++)
		cur = json_object_get(cur, path[i]);
	return n > 0 && cur && node_member(cur);
}

/* Sets share unchanged subtrees (set operations take references instead of deep copies, which
 * were a fifth of a create's CPU time); the only in-place writer below copies a shared node before
 * changing it (copy on write), so a set never changes under another that shares its nodes. */
static int set_union_into(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)src, k, v) {
		json_t *d = json_object_get(dst, k);
		if (strcmp(k, ".") == 0) {
			if (!d && json_object_set_new(dst, ".", json_object()) < 0)
				return -ENOMEM;
		} else if (d) {
			if (d->refcount > 1) {
				json_t *c = json_copy(d);
				if (!c || json_object_set_new(dst, k, c) < 0)
					return -ENOMEM;
				d = c;
			}
			if (set_union_into(d, v) < 0)
				return -ENOMEM;
		} else if (json_object_set(dst, k, v) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

json_t *mf_set_union(const json_t *a, const json_t *b)
{
	json_t *out = a ? json_copy((json_t *)a) : json_object();

	if (out && b && set_union_into(out, b) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

enum set_op { OP_DIFF, OP_INTERSECT, OP_RDIFF };

/* One node of a op b; NULL on ENOMEM (an empty object when nothing is left). */
static json_t *set_op(const json_t *a, const json_t *b, enum set_op op)
{
	json_t *out = json_object(), *bc;
	const char *k;
	json_t *v;

	if (!out)
		return NULL;
	json_object_foreach((json_t *)a, k, v) {
		json_t *r;
		bc = b ? json_object_get(b, k) : NULL;
		if (strcmp(k, ".") == 0) {
			bool keep = op == OP_INTERSECT ? bc != NULL : bc == NULL;
			if (keep && json_object_set_new(out, ".", json_object()) < 0)
				goto oom;
			continue;
		}
		if (op == OP_RDIFF && bc && node_member(bc))
			continue; /* b owns this whole subtree */
		if (!bc) {
			if (op == OP_INTERSECT)
				continue;
			r = json_incref(v);
		} else {
			r = set_op(v, bc, op);
		}
		if (!r)
			goto oom;
		if (json_object_size(r) == 0) {
			json_decref(r);
			continue;
		}
		if (json_object_set_new(out, k, r) < 0)
			goto oom;
	}
	return out;
oom:
	json_decref(out);
	return NULL;
}

json_t *mf_set_difference(const json_t *a, const json_t *b)
{
	return set_op(a, b, OP_DIFF);
}

json_t *mf_set_intersection(const json_t *a, const json_t *b)
{
	return set_op(a, b, OP_INTERSECT);
}

json_t *mf_set_recursive_difference(const json_t *a, const json_t *b)
{
	return set_op(a, b, OP_RDIFF);
}

/* Keys of a node other than ".", sorted as upstream orders path elements. */
static const char **sorted_keys(const json_t *n, size_t *ret_n)
{
	size_t cnt = json_object_size(n), i = 0;
	const char **keys = malloc((cnt ? cnt : 1) * sizeof(*keys));
	const char *k;
	json_t *v;

	if (!keys)
		return NULL;
	json_object_foreach((json_t *)n, k, v)
		if (strcmp(k, ".") != 0)
			keys[i++] = k;
	qsort(keys, i, sizeof(*keys), pe_cmp_q);
	*ret_n = i;
	return keys;
}

typedef struct iter_ctx {
	const char *path[MF_MAX_DEPTH + 2];
	size_t n;
	int (*fn)(const char *const *path, size_t n, void *ud);
	void *ud;
} iter_ctx_t;

static int set_iterate(iter_ctx_t *c, const json_t *node)
{
	size_t nk;
	const char **keys;
	int rc = 0;

	if (c->n > MF_MAX_DEPTH)
		return -E2BIG;
	keys = sorted_keys(node, &nk);
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < nk && rc == 0; i++) {
		if (!node_member(json_object_get(node, keys[i])))
			continue;
		c->path[c->n] = keys[i];
		rc = c->fn(c->path, c->n + 1, c->ud);
	}
	for (size_t i = 0; i < nk && rc == 0; i++) {
		json_t *ch = json_object_get(node, keys[i]);
		if (json_object_size(ch) <= (node_member(ch) ? 1u : 0u))
			continue;
		c->path[c->n++] = keys[i];
		rc = set_iterate(c, ch);
		c->n--;
	}
	free(keys);
	return rc;
}

int mf_set_iterate(const json_t *set, int (*fn)(const char *const *path, size_t n, void *ud), void *ud)
{
	iter_ctx_t c = { .fn = fn, .ud = ud };

	return set ? set_iterate(&c, set) : 0;
}

static json_t *to_fields(const json_t *node, bool self, int depth)
{
	json_t *out = json_object();
	const char **keys;
	size_t nk;

	if (!out || depth > MF_MAX_DEPTH + 1)
		goto fail;
	if (self && json_object_size(node) > 1 && json_object_set_new(out, ".", json_object()) < 0)
		goto fail;
	keys = sorted_keys(node, &nk);
	if (!keys)
		goto fail;
	for (size_t i = 0; i < nk; i++) {
		json_t *ch = json_object_get(node, keys[i]);
		json_t *f = to_fields(ch, node_member(ch), depth + 1);
		if (!f || json_object_set_new(out, keys[i], f) < 0) {
			free(keys);
			goto fail;
		}
	}
	free(keys);
	return out;
fail:
	json_decref(out);
	return NULL;
}

json_t *mf_set_to_fields(const json_t *set)
{
	return set ? to_fields(set, false, 0) : json_object();
}

/* A FieldsV1 key in canonical form; NULL with *skip for unknown element types. */
static int canon_pe(const char *key, char **ret, char **ret_err)
{
	json_t *v;
	char *s = NULL;

	if (strlen(key) < 2) {
		*ret_err = strdup("key must be 2 characters long:");
		return -EINVAL;
	}
	if (key[1] != ':') {
		if (asprintf(ret_err, "missing colon: %.100s", key) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	switch (key[0]) {
	case 'f':
		s = strdup(key);
		break;
	case 'i': {
		char *end;
		long i;
		errno = 0;
		i = strtol(key + 2, &end, 10);
		if (errno || end == key + 2 || *end || i < INT32_MIN || i > INT32_MAX) {
			*ret_err = strdup("invalid index path element");
			return -EINVAL;
		}
		if (asprintf(&s, "i:%ld", i) < 0)
			s = NULL;
		break;
	}
	case 'v':
	case 'k':
		v = json_loads(key + 2, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
		if (!v || (key[0] == 'k' && !json_is_object(v)) ||
		    patch_doc_depth(v, MF_MAX_DEPTH) > MF_MAX_DEPTH) {
			json_decref(v);
			*ret_err = strdup("parsing key as path element: invalid JSON");
			return -EINVAL;
		}
		s = pe_prefixed(key[0], v);
		json_decref(v);
		break;
	default:
		*ret = NULL; /* ErrUnknownPathElementType: skipped */
		return 0;
	}
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int from_fields(const json_t *in, json_t *out, int depth, char **ret_err)
{
	const char *k;
	json_t *v;

	if (depth > MF_MAX_DEPTH)
		return -E2BIG;
	json_object_foreach((json_t *)in, k, v) {
		char *pe = NULL;
		json_t *child;
		int rc;
		if (strcmp(k, ".") == 0) {
			if (json_object_set_new(out, ".", json_object()) < 0)
				return -ENOMEM;
			continue;
		}
		if (!json_is_object(v)) {
			*ret_err = strdup("managedFields parsing: expected an object");
			return -EINVAL;
		}
		rc = canon_pe(k, &pe, ret_err);
		if (rc < 0)
			return rc;
		if (!pe)
			continue;
		child = json_object_get(out, pe);
		if (!child) {
			child = json_object();
			if (!child || json_object_set_new(out, pe, child) < 0) {
				free(pe);
				return -ENOMEM;
			}
		}
		free(pe);
		if (json_object_size(v) == 0) {
			if (json_object_set_new(child, ".", json_object()) < 0)
				return -ENOMEM;
		} else {
			rc = from_fields(v, child, depth + 1, ret_err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Drops nodes left empty (a child whose keys were all unknown element types). */
static void set_compact(json_t *n)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(n, tmp, k, v) {
		if (strcmp(k, ".") == 0)
			continue;
		set_compact(v);
		if (json_object_size(v) == 0)
			json_object_del(n, k);
	}
}

int mf_set_from_fields(const json_t *fields_v1, json_t **ret, char **ret_err)
{
	json_t *out = json_object();
	int rc;

	if (!out)
		return -ENOMEM;
	if (fields_v1 && !json_is_object(fields_v1)) {
		json_decref(out);
		*ret_err = strdup("managedFields parsing: fieldsV1 must be an object");
		return -EINVAL;
	}
	rc = fields_v1 ? from_fields(fields_v1, out, 0, ret_err) : 0;
	if (rc < 0) {
		json_decref(out);
		return rc;
	}
	set_compact(out);
	*ret = out;
	return 0;
}

/* ---- the schema -------------------------------------------------------------------------------- */

enum mf_rel {
	REL_STRUCT = 0, /* an object of named fields (the default for objects) */
	REL_MAP,        /* map[string]T: granular, keys are not named fields */
	REL_ATOMIC,     /* +mapType=atomic / +structType=atomic: one leaf */
	REL_LIST_ATOMIC,/* the default for lists */
	REL_LIST_SET,   /* +listType=set */
	REL_LIST_MAP,   /* +listType=map with +listMapKey */
};

typedef struct mf_row {
	const char *scope;           /* a kind, a shared type, or "*" for every kind */
	const char *path;            /* dot-separated field names within scope */
	uint8_t rel;
	const char *keys[3];         /* REL_LIST_MAP: the listMapKeys, in declaration order */
	const char *key_default[3];  /* string defaults of keys (+default markers) */
	const char *type;            /* a shared type for the value, or each element of a list */
} mf_row_t;

#define LMAP1(s, p, k) { s, p, REL_LIST_MAP, { k }, { NULL }, NULL }
static const mf_row_t mf_rows[] = {
	{ "*", "metadata", REL_STRUCT, { NULL }, { NULL }, "ObjectMeta" },
	{ "ObjectMeta", "labels", REL_MAP, { NULL }, { NULL }, NULL },
	{ "ObjectMeta", "annotations", REL_MAP, { NULL }, { NULL }, NULL },
	{ "ObjectMeta", "finalizers", REL_LIST_SET, { NULL }, { NULL }, NULL },
	LMAP1("ObjectMeta", "ownerReferences", "uid"),
	/* core/v1 Service: ports keyed by port+protocol (protocol defaults to TCP) */
	{ "Service", "spec.ports", REL_LIST_MAP, { "port", "protocol" }, { NULL, "TCP" }, NULL },
	{ "Service", "spec.selector", REL_ATOMIC, { NULL }, { NULL }, NULL },
	LMAP1("Service", "status.conditions", "type"),
	LMAP1("Namespace", "status.conditions", "type"),
	{ "Node", "spec.podCIDRs", REL_LIST_SET, { NULL }, { NULL }, NULL },
	LMAP1("Node", "status.conditions", "type"),
	LMAP1("Node", "status.addresses", "type"),
	{ "Node", "status.capacity", REL_MAP, { NULL }, { NULL }, NULL },
	{ "Node", "status.allocatable", REL_MAP, { NULL }, { NULL }, NULL },
	{ "ConfigMap", "data", REL_MAP, { NULL }, { NULL }, NULL },
	{ "ConfigMap", "binaryData", REL_MAP, { NULL }, { NULL }, NULL },
	{ "Pod", "spec", REL_STRUCT, { NULL }, { NULL }, "PodSpec" },
	{ "Pod", "status", REL_STRUCT, { NULL }, { NULL }, "PodStatus" },
	/* apps/v1 Deployment: the selector is a LabelSelector (+structType=atomic) */
	{ "Deployment", "spec.selector", REL_ATOMIC, { NULL }, { NULL }, NULL },
	{ "Deployment", "spec.template.metadata", REL_STRUCT, { NULL }, { NULL }, "ObjectMeta" },
	{ "Deployment", "spec.template.spec", REL_STRUCT, { NULL }, { NULL }, "PodSpec" },
	LMAP1("Deployment", "status.conditions", "type"),
	/* core/v1 PodSpec */
	LMAP1("PodSpec", "volumes", "name"),
	{ "PodSpec", "initContainers", REL_LIST_MAP, { "name" }, { NULL }, "Container" },
	{ "PodSpec", "containers", REL_LIST_MAP, { "name" }, { NULL }, "Container" },
	{ "PodSpec", "ephemeralContainers", REL_LIST_MAP, { "name" }, { NULL }, "Container" },
	LMAP1("PodSpec", "imagePullSecrets", "name"),
	LMAP1("PodSpec", "hostAliases", "ip"),
	{ "PodSpec", "topologySpreadConstraints", REL_LIST_MAP, { "topologyKey", "whenUnsatisfiable" }, { NULL }, NULL },
	LMAP1("PodSpec", "schedulingGates", "name"),
	LMAP1("PodSpec", "resourceClaims", "name"),
	{ "PodSpec", "nodeSelector", REL_ATOMIC, { NULL }, { NULL }, NULL },
	{ "PodSpec", "overhead", REL_MAP, { NULL }, { NULL }, NULL },
	/* core/v1 Container */
	{ "Container", "ports", REL_LIST_MAP, { "containerPort", "protocol" }, { NULL, "TCP" }, NULL },
	LMAP1("Container", "env", "name"),
	LMAP1("Container", "volumeMounts", "mountPath"),
	LMAP1("Container", "volumeDevices", "devicePath"),
	{ "Container", "resources.limits", REL_MAP, { NULL }, { NULL }, NULL },
	{ "Container", "resources.requests", REL_MAP, { NULL }, { NULL }, NULL },
	/* core/v1 PodStatus */
	LMAP1("PodStatus", "conditions", "type"),
	LMAP1("PodStatus", "podIPs", "ip"),
	LMAP1("PodStatus", "hostIPs", "ip"),
	LMAP1("PodStatus", "resourceClaimStatuses", "name"),
};

/* Where a walk stands in the schema. scope NULL: below a map value (deduced: objects granular,
 * lists atomic, no named fields). */
typedef struct tctx {
	const char *scope;
	char path[MF_PATH_MAX];
	const mf_row_t *row;
	bool root;
} tctx_t;

static const mf_row_t *row_find(const char *scope, const char *path)
{
	/* every field of every written object comes here: the first bytes rule out most rows cheaply */
	for (size_t i = 0; i < sizeof(mf_rows) / sizeof(mf_rows[0]); i++)
		if (mf_rows[i].path[0] == path[0] && mf_rows[i].scope[0] == scope[0] &&
		    strcmp(mf_rows[i].path, path) == 0 && strcmp(mf_rows[i].scope, scope) == 0)
			return &mf_rows[i];
	return NULL;
}

static void ctx_root(const k8s_resource_t *r, tctx_t *c)
{
	memset(c, 0, sizeof(*c));
	c->scope = r ? r->kind : NULL;
	c->root = true;
}

static bool rel_is_list(int rel)
{
	return rel == REL_LIST_ATOMIC || rel == REL_LIST_SET || rel == REL_LIST_MAP;
}

/* Whether the children of this node are named struct fields. */
static bool ctx_named(const tctx_t *c)
{
	return c->scope && (!c->row || c->row->rel == REL_STRUCT);
}

static void ctx_field(const tctx_t *p, const char *name, tctx_t *c)
{
	const mf_row_t *row = NULL;
	size_t pl, nl;

	c->scope = NULL;
	c->path[0] = '\0';
	c->row = NULL;
	c->root = false;
	if (!ctx_named(p))
		return;
	/* p->path + "." + name, without snprintf: this runs for every field of every write */
	pl = strlen(p->path);
	nl = strlen(name);
	if (pl + (pl ? 1 : 0) + nl >= sizeof(c->path))
		return; /* deeper than the table reaches: deduced */
	memcpy(c->path, p->path, pl);
	if (pl)
		c->path[pl++] = '.';
	memcpy(c->path + pl, name, nl + 1);
	row = row_find(p->scope, c->path);
	if (!row && p->root)
		row = row_find("*", c->path);
	c->row = row;
	c->scope = p->scope;
	if (row && row->type && !rel_is_list(row->rel)) {
		c->scope = row->type;
		c->path[0] = '\0';
	}
}

static void ctx_item(const tctx_t *list, tctx_t *c)
{
	memset(c, 0, sizeof(*c));
	c->scope = list->scope;
	if (list->row && list->row->type) {
		c->scope = list->row->type;
	} else {
		memcpy(c->path, list->path, sizeof(c->path));
	}
}

/* The relationship of a node holding v (for sets, v NULL: what the schema says). */
static int ctx_rel(const tctx_t *c, const json_t *v)
{
	if (c->row)
		return c->row->rel;
	if (json_is_array(v))
		return REL_LIST_ATOMIC;
	return REL_STRUCT;
}

/* ---- walks -------------------------------------------------------------------------------------- */

typedef struct walk {
	const k8s_resource_t *r;
	char *path[MF_MAX_DEPTH + 2];
	size_t n;
	int rc;
	char *err;
	bool allow_dups;
	json_t *set;   /* to_set */
	mf_cmp_t *cmp; /* compare */
} walk_t;

static void walk_fail(walk_t *w, int rc, const char *fmt, const char *detail)
{
	char *where;

	if (w->rc < 0)
		return;
	w->rc = rc;
	if (rc == -EINVAL && fmt) {
		where = mf_path_string((const char *const *)w->path, w->n);
		if (where && asprintf(&w->err, "%s%s" /* upstream prefixes the path: ".spec.ports: ..." */,
				      where, ": ") >= 0) {
			char *msg = NULL;
			if (asprintf(&msg, fmt, detail ? detail : "") >= 0) {
				char *all = NULL;
				if (asprintf(&all, "%s%s", w->err, msg) >= 0) {
					free(w->err);
					w->err = all;
				}
				free(msg);
			}
		}
		free(where);
	}
}

static bool walk_push(walk_t *w, char *pe)
{
	if (!pe) {
		walk_fail(w, -ENOMEM, NULL, NULL);
		return false;
	}
	if (w->n >= MF_MAX_DEPTH) {
		free(pe);
		walk_fail(w, -E2BIG, NULL, NULL);
		return false;
	}
	w->path[w->n++] = pe;
	return true;
}

static void walk_pop(walk_t *w)
{
	free(w->path[--w->n]);
}

static void walk_insert(walk_t *w, json_t *set)
{
	if (w->n > 0 && mf_set_insert(set, (const char *const *)w->path, w->n) < 0)
		walk_fail(w, -ENOMEM, NULL, NULL);
}

static void walk_insert_pe(walk_t *w, json_t *set, const char *pe)
{
	char *dup = strdup(pe);

	if (walk_push(w, dup)) {
		walk_insert(w, set);
		walk_pop(w);
	}
}

/* The path element of a list item (listItemToPathElement); NULL with w failed on error. */
static char *item_pe(walk_t *w, const tctx_t *c, const json_t *item)
{
	const mf_row_t *row = c->row;

	if (row->rel == REL_LIST_SET) {
		if (json_is_object(item))
			walk_fail(w, -EINVAL, "%sassociative list without keys has an element that's a map type", "");
		else if (json_is_array(item))
			walk_fail(w, -EINVAL, "%snot supported: associative list with lists as elements", "");
		else if (json_is_null(item))
			walk_fail(w, -EINVAL, "%sassociative list without keys has an element that's an explicit null", "");
		else
			return pe_prefixed('v', item);
		return NULL;
	}
	if (json_is_null(item)) {
		walk_fail(w, -EINVAL, "%sassociative list with keys may not have a null element", "");
		return NULL;
	}
	if (!json_is_object(item)) {
		walk_fail(w, -EINVAL, "%sassociative list with keys may not have non-map elements", "");
		return NULL;
	}
	{
		json_t *key = json_object();
		char *pe;
		for (int i = 0; i < 3 && row->keys[i]; i++) {
			json_t *v = json_object_get(item, row->keys[i]);
			if (v)
				json_object_set(key, row->keys[i], v);
			else if (row->key_default[i])
				json_object_set_new(key, row->keys[i], json_string(row->key_default[i]));
		}
		if (json_object_size(key) == 0) {
			char names[200] = "";
			for (int i = 0; i < 3 && row->keys[i]; i++) {
				size_t l = strlen(names);
				snprintf(names + l, sizeof(names) - l, "%s\"%s\"", i ? " " : "", row->keys[i]);
			}
			json_decref(key);
			walk_fail(w, -EINVAL,
				  "associative list with keys has an element that omits all key fields [%s] (and "
				  "doesn't have default values for any key fields)",
				  names);
			return NULL;
		}
		pe = pe_prefixed('k', key);
		json_decref(key);
		if (!pe)
			walk_fail(w, -ENOMEM, NULL, NULL);
		return pe;
	}
}

/* Path elements of every item of a granular list, in order; NULL on failure. */
static char **list_pes(walk_t *w, const tctx_t *c, const json_t *list)
{
	size_t n = json_array_size(list);
	char **pes;

	if (n > MF_MAX_LIST) {
		walk_fail(w, -E2BIG, NULL, NULL);
		return NULL;
	}
	pes = calloc(n ? n : 1, sizeof(*pes));
	if (!pes) {
		walk_fail(w, -ENOMEM, NULL, NULL);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		pes[i] = item_pe(w, c, json_array_get(list, i));
		if (!pes[i]) {
			for (size_t j = 0; j < i; j++)
				free(pes[j]);
			free(pes);
			return NULL;
		}
	}
	return pes;
}

static void pes_free(char **pes, size_t n)
{
	if (!pes)
		return;
	for (size_t i = 0; i < n; i++)
		free(pes[i]);
	free(pes);
}

/* A sorted index over path elements for lookups: (pe, position) pairs. */
typedef struct pe_ix {
	const char *pe;
	size_t pos;
} pe_ix_t;

static int ix_cmp(const void *a, const void *b)
{
	const pe_ix_t *x = a, *y = b;
	int c = strcmp(x->pe, y->pe);

	return c ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static pe_ix_t *ix_build(char **pes, size_t n)
{
	pe_ix_t *ix = malloc((n ? n : 1) * sizeof(*ix));

	if (!ix)
		return NULL;
	for (size_t i = 0; i < n; i++)
		ix[i] = (pe_ix_t){ pes[i], i };
	qsort(ix, n, sizeof(*ix), ix_cmp);
	return ix;
}

/* Count of pe in the index and the position of its first occurrence. */
static size_t ix_count(const pe_ix_t *ix, size_t n, const char *pe, size_t *ret_first)
{
	size_t lo = 0, hi = n, cnt = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(ix[mid].pe, pe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && strcmp(ix[lo].pe, pe) == 0 && ret_first)
		*ret_first = ix[lo].pos;
	while (lo + cnt < n && strcmp(ix[lo + cnt].pe, pe) == 0)
		cnt++;
	return cnt;
}

static bool is_granular_list(const tctx_t *c, const json_t *v)
{
	return json_is_array(v) && c->row && (c->row->rel == REL_LIST_MAP || c->row->rel == REL_LIST_SET);
}

/* -- ToFieldSet -- */

static void to_set(walk_t *w, const tctx_t *c, const json_t *v)
{
	int rel = ctx_rel(c, v);

	if (w->rc < 0)
		return;
	if (json_is_object(v) && (rel == REL_STRUCT || rel == REL_MAP)) {
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m) {
			tctx_t cc;
			ctx_field(c, k, &cc);
			if (!walk_push(w, pe_field(k)))
				return;
			to_set(w, &cc, m);
			if (json_is_null(m) || (json_is_object(m) && json_object_size(m) == 0) || !ctx_named(c))
				walk_insert(w, w->set);
			walk_pop(w);
			if (w->rc < 0)
				return;
		}
		return;
	}
	if (is_granular_list(c, v)) {
		size_t n = json_array_size(v);
		char **pes = list_pes(w, c, v);
		pe_ix_t *ix;
		tctx_t ic;
		if (!pes)
			return;
		ix = ix_build(pes, n);
		if (!ix) {
			pes_free(pes, n);
			walk_fail(w, -ENOMEM, NULL, NULL);
			return;
		}
		ctx_item(c, &ic);
		for (size_t i = 0; i < n && w->rc == 0; i++) {
			size_t first = 0, cnt = ix_count(ix, n, pes[i], &first);
			if (cnt > 1) {
				if (!w->allow_dups) {
					char *s = mf_path_string((const char *const *)&pes[i], 1);
					walk_fail(w, -EINVAL, "duplicate entries for key %s", s);
					free(s);
				} else if (first == i) {
					walk_insert_pe(w, w->set, pes[i]);
				}
				continue;
			}
			if (!walk_push(w, strdup(pes[i])))
				break;
			to_set(w, &ic, json_array_get(v, i));
			walk_insert(w, w->set);
			walk_pop(w);
		}
		free(ix);
		pes_free(pes, n);
		return;
	}
	if (json_is_array(v) && !c->row && rel == REL_LIST_ATOMIC) {
		walk_insert(w, w->set);
		return;
	}
	walk_insert(w, w->set); /* scalars, null, atomic values, and values of an unexpected type */
}

static void walk_clear(walk_t *w)
{
	while (w->n > 0)
		walk_pop(w);
}

static int depth_ok(const json_t *v)
{
	return !v || patch_doc_depth(v, MF_MAX_DEPTH) <= MF_MAX_DEPTH;
}

int mf_to_set(const k8s_resource_t *r, const json_t *obj, bool allow_dups, json_t **ret, char **ret_err)
{
	walk_t w = { .r = r, .allow_dups = allow_dups };
	tctx_t c;

	if (!depth_ok(obj))
		return -E2BIG;
	w.set = json_object();
	if (!w.set)
		return -ENOMEM;
	ctx_root(r, &c);
	to_set(&w, &c, obj);
	walk_clear(&w);
	if (w.rc < 0) {
		json_decref(w.set);
		if (ret_err)
			*ret_err = w.err;
		else
			free(w.err);
		return w.rc;
	}
	*ret = w.set;
	return 0;
}

/* -- Compare -- */

static bool values_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b) && (json_is_real(a) || json_is_real(b)))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

static bool empty_container(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

static int shape(const json_t *v)
{
	return json_is_object(v) ? 1 : json_is_array(v) ? 2 : 0;
}

static void compare(walk_t *w, const tctx_t *c, const json_t *l, const json_t *r);

static void compare_leaf(walk_t *w, const json_t *l, const json_t *r)
{
	if (!l)
		walk_insert(w, w->cmp->added);
	else if (!r)
		walk_insert(w, w->cmp->removed);
	else if (!values_equal(l, r))
		walk_insert(w, w->cmp->modified);
}

static void compare_list(walk_t *w, const tctx_t *c, const json_t *l, const json_t *r)
{
	size_t ln = json_array_size(l), rn = json_array_size(r);
	char **lp = NULL, **rp = NULL;
	pe_ix_t *lix = NULL, *rix = NULL;
	tctx_t ic;

	ctx_item(c, &ic);
	if (l && !(lp = list_pes(w, c, l)))
		goto out;
	if (r && !(rp = list_pes(w, c, r)))
		goto out;
	lix = ix_build(lp, lp ? ln : 0);
	rix = ix_build(rp, rp ? rn : 0);
	if (!lix || !rix) {
		walk_fail(w, -ENOMEM, NULL, NULL);
		goto out;
	}
	if (!lp)
		ln = 0;
	if (!rp)
		rn = 0;
	/* every distinct element once: lhs order, then what only rhs has */
	for (size_t side = 0; side < 2 && w->rc == 0; side++) {
		char **pes = side ? rp : lp;
		size_t n = side ? rn : ln;
		for (size_t i = 0; i < n && w->rc == 0; i++) {
			size_t lf = 0, rf = 0, first = 0;
			size_t lc = ix_count(lix, ln, pes[i], &lf), rc = ix_count(rix, rn, pes[i], &rf);
			ix_count(side ? rix : lix, n, pes[i], &first);
			if (first != i || (side && lc > 0))
				continue;
			if (lc <= 1 && rc <= 1) {
				if (!walk_push(w, strdup(pes[i])))
					break;
				compare(w, &ic, lc ? json_array_get(l, lf) : NULL, rc ? json_array_get(r, rf) : NULL);
				walk_pop(w);
			} else if (lc >= 2 && rc >= 2) {
				bool eq = lc == rc;
				for (size_t a = 0, b = 0, k = 0; eq && k < lc; k++, a++, b++) {
					while (strcmp(lp[a], pes[i]) != 0)
						a++;
					while (strcmp(rp[b], pes[i]) != 0)
						b++;
					eq = json_equal(json_array_get(l, a), json_array_get(r, b));
				}
				if (!eq)
					walk_insert_pe(w, w->cmp->modified, pes[i]);
			} else if (lc >= 2) {
				if (rc && walk_push(w, strdup(pes[i]))) {
					compare(w, &ic, NULL, json_array_get(r, rf));
					walk_pop(w);
				}
				walk_insert_pe(w, w->cmp->removed, pes[i]);
			} else {
				if (lc && walk_push(w, strdup(pes[i]))) {
					compare(w, &ic, json_array_get(l, lf), NULL);
					walk_pop(w);
				}
				walk_insert_pe(w, w->cmp->added, pes[i]);
			}
		}
	}
out:
	free(lix);
	free(rix);
	pes_free(lp, ln);
	pes_free(rp, rn);
}

static void compare(walk_t *w, const tctx_t *c, const json_t *l, const json_t *r)
{
	const json_t *v = r ? r : l;
	int rel = ctx_rel(c, v);
	bool leaf = true;

	if (w->rc < 0)
		return;
	if (l && r && shape(l) != shape(r)) {
		leaf = true;
	} else if (json_is_object(v) && (rel == REL_STRUCT || rel == REL_MAP) &&
		   !(empty_container(l) && empty_container(r))) {
		const char *k;
		json_t *m;
		leaf = false;
		json_object_foreach((json_t *)l, k, m) {
			tctx_t cc;
			ctx_field(c, k, &cc);
			if (!walk_push(w, pe_field(k)))
				return;
			compare(w, &cc, m, r ? json_object_get(r, k) : NULL);
			walk_pop(w);
		}
		json_object_foreach((json_t *)r, k, m) {
			tctx_t cc;
			if (l && json_object_get(l, k))
				continue;
			ctx_field(c, k, &cc);
			if (!walk_push(w, pe_field(k)))
				return;
			compare(w, &cc, NULL, m);
			walk_pop(w);
		}
	} else if (is_granular_list(c, v) && !(empty_container(l) && empty_container(r))) {
		leaf = false;
		compare_list(w, c, l, r);
	}
	if (leaf) {
		compare_leaf(w, l, r);
		return;
	}
	if (!l)
		walk_insert(w, w->cmp->added);
	else if (!r)
		walk_insert(w, w->cmp->removed);
}

void mf_cmp_free(mf_cmp_t *c)
{
	if (!c)
		return;
	json_decref(c->added);
	json_decref(c->removed);
	json_decref(c->modified);
	c->added = c->removed = c->modified = NULL;
}

int mf_compare(const k8s_resource_t *r, const json_t *lhs, const json_t *rhs, mf_cmp_t *ret, char **ret_err)
{
	mf_cmp_t cmp = { json_object(), json_object(), json_object() };
	walk_t w = { .r = r, .allow_dups = true, .cmp = &cmp };
	json_t *empty = json_object();
	tctx_t c;

	if (!cmp.added || !cmp.removed || !cmp.modified || !empty) {
		json_decref(empty);
		mf_cmp_free(&cmp);
		return -ENOMEM;
	}
	if (!depth_ok(lhs) || !depth_ok(rhs)) {
		json_decref(empty);
		mf_cmp_free(&cmp);
		return -E2BIG;
	}
	ctx_root(r, &c);
	compare(&w, &c, lhs ? lhs : empty, rhs ? rhs : empty);
	walk_clear(&w);
	json_decref(empty);
	if (w.rc < 0) {
		mf_cmp_free(&cmp);
		if (ret_err)
			*ret_err = w.err;
		else
			free(w.err);
		return w.rc;
	}
	free(w.err);
	*ret = cmp;
	return 0;
}

/* -- Merge (rule: keep rhs) -- */

static json_t *merge(walk_t *w, const tctx_t *c, const json_t *l, const json_t *r);

static json_t *merge_list(walk_t *w, const tctx_t *c, const json_t *l, const json_t *r)
{
	size_t ln = json_array_size(l), rn = json_array_size(r), nshared = 0, si = 0;
	char **lp = NULL, **rp = NULL;
	pe_ix_t *lix = NULL, *rix = NULL;
	bool *merged_r = NULL;
	size_t *shared = NULL;
	const char *next_shared = NULL;
	json_t *out = json_array();
	tctx_t ic;

	ctx_item(c, &ic);
	if (!out)
		goto oom;
	if (l && !(lp = list_pes(w, c, l)))
		goto fail;
	if (r && !(rp = list_pes(w, c, r)))
		goto fail;
	if (!lp)
		ln = 0;
	if (!rp)
		rn = 0;
	lix = ix_build(lp, ln);
	rix = ix_build(rp, rn);
	merged_r = calloc(rn ? rn : 1, sizeof(*merged_r)); /* by first rhs position of a pe */
	shared = calloc(rn ? rn : 1, sizeof(*shared));
	if (!lix || !rix || !merged_r || !shared)
		goto oom;
	for (size_t i = 0; i < rn; i++) {
		if (ix_count(rix, rn, rp[i], NULL) > 1) {
			char *s = mf_path_string((const char *const *)&rp[i], 1);
			walk_fail(w, -EINVAL, "duplicate entries for key %s", s);
			free(s);
			goto fail;
		}
		if (ix_count(lix, ln, rp[i], NULL) > 0)
			shared[nshared++] = i;
	}
	if (nshared > 0)
		next_shared = rp[shared[si++]];
	for (size_t li = 0, ri = 0; (li < ln || ri < rn) && w->rc == 0;) {
		json_t *m;
		size_t lf = 0, rf = 0;
		if (li < ln && ri < rn) {
			if (strcmp(lp[li], rp[ri]) == 0) {
				/* a duplicated lhs element merges as if absent (upstream keeps a null there) */
				bool dup = ix_count(lix, ln, lp[li], NULL) > 1;
				merged_r[ri] = true;
				if (!walk_push(w, strdup(lp[li])))
					goto fail;
				m = merge(w, &ic, dup ? NULL : json_array_get(l, li), json_array_get(r, ri));
				walk_pop(w);
				if (m && json_array_append_new(out, m) < 0)
					goto oom;
				li++;
				ri++;
				next_shared = si < nshared ? rp[shared[si++]] : NULL;
				continue;
			}
			if (ix_count(rix, rn, lp[li], NULL) > 0 && next_shared && strcmp(next_shared, lp[li]) != 0) {
				li++; /* an lhs element rhs places later: skip it here */
				continue;
			}
		}
		if (li < ln) {
			if (ix_count(rix, rn, lp[li], &rf) == 0) {
				if (!walk_push(w, strdup(lp[li])))
					goto fail;
				m = merge(w, &ic, json_array_get(l, li), NULL);
				walk_pop(w);
				if (m && json_array_append_new(out, m) < 0)
					goto oom;
				li++;
				continue;
			} else if (merged_r[rf]) {
				li++;
			}
		}
		if (ri < rn) {
			bool in_l = ix_count(lix, ln, rp[ri], &lf) > 0;
			bool dup = ix_count(lix, ln, rp[ri], NULL) > 1;
			merged_r[ri] = true;
			if (!walk_push(w, strdup(rp[ri])))
				goto fail;
			m = merge(w, &ic, in_l && !dup ? json_array_get(l, lf) : NULL, json_array_get(r, ri));
			walk_pop(w);
			if (m && json_array_append_new(out, m) < 0)
				goto oom;
			if (next_shared && strcmp(next_shared, rp[ri]) == 0)
				next_shared = si < nshared ? rp[shared[si++]] : NULL;
			ri++;
		}
	}
	if (w->rc < 0)
		goto fail;
	goto done;
oom:
	walk_fail(w, -ENOMEM, NULL, NULL);
fail:
	json_decref(out);
	out = NULL;
done:
	free(lix);
	free(rix);
	free(merged_r);
	free(shared);
	pes_free(lp, ln);
	pes_free(rp, rn);
	return out;
}

static json_t *merge(walk_t *w, const tctx_t *c, const json_t *l, const json_t *r)
{
	const json_t *v = r ? r : l;
	int rel = ctx_rel(c, v);

	if (w->rc < 0)
		return NULL;
	if (!r || !l || shape(l) != shape(r)) {
		/* one side only, or a change of type: that side whole (rhs wins) */
		json_t *out = json_deep_copy(v);
		if (!out)
			walk_fail(w, -ENOMEM, NULL, NULL);
		return out;
	}
	if (json_is_object(v) && (rel == REL_STRUCT || rel == REL_MAP) && !(empty_container(l) && empty_container(r))) {
		json_t *out = json_object();
		const char *k;
		json_t *m;
		if (!out) {
			walk_fail(w, -ENOMEM, NULL, NULL);
			return NULL;
		}
		json_object_foreach((json_t *)l, k, m) {
			tctx_t cc;
			json_t *x;
			ctx_field(c, k, &cc);
			if (!walk_push(w, pe_field(k)))
				break;
			x = merge(w, &cc, m, json_object_get(r, k));
			walk_pop(w);
			if (x && json_object_set_new(out, k, x) < 0)
				walk_fail(w, -ENOMEM, NULL, NULL);
		}
		json_object_foreach((json_t *)r, k, m) {
			tctx_t cc;
			json_t *x;
			if (json_object_get(l, k) || w->rc < 0)
				continue;
			ctx_field(c, k, &cc);
			if (!walk_push(w, pe_field(k)))
				break;
			x = merge(w, &cc, NULL, m);
			walk_pop(w);
			if (x && json_object_set_new(out, k, x) < 0)
				walk_fail(w, -ENOMEM, NULL, NULL);
		}
		if (w->rc < 0) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	if (is_granular_list(c, v) && !(empty_container(l) && empty_container(r)))
		return merge_list(w, c, l, r);
	{
		json_t *out = json_deep_copy(r);
		if (!out)
			walk_fail(w, -ENOMEM, NULL, NULL);
		return out;
	}
}

int mf_merge(const k8s_resource_t *r, const json_t *lhs, const json_t *rhs, json_t **ret, char **ret_err)
{
	walk_t w = { .r = r };
	tctx_t c;
	json_t *out, *check = NULL;
	int rc;

	if (!depth_ok(lhs) || !depth_ok(rhs))
		return -E2BIG;
	/* rhs (an applied configuration) must be valid on its own: keys present, no duplicates */
	rc = mf_to_set(r, rhs, false, &check, ret_err);
	if (rc < 0)
		return rc;
	json_decref(check);
	ctx_root(r, &c);
	out = merge(&w, &c, lhs, rhs);
	walk_clear(&w);
	if (w.rc < 0 || !out) {
		json_decref(out);
		if (ret_err)
			*ret_err = w.err;
		else
			free(w.err);
		return w.rc < 0 ? w.rc : -ENOMEM;
	}
	free(w.err);
	*ret = out;
	return 0;
}

/* -- RemoveItems -- */

/* The value with set's members removed; NULL for "nothing left" (upstream's nil out, which the
 * parent keeps as a null). */
static json_t *remove_items(walk_t *w, const tctx_t *c, const json_t *v, const json_t *set, int depth)
{
	int rel = ctx_rel(c, v);

	if (w->rc < 0)
		return NULL;
	if (depth > MF_MAX_DEPTH) {
		walk_fail(w, -E2BIG, NULL, NULL);
		return NULL;
	}
	if (json_is_object(v) && (rel == REL_STRUCT || rel == REL_MAP)) {
		json_t *out = json_object();
		const char *k;
		json_t *m;
		if (!out) {
			walk_fail(w, -ENOMEM, NULL, NULL);
			return NULL;
		}
		json_object_foreach((json_t *)v, k, m) {
			char *pe = pe_field(k);
			json_t *sub = pe ? json_object_get(set, pe) : NULL, *x;
			free(pe);
			if (sub && node_member(sub))
				continue;
			if (sub && json_object_size(sub) > 0) {
				tctx_t cc;
				ctx_field(c, k, &cc);
				x = remove_items(w, &cc, m, sub, depth + 1);
				if (!x)
					x = json_null();
			} else {
				x = json_deep_copy(m);
			}
			if (!x || json_object_set_new(out, k, x) < 0)
				walk_fail(w, -ENOMEM, NULL, NULL);
		}
		if (w->rc < 0 || json_object_size(out) == 0) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	if (is_granular_list(c, v) && json_array_size(v) > 0) {
		json_t *out = json_array();
		char **pes = list_pes(w, c, v);
		size_t n = json_array_size(v);
		tctx_t ic;
		ctx_item(c, &ic);
		if (!out || !pes) {
			json_decref(out);
			pes_free(pes, n);
			if (w->rc == 0)
				walk_fail(w, -ENOMEM, NULL, NULL);
			return NULL;
		}
		for (size_t i = 0; i < n && w->rc == 0; i++) {
			json_t *sub = json_object_get(set, pes[i]), *x;
			if (sub && node_member(sub))
				continue;
			if (sub && json_object_size(sub) > 0) {
				x = remove_items(w, &ic, json_array_get(v, i), sub, depth + 1);
				if (!x)
					x = json_null();
			} else {
				x = json_deep_copy(json_array_get(v, i));
			}
			if (!x || json_array_append_new(out, x) < 0)
				walk_fail(w, -ENOMEM, NULL, NULL);
		}
		pes_free(pes, n);
		if (w->rc < 0 || json_array_size(out) == 0) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	if (json_is_object(v) || json_is_array(v))
		return NULL; /* atomic or empty containers with something below them to remove */
	{
		json_t *x = json_deep_copy(v);
		if (!x)
			walk_fail(w, -ENOMEM, NULL, NULL);
		return x;
	}
}

int mf_remove_items(const k8s_resource_t *r, const json_t *obj, const json_t *set, json_t **ret)
{
	walk_t w = { .r = r, .allow_dups = true };
	tctx_t c;
	json_t *out;

	if (!depth_ok(obj))
		return -E2BIG;
	ctx_root(r, &c);
	out = remove_items(&w, &c, obj, set, 0);
	free(w.err);
	if (w.rc < 0) {
		json_decref(out);
		return w.rc;
	}
	if (!out)
		out = json_object();
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* -- EnsureNamedFieldsAreMembers -- */

static json_t *ensure_named(const tctx_t *c, const json_t *node, int depth)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	if (!out || depth > MF_MAX_DEPTH + 1) {
		json_decref(out);
		return NULL;
	}
	json_object_foreach((json_t *)node, k, v) {
		tctx_t cc;
		json_t *x;
		if (strcmp(k, ".") == 0) {
			if (json_object_set_new(out, ".", json_object()) < 0)
				goto oom;
			continue;
		}
		if (k[0] == 'f')
			ctx_field(c, k + 2, &cc);
		else
			ctx_item(c, &cc);
		x = ensure_named(&cc, v, depth + 1);
		if (!x)
			goto oom;
		/* a named struct field with members below it counts as a member itself */
		if (k[0] == 'f' && ctx_named(c) && json_object_size(x) > 0 && !node_member(x) &&
		    json_object_set_new(x, ".", json_object()) < 0) {
			json_decref(x);
			goto oom;
		}
		if (json_object_set_new(out, k, x) < 0)
			goto oom;
	}
	return out;
oom:
	json_decref(out);
	return NULL;
}

json_t *mf_ensure_named(const k8s_resource_t *r, const json_t *set)
{
	tctx_t c;

	ctx_root(r, &c);
	return ensure_named(&c, set ? set : json_object(), 0);
}

/* ---- entries ------------------------------------------------------------------------------------ */

void mf_time_format(time_t t, char buf[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Seconds since the epoch of an RFC 3339 time (as Go's Time.Unix() sorts them); 0 when unparsable. */
static long long time_secs(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	return (long long)timegm(&tm);
}

static void entry_clear(mf_entry_t *en)
{
	free(en->manager);
	free(en->operation);
	free(en->api_version);
	free(en->subresource);
	free(en->time);
	json_decref(en->set);
	memset(en, 0, sizeof(*en));
}

void mf_entries_free(mf_entries_t *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		entry_clear(&e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

mf_entry_t *mf_entries_find(mf_entries_t *e, const char *manager, const char *operation,
			    const char *api_version, const char *subresource)
{
	for (size_t i = 0; i < e->n; i++) {
		mf_entry_t *en = &e->v[i];
		if (str_eq(en->manager, manager) && str_eq(en->operation, operation) &&
		    str_eq(en->subresource, subresource) &&
		    (strcmp(operation, "Apply") == 0 || str_eq(en->api_version, api_version)))
			return en;
	}
	return NULL;
}

mf_entry_t *mf_entries_get(mf_entries_t *e, const char *manager, const char *operation,
			   const char *api_version, const char *subresource)
{
	mf_entry_t *en = mf_entries_find(e, manager, operation, api_version, subresource), *nv;

	if (en)
		return en;
	nv = realloc(e->v, (e->n + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	e->v = nv;
	en = &e->v[e->n];
	memset(en, 0, sizeof(*en));
	en->manager = strdup(manager ? manager : "");
	en->operation = strdup(operation);
	en->api_version = strdup(api_version ? api_version : "");
	en->subresource = strdup(subresource ? subresource : "");
	en->set = json_object();
	if (!en->manager || !en->operation || !en->api_version || !en->subresource || !en->set) {
		entry_clear(en);
		return NULL;
	}
	e->n++;
	return en;
}

void mf_entries_prune(mf_entries_t *e)
{
	size_t o = 0;

	for (size_t i = 0; i < e->n; i++) {
		if (mf_set_empty(e->v[i].set)) {
			entry_clear(&e->v[i]);
			continue;
		}
		e->v[o++] = e->v[i];
	}
	e->n = o;
}

static int fail_msg(char **ret_err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_msg(char **ret_err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (ret_err) {
		va_start(ap, fmt);
		if (vasprintf(ret_err, fmt, ap) < 0)
			*ret_err = NULL;
		va_end(ap);
	}
	return rc;
}

int mf_entries_decode(const json_t *mf, mf_entries_t *ret, char **ret_err)
{
	mf_entries_t e = { 0 };
	size_t i;
	json_t *it;

	if (!mf || json_is_null(mf)) {
		*ret = e;
		return 0;
	}
	if (!json_is_array(mf))
		return fail_msg(ret_err, -EINVAL, "managedFields must be a list");
	json_array_foreach(mf, i, it) {
		const char *op = json_string_value(json_object_get(it, "operation"));
		const char *av = json_string_value(json_object_get(it, "apiVersion"));
		const char *ft = json_string_value(json_object_get(it, "fieldsType"));
		const char *mgr = json_string_value(json_object_get(it, "manager"));
		const char *sub = json_string_value(json_object_get(it, "subresource"));
		const char *t = json_string_value(json_object_get(it, "time"));
		json_t *set = NULL;
		mf_entry_t *en;
		char *err = NULL;
		int rc;
		if (!json_is_object(it)) {
			mf_entries_free(&e);
			return fail_msg(ret_err, -EINVAL, "managedFields entry %zu must be an object", i);
		}
		if (!op || (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0)) {
			mf_entries_free(&e);
			return fail_msg(ret_err, -EINVAL, "operation must be `Apply` or `Update`");
		}
		if (!av || !*av) {
			mf_entries_free(&e);
			return fail_msg(ret_err, -EINVAL, "apiVersion must not be empty");
		}
		if (!ft || !*ft) {
			mf_entries_free(&e);
			return fail_msg(ret_err, -EINVAL, "missing fieldsType in managed fields entry %zu", i);
		}
		if (strcmp(ft, "FieldsV1") != 0) {
			mf_entries_free(&e);
			return fail_msg(ret_err, -EINVAL, "invalid fieldsType \"%.60s\" in managed fields entry %zu", ft, i);
		}
		rc = mf_set_from_fields(json_object_get(it, "fieldsV1"), &set, &err);
		if (rc < 0) {
			mf_entries_free(&e);
			rc = fail_msg(ret_err, rc, "error decoding versioned set: %s", err ? err : "invalid");
			free(err);
			return rc;
		}
		en = mf_entries_get(&e, mgr ? mgr : "", op, av, sub ? sub : "");
		if (!en) {
			json_decref(set);
			mf_entries_free(&e);
			return -ENOMEM;
		}
		/* an Apply entry keeps the apiVersion it was last written with */
		free(en->api_version);
		en->api_version = strdup(av);
		json_decref(en->set);
		en->set = set;
		free(en->time);
		en->time = t ? strdup(t) : NULL;
		if (!en->api_version || (t && !en->time)) {
			mf_entries_free(&e);
			return -ENOMEM;
		}
	}
	*ret = e;
	return 0;
}

static int entry_sort_cmp(const void *a, const void *b)
{
	const mf_entry_t *p = a, *q = b;
	long long ps = time_secs(p->time), qs = time_secs(q->time);
	int c;

	if ((c = strcmp(p->operation, q->operation)) != 0)
		return c;
	if (ps != qs)
		return ps < qs ? -1 : 1;
	if ((c = strcmp(p->manager, q->manager)) != 0)
		return c;
	if ((c = strcmp(p->api_version, q->api_version)) != 0)
		return c;
	return strcmp(p->subresource, q->subresource);
}

int mf_entries_encode(const mf_entries_t *e, json_t **ret_json)
{
	mf_entry_t *sorted;
	json_t *arr;

	if (e->n == 0) {
		*ret_json = NULL;
		return 0;
	}
	sorted = malloc(e->n * sizeof(*sorted));
	arr = json_array();
	if (!sorted || !arr)
		goto oom;
	memcpy(sorted, e->v, e->n * sizeof(*sorted));
	qsort(sorted, e->n, sizeof(*sorted), entry_sort_cmp);
	for (size_t i = 0; i < e->n; i++) {
		const mf_entry_t *en = &sorted[i];
		/* metav1.ManagedFieldsEntry's field order */
		json_t *o = json_object(), *f = mf_set_to_fields(en->set);
		if (!o || !f) {
			json_decref(o);
			json_decref(f);
			goto oom;
		}
		json_object_set_new(o, "manager", json_string(en->manager));
		json_object_set_new(o, "operation", json_string(en->operation));
		json_object_set_new(o, "apiVersion", json_string(en->api_version));
		if (en->time)
			json_object_set_new(o, "time", json_string(en->time));
		json_object_set_new(o, "fieldsType", json_string("FieldsV1"));
		json_object_set_new(o, "fieldsV1", f);
		if (en->subresource && *en->subresource)
			json_object_set_new(o, "subresource", json_string(en->subresource));
		if (json_array_append_new(arr, o) < 0)
			goto oom;
	}
	free(sorted);
	*ret_json = arr;
	return 0;
oom:
	free(sorted);
	json_decref(arr);
	return -ENOMEM;
}

char *mf_entry_identity(const mf_entry_t *en)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	/* encoding/json of a struct keeps field order (manager, operation, apiVersion, subresource) */
	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	fputs("{\"manager\":", f);
	go_json_str(f, en->manager, strlen(en->manager));
	fputs(",\"operation\":", f);
	go_json_str(f, en->operation, strlen(en->operation));
	if (strcmp(en->operation, "Apply") != 0 && *en->api_version) {
		fputs(",\"apiVersion\":", f);
		go_json_str(f, en->api_version, strlen(en->api_version));
	}
	if (*en->subresource) {
		fputs(",\"subresource\":", f);
		go_json_str(f, en->subresource, strlen(en->subresource));
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

char *mf_entry_describe(const mf_entry_t *en)
{
	char *m = ferr_quote(en->manager), *sub = NULL, *out = NULL;

	if (!m)
		return NULL;
	if (*en->subresource) {
		char *qs = ferr_quote(en->subresource);
		if (!qs || asprintf(&sub, "%s with subresource %s", m, qs) < 0)
			sub = NULL;
		free(qs);
		free(m);
		if (!sub)
			return NULL;
		m = sub;
	}
	/* BuildManagerIdentifier drops the time, so printManager never prints " at <time>" */
	if (strcmp(en->operation, "Update") == 0) {
		if (asprintf(&out, "%s using %s", m, en->api_version) < 0)
			out = NULL;
		free(m);
		return out;
	}
	return m;
}

/* ---- filters ------------------------------------------------------------------------------------ */

json_t *mf_strip_set(void)
{
	static const char *const meta[] = { "name", "namespace", "creationTimestamp", "selfLink", "uid",
					    "clusterName", "generation", "managedFields", "resourceVersion" };
	json_t *s = json_object();
	const char *p[2] = { "f:metadata", NULL };
	char buf[64];

	if (!s)
		return NULL;
	p[0] = "f:apiVersion";
	mf_set_insert(s, p, 1);
	p[0] = "f:kind";
	mf_set_insert(s, p, 1);
	p[0] = "f:metadata";
	mf_set_insert(s, p, 1);
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		snprintf(buf, sizeof(buf), "f:%s", meta[i]);
		p[1] = buf;
		if (mf_set_insert(s, p, 2) < 0) {
			json_decref(s);
			return NULL;
		}
	}
	return s;
}

json_t *mf_reset_fields(const k8s_resource_t *r, const char *subresource)
{
	json_t *s;
	const char *p[1];

	/* GetResetFields of the registry strategies: the main resource of a kind with a status
	 * subresource resets status; the status subresource resets spec (and metadata, which our status
	 * writes copy from the stored object anyway). */
	if (!r || !r->has_status)
		return NULL;
	s = json_object();
	if (!s)
		return NULL;
	p[0] = subresource && strcmp(subresource, "status") == 0 ? "f:spec" : "f:status";
	if (mf_set_insert(s, p, 1) < 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

/* ---- manager names ------------------------------------------------------------------------------ */

char *mf_manager_or_user_agent(const char *field_manager, const char *user_agent)
{
	const unsigned char *p = (const unsigned char *)(user_agent ? user_agent : "");
	char *out;
	size_t o = 0;

	if (field_manager && *field_manager)
		return strdup(field_manager);
	out = malloc(MF_MANAGER_MAX + 1);
	if (!out)
		return NULL;
	/* ASCII printables are kept; multi-byte UTF-8 sequences are kept whole when they fit (Go's
	 * unicode.IsPrint on runes, approximated: every non-ASCII rune counts as printable). */
	while (*p && *p != '/') {
		size_t l = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 1;
		if (*p < 0x80 && (*p < 0x20 || *p == 0x7f)) {
			p++;
			continue;
		}
		if (strnlen((const char *)p, l) < l)
			break;
		if (o + l > MF_MANAGER_MAX)
			break;
		memcpy(out + o, p, l);
		o += l;
		p += l;
	}
	out[o] = '\0';
	return out;
}

int mf_validate_manager(const char *fm, json_t *errs)
{
	int n = 0;

	if (!fm)
		return 0;
	if (strlen(fm) > MF_MANAGER_MAX) {
		ferr_too_long(errs, "fieldManager", MF_MANAGER_MAX);
		n++;
	}
	for (size_t i = 0; fm[i]; i++) {
		unsigned char c = (unsigned char)fm[i];
		if (c < 0x20 || c == 0x7f) {
			char detail[80];
			/* Go's %#U: U+000A */
			snprintf(detail, sizeof(detail), "invalid character U+%04X (at position %zu)", c, i);
			ferr_invalid_str(errs, "fieldManager", fm, detail);
			n++;
		}
	}
	return n;
}

/* ---- Update -------------------------------------------------------------------------------------- */

/* [] or [{}] (isResetManagedFields). */
static bool is_reset(const json_t *mf)
{
	if (!json_is_array(mf))
		return false;
	if (json_array_size(mf) == 0)
		return true;
	return json_array_size(mf) == 1 && json_is_object(json_array_get(mf, 0)) &&
	       json_object_size(json_array_get(mf, 0)) == 0;
}

json_t *mf_empty_object(const k8s_resource_t *r)
{
	const schema_type_t *t = r ? schema_for(r) : NULL;
	json_t *o = json_pack("{s:{}}", "metadata");

	/* scheme.New(kind) as unstructured: metadata, and spec/status when the Go struct has them
	 * (non-pointer structs), so creating never "adds" them as a whole */
	for (const schema_field_t *f = t ? t->fields : NULL; o && f && f->name; f++)
		if (strcmp(f->name, "spec") == 0 || strcmp(f->name, "status") == 0)
			json_object_set_new(o, f->name, json_object());
	return o;
}

/* Copy of obj without metadata.managedFields (NULL stays NULL). */
static json_t *without_managed(const json_t *obj)
{
	json_t *c;

	json_t *m;

	if (!obj)
		return NULL;
	/* Shallow copies of the object and its metadata are enough: the result is only read, and
	 * a deep copy of every written object was a third of a create's CPU time. */
	c = json_copy((json_t *)obj);
	m = c ? json_object_get(c, "metadata") : NULL;
	if (json_is_object(m)) {
		json_t *mc = json_copy(m);
		if (!mc || json_object_set_new(c, "metadata", mc) < 0) {
			json_decref(c);
			return NULL;
		}
		json_object_del(mc, "managedFields");
	}
	return c;
}

/* capManagersManager: past the limit, the oldest Update entries fold into "ancient-changes". */
static int cap_update_managers(mf_entries_t *e)
{
	size_t nup = 0, *idx;

	for (size_t i = 0; i < e->n; i++)
		nup += strcmp(e->v[i].operation, "Update") == 0;
	if (nup <= MF_MAX_UPDATE_MANAGERS)
		return 0;
	idx = malloc(nup * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	nup = 0;
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].operation, "Update") == 0)
			idx[nup++] = i;
	/* oldest first (time, then identity); a small insertion sort keeps this simple */
	for (size_t i = 1; i < nup; i++) {
		for (size_t j = i; j > 0; j--) {
			mf_entry_t *a = &e->v[idx[j - 1]], *b = &e->v[idx[j]];
			long long ta = time_secs(a->time), tb = time_secs(b->time);
			char *ia = mf_entry_identity(a), *ib = mf_entry_identity(b);
			bool swap = ta > tb || (ta == tb && ia && ib && strcmp(ia, ib) > 0);
			free(ia);
			free(ib);
			if (!swap)
				break;
			size_t t = idx[j - 1];
			idx[j - 1] = idx[j];
			idx[j] = t;
		}
	}
	/* one bucket per apiVersion: the oldest entry of a version stays until a second one folds,
	 * then it becomes the bucket (upstream renames it) and the others join it */
	for (size_t i = 0, len = nup; i < nup && len > MF_MAX_UPDATE_MANAGERS; i++) {
		mf_entry_t *en = &e->v[idx[i]], *first = NULL, *bucket;
		for (size_t j = 0; j < i && !first; j++)
			if (!mf_set_empty(e->v[idx[j]].set) && str_eq(e->v[idx[j]].api_version, en->api_version))
				first = &e->v[idx[j]];
		if (!first)
			continue;
		bucket = mf_entries_find(e, "ancient-changes", "Update", en->api_version, "");
		if (bucket == en)
			continue;
		if (!bucket) {
			char *nm = strdup("ancient-changes"), *ns = strdup("");
			if (!nm || !ns) {
				free(nm);
				free(ns);
				free(idx);
				return -ENOMEM;
			}
			free(first->manager);
			first->manager = nm;
			free(first->subresource);
			first->subresource = ns;
			bucket = first;
		}
		if (set_union_into(bucket->set, en->set) < 0) {
			free(idx);
			return -ENOMEM;
		}
		free(bucket->time);
		bucket->time = en->time;
		en->time = NULL;
		json_decref(en->set);
		en->set = json_object(); /* emptied: pruned below */
		if (!en->set) {
			free(idx);
			return -ENOMEM;
		}
		len--;
	}
	free(idx);
	mf_entries_prune(e);
	return 0;
}

/* The structured-merge Updater.update step: takes what changed from every manager but self. */
static int take_changed(mf_entries_t *e, const mf_entry_t *self, const mf_cmp_t *cmp)
{
	json_t *changed = mf_set_union(cmp->modified, cmp->added);

	if (!changed)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		mf_entry_t *en = &e->v[i];
		json_t *a, *b;
		if (en == self)
			continue;
		a = mf_set_difference(en->set, changed);
		b = a ? mf_set_difference(a, cmp->removed) : NULL;
		json_decref(a);
		if (!b) {
			json_decref(changed);
			return -ENOMEM;
		}
		json_decref(en->set);
		en->set = b;
	}
	json_decref(changed);
	return 0;
}

/* Filters a comparison through the reset fields of r. */
static int cmp_filter(mf_cmp_t *cmp, const json_t *reset)
{
	json_t **sets[3] = { &cmp->added, &cmp->removed, &cmp->modified };

	if (!reset)
		return 0;
	for (int i = 0; i < 3; i++) {
		json_t *f = mf_set_recursive_difference(*sets[i], reset);
		if (!f)
			return -ENOMEM;
		json_decref(*sets[i]);
		*sets[i] = f;
	}
	return 0;
}

/* ---- the Update entry of a create, in one walk -------------------------------------------------
 * A create's managed fields are Compare(empty object, new) filtered through the reset and strip sets
 * (the general path of mf_update below). With nothing on the left, Compare only adds: every node it
 * visits below the root is "added", except the fields the empty object already has (metadata, and
 * spec/status when the kind has them), which are "modified" only when their value changed shape or
 * (for an atomic type) its value. This walk builds that set straight into FieldsV1, without the
 * sets-as-jansson-trees and set operations of the general path, which were most of a create's CPU
 * time. It bails out (-EAGAIN) on anything the general path reports as an error, so errors stay
 * identical; tests/unit/test_managed_fields.c checks both paths agree. */

typedef struct fx_node {
	const char *text; /* the path element after "f:" / "k:" / "v:" (borrowed) */
	char kind;        /* 'f', 'k' or 'v' */
	bool member;
	int first, next;  /* first child, next sibling: indices into fx_t.v, -1 ends */
} fx_node_t;

typedef struct fx {
	walk_t w;         /* list_pes reports through it */
	fx_node_t *v;
	size_t n, cap;
	char **owned;     /* path elements of list items */
	size_t n_owned, cap_owned;
	char *key;        /* emission buffer for "f:name" keys */
	size_t key_cap;
	json_t *empty;    /* the {} of every leaf and "." of the FieldsV1 written: shared, never changed */
	int rc;
} fx_t;

static int fx_child(fx_t *x, int parent, char kind, const char *text, bool member)
{
	fx_node_t *nv;

	if (x->rc < 0)
		return -1;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		nv = realloc(x->v, cap * sizeof(*nv));
		if (!nv) {
			x->rc = -ENOMEM;
			return -1;
		}
		x->v = nv;
		x->cap = cap;
	}
	x->v[x->n] = (fx_node_t){ .text = text, .kind = kind, .member = member, .first = -1, .next = -1 };
	if (parent >= 0) {
		x->v[x->n].next = x->v[parent].first;
		x->v[parent].first = (int)x->n;
	}
	return (int)x->n++;
}

static int fx_find(const fx_t *x, int parent, char kind, const char *text)
{
	for (int i = x->v[parent].first; i >= 0; i = x->v[i].next)
		if (x->v[i].kind == kind && strcmp(x->v[i].text, text) == 0)
			return i;
	return -1;
}

static bool fx_own(fx_t *x, char **pes, size_t n)
{
	if (x->n_owned + n > x->cap_owned) {
		size_t cap = x->cap_owned * 2 + n + 8;
		char **no = realloc(x->owned, cap * sizeof(*no));
		if (!no)
			return false;
		x->owned = no;
		x->cap_owned = cap;
	}
	memcpy(x->owned + x->n_owned, pes, n * sizeof(*pes));
	x->n_owned += n;
	return true;
}

/* compare(c, NULL, v) below node idx (already a member): everything in v is added. */
static void fx_add(fx_t *x, int idx, const tctx_t *c, const json_t *v, int depth)
{
	int rel = ctx_rel(c, v);

	if (x->rc < 0)
		return;
	if (depth >= MF_MAX_DEPTH) {
		x->rc = -EAGAIN; /* the general walk reports the depth */
		return;
	}
	if (json_is_object(v) && (rel == REL_STRUCT || rel == REL_MAP) && json_object_size(v) > 0) {
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m) {
			tctx_t cc;
			int ch = fx_child(x, idx, 'f', k, true);
			if (ch < 0)
				return;
			ctx_field(c, k, &cc);
			fx_add(x, ch, &cc, m, depth + 1);
		}
	} else if (is_granular_list(c, v) && json_array_size(v) > 0) {
		size_t n = json_array_size(v);
		char **pes = list_pes(&x->w, c, v);
		pe_ix_t *ix;
		tctx_t ic;
		if (!pes) {
			x->rc = -EAGAIN;
			return;
		}
		ix = ix_build(pes, n);
		if (!ix) {
			pes_free(pes, n);
			x->rc = -ENOMEM;
			return;
		}
		ctx_item(c, &ic);
		/* each distinct element once; a duplicated one is a member without children */
		for (size_t i = 0; i < n && x->rc == 0; i++) {
			size_t first = 0, cnt = ix_count(ix, n, pes[i], &first);
			int ch;
			if (first != i)
				continue;
			ch = fx_child(x, idx, pes[i][0], pes[i] + 2, true);
			if (ch >= 0 && cnt == 1)
				fx_add(x, ch, &ic, json_array_get(v, i), depth + 1);
		}
		free(ix);
		/* the nodes point into the strings: they live until the walk ends */
		if (fx_own(x, pes, n)) {
			free(pes);
		} else {
			pes_free(pes, n);
			x->rc = -ENOMEM;
		}
	}
	/* anything else is a leaf: the member alone */
}

static int fx_cmp(const void *a, const void *b)
{
	const fx_node_t *p = *(fx_node_t *const *)a, *q = *(fx_node_t *const *)b;
	int ra = pe_type_rank(p->kind), rb = pe_type_rank(q->kind);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(p->text, q->text); /* "x:" prefixes are equal: pe_cmp's strcmp */
}

/* FieldsV1 of node idx, as to_fields writes it; *ret NULL when the node is empty. */
static int fx_emit(fx_t *x, int idx, int depth, json_t **ret)
{
	fx_node_t **kids = NULL;
	size_t nk = 0, cap = 0;
	json_t *out = NULL;
	int rc = 0;

	*ret = NULL;
	if (depth > MF_MAX_DEPTH + 1)
		return -EAGAIN;
	for (int i = x->v[idx].first; i >= 0; i = x->v[i].next) {
		if (nk == cap) {
			fx_node_t **nkids;
			cap = cap ? 2 * cap : 8;
			nkids = realloc(kids, cap * sizeof(*kids));
			if (!nkids) {
				free(kids);
				return -ENOMEM;
			}
			kids = nkids;
		}
		kids[nk++] = &x->v[i];
	}
	if (nk > 1)
		qsort(kids, nk, sizeof(*kids), fx_cmp);
	for (size_t i = 0; i < nk && rc == 0; i++) {
		json_t *f;
		size_t l;
		rc = fx_emit(x, (int)(kids[i] - x->v), depth + 1, &f);
		if (rc < 0 || !f)
			continue;
		if (!out && !(out = json_object())) {
			json_decref(f);
			rc = -ENOMEM;
			break;
		}
		if (json_object_size(out) == 0 && x->v[idx].member && json_object_set(out, ".", x->empty) < 0) {
			json_decref(f);
			rc = -ENOMEM;
			break;
		}
		l = strlen(kids[i]->text);
		if (l + 3 > x->key_cap) {
			char *nkey = realloc(x->key, l + 3);
			if (!nkey) {
				json_decref(f);
				rc = -ENOMEM;
				break;
			}
			x->key = nkey;
			x->key_cap = l + 3;
		}
		x->key[0] = kids[i]->kind;
		x->key[1] = ':';
		memcpy(x->key + 2, kids[i]->text, l + 1);
		if (json_object_set_new(out, x->key, f) < 0)
			rc = -ENOMEM;
	}
	free(kids);
	if (rc < 0) {
		json_decref(out);
		return rc;
	}
	if (!out && x->v[idx].member)
		out = json_incref(x->empty);
	*ret = out;
	return 0;
}

/* Whether mf_empty_object(r) has field k (as {}). */
static bool empty_object_has(const k8s_resource_t *r, const char *k)
{
	const schema_type_t *t;

	if (strcmp(k, "metadata") == 0)
		return true;
	if (strcmp(k, "spec") != 0 && strcmp(k, "status") != 0)
		return false;
	t = r ? schema_for(r) : NULL;
	for (const schema_field_t *f = t ? t->fields : NULL; f && f->name; f++)
		if (strcmp(f->name, k) == 0)
			return true;
	return false;
}

/* The fieldsV1 of manager's Update entry for creating obj (managedFields already removed from it);
 * *ret NULL when the create owns nothing. -EAGAIN: use the general path. */
static int fx_create_fields(const k8s_resource_t *r, const json_t *obj, json_t **ret)
{
	static const char *const strip_meta[] = { "name", "namespace", "creationTimestamp", "selfLink", "uid",
						  "clusterName", "generation", "managedFields", "resourceVersion" };
	fx_t x = { .w = { .r = r, .allow_dups = true } };
	json_t *m;
	const char *k;
	tctx_t c;
	int root, meta;
	int rc;

	*ret = NULL;
	if (!depth_ok(obj))
		return -EAGAIN;
	x.empty = json_object();
	if (!x.empty)
		return -ENOMEM;
	ctx_root(r, &c);
	root = fx_child(&x, -1, 0, "", false);
	/* the fields the empty object has ({} each): changed (a member) or walked into (not a member) */
	json_object_foreach((json_t *)obj, k, m) {
		json_t *nv = m;
		tctx_t cc;
		int rel;
		if (!empty_object_has(r, k))
			continue;
		ctx_field(&c, k, &cc);
		rel = ctx_rel(&cc, nv);
		if (!json_is_object(nv)) {
			fx_child(&x, root, 'f', k, true);
		} else if (rel == REL_STRUCT || rel == REL_MAP) {
			const char *k2;
			int ch;
			if (json_object_size(nv) == 0)
				continue;
			ch = fx_child(&x, root, 'f', k, false);
			json_object_foreach(nv, k2, m) {
				tctx_t cc2;
				int g = fx_child(&x, ch, 'f', k2, true);
				if (g < 0)
					break;
				ctx_field(&cc, k2, &cc2);
				fx_add(&x, g, &cc2, m, 2);
			}
		} else if (json_object_size(nv) != 0) {
			fx_child(&x, root, 'f', k, true); /* an atomic value that is no longer {} */
		}
	}
	/* the rest is added */
	json_object_foreach((json_t *)obj, k, m) {
		tctx_t cc;
		int ch;
		if (empty_object_has(r, k))
			continue;
		ch = fx_child(&x, root, 'f', k, true);
		if (ch < 0)
			break;
		ctx_field(&c, k, &cc);
		fx_add(&x, ch, &cc, m, 1);
	}
	rc = x.rc;
	if (rc < 0)
		goto out;
	/* reset fields of the main resource: status, when the kind has the subresource */
	if (r && r->has_status) {
		int st = fx_find(&x, root, 'f', "status");
		if (st >= 0) {
			x.v[st].first = -1;
			x.v[st].member = false;
		}
	}
	/* server-owned fields nobody owns (mf_strip_set): the members go, what is below them stays */
	{
		static const char *const top[] = { "apiVersion", "kind", "metadata" };
		for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
			int n = fx_find(&x, root, 'f', top[i]);
			if (n >= 0)
				x.v[n].member = false;
		}
	}
	meta = fx_find(&x, root, 'f', "metadata");
	for (size_t i = 0; meta >= 0 && i < sizeof(strip_meta) / sizeof(strip_meta[0]); i++) {
		int n = fx_find(&x, meta, 'f', strip_meta[i]);
		if (n >= 0)
			x.v[n].member = false;
	}
	rc = fx_emit(&x, root, 0, ret);
out:
	free(x.w.err);
	walk_clear(&x.w);
	for (size_t i = 0; i < x.n_owned; i++)
		free(x.owned[i]);
	free(x.owned);
	free(x.v);
	free(x.key);
	json_decref(x.empty);
	return rc;
}

/* The managedFields of a create with no entries to start from: one Update entry or none. */
static int fx_create_entries(const k8s_resource_t *r, const json_t *obj, const char *manager, time_t now,
			     json_t **ret)
{
	json_t *f = NULL, *o, *arr;
	char ts[21];
	int rc = fx_create_fields(r, obj, &f);

	*ret = NULL;
	if (rc < 0 || !f)
		return rc;
	mf_time_format(now, ts);
	o = json_object();
	arr = json_array();
	if (!o || !arr) {
		json_decref(f);
		json_decref(o);
		json_decref(arr);
		return -ENOMEM;
	}
	/* metav1.ManagedFieldsEntry's field order, as mf_entries_encode writes it */
	if (json_object_set_new(o, "manager", json_string(manager)) < 0 ||
	    json_object_set_new(o, "operation", json_string("Update")) < 0 ||
	    json_object_set_new(o, "apiVersion", json_string(k8s_resource_api_version(r))) < 0 ||
	    json_object_set_new(o, "time", json_string(ts)) < 0 ||
	    json_object_set_new(o, "fieldsType", json_string("FieldsV1")) < 0) {
		json_decref(f);
		json_decref(o);
		json_decref(arr);
		return -ENOMEM;
	}
	if (json_object_set_new(o, "fieldsV1", f) < 0 || json_array_append_new(arr, o) < 0) {
		json_decref(arr);
		return -ENOMEM;
	}
	*ret = arr;
	return 0;
}

int mf_update(const k8s_resource_t *r, json_t *new_obj, const json_t *old_obj, const char *manager,
	      const char *subresource, time_t now)
{
	json_t *meta = json_object_get(new_obj, "metadata");
	json_t *sent = json_incref(json_object_get(meta, "managedFields"));
	const json_t *old_mf = json_object_get(json_object_get(old_obj, "metadata"), "managedFields");
	mf_entries_t e = { 0 };
	mf_cmp_t cmp = { 0 };
	json_t *old_clean = NULL, *new_clean = NULL, *reset = NULL, *strip = NULL, *delta = NULL, *tmp, *enc;
	const char *api_version = k8s_resource_api_version(r);
	const char *sub = subresource ? subresource : "";
	mf_entry_t *en;
	char ts[21];
	int rc;

	if (!json_is_object(new_obj) || !json_is_object(meta)) {
		json_decref(sent);
		return -EINVAL;
	}
	if (!manager || !*manager)
		manager = "unknown";
	/* decodeLiveOrNew */
	if (*sub) {
		if (mf_entries_decode(old_mf, &e, NULL) < 0)
			e = (mf_entries_t){ 0 };
	} else if (is_reset(sent)) {
		e = (mf_entries_t){ 0 };
	} else if (mf_entries_decode(sent, &e, NULL) < 0 || e.n == 0) {
		mf_entries_free(&e);
		if (mf_entries_decode(old_mf, &e, NULL) < 0)
			e = (mf_entries_t){ 0 };
	}
	json_object_del(meta, "managedFields");
	/* skipNonAppliedManager: an existing object nobody tracks stays untracked */
	if (e.n == 0 && old_obj) {
		json_decref(sent);
		return 0;
	}
	if (e.n == 0 && !*sub) {
		/* a create with no entries to start from: built in one walk; anything unusual takes the
		 * general path below, which then fails (or not) the same way */
		rc = fx_create_entries(r, new_obj, manager, now, &enc);
		if (rc == 0) {
			if (enc)
				json_object_set_new(meta, "managedFields", enc);
			json_decref(sent);
			return 0;
		}
	}
	old_clean = old_obj ? without_managed(old_obj) : mf_empty_object(r);
	new_clean = without_managed(new_obj);
	if (!old_clean || !new_clean) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = mf_compare(r, old_clean, new_clean, &cmp, NULL);
	if (rc < 0)
		goto fail;
	reset = mf_reset_fields(r, sub);
	strip = mf_strip_set();
	if (!strip || cmp_filter(&cmp, reset) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = take_changed(&e, NULL, &cmp);
	if (rc < 0)
		goto fail;
	/* what this write changed, minus what nobody owns */
	tmp = mf_set_union(cmp.modified, cmp.added);
	delta = tmp ? mf_set_difference(tmp, strip) : NULL;
	json_decref(tmp);
	if (!delta) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!mf_set_empty(delta)) {
		en = mf_entries_get(&e, manager, "Update", api_version, sub);
		if (!en || set_union_into(en->set, delta) < 0) {
			rc = -ENOMEM;
			goto fail;
		}
		mf_time_format(now, ts);
		free(en->time);
		en->time = strdup(ts);
		if (!en->time) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	mf_entries_prune(&e);
	rc = cap_update_managers(&e);
	if (rc < 0)
		goto fail;
	rc = mf_entries_encode(&e, &enc);
	if (rc < 0)
		goto fail;
	if (enc)
		json_object_set_new(meta, "managedFields", enc);
	rc = 0;
	goto out;
fail:
	/* UpdateNoErrors: the stored object keeps the managedFields it had */
	if (old_mf)
		json_object_set(meta, "managedFields", (json_t *)old_mf);
	else
		json_object_del(meta, "managedFields");
out:
	json_decref(sent);
	json_decref(old_clean);
	json_decref(new_clean);
	json_decref(reset);
	json_decref(strip);
	json_decref(delta);
	mf_cmp_free(&cmp);
	mf_entries_free(&e);
	return rc;
}
