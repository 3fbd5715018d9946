/* Unit tests for the store: revisions, preconditions against queued writes, ordered and old-revision
 * lists, the event window and watches, reopen, commit failures (through a failing backend wrapper). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "harness.h"
#include "store/store.h"
#include "store/store_backend.h"

static struct event_base *base;
static char dir[64], dbpath[128];

static void db_remove(void)
{
	char p[160];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- waiting for completions --- */

static bool timed_out;

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	timed_out = true;
}

/* Runs the loop until *counter reaches target; false after 10 s (a lost completion). */
static bool wait_for(const int *counter, int target)
{
	struct timeval tv = { 10, 0 };
	struct event *t = evtimer_new(base, on_timeout, NULL);

	timed_out = false;
	evtimer_add(t, &tv);
	while (*counter < target && !timed_out)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return *counter >= target;
}

/* --- writes --- */

struct wr {
	int err;
	int64_t rev;
	int *counter;
	int order; /* completion order, to check revision order */
};

static int done_seq;

static void on_done(int err, int64_t rev, void *ud)
{
	struct wr *w = ud;

	w->err = err;
	w->rev = rev;
	w->order = ++done_seq;
	(*w->counter)++;
}

/* Values are {"rv":REV,"v":"TEXT"}: the revision inside shows build ran with the assigned one. */
static store_val_t *build_text(int64_t rev, const store_val_t *prev, void *ud)
{
	const char *text = ((const char **)ud)[1];
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"%s\"}", rev, text ? text : "");

	return store_val_new(buf, (size_t)n);
}

/* Userdata of the helpers below: { struct wr *, text }, for on_done_slot and build_text. */
static void on_done_slot(int err, int64_t rev, void *ud)
{
	on_done(err, rev, (void *)((const char **)ud)[0]);
}

/* A write with its userdata in static-lifetime storage supplied by the caller. */
static int write_async(store_t *s, enum store_op op, const char *key, int64_t expect, const char *text,
		       struct wr *w, int *counter, int64_t *ret_rev)
{
	static const char *slots[4096][2];
	static size_t next;
	const char **ud = slots[next++ % 4096];
	store_write_t sw = { .op = op, .key = key, .expect_rev = expect, .build = build_text,
			     .done = on_done_slot, .userdata = NULL };

	/* The done callback needs w and build needs text: keep both behind one pointer. */
	ud[0] = (const char *)w;
	ud[1] = text;
	w->counter = counter;
	w->err = 1;
	sw.userdata = ud;
	return store_write(s, &sw, ret_rev);
}

static int write_sync(store_t *s, enum store_op op, const char *key, int64_t expect, const char *text,
		      int64_t *ret_rev)
{
	static const char *ud[2];
	struct wr w = { 0 };
	int counter = 0, r;
	store_write_t sw = { .op = op, .key = key, .expect_rev = expect, .build = build_text,
			     .done = on_done_slot, .userdata = ud };

	ud[0] = (const char *)&w;
	ud[1] = text;
	w.counter = &counter;
	r = store_write(s, &sw, NULL);
	if (r < 0)
		return r;
	if (!wait_for(&counter, 1))
		return -ETIMEDOUT;
	if (w.err == 0 && ret_rev)
		*ret_rev = w.rev;
	return w.err;
}

static store_t *open_store(size_t window)
{
	store_opts_t o = { .path = dbpath, .window_events = window };
	store_t *s = NULL;
	int r = store_open(base, &o, &s);

	CHECK_INT(r, 0);
	return s;
}

static store_t *fresh_store(size_t window)
{
	db_remove();
	return open_store(window);
}

/* --- list collection --- */

struct coll {
	char keys[64][64];
	int64_t mod[64], create[64];
	char vals[64][128];
	int n, stop_after;
};

static int collect(const store_kv_t *kv, void *ud)
{
	struct coll *c = ud;

	if (c->n < 64) {
		snprintf(c->keys[c->n], sizeof(c->keys[0]), "%s", kv->key);
		snprintf(c->vals[c->n], sizeof(c->vals[0]), "%s", kv->val->data);
		c->mod[c->n] = kv->mod_rev;
		c->create[c->n] = kv->create_rev;
	}
	c->n++;
	if (c->stop_after && c->n >= c->stop_after)
		return 1;
	return 0;
}

