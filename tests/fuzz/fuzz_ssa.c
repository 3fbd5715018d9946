/* libFuzzer target for managedFields and server-side apply: the input is a live object, an applied
 * configuration and a managedFields list separated by NUL bytes, parsed as JSON. The list becomes
 * the live object's metadata.managedFields; then ssa_apply (forced and not), mf_update and the
 * FieldsV1 parser run on it for a kind picked by the input length. Checks that inputs are never
 * modified, that a success yields an object and a failure none, and that FieldsV1 round-trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/managed_fields.h"
#include "lib/ssa.h"

#define FUZZ_MAX_DOC (64 * 1024)

static json_t *part(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
	const uint8_t *stop = nul ? nul : end;
	json_t *j = json_loadb((const char *)*p, (size_t)(stop - *p), JSON_DECODE_ANY, NULL);

	*p = nul ? nul + 1 : end;
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	const k8s_resource_t *r;
	json_t *live, *cfg, *mf, *lc, *cc, *obj = NULL, *st = NULL, *upd, *set = NULL;
	char *err = NULL;
	int rc;

	if (size > 3 * FUZZ_MAX_DOC)
		return 0;
	r = &k8s_resources[size % k8s_resources_n];
	live = part(&p, end);
	cfg = part(&p, end);
	mf = part(&p, end);
	if (json_is_object(live) && mf) {
		json_t *meta = json_object_get(live, "metadata");
		if (!json_is_object(meta))
			json_object_set_new(live, "metadata", meta = json_object());
		json_object_set(meta, "managedFields", mf);
	}
	if (!json_is_object(live)) {
		json_decref(live);
		live = NULL;
	}
	lc = live ? json_deep_copy(live) : NULL;
	cc = cfg ? json_deep_copy(cfg) : NULL;
	for (int force = 0; force < 2 && cfg; force++) {
		rc = ssa_apply(r, live, cfg, force ? "kubectl" : "fuzz", force, 0, &obj, &st);
		if ((rc == 0) != (obj != NULL))
			abort();
		if (rc == 0 && !json_is_object(obj))
			abort();
		json_decref(obj);
		json_decref(st);
		obj = st = NULL;
	}
	if (live && cfg && json_is_object(cfg)) {
		upd = json_deep_copy(cfg);
		if (json_is_object(upd) && !json_is_object(json_object_get(upd, "metadata")))
			json_object_set_new(upd, "metadata", json_object());
		mf_update(r, upd, live, "fuzz", NULL, time(NULL));
		mf_update(r, upd, live, "fuzz", "status", time(NULL));
		json_decref(upd);
	}
	if (mf && mf_set_from_fields(mf, &set, &err) == 0) {
		json_t *f = mf_set_to_fields(set), *again = NULL;
		if (!f || mf_set_from_fields(f, &again, NULL) < 0 || !json_equal(again, set))
			abort();
		json_decref(f);
		json_decref(again);
		json_decref(set);
	}
	free(err);
	if ((live && !json_equal(live, lc)) || (cfg && !json_equal(cfg, cc)))
		abort();
	json_decref(lc);
	json_decref(cc);
	json_decref(live);
	json_decref(cfg);
	json_decref(mf);
	return 0;
}
