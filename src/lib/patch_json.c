/* RFC 6902 JSON patch over RFC 6901 JSON pointers, as kube-apiserver applies
 * application/json-patch+json bodies. Messages follow gopkg.in/evanphx/json-patch.v4, whose errors
 * kube-apiserver wraps (Go's errors.Wrapf renders "context: cause"). */
#include "lib/patch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest path or token echoed back in a message: error replies must stay small. */
#define JP_ECHO_MAX 256

typedef struct jp {
	json_t *root;        /* the private copy being patched; may be replaced by an op on "" */
	char cause[JP_ECHO_MAX * 2 + 128]; /* the innermost error of a failed helper */
	char *err;           /* the final message, handed to the caller */
	long long copied;    /* bytes added by "copy" so far (kube's JSONPatchMaxCopyBytes) */
} jp_t;

typedef struct jp_ptr {
	char **tok;          /* decoded reference tokens */
	size_t n;
} jp_ptr_t;

/* Where a pointer lands: the container holding the last token, or the whole document. */
typedef struct jp_loc {
	json_t *parent;
	const char *key;
	size_t depth;        /* number of reference tokens */
	bool root;
} jp_loc_t;

static int jp_fail(jp_t *x, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int jp_fail(jp_t *x, int rc, const char *fmt, ...)
{
	va_list ap;

	free(x->err);
	x->err = NULL;
	va_start(ap, fmt);
	if (vasprintf(&x->err, fmt, ap) < 0)
		x->err = NULL;
	va_end(ap);
	return rc;
}

static void jp_cause(jp_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jp_cause(jp_t *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->cause, sizeof(x->cause), fmt, ap);
	va_end(ap);
}

/* Go's name for a JSON value's kind in encoding/json UnmarshalTypeError messages. */
static const char *jp_go_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return "null";
	}
}