static int collect_fail(const store_kv_t *kv, void *ud)
{
	return -EMLINK;
}

static void val_expect(const store_val_t *v, int64_t rev, const char *text)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"%s\"}", rev, text);
	CHECK(v != NULL);
	if (v)
		CHECK_STR(v->data, buf);
}

/* --- tests --- */

static void test_crud(void)
{
	store_t *s = fresh_store(0);
	store_kv_t kv;
	struct wr w = { 0 };
	int counter = 0;
	int64_t r1 = 0, r2 = 0, r3 = 0, q = 0;
	const char *ud[2] = { (const char *)&w, "one" };

	CHECK_INT(store_rev(s), 0);
	w.counter = &counter;
	CHECK_INT(store_write(s, &(store_write_t){ .op = STORE_CREATE, .key = "/a", .build = build_text,
						   .done = on_done_slot, .userdata = ud },
			      &q),
		  0);
	CHECK_INT(q, 1);
	/* Queued, not durable: invisible to reads, visible to preconditions. */
	CHECK_INT(store_get(s, "/a", &kv), -ENOENT);
	CHECK_INT(store_get_latest(s, "/a", &kv), 0);
	CHECK_INT(kv.mod_rev, 1);
	CHECK_INT(store_rev(s), 0);
	CHECK(wait_for(&counter, 1));
	CHECK_INT(w.err, 0);
	r1 = w.rev;
	CHECK_INT(r1, 1);
	CHECK_INT(store_rev(s), 1);
	CHECK_INT(store_get(s, "/a", &kv), 0);
	CHECK_STR(kv.key, "/a");
	CHECK_INT(kv.mod_rev, r1);
	CHECK_INT(kv.create_rev, r1);
	val_expect(kv.val, r1, "one");

	CHECK_INT(write_sync(s, STORE_UPDATE, "/a", 0, "two", &r2), 0);
	CHECK(r2 > r1);
	CHECK_INT(store_get(s, "/a", &kv), 0);
	CHECK_INT(kv.mod_rev, r2);
	CHECK_INT(kv.create_rev, r1);
	val_expect(kv.val, r2, "two");

	CHECK_INT(write_sync(s, STORE_DELETE, "/a", r2, "gone", &r3), 0);
	CHECK(r3 > r2);
	CHECK_INT(store_get(s, "/a", &kv), -ENOENT);
	CHECK_INT(store_get_latest(s, "/a", &kv), -ENOENT);
	CHECK_INT(store_rev(s), r3);
	CHECK_INT(store_count(s, ""), 0);

	/* Recreate: a new create_rev. */
	CHECK_INT(write_sync(s, STORE_CREATE, "/a", 0, "again", &r1), 0);
	CHECK(r1 > r3);
	CHECK_INT(store_get(s, "/a", &kv), 0);
	CHECK_INT(kv.create_rev, r1);

	/* Bad arguments. */
	CHECK_INT(store_write(s, &(store_write_t){ .op = STORE_CREATE, .key = "", .build = build_text,
						   .done = on_done },
			      NULL),
		  -EINVAL);
	CHECK_INT(store_write(s, &(store_write_t){ .op = STORE_UPDATE, .key = "/a", .done = on_done }, NULL),
		  -EINVAL);
	store_close(s);
}

