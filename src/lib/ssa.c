/* Server-side apply: sigs.k8s.io/structured-merge-diff merge/update.go (Apply, prune,
 * addBackOwnedItems, addBackDanglingItems, the conflict rule of update()) wrapped in the managers
 * kube-apiserver stacks in k8s.io/apimachinery pkg/util/managedfields/internal: versioncheck.go,
 * lastappliedupdater.go, lastappliedmanager.go, skipnonapplied.go, managedfieldsupdater.go,
 * stripmeta.go, structuredmerge.go; conflict messages from conflict.go. */
#include "lib/ssa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"
#include "lib/managed_fields.h"
#include "lib/status.h"

/* ValidateAnnotationsSize: total bytes of keys and values. */
#define SSA_ANNOTATIONS_MAX (256 * 1024)

int ssa_parse_bool(const char *s, bool *ret)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, f[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

json_t *ssa_options_status(const char *options_kind, bool apply, const char *field_manager, const char *force_param)
{
	json_t *errs = json_array();

	if (!errs)
		return NULL;
	if (apply) {
		if (!field_manager || !*field_manager)
			ferr_required(errs, "fieldManager", "is required for apply patch");
	} else if (force_param && strcmp(options_kind, "PatchOptions") == 0) {
		ferr_forbidden(errs, "force", "may not be specified for non-apply patch");
	}
	mf_validate_manager(field_manager, errs);
	if (json_array_size(errs) == 0) {
		json_decref(errs);
		return NULL;
	}
	return status_invalid("meta.k8s.io", options_kind, "", errs);
}

/* ---- helpers -------------------------------------------------------------------------------------- */

static json_t *meta_of(const json_t *obj)
{
	return json_object_get(obj, "metadata");
}

static const char *meta_str(const json_t *obj, const char *k)
{
	return json_string_value(json_object_get(meta_of(obj), k));
}

/* "ns/name; /v1, Kind=Service" (objectGVKNN). */
static char *gvknn(const k8s_resource_t *r, const json_t *obj)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s; %s/%s, Kind=%s", meta_str(obj, "namespace") ? meta_str(obj, "namespace") : "",
		     meta_str(obj, "name") ? meta_str(obj, "name") : "", r->group, r->version, r->kind) < 0)
		return NULL;
	return s;
}

static json_t *plain_error(const char *fmt, const char *a, const char *b)
{
	char *msg = NULL;
	json_t *st;

	if (asprintf(&msg, fmt, a ? a : "", b ? b : "") < 0)
		return NULL;
	/* a plain Go error: kube-apiserver answers 500 with reason StatusReasonUnknown ("") */
	st = status_new(500, "", msg, NULL);
	free(msg);
	return st;
}

static json_t *without_managed(const k8s_resource_t *r, const json_t *obj)
{
	json_t *c = obj ? json_deep_copy(obj) : mf_empty_object(r);

	if (c)
		json_object_del(json_object_get(c, "metadata"), "managedFields");
	return c;
}

/* Copies entries (sets deep-copied). */
static int entries_copy(const mf_entries_t *in, mf_entries_t *out)
{
	mf_entries_t e = { 0 };

	for (size_t i = 0; i < in->n; i++) {
		const mf_entry_t *s = &in->v[i];
		mf_entry_t *d = mf_entries_get(&e, s->manager, s->operation, s->api_version, s->subresource);
		if (!d) {
			mf_entries_free(&e);
			return -ENOMEM;
		}
		free(d->api_version);
		d->api_version = strdup(s->api_version);
		json_decref(d->set);
		d->set = json_deep_copy(s->set);
		free(d->time);
		d->time = s->time ? strdup(s->time) : NULL;
		if (!d->api_version || !d->set || (s->time && !d->time)) {
			mf_entries_free(&e);
			return -ENOMEM;
		}
	}
	*out = e;
	return 0;
}

static int set_replace(json_t **slot, json_t *v)
{
	if (!v)
		return -ENOMEM;
	json_decref(*slot);
	*slot = v;
	return 0;
}