static void jp_ptr_free(jp_ptr_t *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

/* RFC 6901 s3-4: "" is the whole document, otherwise "/"-separated tokens in which "~1" stands for
 * "/" and "~0" for "~" (decoded in that order, so "~01" is "~1"). Returns -EINVAL when s does not
 * start with "/", -ENOMEM. Other "~" sequences are kept literally, as evanphx does. */
static int jp_ptr_parse(const char *s, jp_ptr_t *ret)
{
	jp_ptr_t p = { NULL, 0 };
	size_t cap = 0;

	if (*s == '\0') {
		*ret = p;
		return 0;
	}
	if (*s != '/')
		return -EINVAL;
	while (*s == '/') {
		const char *start = ++s;
		size_t len = strcspn(start, "/");
		char *t = malloc(len + 1), *o = t;

		if (!t)
			goto oom;
		for (size_t i = 0; i < len; i++) {
			if (start[i] == '~' && i + 1 < len && (start[i + 1] == '0' || start[i + 1] == '1')) {
				*o++ = start[i + 1] == '1' ? '/' : '~';
				i++;
			} else {
				*o++ = start[i];
			}
		}
		*o = '\0';
		if (p.n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nt = realloc(p.tok, ncap * sizeof(*nt));
			if (!nt) {
				free(t);
				goto oom;
			}
			p.tok = nt;
			cap = ncap;
		}
		p.tok[p.n++] = t;
		s = start + len;
	}
	*ret = p;
	return 0;
oom:
	jp_ptr_free(&p);
	return -ENOMEM;
}

/* RFC 6901 s4: array-index = "0" / ( %x31-39 *DIGIT ). Stricter than evanphx (strconv.Atoi), which
 * also takes signs, leading zeros and negative indices. Returns false when tok is not an index. */
static bool jp_index(const char *tok, size_t *ret)
{
	size_t v = 0;

	if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return false;
	for (const char *c = tok; *c; c++) {
		if (*c < '0' || *c > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*c - '0');
	}
	*ret = v;
	return true;
}

static void jp_cause_not_index(jp_t *x, const char *tok)
{
	jp_cause(x, "strconv.Atoi: parsing \"%.*s\": invalid syntax", JP_ECHO_MAX, tok);
}

static void jp_cause_bad_index(jp_t *x, size_t idx)
{
	jp_cause(x, "Unable to access invalid index: %zu: invalid index referenced", idx);
}

/* Resolves every token but the last (evanphx findObject). Returns 0, -ENOENT when the parent is
 * missing or not a container (including a path without a leading "/"), or -ENOMEM. */
static int jp_locate(jp_t *x, const char *path, jp_ptr_t *p, jp_loc_t *ret)
{
	json_t *cur = x->root;
	int rc = jp_ptr_parse(path, p);

	if (rc == -EINVAL)
		return -ENOENT;
	if (rc < 0)
		return rc;
	if (p->n == 0) {
		*ret = (jp_loc_t){ NULL, NULL, 0, true };
		return 0;
	}
	for (size_t i = 0; i + 1 < p->n && cur; i++) {
		size_t idx;
		if (json_is_object(cur))
			cur = json_object_get(cur, p->tok[i]);
		else if (json_is_array(cur) && jp_index(p->tok[i], &idx))
			cur = json_array_get(cur, idx);
		else
			cur = NULL;
	}
	if (!json_is_object(cur) && !json_is_array(cur))
		return -ENOENT;
	*ret = (jp_loc_t){ cur, p->tok[p->n - 1], p->n, false };
	return 0;
}

/* The value at loc, borrowed; NULL with x->cause set when absent. */
static json_t *jp_get(jp_t *x, const jp_loc_t *loc)
{
	json_t *v;
	size_t idx;

	if (loc->root)
		return x->root;
	if (json_is_object(loc->parent)) {
		v = json_object_get(loc->parent, loc->key);
		if (!v)
			jp_cause(x, "unable to get nonexistent key: %.*s: missing value", JP_ECHO_MAX, loc->key);
		return v;
	}
	if (!jp_index(loc->key, &idx)) {
		jp_cause_not_index(x, loc->key);
		return NULL;
	}
	v = json_array_get(loc->parent, idx);
	if (!v)
		jp_cause_bad_index(x, idx);
	return v;
}

/* Detaches the value at loc (not the root); returns a new reference, or NULL with x->cause set. */
static json_t *jp_take(jp_t *x, const jp_loc_t *loc)
{
	json_t *v;
	size_t idx;

	if (json_is_object(loc->parent)) {
		v = json_incref(json_object_get(loc->parent, loc->key));
		if (!v)
			jp_cause(x, "Unable to remove nonexistent key: %.*s: missing value", JP_ECHO_MAX, loc->key);
		else
			json_object_del(loc->parent, loc->key);
		return v;
	}
	if (!jp_index(loc->key, &idx)) {
		jp_cause_not_index(x, loc->key);
		return NULL;
	}
	v = json_incref(json_array_get(loc->parent, idx));
	if (!v)
		jp_cause_bad_index(x, idx);
	else
		json_array_remove(loc->parent, idx);
	return v;
}

/* RFC 6902 s4.1 add at loc; consumes val. Members are set, array elements inserted before the
 * index, "-" appends; the index may equal the length. Returns 0, -ENOENT (x->cause set), -ENOMEM. */
static int jp_insert(jp_t *x, const jp_loc_t *loc, json_t *val)
{
	size_t idx;

	if (loc->root) {
		json_decref(x->root);
		x->root = val;
		return 0;
	}
	if (json_is_object(loc->parent))
		return json_object_set_new(loc->parent, loc->key, val) < 0 ? -ENOMEM : 0;
	if (strcmp(loc->key, "-") == 0)
		return json_array_append_new(loc->parent, val) < 0 ? -ENOMEM : 0;
	if (!jp_index(loc->key, &idx)) {
		json_decref(val);
		jp_cause(x, "value was not a proper array index: '%.*s': strconv.Atoi: parsing \"%.*s\": invalid syntax",
			 JP_ECHO_MAX, loc->key, JP_ECHO_MAX, loc->key);
		return -ENOENT;
	}
	if (idx > json_array_size(loc->parent)) {
		json_decref(val);
		jp_cause_bad_index(x, idx);
		return -ENOENT;
	}
	return json_array_insert_new(loc->parent, idx, val) < 0 ? -ENOMEM : 0;
}

/* Keeps every document this engine builds within PATCH_MAX_DEPTH, so that no recursion here or in
 * jansson (copy, dump, free) can be driven deep by a chain of moves into ever deeper paths. */
static bool jp_depth_ok(const jp_loc_t *loc, const json_t *val)
{
	if (loc->depth >= PATCH_MAX_DEPTH)
		return false;
	int room = PATCH_MAX_DEPTH - (int)loc->depth;
	return patch_doc_depth(val, room) <= room;
}

/* RFC 6902 s4.6: numbers are equal when numerically equal, objects when they hold the same members
 * with equal values regardless of order, arrays element by element. Depth is bounded by the
 * document depth invariant. */
static bool jp_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!jp_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, v) {
			json_t *o = json_object_get(b, k);
			if (!o || !jp_equal(v, o))
				return false;
		}
		return true;
	}
	default:
		return true; /* true, false, null: equal by type */
	}
}