static void test_preconditions(void)
{
	store_t *s = fresh_store(0);
	struct wr w[8] = { { 0 } };
	int counter = 0;
	int64_t ra = 0, rq1 = 0, rq2 = 0, rq3 = 0;
	store_kv_t kv;

	CHECK_INT(write_sync(s, STORE_CREATE, "/p/0", 0, "0", NULL), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/p/a", 0, "a", &ra), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/p/a", 0, "a", NULL), -EEXIST);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/p/none", 0, "x", NULL), -ENOENT);
	CHECK_INT(write_sync(s, STORE_DELETE, "/p/none", 0, "x", NULL), -ENOENT);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/p/a", ra + 100, "x", NULL), -ESTALE);
	CHECK_INT(write_sync(s, STORE_DELETE, "/p/a", ra - 1, "x", NULL), -ESTALE);

	/* Against queued, uncommitted writes: none of these run the loop in between. */
	CHECK_INT(write_async(s, STORE_CREATE, "/p/b", 0, "b", &w[0], &counter, &rq1), 0);
	CHECK_INT(write_async(s, STORE_CREATE, "/p/b", 0, "b", &w[1], &counter, NULL), -EEXIST);
	/* An update expecting the committed rev of /p/a goes; a second one expecting it is stale. */
	CHECK_INT(write_async(s, STORE_UPDATE, "/p/a", ra, "a2", &w[1], &counter, &rq2), 0);
	CHECK_INT(write_async(s, STORE_UPDATE, "/p/a", ra, "a3", &w[2], &counter, NULL), -ESTALE);
	/* Expecting the queued revision is right. */
	CHECK_INT(write_async(s, STORE_DELETE, "/p/a", rq2, "del", &w[2], &counter, &rq3), 0);
	CHECK_INT(write_async(s, STORE_UPDATE, "/p/a", 0, "x", &w[3], &counter, NULL), -ENOENT);
	CHECK_INT(store_get_latest(s, "/p/a", &kv), -ENOENT);
	CHECK_INT(store_get(s, "/p/a", &kv), 0); /* still committed */
	CHECK_INT(write_async(s, STORE_CREATE, "/p/a", 0, "reborn", &w[3], &counter, NULL), 0);
	CHECK(rq1 < rq2 && rq2 < rq3);

	CHECK(wait_for(&counter, 4));
	for (int i = 0; i < 4; i++)
		CHECK_INT(w[i].err, 0);
	/* Done callbacks in revision order. */
	CHECK(w[0].order < w[1].order && w[1].order < w[2].order && w[2].order < w[3].order);
	CHECK(w[0].rev < w[1].rev && w[1].rev < w[2].rev && w[2].rev < w[3].rev);
	CHECK_INT(store_get(s, "/p/a", &kv), 0);
	val_expect(kv.val, w[3].rev, "reborn");
	CHECK_INT(kv.create_rev, w[3].rev);
	CHECK_INT(store_rev(s), w[3].rev);
	store_close(s);
}

