/* RFC 7386 JSON merge patch, as kube-apiserver applies application/merge-patch+json bodies
 * (it runs gopkg.in/evanphx/json-patch.v4 MergePatch, which follows the RFC). */
#include "lib/patch.h"

#include <errno.h>

int patch_doc_depth(const json_t *v, int limit)
{
	const char *key;
	json_t *m;
	size_t i;
	int deepest = 0, d;

	if (limit <= 0)
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, m) {
			d = patch_doc_depth(m, limit - 1);
			if (d > deepest)
				deepest = d;
			if (deepest >= limit)
				break;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			d = patch_doc_depth(m, limit - 1);
			if (d > deepest)
				deepest = d;
			if (deepest >= limit)
				break;
		}
	}
	return deepest + 1;
}

/* RFC 7386 s2 MergePatch(Target, Patch). Consumes the reference to t (which may be NULL, "absent");
 * returns a new reference or NULL on ENOMEM. t is always our private copy, so it is edited in place. */
static json_t *merge_value(json_t *t, const json_t *patch)
{
	const char *key;
	json_t *v;

	if (!json_is_object(patch)) {
		/* "Otherwise return Patch": arrays and scalars replace the target whole. */
		json_decref(t);
		return json_deep_copy(patch);
	}
	if (!json_is_object(t)) {
		/* "If Target is not an Object, Target = {}": its contents are ignored. */
		json_decref(t);
		t = json_object();
		if (!t)
			return NULL;
	}
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v)) {
			/* null deletes; deleting an absent member is not an error (RFC 7386 s2). */
			json_object_del(t, key);
			continue;
		}
		json_t *cur = json_incref(json_object_get(t, key));
		json_t *merged = merge_value(cur, v);
		if (!merged || json_object_set_new(t, key, merged) < 0) {
			json_decref(t);
			return NULL;
		}
	}
	return t;
}

int patch_merge(const json_t *target, const json_t *patch, json_t **ret)
{
	json_t *out, *t = NULL;

	if (!patch)
		return -EINVAL;
	if (patch_doc_depth(patch, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH ||
	    (target && patch_doc_depth(target, PATCH_MAX_DEPTH) > PATCH_MAX_DEPTH))
		return -EINVAL;
	/* Only objects are merged into; copying first keeps target untouched and the result unshared. */
	if (target && json_is_object(patch)) {
		t = json_deep_copy(target);
		if (!t)
			return -ENOMEM;
	}
	out = merge_value(t, patch);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}
