/* The durable backend behind the store's in-memory state: loads everything at start and commits
 * batches of writes atomically. SQLite (store_sqlite.c) now; etcd beside it later. Backends are called
 * from the store's commit thread (commit) and from store_open (open, load) only. */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct store_backend store_backend_t;

typedef struct store_backend_op {
	int op;              /* enum store_op */
	const char *key;
	const char *value;   /* NULL for delete */
	size_t value_len;
	int64_t mod_rev;     /* the revision assigned to this write */
	int64_t create_rev;
} store_backend_op_t;

typedef struct store_backend_ops {
	/* Opens (creating if needed) the backend. */
	int (*open)(const char *path, store_backend_t **ret);
	/* Calls fn for every stored key; returns the current revision through ret_rev. */
	int (*load)(store_backend_t *b, int (*fn)(const char *key, const char *value, size_t len,
						    int64_t mod_rev, int64_t create_rev, void *ud),
		    void *ud, int64_t *ret_rev);
	/* Applies ops in order and records rev as the current revision, atomically and durably
	 * (fsync'ed before return). On failure nothing of the batch is applied. */
	int (*commit)(store_backend_t *b, const store_backend_op_t *ops, size_t n, int64_t rev);
	void (*close)(store_backend_t *b);
} store_backend_ops_t;

extern const store_backend_ops_t store_sqlite_ops;