static void test_list(void)
{
	static const char *keys[] = { "/r/a/3", "/r/a/1", "/r/b/1", "/r/ab", "/r/a/2", "/r/a/5", "/r/a/4", "/q" };
	store_t *s = fresh_store(0);
	struct coll c;
	int64_t rev;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_INT(write_sync(s, STORE_CREATE, keys[i], 0, keys[i], &rev), 0);

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/r/a/", NULL, 0, collect, &c), 0);
	CHECK_INT(c.n, 5);
	CHECK_STR(c.keys[0], "/r/a/1");
	CHECK_STR(c.keys[1], "/r/a/2");
	CHECK_STR(c.keys[4], "/r/a/5");
	CHECK_INT(c.mod[0], 2);

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/r/", NULL, 0, collect, &c), 0);
	CHECK_INT(c.n, 7);
	CHECK_STR(c.keys[5], "/r/ab"); /* byte order: '/' < 'b' */
	CHECK_STR(c.keys[6], "/r/b/1");

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/r/a/", "/r/a/2", 0, collect, &c), 0);
	CHECK_INT(c.n, 3);
	CHECK_STR(c.keys[0], "/r/a/3");

	/* start_after before the prefix, and a key not present. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/r/a/", "/a", 0, collect, &c), 0);
	CHECK_INT(c.n, 5);
	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/r/a/", "/r/a/25", 0, collect, &c), 0);
	CHECK_INT(c.n, 3);

	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	CHECK_INT(store_list(s, "/r/a/", NULL, 0, collect, &c), 0);
	CHECK_INT(c.n, 2);
	CHECK_INT(store_list(s, "/r/", NULL, 0, collect_fail, NULL), -EMLINK);

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "", NULL, rev, collect, &c), 0);
	CHECK_INT(c.n, 8);
	CHECK_STR(c.keys[0], "/q");
	CHECK_INT(store_list(s, "", NULL, rev + 1, collect, &c), -EINVAL);

	CHECK_INT(store_count(s, "/r/a/"), 5);
	CHECK_INT(store_count(s, "/r/"), 7);
	CHECK_INT(store_count(s, ""), 8);
	CHECK_INT(store_count(s, "/zz"), 0);
	store_close(s);
}

static void test_list_old_rev(void)
{
	store_t *s = fresh_store(0);
	int64_t r0, r1, r2, r3, ra, rb, rc;
	struct coll c;

	CHECK_INT(write_sync(s, STORE_CREATE, "/o/a", 0, "a", &ra), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/o/b", 0, "b", &rb), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/o/c", 0, "c", &rc), 0);
	r0 = store_rev(s);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/o/b", 0, "b2", &r1), 0);
	CHECK_INT(write_sync(s, STORE_DELETE, "/o/a", 0, "x", &r2), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/o/d", 0, "d", &r3), 0);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/o/b", 0, "b3", NULL), 0);
	CHECK_INT(write_sync(s, STORE_DELETE, "/o/c", 0, "x", NULL), 0);

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/o/", NULL, r0, collect, &c), 0);
	CHECK_INT(c.n, 3);
	CHECK_STR(c.keys[0], "/o/a");
	CHECK_STR(c.keys[1], "/o/b");
	CHECK_STR(c.keys[2], "/o/c");
	CHECK_INT(c.mod[0], ra);
	CHECK_INT(c.mod[1], rb);
	CHECK_INT(c.create[1], rb);
	CHECK_INT(c.mod[2], rc);
	{
		char buf[64];

		snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"b\"}", rb);
		CHECK_STR(c.vals[1], buf);
	}

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/o/", NULL, r2, collect, &c), 0);
	CHECK_INT(c.n, 2);
	CHECK_STR(c.keys[0], "/o/b");
	CHECK_INT(c.mod[0], r1);
	CHECK_STR(c.keys[1], "/o/c");

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/o/", NULL, r3, collect, &c), 0);
	CHECK_INT(c.n, 3);
	CHECK_STR(c.keys[2], "/o/d");

	/* Pagination at one old revision: start_after and early stop. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	CHECK_INT(store_list(s, "/o/", "/o/a", r0, collect, &c), 0);
	CHECK_INT(c.n, 1);
	CHECK_STR(c.keys[0], "/o/b");
	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/o/", "/o/b", r0, collect, &c), 0);
	CHECK_INT(c.n, 1);
	CHECK_STR(c.keys[0], "/o/c");
	CHECK_INT(store_list(s, "/o/", NULL, r0, collect_fail, NULL), -EMLINK);

	/* Now: only b and d. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/o/", NULL, 0, collect, &c), 0);
	CHECK_INT(c.n, 2);
	CHECK_STR(c.keys[0], "/o/b");
	CHECK_STR(c.keys[1], "/o/d");
	store_close(s);
}

/* --- watches --- */

struct evlog {
	int n;
	enum store_ev_type type[64];
	int64_t rev[64];
	char key[64][32];
	char val[64][96], prev[64][96];
	store_watch_t *self, *other;
	int unwatch_self_at, unwatch_other_at;
	store_t *s;
	struct evlog *spawn; /* watch to create from inside the callback */
	store_watch_t *spawned;
	int spawn_at;
};

static void on_event(const store_event_t *ev, void *ud)
{
	struct evlog *l = ud;

	if (l->n < 64) {
		l->type[l->n] = ev->type;
		l->rev[l->n] = ev->rev;
		snprintf(l->key[l->n], sizeof(l->key[0]), "%s", ev->key);
		snprintf(l->val[l->n], sizeof(l->val[0]), "%s", ev->val ? ev->val->data : "(null)");
		snprintf(l->prev[l->n], sizeof(l->prev[0]), "%s", ev->prev ? ev->prev->data : "(null)");
	}
	l->n++;
	if (l->unwatch_self_at && l->n == l->unwatch_self_at)
		store_unwatch(l->self);
	if (l->unwatch_other_at && l->n == l->unwatch_other_at)
		store_unwatch(l->other);
	if (l->spawn && l->n == l->spawn_at)
		CHECK_INT(store_watch(l->s, "/w/", ev->rev - 1, on_event, l->spawn, &l->spawned), 0);
}

static void test_watch(void)
{
	store_t *s = fresh_store(0);
	struct evlog all = { 0 }, wa = { 0 }, old = { 0 }, selfu = { 0 }, otheru = { 0 }, victim = { 0 },
		     spawned = { 0 }, parent = { 0 };
	store_watch_t *hall, *hwa, *hold, *hvictim, *hother, *hparent;
	int64_t r1, r2, r3, r4, base_rev;
	char buf[96];

	CHECK_INT(write_sync(s, STORE_CREATE, "/w/pre", 0, "pre", &r1), 0);
	base_rev = store_rev(s);

	/* From 0 = now: nothing replayed. */
	CHECK_INT(store_watch(s, "/w/", 0, on_event, &all, &hall), 0);
	CHECK_INT(all.n, 0);
	CHECK_INT(store_watch(s, "/w/a", base_rev, on_event, &wa, &hwa), 0);
	CHECK_INT(store_watch(s, "/w/", base_rev + 1, on_event, &old, &hold), -EINVAL);

	selfu.unwatch_self_at = 2;
	CHECK_INT(store_watch(s, "", 0, on_event, &selfu, &selfu.self), 0);
	CHECK_INT(store_watch(s, "/w/", 0, on_event, &victim, &hvictim), 0);
	otheru.other = hvictim;
	otheru.unwatch_other_at = 1;
	CHECK_INT(store_watch(s, "/w/", 0, on_event, &otheru, &hother), 0);
	parent.s = s;
	parent.spawn = &spawned;
	parent.spawn_at = 2;
	CHECK_INT(store_watch(s, "/w/", 0, on_event, &parent, &hparent), 0);

	CHECK_INT(write_sync(s, STORE_CREATE, "/w/a1", 0, "x", &r2), 0);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/w/a1", 0, "y", &r3), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/other", 0, "o", NULL), 0);
	CHECK_INT(write_sync(s, STORE_DELETE, "/w/pre", 0, "bye", &r4), 0);

	CHECK_INT(all.n, 3);
	CHECK_INT(all.type[0], STORE_EV_ADDED);
	CHECK_INT(all.rev[0], r2);
	CHECK_STR(all.key[0], "/w/a1");
	CHECK_STR(all.prev[0], "(null)");
	CHECK_INT(all.type[1], STORE_EV_MODIFIED);
	CHECK_INT(all.rev[1], r3);
	snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"x\"}", r2);
	CHECK_STR(all.prev[1], buf);
	snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"y\"}", r3);
	CHECK_STR(all.val[1], buf);
	CHECK_INT(all.type[2], STORE_EV_DELETED);
	CHECK_STR(all.key[2], "/w/pre");
	snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"bye\"}", r4);
	CHECK_STR(all.val[2], buf); /* the delete's built object */
	snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"v\":\"pre\"}", r1);
	CHECK_STR(all.prev[2], buf);

	CHECK_INT(wa.n, 2); /* prefix filter */
	CHECK_INT(selfu.n, 2); /* unwatched itself inside its second event */
	CHECK_INT(otheru.n, 3);
	/* The victim is notified before its killer on the first event (registration order), then not. */
	CHECK_INT(victim.n, 1);
	/* Spawned at parent's 2nd event (r3) from r3 - 1: replay gives r3 once, live gives r4 once. */
	CHECK_INT(parent.n, 3);
	CHECK_INT(spawned.n, 2);
	CHECK_INT(spawned.rev[0], r3);
	CHECK_INT(spawned.rev[1], r4);

	/* From an older revision: replay from the window, then live. */
	CHECK_INT(store_watch(s, "/w/", r2, on_event, &old, &hold), 0);
	CHECK_INT(old.n, 2);
	CHECK_INT(old.rev[0], r3);
	CHECK_INT(old.rev[1], r4);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/w/a1", 0, "z", NULL), 0);
	CHECK_INT(old.n, 3);
	CHECK_INT(old.type[2], STORE_EV_MODIFIED);
	CHECK_INT(all.n, 4);
	{
		store_stats_t st;

		store_get_stats(s, &st);
		CHECK_INT(st.watches, 6);
		CHECK(st.commits >= 5);
		CHECK_INT(st.writes, 6);
		CHECK_INT(st.keys, 2);
	}

	store_unwatch(hall);
	store_unwatch(hwa);
	store_unwatch(hold);
	store_unwatch(hother);
	store_unwatch(hparent);
	store_unwatch(parent.spawned);
	store_unwatch(NULL);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/w/a1", 0, "zz", NULL), 0);
	CHECK_INT(all.n, 4);
	CHECK_INT(old.n, 3);
	store_close(s);
}

