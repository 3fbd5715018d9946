/* The embedded store backend: SQLite in WAL mode with synchronous=FULL, so a returned commit has been
 * fsync'ed to the WAL and survives kill -9 or power loss. Only the current state is kept on disk (the
 * history lives in the store's in-memory window), plus the current revision, which deletes bump too. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_backend.h"

struct store_backend {
	sqlite3 *db;
	/* Prepared once, reused for every batch: parsing SQL per write would cost more than the write. */
	sqlite3_stmt *begin, *commit, *rollback, *upsert, *del, *set_rev;
};

/* Maps SQLite result codes onto the negative errnos the store reports; the precise SQLite code is
 * lost, but callers only need to tell "disk full" or "I/O error" from "out of memory". */
static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -EIO;
	}
}

static int sqlite_exec(sqlite3 *db, const char *sql)
{
	return sqlite_errno(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

/* Runs a statement to completion and resets it, so a failed step never leaves a read transaction or
 * a statement journal open behind it. */
static int sqlite_step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sqlite_errno(rc);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static void sqlite_close(store_backend_t *b)
{
	if (!b)
		return;
	sqlite3_finalize(b->begin);
	sqlite3_finalize(b->commit);
	sqlite3_finalize(b->rollback);
	sqlite3_finalize(b->upsert);
	sqlite3_finalize(b->del);
	sqlite3_finalize(b->set_rev);
	/* sqlite3_close_v2 also checkpoints the WAL when we are the last connection; failures there
	 * lose nothing (the WAL stays and is replayed on the next open). */
	sqlite3_close_v2(b->db);
	free(b);
}

static int sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret)
{
	return sqlite_errno(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL));
}

static int sqlite_open(const char *path, store_backend_t **ret)
{
	store_backend_t *b;
	sqlite3_stmt *st = NULL;
	int r;

	if (!path || !*path)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	/* NOMUTEX: the connection is used by one thread at a time (store_open, then the commit thread),
	 * never concurrently, so SQLite's own connection mutex would be pure overhead. */
	r = sqlite_errno(sqlite3_open_v2(path, &b->db,
					 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL));
	if (r < 0 || !b->db) {
		r = r < 0 ? r : -ENOMEM;
		goto fail;
	}
	sqlite3_extended_result_codes(b->db, 1);

	/* journal_mode answers with the mode actually in effect: a filesystem without shared memory
	 * support would silently stay in rollback mode, which is durable but slower; accept both. */
	r = sqlite_prepare(b->db, "PRAGMA journal_mode=WAL", &st);
	if (r < 0)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = sqlite_errno(sqlite3_errcode(b->db));
		r = r < 0 ? r : -EIO;
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;

	/* FULL (not NORMAL) in WAL mode fsyncs the WAL on every commit: NORMAL would only be durable
	 * at checkpoints, and an acknowledged write must survive power loss, not just kill -9. */
	r = sqlite_exec(b->db, "PRAGMA synchronous=FULL");
	if (r < 0)
		goto fail;
	/* A second process (an operator's sqlite3 shell) may hold the lock briefly; wait, don't fail. */
	sqlite3_busy_timeout(b->db, 5000);
	r = sqlite_exec(b->db,
			"CREATE TABLE IF NOT EXISTS kv ("
			"  key TEXT PRIMARY KEY,"
			"  value BLOB NOT NULL,"
			"  mod_rev INTEGER NOT NULL,"
			"  create_rev INTEGER NOT NULL);"
			"CREATE TABLE IF NOT EXISTS meta ("
			"  name TEXT PRIMARY KEY,"
			"  value INTEGER NOT NULL);"
			"INSERT OR IGNORE INTO meta(name, value) VALUES('rev', 0);");
	if (r < 0)
		goto fail;

	/* IMMEDIATE takes the write lock at BEGIN, so a busy database fails the batch up front instead
	 * of half-way through it. */
	if ((r = sqlite_prepare(b->db, "BEGIN IMMEDIATE", &b->begin)) < 0 ||
	    (r = sqlite_prepare(b->db, "COMMIT", &b->commit)) < 0 ||
	    (r = sqlite_prepare(b->db, "ROLLBACK", &b->rollback)) < 0 ||
	    (r = sqlite_prepare(b->db,
				"INSERT INTO kv(key, value, mod_rev, create_rev) VALUES(?1, ?2, ?3, ?4) "
				"ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
				"mod_rev = excluded.mod_rev, create_rev = excluded.create_rev",
				&b->upsert)) < 0 ||
	    (r = sqlite_prepare(b->db, "DELETE FROM kv WHERE key = ?1", &b->del)) < 0 ||
	    (r = sqlite_prepare(b->db, "UPDATE meta SET value = ?1 WHERE name = 'rev'", &b->set_rev)) < 0)
		goto fail;

	*ret = b;
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite_close(b);
	return r;
}