/* ensure(to_set(obj)) */
static int ensured_set(const k8s_resource_t *r, const json_t *obj, json_t **ret)
{
	json_t *s = NULL, *e;
	int rc = mf_to_set(r, obj, true, &s, NULL);

	if (rc < 0)
		return rc;
	e = mf_ensure_named(r, s);
	json_decref(s);
	if (!e)
		return -ENOMEM;
	*ret = e;
	return 0;
}

/* Updater.prune: removes what the manager applied last time (last), no longer applies, and
 * nobody else owns; fields it never owned stay. */
static int prune(const k8s_resource_t *r, json_t **merged, const mf_entries_t *e, const json_t *last)
{
	json_t *last_e = NULL, *p0 = NULL, *merged_e = NULL, *p0_e = NULL, *managed = NULL, *managed_e = NULL;
	json_t *keep = NULL, *x1 = NULL, *p1 = NULL, *p1_e = NULL, *x2 = NULL, *t = NULL, *out = NULL;
	int rc = -ENOMEM;

	if (mf_set_empty(last))
		return 0;
	last_e = mf_ensure_named(r, last);
	if (!last_e)
		goto out;
	rc = mf_remove_items(r, *merged, last_e, &p0);
	if (rc < 0)
		goto out;
	if ((rc = ensured_set(r, *merged, &merged_e)) < 0 || (rc = ensured_set(r, p0, &p0_e)) < 0)
		goto out;
	rc = -ENOMEM;
	managed = json_object();
	for (size_t i = 0; managed && i < e->n; i++)
		if (set_replace(&managed, mf_set_union(managed, e->v[i].set)) < 0)
			goto out;
	if (!managed || !(managed_e = mf_ensure_named(r, managed)))
		goto out;
	/* addBackOwnedItems */
	if (!(keep = mf_set_union(p0_e, managed_e)) || !(x1 = mf_set_difference(merged_e, keep)))
		goto out;
	if ((rc = mf_remove_items(r, *merged, x1, &p1)) < 0 || (rc = ensured_set(r, p1, &p1_e)) < 0)
		goto out;
	rc = -ENOMEM;
	/* addBackDanglingItems */
	if (!(t = mf_set_difference(merged_e, p1_e)) || !(x2 = mf_set_intersection(t, last_e)))
		goto out;
	if ((rc = mf_remove_items(r, *merged, x2, &out)) < 0)
		goto out;
	json_decref(*merged);
	*merged = out;
	rc = 0;
out:
	json_decref(last_e);
	json_decref(p0);
	json_decref(merged_e);
	json_decref(p0_e);
	json_decref(managed);
	json_decref(managed_e);
	json_decref(keep);
	json_decref(x1);
	json_decref(p1);
	json_decref(p1_e);
	json_decref(x2);
	json_decref(t);
	return rc;
}

/* One conflict: who and where. */
typedef struct conflict {
	char *identity; /* sort key */
	char *who;      /* printManager */
	char *path;     /* Path.String() */
	char **raw;     /* the path elements, for the last-applied filter */
	size_t n;
} conflict_t;

typedef struct conflicts {
	conflict_t *v;
	size_t n;
	const mf_entry_t *en;
	int rc;
} conflicts_t;

static void conflicts_free(conflicts_t *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].identity);
		free(c->v[i].who);
		free(c->v[i].path);
		for (size_t j = 0; j < c->v[i].n; j++)
			free(c->v[i].raw[j]);
		free(c->v[i].raw);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int conflict_add(const char *const *path, size_t n, void *ud)
{
	conflicts_t *c = ud;
	conflict_t *nv = realloc(c->v, (c->n + 1) * sizeof(*nv)), *x;

	if (!nv)
		return -ENOMEM;
	c->v = nv;
	x = &c->v[c->n];
	memset(x, 0, sizeof(*x));
	x->identity = mf_entry_identity(c->en);
	x->who = mf_entry_describe(c->en);
	x->path = mf_path_string(path, n);
	x->raw = calloc(n ? n : 1, sizeof(*x->raw));
	c->n++;
	if (!x->identity || !x->who || !x->path || !x->raw)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		x->raw[i] = strdup(path[i]);
		if (!x->raw[i])
			return -ENOMEM;
		x->n = i + 1;
	}
	return 0;
}