static void test_compacted(void)
{
	store_t *s = fresh_store(4);
	struct evlog l = { 0 };
	store_watch_t *h = NULL;
	struct coll c;
	int64_t rev = 0, oldest;

	CHECK_INT(store_oldest_rev(s), 0);
	for (int i = 0; i < 10; i++) {
		char key[32];

		snprintf(key, sizeof(key), "/c/%d", i);
		CHECK_INT(write_sync(s, STORE_CREATE, key, 0, "v", &rev), 0);
	}
	oldest = store_oldest_rev(s);
	CHECK_INT(oldest, rev - 4);
	CHECK_INT(store_list(s, "/c/", NULL, oldest - 1, collect, &c), STORE_E_COMPACTED);
	CHECK_INT(store_watch(s, "/c/", oldest - 1, on_event, &l, &h), STORE_E_COMPACTED);
	CHECK_INT(l.n, 0);

	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/c/", NULL, oldest, collect, &c), 0);
	CHECK_INT(c.n, 6);
	CHECK_INT(store_watch(s, "/c/", oldest, on_event, &l, &h), 0);
	CHECK_INT(l.n, 4);
	CHECK_INT(l.rev[0], oldest + 1);
	store_unwatch(h);
	{
		store_stats_t st;

		store_get_stats(s, &st);
		CHECK_INT(st.window_events, 4);
	}
	store_close(s);

	/* After reopen only now is available. */
	s = open_store(4);
	CHECK_INT(store_oldest_rev(s), rev);
	CHECK_INT(store_rev(s), rev);
	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/c/", NULL, rev, collect, &c), 0);
	CHECK_INT(c.n, 10);
	CHECK_INT(store_watch(s, "/c/", rev - 1, on_event, &l, &h), STORE_E_COMPACTED);
	store_close(s);
}