/* Reads a string member of op ("path" or "from"); NULL when absent or not a string. */
static const char *jp_member(const json_t *op, const char *name, bool *ret_present)
{
	json_t *v = json_object_get(op, name);

	*ret_present = v && !json_is_null(v);
	return json_string_value(v);
}

static int jp_op_add_replace(jp_t *x, const json_t *op, const char *kind, bool replace)
{
	jp_ptr_t p = { NULL, 0 };
	jp_loc_t loc;
	bool present;
	const char *path = jp_member(op, "path", &present);
	json_t *value = json_object_get(op, "value"), *val;
	int rc;

	if (!path) {
		if (replace)
			return jp_fail(x, -EINVAL, "replace operation failed to decode path: operation missing path field: missing value");
		return jp_fail(x, -EINVAL, "%s operation failed to decode path: missing value", kind);
	}
	if (!value) /* RFC 6902 s4.1, s4.3: "value" is required; evanphx would insert null */
		return jp_fail(x, -EINVAL, "operation, missing value field: missing value");
	rc = jp_locate(x, path, &p, &loc);
	if (rc == -ENOENT)
		rc = replace ? jp_fail(x, -EINVAL, "replace operation does not apply: doc is missing path: %.*s: missing value", JP_ECHO_MAX, path)
			     : jp_fail(x, -EINVAL, "add operation does not apply: doc is missing path: \"%.*s\": missing value", JP_ECHO_MAX, path);
	if (rc < 0)
		goto out;
	if (replace && !jp_get(x, &loc)) {
		/* RFC 6902 s4.3: the target location MUST exist. */
		rc = jp_fail(x, -EINVAL, "replace operation does not apply: doc is missing key: %.*s: missing value", JP_ECHO_MAX, path);
		goto out;
	}
	if (!jp_depth_ok(&loc, value)) {
		rc = jp_fail(x, -EINVAL, "%s operation does not apply: the result is nested deeper than %d levels", kind, PATCH_MAX_DEPTH);
		goto out;
	}
	val = json_deep_copy(value);
	if (!val) {
		rc = -ENOMEM;
		goto out;
	}
	if (replace && !loc.root) {
		size_t idx;
		if (json_is_object(loc.parent))
			rc = json_object_set_new(loc.parent, loc.key, val) < 0 ? -ENOMEM : 0;
		else
			rc = jp_index(loc.key, &idx) && json_array_set_new(loc.parent, idx, val) == 0 ? 0 : -ENOMEM;
	} else {
		rc = jp_insert(x, &loc, val);
		if (rc == -ENOENT)
			rc = jp_fail(x, -EINVAL, "error in add for path: '%.*s': %s", JP_ECHO_MAX, path, x->cause);
	}
out:
	jp_ptr_free(&p);
	return rc;
}

static int jp_op_remove(jp_t *x, const json_t *op)
{
	jp_ptr_t p = { NULL, 0 };
	jp_loc_t loc;
	bool present;
	const char *path = jp_member(op, "path", &present);
	json_t *v;
	int rc;

	if (!path)
		return jp_fail(x, -EINVAL, "remove operation failed to decode path: missing value");
	rc = jp_locate(x, path, &p, &loc);
	if (rc == -ENOENT || (rc == 0 && loc.root))
		rc = jp_fail(x, -EINVAL, "remove operation does not apply: doc is missing path: \"%.*s\": missing value", JP_ECHO_MAX, path);
	if (rc < 0)
		goto out;
	v = jp_take(x, &loc);
	if (!v)
		rc = jp_fail(x, -EINVAL, "error in remove for path: '%.*s': %s", JP_ECHO_MAX, path, x->cause);
	json_decref(v);
out:
	jp_ptr_free(&p);
	return rc;
}