static int sqlite_load(store_backend_t *b,
		       int (*fn)(const char *key, const char *value, size_t len, int64_t mod_rev,
				 int64_t create_rev, void *ud),
		       void *ud, int64_t *ret_rev)
{
	sqlite3_stmt *st = NULL;
	int64_t rev = 0;
	int rc, r;

	/* One read transaction, so the revision and the rows are one consistent snapshot. */
	r = sqlite_exec(b->db, "BEGIN");
	if (r < 0)
		return r;

	r = sqlite_prepare(b->db, "SELECT value FROM meta WHERE name = 'rev'", &st);
	if (r < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rev = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		r = sqlite_errno(rc);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	/* Key order, so the caller can build its index by appending. */
	r = sqlite_prepare(b->db, "SELECT key, value, mod_rev, create_rev FROM kv ORDER BY key", &st);
	if (r < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *val = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		int64_t mod_rev = sqlite3_column_int64(st, 2);
		int64_t create_rev = sqlite3_column_int64(st, 3);

		/* column_text returns NULL for NULL and on ENOMEM; a blob of length 0 is NULL too. */
		if (!key) {
			r = sqlite3_errcode(b->db) == SQLITE_NOMEM ? -ENOMEM : -EBADMSG;
			goto out;
		}
		if (!val)
			val = "";
		/* The meta row is the authority, but never hand out a revision below a stored one. */
		if (mod_rev > rev)
			rev = mod_rev;
		r = fn(key, val, (size_t)len, mod_rev, create_rev, ud);
		if (r < 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
	if (r == 0 && rc != SQLITE_DONE)
		r = -EIO;
out:
	sqlite3_finalize(st);
	sqlite_exec(b->db, "COMMIT");
	if (r == 0)
		*ret_rev = rev;
	return r;
}

static int sqlite_commit(store_backend_t *b, const store_backend_op_t *ops, size_t n, int64_t rev)
{
	int r;

	/* SQLite binds lengths as int. */
	for (size_t i = 0; i < n; i++)
		if (ops[i].value_len > INT_MAX)
			return -EFBIG;
	r = sqlite_step_reset(b->begin);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const store_backend_op_t *op = &ops[i];
		sqlite3_stmt *st;

		if (op->op == STORE_DELETE) {
			st = b->del;
			sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
		} else {
			st = b->upsert;
			sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
			/* STATIC: the store keeps the value alive until commit returns; no copy. */
			sqlite3_bind_blob(st, 2, op->value ? op->value : "", (int)op->value_len,
					  SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, op->mod_rev);
			sqlite3_bind_int64(st, 4, op->create_rev);
		}
		r = sqlite_step_reset(st);
		if (r < 0)
			goto fail;
	}
	sqlite3_bind_int64(b->set_rev, 1, rev);
	r = sqlite_step_reset(b->set_rev);
	if (r < 0)
		goto fail;
	r = sqlite_step_reset(b->commit);
	if (r < 0)
		goto fail;
	return 0;
fail:
	/* A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); roll back so nothing of the
	 * batch is applied and the next batch starts clean. If SQLite already rolled back, this fails
	 * harmlessly. */
	if (!sqlite3_get_autocommit(b->db))
		sqlite_step_reset(b->rollback);
	return r;
}

const store_backend_ops_t store_sqlite_ops = {
	.open = sqlite_open,
	.load = sqlite_load,
	.commit = sqlite_commit,
	.close = sqlite_close,
};