static void test_reopen(void)
{
	store_t *s = fresh_store(0);
	int64_t ra, rb, rdel, rnew;
	store_kv_t kv;
	struct coll c;

	CHECK_INT(write_sync(s, STORE_CREATE, "/k/a", 0, "a", &ra), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/k/b", 0, "b", NULL), 0);
	CHECK_INT(write_sync(s, STORE_UPDATE, "/k/b", 0, "b2", &rb), 0);
	CHECK_INT(write_sync(s, STORE_CREATE, "/k/c", 0, "c", NULL), 0);
	CHECK_INT(write_sync(s, STORE_DELETE, "/k/c", 0, "c", &rdel), 0);
	store_close(s);

	s = open_store(0);
	/* The delete was the last write: its revision must have been stored too. */
	CHECK_INT(store_rev(s), rdel);
	CHECK_INT(store_get(s, "/k/a", &kv), 0);
	CHECK_INT(kv.mod_rev, ra);
	CHECK_INT(kv.create_rev, ra);
	val_expect(kv.val, ra, "a");
	CHECK_INT(store_get(s, "/k/b", &kv), 0);
	CHECK_INT(kv.mod_rev, rb);
	CHECK(kv.create_rev < rb);
	val_expect(kv.val, rb, "b2");
	CHECK_INT(store_get(s, "/k/c", &kv), -ENOENT);
	memset(&c, 0, sizeof(c));
	CHECK_INT(store_list(s, "/k/", NULL, 0, collect, &c), 0);
	CHECK_INT(c.n, 2);
	CHECK_INT(write_sync(s, STORE_CREATE, "/k/d", 0, "d", &rnew), 0);
	CHECK_INT(rnew, rdel + 1);
	store_close(s);
}

/* store_close() with writes queued: they commit and their done callbacks run inside it. */
static void test_close_drains(void)
{
	store_t *s = fresh_store(0);
	struct wr w[20] = { { 0 } };
	int counter = 0;
	store_kv_t kv;

	for (int i = 0; i < 20; i++) {
		char key[32];

		snprintf(key, sizeof(key), "/d/%02d", i);
		CHECK_INT(write_async(s, STORE_CREATE, key, 0, "d", &w[i], &counter, NULL), 0);
	}
	store_close(s);
	CHECK_INT(counter, 20);
	for (int i = 0; i < 20; i++)
		CHECK_INT(w[i].err, 0);
	s = open_store(0);
	CHECK_INT(store_count(s, "/d/"), 20);
	CHECK_INT(store_rev(s), 20);
	CHECK_INT(store_get(s, "/d/19", &kv), 0);
	CHECK_INT(kv.mod_rev, 20);
	store_close(s);
}

/* --- commit failures, through a backend wrapping SQLite --- */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int fail_next;  /* fail this many commits */
	bool gate;      /* commits wait while set */
	bool entered;   /* a commit is waiting at the gate */
	int commits;
} fb = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false, 0 };

