/* The store: a revisioned key-value space holding every API object, with an in-memory copy of the
 * current state (reads never touch the disk), a window of recent events for watches, and a backend
 * (SQLite now, etcd later, see store_backend.h) that makes writes durable.
 *
 * Threading: every function here is called from the one event-loop thread that owns the store.
 * Writes are asynchronous: store_write() checks its precondition against the latest state (including
 * writes still being committed), assigns the next revision at once, and queues the write; a commit
 * thread makes queued writes durable in one transaction per batch (group commit), then the loop thread
 * applies them to the readable state, feeds the watchers, and calls each write's done callback, in
 * revision order. Reads and watches only ever see committed (durable) writes.
 *
 * Keys look like "/registry/<group>/<plural>/<namespace>/<name>" (see api/), values are compact JSON
 * text. A key's mod_rev is the revision of its last write, create_rev the one that created it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
typedef struct store store_t;
typedef struct store_watch store_watch_t;

/* Errors beyond errno: a revision older than the event window (-> 410 Gone / Expired). */
#define STORE_E_COMPACTED (-10001)

/* A reference-counted immutable value (JSON text, NUL-terminated). Shared between the current state,
 * the event window and readers: take a reference to keep one past the current callback. refs is a
 * plain int: take and drop references on the loop thread only (the commit thread only reads data). */
typedef struct store_val {
	int refs;
	size_t len;
	char data[];
} store_val_t;

store_val_t *store_val_new(const char *data, size_t len); /* refs = 1; NULL on ENOMEM */
store_val_t *store_val_ref(store_val_t *v);
void store_val_unref(store_val_t *v); /* accepts NULL */

typedef struct store_kv {
	const char *key;
	store_val_t *val; /* borrowed: valid until control returns to the event loop */
	int64_t mod_rev;
	int64_t create_rev;
} store_kv_t;

typedef struct store_opts {
	const char *path;       /* SQLite database file, e.g. DATA/state.db */
	size_t window_events;   /* events kept for watches (bounded history); 0 = default 10000 */
} store_opts_t;

/* Opens the backend, loads the current state into memory, starts the commit thread.
 * Completions are delivered on base, which must have been created after evthread_use_pthreads()
 * (the commit thread activates an event on it). That event is never added, so it does not keep
 * event_base_dispatch() running on its own: a loop with nothing else to wait for must use
 * EVLOOP_NO_EXIT_ON_EMPTY or a timer while writes are in flight. */
int store_open(struct event_base *base, const store_opts_t *opts, store_t **ret);
/* The same with another backend than SQLite (etcd later; tests wrap SQLite to inject failures). ops is
 * borrowed until store_close(). */
struct store_backend_ops;
int store_open_backend(struct event_base *base, const store_opts_t *opts, const struct store_backend_ops *ops,
		       store_t **ret);
/* Waits for queued writes to commit, stops the commit thread, frees everything. Accepts NULL.
 * The done callbacks of writes still queued run inside store_close() (err 0 if they committed);
 * store_write() from then on returns -ESHUTDOWN. Watches still registered are freed: unwatch first if
 * their owners need to know. Must not be called from a store callback. */
void store_close(store_t *s);

/* Last committed revision (what a list or get at "now" returns as resourceVersion). */
int64_t store_rev(const store_t *s);
/* Oldest revision a watch or a paginated list may start from (older -> STORE_E_COMPACTED): the
 * revision of the newest event dropped from the window, or the revision loaded at open (right after
 * open only "now" is available, so this equals store_rev()). Note: revisions handed to writes that
 * then failed are never reused, so revisions have gaps; they are still strictly increasing. */
int64_t store_oldest_rev(const store_t *s);

/* Committed value of key; -ENOENT when absent. ret->val is borrowed. */
int store_get(store_t *s, const char *key, store_kv_t *ret);

/* Calls fn for each committed key with the given prefix, in byte order of keys, starting strictly
 * after start_after (NULL or "" = from the first), as the state was at revision rev (0 = now).
 * fn returns 0 to go on, > 0 to stop early (store_list then returns 0), < 0 to abort (returned).
 * A rev older than store_oldest_rev() gives STORE_E_COMPACTED; a rev newer than store_rev() -EINVAL. */