/* RFC 6902 s4.4 move and s4.5 copy. */
static int jp_op_move_copy(jp_t *x, const json_t *op, bool copy)
{
	const char *kind = copy ? "copy" : "move";
	jp_ptr_t pf = { NULL, 0 }, pp = { NULL, 0 };
	jp_loc_t from_loc, to_loc;
	bool present;
	const char *from = jp_member(op, "from", &present);
	const char *path = jp_member(op, "path", &present);
	json_t *val = NULL;
	int rc;

	if (!from)
		return jp_fail(x, -EINVAL, "%s operation failed to decode from: operation, missing from field: missing value", kind);
	rc = jp_locate(x, from, &pf, &from_loc);
	if (rc == -ENOENT)
		rc = jp_fail(x, -EINVAL, "%s operation does not apply: doc is missing from path: %.*s: missing value", kind, JP_ECHO_MAX, from);
	if (rc < 0)
		goto out;
	if (copy) {
		json_t *src = jp_get(x, &from_loc);
		if (!src) {
			rc = jp_fail(x, -EINVAL, "error in copy for from: '%.*s': %s", JP_ECHO_MAX, from, x->cause);
			goto out;
		}
		/* kube-apiserver caps what copies may add (JSONPatchMaxCopyBytes): each copy of the whole
		 * document doubles it, so a short patch could otherwise exhaust memory. */
		x->copied += (long long)json_dumpb(src, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
		if (x->copied > PATCH_JSON_MAX_COPY_BYTES) {
			rc = jp_fail(x, -EINVAL, "Unable to complete the copy, the accumulated size increase of copy is %lld, exceeding the limit %d",
				     x->copied, PATCH_JSON_MAX_COPY_BYTES);
			goto out;
		}
		val = json_deep_copy(src);
		if (!val) {
			rc = -ENOMEM;
			goto out;
		}
	} else {
		if (!path) {
			rc = jp_fail(x, -EINVAL, "move operation failed to decode path: operation missing path field: missing value");
			goto out;
		}
		if (from_loc.root) {
			/* RFC 6902 s4.4: "from" MUST NOT be a proper prefix of "path"; "" prefixes everything. */
			rc = path[0] == '\0' ? 0 : jp_fail(x, -EINVAL, "move operation does not apply: doc is missing destination path: %.*s: missing value", JP_ECHO_MAX, path);
			goto out;
		}
		val = jp_take(x, &from_loc);
		if (!val) {
			rc = jp_fail(x, -EINVAL, "error in move for path: '%.*s': %s", JP_ECHO_MAX, from_loc.key, x->cause);
			goto out;
		}
	}
	if (!path) {
		rc = jp_fail(x, -EINVAL, "copy operation failed to decode path: missing value");
		goto out;
	}
	/* Moving a value into itself leaves its destination's parent detached, so the lookup below
	 * fails as RFC 6902 s4.4 requires. */
	rc = jp_locate(x, path, &pp, &to_loc);
	if (rc == -ENOENT)
		rc = jp_fail(x, -EINVAL, "%s operation does not apply: doc is missing destination path: %.*s: missing value", kind, JP_ECHO_MAX, path);
	if (rc < 0)
		goto out;
	if (!jp_depth_ok(&to_loc, val)) {
		rc = jp_fail(x, -EINVAL, "%s operation does not apply: the result is nested deeper than %d levels", kind, PATCH_MAX_DEPTH);
		goto out;
	}
	rc = jp_insert(x, &to_loc, val);
	val = NULL;
	if (rc == -ENOENT)
		rc = copy ? jp_fail(x, -EINVAL, "error while adding value during copy: %s", x->cause)
			  : jp_fail(x, -EINVAL, "error in move for path: '%.*s': %s", JP_ECHO_MAX, path, x->cause);
out:
	json_decref(val);
	jp_ptr_free(&pf);
	jp_ptr_free(&pp);
	return rc;
}

static int jp_op_test(jp_t *x, const json_t *op)
{
	jp_ptr_t p = { NULL, 0 };
	jp_loc_t loc;
	bool present;
	const char *path = jp_member(op, "path", &present);
	json_t *value = json_object_get(op, "value"), *cur;
	int rc;

	if (!path)
		return jp_fail(x, -EINVAL, "test operation failed to decode path: operation missing path field: missing value");
	if (!value)
		return jp_fail(x, -EINVAL, "operation, missing value field: missing value");
	rc = jp_locate(x, path, &p, &loc);
	if (rc == -ENOENT)
		rc = jp_fail(x, -EINVAL, "test operation does not apply: is missing path: %.*s: missing value", JP_ECHO_MAX, path);
	if (rc < 0)
		goto out;
	cur = jp_get(x, &loc);
	if (!cur && json_is_array(loc.parent))
		rc = jp_fail(x, -EINVAL, "error in test for path: '%.*s': %s", JP_ECHO_MAX, path, x->cause);
	else if (!cur || !jp_equal(cur, value)) /* an absent member never equals, not even null (s4.6) */
		rc = jp_fail(x, -EINVAL, "testing value %.*s failed: test failed", JP_ECHO_MAX, path);
out:
	jp_ptr_free(&p);
	return rc;
}

static int jp_apply_one(jp_t *x, const json_t *op)
{
	const char *kind = json_string_value(json_object_get(op, "op"));

	if (!kind)
		kind = "unknown";
	if (strcmp(kind, "add") == 0)
		return jp_op_add_replace(x, op, kind, false);
	if (strcmp(kind, "replace") == 0)
		return jp_op_add_replace(x, op, kind, true);
	if (strcmp(kind, "remove") == 0)
		return jp_op_remove(x, op);
	if (strcmp(kind, "move") == 0)
		return jp_op_move_copy(x, op, false);
	if (strcmp(kind, "copy") == 0)
		return jp_op_move_copy(x, op, true);
	if (strcmp(kind, "test") == 0)
		return jp_op_test(x, op);
	/* RFC 6902 s4: an unknown op is an error; members other than op/path/from/value are ignored. */
	return jp_fail(x, -EINVAL, "Unexpected kind: %.*s", JP_ECHO_MAX, kind);
}

int patch_json(const json_t *target, const json_t *ops, json_t **ret, char **ret_err)
{
	jp_t x = { 0 };
	size_t i;
	json_t *op;
	int rc = 0;

	if (!target || !ops)
		return -EINVAL;
	/* Decoding: kube-apiserver unmarshals the body into jsonpatch.Patch first and answers 400 with
	 * Go's message when that fails; null decodes to an empty patch. */
	if (!json_is_array(ops) && !json_is_null(ops)) {
		rc = jp_fail(&x, -EBADMSG, "json: cannot unmarshal %s into Go value of type jsonpatch.Patch", jp_go_kind(ops));
		goto fail;
	}
	json_array_foreach(ops, i, op) {
		if (!json_is_object(op) && !json_is_null(op)) {
			rc = jp_fail(&x, -EBADMSG, "json: cannot unmarshal %s into Go value of type jsonpatch.Operation", jp_go_kind(op));
			goto fail;
		}
	}
	if (json_array_size(ops) > PATCH_JSON_MAX_OPS) {
		rc = jp_fail(&x, -E2BIG, "The allowed maximum operations in a JSON patch is %d, got %zu",
			     PATCH_JSON_MAX_OPS, json_array_size(ops));
		goto fail;
	}
	if (patch_doc_depth(ops, PATCH_MAX_DEPTH + 2) > PATCH_MAX_DEPTH + 2 ||
	    patch_doc_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH) {
		rc = jp_fail(&x, -EBADMSG, "json: exceeded max depth");
		goto fail;
	}
	x.root = json_deep_copy(target);
	if (!x.root)
		return -ENOMEM;
	json_array_foreach(ops, i, op) {
		rc = jp_apply_one(&x, op);
		if (rc < 0)
			goto fail;
	}
	*ret = x.root;
	return 0;
fail:
	json_decref(x.root);
	if (ret_err && x.err)
		*ret_err = x.err;
	else
		free(x.err);
	return rc;
}