static int fb_open(const char *path, store_backend_t **ret)
{
	return store_sqlite_ops.open(path, ret);
}

static int fb_load(store_backend_t *b, int (*fn)(const char *, const char *, size_t, int64_t, int64_t, void *),
		   void *ud, int64_t *ret_rev)
{
	return store_sqlite_ops.load(b, fn, ud, ret_rev);
}

static int fb_commit(store_backend_t *b, const store_backend_op_t *ops, size_t n, int64_t rev)
{
	bool fail;

	pthread_mutex_lock(&fb.mu);
	fb.entered = true;
	pthread_cond_broadcast(&fb.cond);
	while (fb.gate)
		pthread_cond_wait(&fb.cond, &fb.mu);
	fb.entered = false;
	fail = fb.fail_next > 0;
	if (fail)
		fb.fail_next--;
	fb.commits++;
	pthread_mutex_unlock(&fb.mu);
	return fail ? -EIO : store_sqlite_ops.commit(b, ops, n, rev);
}

static void fb_close(store_backend_t *b)
{
	store_sqlite_ops.close(b);
}

static const store_backend_ops_t failing_ops = { fb_open, fb_load, fb_commit, fb_close };

static void test_commit_failure(void)
{
	store_opts_t o = { .path = dbpath };
	store_t *s = NULL;
	struct wr w[6] = { { 0 } };
	int counter = 0;
	int64_t ra, rlast, rok;
	store_kv_t kv;

	db_remove();
	CHECK_INT(store_open_backend(base, &o, &failing_ops, &s), 0);
	if (!s)
		return;
	CHECK_INT(write_sync(s, STORE_CREATE, "/f/a", 0, "a", &ra), 0);

	/* Hold the first failing batch at the gate so later writes queue behind it. */
	pthread_mutex_lock(&fb.mu);
	fb.gate = true;
	fb.fail_next = 1;
	pthread_mutex_unlock(&fb.mu);
	CHECK_INT(write_async(s, STORE_UPDATE, "/f/a", ra, "a2", &w[0], &counter, NULL), 0);
	pthread_mutex_lock(&fb.mu);
	while (!fb.entered)
		pthread_cond_wait(&fb.cond, &fb.mu);
	pthread_mutex_unlock(&fb.mu);
	/* Queued behind the failing batch; preconditions see the failing update. */
	CHECK_INT(write_async(s, STORE_UPDATE, "/f/a", ra, "a3", &w[1], &counter, NULL), -ESTALE);
	CHECK_INT(write_async(s, STORE_CREATE, "/f/b", 0, "b", &w[1], &counter, NULL), 0);
	CHECK_INT(write_async(s, STORE_UPDATE, "/f/b", 0, "b2", &w[2], &counter, NULL), 0);
	CHECK_INT(write_async(s, STORE_DELETE, "/f/a", 0, "x", &w[3], &counter, &rlast), 0);
	pthread_mutex_lock(&fb.mu);
	fb.gate = false;
	pthread_cond_broadcast(&fb.cond);
	pthread_mutex_unlock(&fb.mu);

	CHECK(wait_for(&counter, 4));
	for (int i = 0; i < 4; i++)
		CHECK_INT(w[i].err, -EIO);
	CHECK(w[0].order < w[1].order && w[2].order < w[3].order);
	/* Latest state rolled back to the committed one. */
	CHECK_INT(store_get_latest(s, "/f/a", &kv), 0);
	CHECK_INT(kv.mod_rev, ra);
	val_expect(kv.val, ra, "a");
	CHECK_INT(store_get_latest(s, "/f/b", &kv), -ENOENT);
	CHECK_INT(store_get(s, "/f/b", &kv), -ENOENT);
	CHECK_INT(store_rev(s), ra);
	CHECK_INT(store_count(s, ""), 1);

	/* Keeps going; revisions stay strictly increasing (failed ones are not reused). */
	CHECK_INT(write_sync(s, STORE_UPDATE, "/f/a", ra, "a4", &rok), 0);
	CHECK(rok > rlast);
	CHECK_INT(write_sync(s, STORE_CREATE, "/f/b", 0, "b", NULL), 0);

	/* An unheld failure with several writes in flight. */
	pthread_mutex_lock(&fb.mu);
	fb.fail_next = 1;
	pthread_mutex_unlock(&fb.mu);
	counter = 0;
	CHECK_INT(write_async(s, STORE_CREATE, "/f/c", 0, "c", &w[4], &counter, NULL), 0);
	CHECK_INT(write_async(s, STORE_DELETE, "/f/b", 0, "c", &w[5], &counter, NULL), 0);
	CHECK(wait_for(&counter, 2));
	CHECK_INT(w[4].err, -EIO);
	CHECK_INT(w[5].err, -EIO);
	CHECK_INT(store_get_latest(s, "/f/b", &kv), 0);
	CHECK_INT(store_get(s, "/f/c", &kv), -ENOENT);
	rlast = store_rev(s);
	store_close(s);

	/* Nothing of the failed batches reached the disk. */
	s = open_store(0);
	CHECK_INT(store_rev(s), rlast);
	CHECK_INT(store_get(s, "/f/a", &kv), 0);
	CHECK_INT(kv.mod_rev, rok);
	CHECK_INT(store_get(s, "/f/b", &kv), 0);
	CHECK_INT(store_get(s, "/f/c", &kv), -ENOENT);
	store_close(s);
}

