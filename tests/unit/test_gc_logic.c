/* Garbage collector decisions (controllers/gc_logic.c): dependents of gone owners are deleted
 * (foreground when an owner waits for them), dangling references dropped, and the orphan and
 * foregroundDeletion finalizers of owners handled in upstream's order. */
#include <string.h>

#include "controllers/gc_logic.h"
#include "harness.h"

static void test_decide(void)
{
	gc_owner_state_t s1[] = { GC_OWNER_ABSENT };
	gc_owner_state_t s2[] = { GC_OWNER_EXISTS, GC_OWNER_ABSENT };
	gc_owner_state_t s3[] = { GC_OWNER_FOREGROUND, GC_OWNER_ABSENT };
	gc_owner_state_t s4[] = { GC_OWNER_ABSENT, GC_OWNER_UNKNOWN };
	gc_owner_state_t s5[] = { GC_OWNER_EXISTS };

	CHECK_INT(gc_decide(s1, 1), GC_DELETE_BACKGROUND);
	CHECK_INT(gc_decide(s2, 2), GC_DROP_DANGLING);
	CHECK_INT(gc_decide(s3, 2), GC_DELETE_FOREGROUND);
	CHECK_INT(gc_decide(s4, 2), GC_KEEP);
	CHECK_INT(gc_decide(s5, 1), GC_KEEP);
	CHECK_INT(gc_decide(NULL, 0), GC_KEEP);
}

static void test_owner_next(void)
{
	json_t *o = json_pack("{s:{s:s, s:s, s:[s, s]}}", "metadata", "name", "d", "deletionTimestamp",
			      "2024-01-01T00:00:00Z", "finalizers", "orphan", "foregroundDeletion");
	json_t *live = json_pack("{s:{s:s, s:[s]}}", "metadata", "name", "d", "finalizers", "orphan");
	const char *fin = NULL;
	json_t *c;

	CHECK_INT(gc_owner_next(live, 3, 3, &fin), GC_OWNER_NOTHING);
	CHECK_INT(gc_owner_next(o, 2, 2, &fin), GC_OWNER_ORPHAN_DEPENDENTS);
	CHECK_INT(gc_owner_next(o, 0, 0, &fin), GC_OWNER_REMOVE_FINALIZER);
	CHECK_STR(fin, "orphan");
	c = gc_without_finalizer(o, "orphan");
	CHECK(!gc_has_finalizer(c, "orphan") && gc_has_finalizer(c, "foregroundDeletion"));
	CHECK_INT(gc_owner_next(c, 2, 1, &fin), GC_OWNER_DELETE_DEPENDENTS);
	/* only blocking dependents hold a foreground deletion */
	CHECK_INT(gc_owner_next(c, 2, 0, &fin), GC_OWNER_REMOVE_FINALIZER);
	CHECK_STR(fin, "foregroundDeletion");
	json_decref(c);
	c = gc_without_finalizer(o, "foregroundDeletion");
	json_decref(o);
	o = gc_without_finalizer(c, "orphan");
	CHECK(json_object_get(json_object_get(o, "metadata"), "finalizers") == NULL);
	json_decref(c);
	json_decref(o);
	json_decref(live);
}

static void test_without_owners(void)
{
	json_t *o = json_pack("{s:{s:[{s:s}, {s:s}]}}", "metadata", "ownerReferences", "uid", "a", "uid", "b");
	json_t *drop = json_pack("{s:b}", "a", 1), *all = json_pack("{s:b, s:b}", "a", 1, "b", 1), *c;

	c = gc_without_owners(o, drop);
	CHECK_INT(json_array_size(json_object_get(json_object_get(c, "metadata"), "ownerReferences")), 1);
	CHECK_STR(json_string_value(json_object_get(
			  json_array_get(json_object_get(json_object_get(c, "metadata"), "ownerReferences"), 0), "uid")),
		  "b");
	json_decref(c);
	c = gc_without_owners(o, all);
	CHECK(json_object_get(json_object_get(c, "metadata"), "ownerReferences") == NULL);
	CHECK_INT(json_array_size(json_object_get(json_object_get(o, "metadata"), "ownerReferences")), 2);
	json_decref(c);
	json_decref(o);
	json_decref(drop);
	json_decref(all);
}

int main(void)
{
	TEST_RUN(test_decide);
	TEST_RUN(test_owner_next);
	TEST_RUN(test_without_owners);
	TEST_DONE();
}
