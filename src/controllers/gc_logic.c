/* Decisions of the garbage collector (see gc_logic.h). */
#include "controllers/gc_logic.h"

#include <string.h>

#include "controllers/ctrl_util.h"

gc_action_t gc_decide(const gc_owner_state_t *states, size_t n)
{
	size_t exists = 0, absent = 0, fg = 0;

	for (size_t i = 0; i < n; i++) {
		switch (states[i]) {
		case GC_OWNER_EXISTS:
			exists++;
			break;
		case GC_OWNER_ABSENT:
			absent++;
			break;
		case GC_OWNER_FOREGROUND:
			fg++;
			break;
		case GC_OWNER_UNKNOWN:
			return GC_KEEP; /* cannot tell: upstream keeps retrying, we never delete */
		}
	}
	if (n == 0)
		return GC_KEEP;
	if (exists > 0)
		return absent > 0 ? GC_DROP_DANGLING : GC_KEEP;
	if (fg > 0)
		return GC_DELETE_FOREGROUND;
	return GC_DELETE_BACKGROUND;
}

bool gc_has_finalizer(const json_t *obj, const char *name)
{
	const json_t *f = json_object_get(json_object_get(obj, "metadata"), "finalizers"), *v;
	size_t i;

	json_array_foreach(f, i, v)
		if (json_string_value(v) && strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

gc_owner_action_t gc_owner_next(const json_t *owner, size_t n_dependents, size_t n_blocking,
				const char **ret_finalizer)
{
	if (!json_object_get(json_object_get(owner, "metadata"), "deletionTimestamp"))
		return GC_OWNER_NOTHING;
	if (gc_has_finalizer(owner, GC_FINALIZER_ORPHAN)) {
		if (n_dependents > 0)
			return GC_OWNER_ORPHAN_DEPENDENTS;
		*ret_finalizer = GC_FINALIZER_ORPHAN;
		return GC_OWNER_REMOVE_FINALIZER;
	}
	if (gc_has_finalizer(owner, GC_FINALIZER_FOREGROUND)) {
		if (n_blocking > 0)
			return GC_OWNER_DELETE_DEPENDENTS;
		*ret_finalizer = GC_FINALIZER_FOREGROUND;
		return GC_OWNER_REMOVE_FINALIZER;
	}
	return GC_OWNER_NOTHING;
}

json_t *gc_without_finalizer(const json_t *obj, const char *name)
{
	json_t *c = json_deep_copy(obj), *f, *v;
	size_t i;

	if (!c)
		return NULL;
	f = json_object_get(json_object_get(c, "metadata"), "finalizers");
	for (i = json_array_size(f); i-- > 0;) {
		v = json_array_get(f, i);
		if (json_string_value(v) && strcmp(json_string_value(v), name) == 0)
			json_array_remove(f, i);
	}
	if (f && json_array_size(f) == 0)
		json_object_del(json_object_get(c, "metadata"), "finalizers");
	return c;
}

json_t *gc_without_owners(const json_t *obj, const json_t *drop)
{
	json_t *c = json_deep_copy(obj), *refs, *r;
	size_t i;

	if (!c)
		return NULL;
	refs = json_object_get(json_object_get(c, "metadata"), "ownerReferences");
	for (i = json_array_size(refs); i-- > 0;) {
		r = json_array_get(refs, i);
		if (ctrl_str(r, "uid") && json_object_get(drop, ctrl_str(r, "uid")))
			json_array_remove(refs, i);
	}
	if (refs && json_array_size(refs) == 0)
		json_object_del(json_object_get(c, "metadata"), "ownerReferences");
	return c;
}
