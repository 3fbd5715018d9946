/* The garbage collector's pure part (upstream pkg/controller/garbagecollector: attemptToDeleteItem,
 * processDeletingDependentsItem, orphanDependents): what to do with a dependent given the states of
 * its owners, and with an owner that carries the foregroundDeletion or orphan finalizer. No I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define GC_FINALIZER_FOREGROUND "foregroundDeletion"
#define GC_FINALIZER_ORPHAN     "orphan"

typedef enum gc_owner_state {
	GC_OWNER_EXISTS,     /* present with the uid the reference names */
	GC_OWNER_ABSENT,     /* gone, or replaced by an object with another uid */
	GC_OWNER_FOREGROUND, /* present, being deleted with the foregroundDeletion finalizer */
	GC_OWNER_UNKNOWN,    /* a kind we cannot look up: never acted on */
} gc_owner_state_t;

typedef enum gc_action {
	GC_KEEP,
	GC_DELETE_BACKGROUND, /* every owner is gone */
	GC_DELETE_FOREGROUND, /* no owner left but one being deleted in the foreground: go first */
	GC_DROP_DANGLING,     /* some owners live on: remove the references to the absent ones */
} gc_action_t;

/* states[i] for the i-th ownerReference. No references: GC_KEEP. */
gc_action_t gc_decide(const gc_owner_state_t *states, size_t n);

typedef enum gc_owner_action {
	GC_OWNER_NOTHING,
	GC_OWNER_ORPHAN_DEPENDENTS,   /* remove our reference from each dependent */
	GC_OWNER_DELETE_DEPENDENTS,   /* foreground: delete the dependents, wait for them */
	GC_OWNER_REMOVE_FINALIZER,    /* done: drop the finalizer named by *ret_finalizer */
} gc_owner_action_t;

/* For owner (being deleted, i.e. with deletionTimestamp) with n_dependents objects still referring
 * to it, of which n_blocking have blockOwnerDeletion: the orphan finalizer is handled first (as
 * upstream), then foregroundDeletion, which waits only for blocking dependents. ret_finalizer:
 * borrowed constant. */
gc_owner_action_t gc_owner_next(const json_t *owner, size_t n_dependents, size_t n_blocking,
				const char **ret_finalizer);

/* True when obj's metadata.finalizers holds name. */
bool gc_has_finalizer(const json_t *obj, const char *name);
/* A copy of obj without finalizer name; new reference, NULL on ENOMEM. */
json_t *gc_without_finalizer(const json_t *obj, const char *name);
/* A copy of obj whose ownerReferences no longer name any uid in drop (an object uid -> true);
 * an emptied list is removed. New reference, NULL on ENOMEM. */
json_t *gc_without_owners(const json_t *obj, const json_t *drop);
