/* informer: client-go's reflector + indexer + shared informer in one, on a kclient's event loop.
 * Lists a collection, then watches it from the list's resourceVersion (allowWatchBookmarks), keeps a
 * local cache keyed "ns/name" (or "name" for cluster-scoped kinds) with secondary indexes, and calls
 * add/update/delete handlers. A 410 Expired (ERROR event or reply) means relist at once; a broken
 * list or watch relists/rewatches with back-off (1 s doubling to 30 s). Lists are paged (limit=500
 * and continue tokens, one consistent snapshot) so that no reply holds a whole big collection. */
#pragma once
#include <stdbool.h>

#include <jansson.h>

#include "client/kclient.h"

typedef struct informer informer_t;

/* Objects are borrowed for the call. on_update gets the previous and the new state; on_delete the
 * last known state. Handlers may read the cache (it already holds the new state) but must not free
 * the informer. */
typedef struct informer_handlers {
	void (*on_add)(informer_t *inf, const json_t *obj, void *arg);
	void (*on_update)(informer_t *inf, const json_t *old, const json_t *obj, void *arg);
	void (*on_delete)(informer_t *inf, const json_t *obj, void *arg);
	void *arg;
} informer_handlers_t;

/* An index function: the index values of obj, appended to ret_values (a JSON array of strings the
 * informer owns). Values repeated are fine. */
typedef void (*informer_index_fn)(const json_t *obj, json_t *ret_values, void *arg);

/* path: the collection, e.g. "/api/v1/pods" or "/apis/discovery.k8s.io/v1/endpointslices";
 * selector: an optional labelSelector (NULL for all). Nothing happens until informer_start().
 * *ret: caller frees with informer_free() (before the kclient). */
int informer_new(kclient_t *c, const char *path, const char *selector, informer_t **ret);
void informer_free(informer_t *inf); /* accepts NULL; pending requests are cancelled */

/* An optional fieldSelector (e.g. "spec.nodeName=node1": the kubelet's pod source) for the list and
 * the watch, set before informer_start(). 0, -EBUSY once started, -ENOMEM. */
int informer_set_field_selector(informer_t *inf, const char *selector);

/* A transform (client-go's SetTransform), set before informer_start(): called with every object the
 * list or the watch delivers, before it reaches the cache. It returns a new reference to what the
 * cache keeps instead — a slim copy holding only what the handlers read (start it with
 * informer_meta_copy(), which keeps the key and resourceVersion the informer needs), or
 * json_incref(obj) — or NULL to keep the object out of the cache: an object that leaves through
 * its transform is reported to on_delete as if it had been deleted. Why: a node agent watches every
 * Service and EndpointSlice of the cluster but needs a few fields of a few of them; jansson trees
 * of the whole objects cost ~10 KiB per Service with its slice. */
typedef json_t *(*informer_transform_fn)(const json_t *obj, void *arg);
int informer_set_transform(informer_t *inf, informer_transform_fn fn, void *arg);
/* {"metadata": {"name", "namespace", "resourceVersion"}} of obj (what exists of them): a new object,
 * NULL on ENOMEM. */
json_t *informer_meta_copy(const json_t *obj);
/* Lists again now (paged), replacing the cache and reporting differences, e.g. because what a
 * transform keeps has changed. Lists already in flight restart. No-op before informer_start(). */
void informer_relist(informer_t *inf);

/* Register before informer_start(). At most 16 handler sets and 16 indexes. -E2BIG beyond, -EEXIST for
 * an index name used twice, -EBUSY once started. */
int informer_add_handlers(informer_t *inf, const informer_handlers_t *h);
int informer_add_index(informer_t *inf, const char *name, informer_index_fn fn, void *arg);
int informer_start(informer_t *inf);

/* Applies one watch event ({"type": ADDED|MODIFIED|DELETED|BOOKMARK, "object": ...}) as if the
 * watch had delivered it: cache, indexes, handlers, resourceVersion. For tests and fakes (client-go's
 * fake informers); an unstarted informer stays unstarted. ev is borrowed; the cache takes a reference
 * to its object. ERROR events are ignored here. */
void informer_apply_event(informer_t *inf, json_t *ev);

/* True once the first list has been applied to the cache (and stays true across relists). */
bool informer_has_synced(const informer_t *inf);

/* The cached object for key ("ns/name"), borrowed until the next event loop turn; NULL if absent. */
const json_t *informer_get(const informer_t *inf, const char *key);
/* Every cached object: a JSON object key -> object, borrowed as above. Never NULL. */
const json_t *informer_cache(const informer_t *inf);
/* The keys of objects whose index `name` holds value: a JSON object key -> true, borrowed as above;
 * NULL when there are none (or no such index). */
const json_t *informer_index_keys(const informer_t *inf, const char *name, const char *value);

/* "ns/name" of an object (or "name" when it has no namespace) into a new string; NULL if it has no
 * name or on ENOMEM. Caller frees. */
char *informer_key_of(const json_t *obj);

/* The resourceVersion the cache reflects (the last list, event or bookmark); "" before the first list. */
const char *informer_resource_version(const informer_t *inf);

/* A ready-made index function: the metadata.namespace of the object (value "" when none). */
void informer_index_namespace(const json_t *obj, json_t *ret_values, void *arg);