typedef int (*store_list_fn)(const store_kv_t *kv, void *userdata);
int store_list(store_t *s, const char *prefix, const char *start_after, int64_t rev, store_list_fn fn,
	       void *userdata);
/* Number of committed keys under prefix now (for metrics and limits): O(1) for "" or NULL, else a
 * walk over the prefix (~10 us per 1,000 keys). */
size_t store_count(store_t *s, const char *prefix);

/* --- writes --- */
enum store_op { STORE_CREATE, STORE_UPDATE, STORE_DELETE };

/* Builds the value to store once the revision is known (so the object can carry its
 * metadata.resourceVersion). Returns a new value (the store takes it) or NULL for ENOMEM.
 * For STORE_DELETE it builds the object that the DELETED watch event carries. prev is the
 * latest value of the key (NULL for a create). Called synchronously inside store_write().
 * build may be NULL for STORE_DELETE: the DELETED event then carries the last value. */
typedef store_val_t *(*store_build_fn)(int64_t rev, const store_val_t *prev, void *userdata);
/* Called on the loop thread once the write is durable (err = 0, rev = its revision) or failed
 * (err < 0). Called exactly once for every store_write() that returned 0, never from inside it. */
typedef void (*store_done_fn)(int err, int64_t rev, void *userdata);

typedef struct store_write {
	enum store_op op;
	const char *key;
	/* Precondition, checked against the latest state including queued writes:
	 * CREATE: the key must not exist (else -EEXIST).
	 * UPDATE/DELETE: the key must exist (else -ENOENT); when expect_rev > 0 its mod_rev must
	 * equal it (else -ESTALE). */
	int64_t expect_rev;
	store_build_fn build;
	store_done_fn done;
	void *userdata;
} store_write_t;

/* Checks the precondition and queues the write. Returns 0 (done will be called later) or a negative
 * errno at once (-EEXIST, -ENOENT, -ESTALE, -ENOMEM; done is then not called). When ret_rev is not
 * NULL it receives the assigned revision. */
int store_write(store_t *s, const store_write_t *w, int64_t *ret_rev);

/* Latest value of key including queued (not yet durable) writes: what a precondition is checked
 * against. For read-modify-write loops in the API (update, patch) so a retry sees its own queue.
 * -ENOENT when absent or deleted. ret->val is borrowed. */
int store_get_latest(store_t *s, const char *key, store_kv_t *ret);

/* --- watches --- */
enum store_ev_type { STORE_EV_ADDED, STORE_EV_MODIFIED, STORE_EV_DELETED };

typedef struct store_event {
	enum store_ev_type type;
	const char *key;
	store_val_t *val;  /* the new value; for DELETED the object built by the delete's build fn */
	store_val_t *prev; /* the value before this event; NULL for ADDED */
	int64_t rev;
} store_event_t;

/* fn is called for every committed event under prefix with rev > from_rev: first, synchronously
 * inside store_watch(), those already in the window, then each new one as it commits. from_rev 0
 * means now (store_rev()), as for store_list(). Returns STORE_E_COMPACTED when
 * from_rev < store_oldest_rev() (events were dropped), -EINVAL when from_rev > store_rev().
 * The event and its values are borrowed for the duration of the call (take a reference to keep a
 * value). The handle is only known once store_watch() returns, so fn cannot unwatch itself during
 * the initial replay; it may later. */
typedef void (*store_watch_fn)(const store_event_t *ev, void *userdata);
int store_watch(store_t *s, const char *prefix, int64_t from_rev, store_watch_fn fn, void *userdata,
		store_watch_t **ret);
/* Stops a watch; fn is not called again. Safe to call from inside fn. Accepts NULL. */
void store_unwatch(store_watch_t *w);

/* Statistics for /metrics. */
typedef struct store_stats {
	uint64_t commits, writes, commit_usec_total;
	uint64_t commit_usec_hist[12]; /* buckets: <=100us,250,500,1ms,2.5,5,10,25,50,100,250,+Inf */
	size_t keys, window_events, watches;
} store_stats_t;
void store_get_stats(const store_t *s, store_stats_t *ret);