/* The result of one run of the structured Apply. */
typedef struct apply_run {
	json_t *obj;       /* merged and pruned, without managedFields */
	mf_entries_t e;    /* the entries after it */
	conflicts_t conf;  /* when it conflicted (not forced) */
	bool noop;
} apply_run_t;

static void run_free(apply_run_t *a)
{
	json_decref(a->obj);
	mf_entries_free(&a->e);
	conflicts_free(&a->conf);
	memset(a, 0, sizeof(*a));
}

/* Updater.Apply followed by the stripMeta and managedFieldsUpdater steps. Fills *ret; -EBUSY when
 * it conflicted (ret->conf), -EPROTO with *ret_err for a configuration the schema rejects. */
static int apply_once(const k8s_resource_t *r, const json_t *live, const json_t *applied, const mf_entries_t *in,
		      const char *manager, bool force, time_t now, apply_run_t *ret, char **ret_err)
{
	apply_run_t a = { 0 };
	json_t *last = NULL, *set = NULL, *reset = mf_reset_fields(r, NULL), *strip = mf_strip_set(), *changed = NULL;
	const char *av = k8s_resource_api_version(r);
	mf_cmp_t cmp = { 0 };
	mf_entry_t *self, *found;
	int rc;

	if (!strip || (r->has_status && !reset)) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = entries_copy(in, &a.e)) < 0)
		goto fail;
	found = mf_entries_find(&a.e, manager, "Apply", av, "");
	if (found && !(last = json_deep_copy(found->set))) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = mf_merge(r, live, applied, &a.obj, ret_err);
	if (rc < 0) {
		if (rc == -EINVAL)
			rc = -EPROTO;
		goto fail;
	}
	rc = mf_to_set(r, applied, false, &set, ret_err);
	if (rc < 0) {
		if (rc == -EINVAL)
			rc = -EPROTO;
		goto fail;
	}
	if (reset && set_replace(&set, mf_set_recursive_difference(set, reset)) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	self = mf_entries_get(&a.e, manager, "Apply", av, "");
	if (!self) {
		rc = -ENOMEM;
		goto fail;
	}
	free(self->api_version);
	self->api_version = strdup(av);
	json_decref(self->set);
	self->set = set; /* unstripped while pruning, as upstream's Updater sees it */
	set = NULL;
	if (!self->api_version) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = prune(r, &a.obj, &a.e, last);
	if (rc < 0)
		goto fail;
	/* Updater.update: conflicts and removals for every other manager */
	rc = mf_compare(r, live, a.obj, &cmp, ret_err);
	if (rc < 0) {
		if (rc == -EINVAL)
			rc = -EPROTO;
		goto fail;
	}
	if (reset) {
		json_t **sets[3] = { &cmp.added, &cmp.removed, &cmp.modified };
		for (int i = 0; i < 3; i++)
			if (set_replace(sets[i], mf_set_recursive_difference(*sets[i], reset)) < 0) {
				rc = -ENOMEM;
				goto fail;
			}
	}
	changed = mf_set_union(cmp.modified, cmp.added);
	if (!changed) {
		rc = -ENOMEM;
		goto fail;
	}
	self = mf_entries_find(&a.e, manager, "Apply", av, "");
	for (size_t i = 0; i < a.e.n; i++) {
		mf_entry_t *en = &a.e.v[i];
		json_t *c;
		if (en == self)
			continue;
		c = mf_set_intersection(en->set, changed);
		if (!c) {
			rc = -ENOMEM;
			goto fail;
		}
		if (!mf_set_empty(c)) {
			if (!force) {
				a.conf.en = en;
				rc = mf_set_iterate(c, conflict_add, &a.conf);
			} else {
				rc = set_replace(&en->set, mf_set_difference(en->set, c));
			}
		}
		json_decref(c);
		if (rc < 0)
			goto fail;
	}
	if (a.conf.n > 0) {
		mf_cmp_free(&cmp);
		json_decref(changed);
		json_decref(last);
		json_decref(reset);
		json_decref(strip);
		*ret = a;
		return -EBUSY;
	}
	for (size_t i = 0; i < a.e.n; i++) {
		mf_entry_t *en = &a.e.v[i];
		if (en != self && set_replace(&en->set, mf_set_difference(en->set, cmp.removed)) < 0) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	/* stripMetaManager, then managedFieldsUpdater: the time moves only when the object changed */
	if (set_replace(&self->set, mf_set_difference(self->set, strip)) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	a.noop = json_equal((json_t *)live, a.obj);
	if (!a.noop) {
		char ts[21];
		mf_time_format(now, ts);
		free(self->time);
		self->time = strdup(ts);
		if (!self->time) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	mf_entries_prune(&a.e);
	mf_cmp_free(&cmp);
	json_decref(changed);
	json_decref(last);
	json_decref(reset);
	json_decref(strip);
	*ret = a;
	return 0;
fail:
	mf_cmp_free(&cmp);
	json_decref(changed);
	json_decref(last);
	json_decref(set);
	json_decref(reset);
	json_decref(strip);
	run_free(&a);
	return rc;
}

/* lastAppliedManager.allowedConflictsFromLastApplied: the fields of kubectl's last-applied
 * annotation whose value the live object still has. NULL when there is no usable annotation. */
static json_t *allowed_from_last_applied(const k8s_resource_t *r, const json_t *live)
{
	const char *la = json_string_value(
		json_object_get(json_object_get(meta_of(live), "annotations"), SSA_LAST_APPLIED));
	json_t *obj, *set = NULL, *out = NULL, *t1 = NULL, *t2 = NULL;
	mf_cmp_t cmp = { 0 };

	if (!la || !*la)
		return NULL;
	obj = json_loads(la, 0, NULL);
	if (!json_is_object(obj) ||
	    strcmp(json_string_value(json_object_get(obj, "apiVersion")) ? json_string_value(json_object_get(obj, "apiVersion")) : "",
		   k8s_resource_api_version(r)) != 0)
		goto out;
	if (mf_to_set(r, obj, false, &set, NULL) < 0 || mf_compare(r, obj, live, &cmp, NULL) < 0)
		goto out;
	if ((t1 = mf_set_difference(set, cmp.modified)) && (t2 = mf_set_difference(t1, cmp.added)))
		out = mf_set_difference(t2, cmp.removed);
out:
	json_decref(obj);
	json_decref(set);
	json_decref(t1);
	json_decref(t2);
	mf_cmp_free(&cmp);
	return out;
}

static int conflict_order(const void *a, const void *b)
{
	const conflict_t *x = a, *y = b;

	return strcmp(x->identity, y->identity);
}

/* NewConflictError: message and details.causes, managers sorted as getConflictMessage does. */
static json_t *conflict_status(conflicts_t *c)
{
	json_t *causes = json_array(), *details;
	char *msg = NULL;
	size_t len = 0;
	FILE *f;

	if (!causes)
		return NULL;
	/* stable: paths keep their iteration order within a manager */
	for (size_t i = 1; i < c->n; i++)
		for (size_t j = i; j > 0 && conflict_order(&c->v[j - 1], &c->v[j]) > 0; j--) {
			conflict_t t = c->v[j - 1];
			c->v[j - 1] = c->v[j];
			c->v[j] = t;
		}
	for (size_t i = 0; i < c->n; i++) {
		char *m = NULL;
		if (asprintf(&m, "conflict with %s", c->v[i].who) < 0)
			goto oom;
		json_array_append_new(causes, json_pack("{s:s, s:s, s:s}", "reason", "FieldManagerConflict",
							"message", m, "field", c->v[i].path));
		free(m);
	}
	f = open_memstream(&msg, &len);
	if (!f)
		goto oom;
	if (c->n == 1) {
		fprintf(f, "Apply failed with 1 conflict: conflict with %s: %s", c->v[0].who, c->v[0].path);
	} else {
		fprintf(f, "Apply failed with %zu conflicts: ", c->n);
		for (size_t i = 0; i < c->n; i++) {
			if (i == 0 || strcmp(c->v[i - 1].identity, c->v[i].identity) != 0)
				fprintf(f, "%sconflicts with %s:", i ? "\n" : "", c->v[i].who);
			fprintf(f, "\n- %s", c->v[i].path);
		}
	}
	if (fclose(f) != 0)
		goto oom;
	details = json_object();
	if (!details)
		goto oom;
	json_object_set_new(details, "causes", causes);
	{
		json_t *st = status_new(409, "Conflict", msg, details);
		free(msg);
		return st;
	}
oom:
	free(msg);
	json_decref(causes);
	return NULL;
}

/* Drops null members of objects (they decode to Go zero values and are not stored). */
static void drop_nulls(json_t *v, int depth)
{
	const char *k;
	json_t *m;
	void *tmp;
	size_t i;

	if (depth > MF_MAX_DEPTH)
		return;
	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, m) {
			if (json_is_null(m))
				json_object_del(v, k);
			else
				drop_nulls(m, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			drop_nulls(m, depth + 1);
	}
}

/* lastAppliedUpdater: kubectl's annotation follows what it applies server-side, so a later
 * client-side `kubectl apply` diffs against the right configuration. */
static int update_last_applied(json_t *obj, const json_t *applied)
{
	json_t *ann = json_object_get(meta_of(obj), "annotations"), *copy, *ca;
	char *enc, *val = NULL;
	const char *k;
	json_t *m;
	size_t total = 0;

	if (!json_string_value(json_object_get(ann, SSA_LAST_APPLIED)) ||
	    !*json_string_value(json_object_get(ann, SSA_LAST_APPLIED)))
		return 0;
	copy = json_deep_copy(applied);
	if (!copy)
		return -ENOMEM;
	ca = json_object_get(meta_of(copy), "annotations");
	if (json_is_object(ca))
		json_object_del(ca, SSA_LAST_APPLIED);
	enc = mf_go_json(copy);
	json_decref(copy);
	if (!enc || asprintf(&val, "%s\n", enc) < 0) { /* json.Encoder ends with a newline */
		free(enc);
		return -ENOMEM;
	}
	free(enc);
	json_object_set_new(ann, SSA_LAST_APPLIED, json_string(val));
	json_object_foreach(ann, k, m)
		total += strlen(k) + (json_is_string(m) ? json_string_length(m) : 0);
	if (total > SSA_ANNOTATIONS_MAX)
		json_object_del(ann, SSA_LAST_APPLIED);
	free(val);
	return 0;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return NULL;
	}
}

int ssa_apply(const k8s_resource_t *r, const json_t *live, const json_t *applied, const char *manager,
	      bool force, time_t now, json_t **ret_obj, json_t **ret_status)
{
	const char *av, *kind, *slash;
	char group[128], version[64];
	json_t *live_clean = NULL, *st = NULL, *enc = NULL, *mf;
	mf_entries_t e = { 0 };
	apply_run_t run = { 0 };
	char *err = NULL, *where = NULL;
	int rc;

	*ret_status = NULL;
	if (!json_is_object(applied)) {
		char msg[160];
		/* yaml.Unmarshal into map[string]interface{} */
		snprintf(msg, sizeof(msg), "error decoding patch: json: cannot unmarshal %s into Go value of type map[string]interface {}",
			 type_name(applied) ? type_name(applied) : "null");
		if (json_is_null(applied) || !applied) {
			/* an empty or null document decodes to an empty map: no apiVersion */
			snprintf(msg, sizeof(msg), "invalid object type: /, Kind=");
		}
		*ret_status = status_bad_request(msg);
		return -EBADMSG;
	}
	/* versionCheckManager */
	av = json_string_value(json_object_get(applied, "apiVersion"));
	kind = json_string_value(json_object_get(applied, "kind"));
	av = av ? av : "";
	kind = kind ? kind : "";
	slash = strchr(av, '/');
	snprintf(group, sizeof(group), "%.*s", slash ? (int)(slash - av) : 0, av);
	snprintf(version, sizeof(version), "%s", slash ? slash + 1 : av);
	if (strcmp(group, r->group) != 0 || strcmp(version, r->version) != 0 || strcmp(kind, r->kind) != 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "invalid object type: %.100s/%.60s, Kind=%.100s", group, version, kind);
		*ret_status = status_bad_request(msg);
		return -EBADMSG;
	}
	mf = json_object_get(meta_of(applied), "managedFields");
	if (mf && !json_is_null(mf)) {
		*ret_status = status_bad_request("metadata.managedFields must be nil");
		return -EBADMSG;
	}
	if (!manager || !*manager)
		manager = "unknown";
	rc = mf_entries_decode(json_object_get(meta_of(live), "managedFields"), &e, &err);
	if (rc < 0) {
		if (rc != -ENOMEM)
			*ret_status = plain_error("failed to decode managed fields: %s%s", err, "");
		free(err);
		return rc == -ENOMEM ? rc : -EPROTO;
	}
	live_clean = without_managed(r, live);
	if (!live_clean) {
		rc = -ENOMEM;
		goto out;
	}
	/* skipNonAppliedManager: the first apply to an untracked object hands what exists to
	 * "before-first-apply", so applying can conflict with it and never silently prunes it */
	if (e.n == 0 && live) {
		json_t *tmp = json_deep_copy(live_clean);
		if (!tmp) {
			rc = -ENOMEM;
			goto out;
		}
		rc = mf_update(r, tmp, NULL, "before-first-apply", NULL, now);
		if (rc == 0)
			rc = mf_entries_decode(json_object_get(meta_of(tmp), "managedFields"), &e, NULL);
		json_decref(tmp);
		if (rc < 0)
			goto out;
	}
	rc = apply_once(r, live_clean, applied, &e, manager, force, now, &run, &err);
	if (rc == -EBUSY && strcmp(manager, "kubectl") == 0) {
		/* lastAppliedManager: conflicts on fields kubectl's client-side apply set to what the
		 * object still holds are the upgrade from client-side to server-side apply, not conflicts */
		json_t *allowed = allowed_from_last_applied(r, live_clean);
		if (allowed) {
			size_t o = 0;
			for (size_t i = 0; i < run.conf.n; i++) {
				conflict_t *c = &run.conf.v[i];
				if (mf_set_has(allowed, (const char *const *)c->raw, c->n)) {
					free(c->identity);
					free(c->who);
					free(c->path);
					for (size_t j = 0; j < c->n; j++)
						free(c->raw[j]);
					free(c->raw);
					continue;
				}
				run.conf.v[o++] = *c;
			}
			run.conf.n = o;
			json_decref(allowed);
			if (o == 0) {
				run_free(&run);
				rc = apply_once(r, live_clean, applied, &e, manager, true, now, &run, &err);
			}
		}
	}
	if (rc == -EBUSY) {
		*ret_status = conflict_status(&run.conf);
		goto out;
	}
	if (rc == -EPROTO) {
		where = gvknn(r, applied);
		*ret_status = plain_error("failed to create typed patch object (%s): %s", where, err ? err : "invalid");
		goto out;
	}
	if (rc == -E2BIG) {
		*ret_status = status_too_large("the applied configuration is too deep or has too many list items");
		goto out;
	}
	if (rc < 0)
		goto out;
	if (strcmp(manager, "kubectl") == 0 && (rc = update_last_applied(run.obj, applied)) < 0)
		goto out;
	drop_nulls(run.obj, 0);
	if ((rc = mf_entries_encode(&run.e, &enc)) < 0)
		goto out;
	if (enc) {
		json_t *meta = json_object_get(run.obj, "metadata");
		if (!json_is_object(meta)) {
			meta = json_object();
			json_object_set_new(run.obj, "metadata", meta);
		}
		json_object_set_new(meta, "managedFields", enc);
	}
	*ret_obj = json_incref(run.obj);
	rc = 0;
out:
	(void)st;
	free(err);
	free(where);
	json_decref(live_clean);
	mf_entries_free(&e);
	run_free(&run);
	return rc;
}