/* --- scale: 10,000 keys of ~1 KiB --- */

static store_val_t *build_big(int64_t rev, const store_val_t *prev, void *ud)
{
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), "{\"rv\":%" PRId64 ",\"pad\":\"%0*d\"}", rev, 1000, 0);

	return store_val_new(buf, (size_t)n);
}

static int count_kv(const store_kv_t *kv, void *ud)
{
	size_t *bytes = ud;

	*bytes += kv->val->len;
	return 0;
}

static void test_scale(void)
{
	enum { N = 10000 };
	store_t *s = fresh_store(0);
	struct wr *w = calloc(N, sizeof(*w));
	int counter = 0;
	uint64_t t0, t1;
	size_t bytes = 0;
	char key[64];

	t0 = now_usec();
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "/registry/services/specs/ns%d/svc-%05d", i % 10, i);
		w[i].counter = &counter;
		CHECK_INT(store_write(s, &(store_write_t){ .op = STORE_CREATE, .key = key, .build = build_big,
							   .done = on_done, .userdata = &w[i] },
				      NULL),
			  0);
		/* Let the loop apply completions now and then, as the server would. */
		if (i % 512 == 511)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	CHECK(wait_for(&counter, N));
	t1 = now_usec();
	fprintf(stderr, "  scale: %d creates queued at once committed in %.1f ms\n", N, (t1 - t0) / 1000.0);

	t0 = now_usec();
	CHECK_INT(store_list(s, "/registry/services/specs/", NULL, 0, count_kv, &bytes), 0);
	t1 = now_usec();
	CHECK(bytes > (size_t)N * 1000); /* touched every value */
	fprintf(stderr, "  scale: list of %d keys (%zu bytes) in %" PRIu64 " us\n", N, bytes, t1 - t0);
	t0 = now_usec();
	CHECK_INT(store_count(s, "/registry/services/specs/ns3/"), N / 10);
	t1 = now_usec();
	fprintf(stderr, "  scale: count of %d keys under a namespace in %" PRIu64 " us\n", N / 10, t1 - t0);
	store_close(s);

	t0 = now_usec();
	s = open_store(0);
	t1 = now_usec();
	CHECK_INT(store_count(s, ""), N);
	fprintf(stderr, "  scale: reopen loading %d keys in %.1f ms\n", N, (t1 - t0) / 1000.0);
	store_close(s);
	free(w);
}

int main(void)
{
	evthread_use_pthreads();
	base = event_base_new();
	if (!base)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/portico-store-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/state.db", dir);

	TEST_RUN(test_crud);
	TEST_RUN(test_preconditions);
	TEST_RUN(test_list);
	TEST_RUN(test_list_old_rev);
	TEST_RUN(test_watch);
	TEST_RUN(test_compacted);
	TEST_RUN(test_reopen);
	TEST_RUN(test_close_drains);
	TEST_RUN(test_commit_failure);
	TEST_RUN(test_scale);

	db_remove();
	rmdir(dir);
	event_base_free(base);
	TEST_DONE();
}
