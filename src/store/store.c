/* The store core: the in-memory state (an ordered skip list of keys), the queue of writes waiting for
 * the commit thread (group commit), the window of recent events that feeds watches and old-revision
 * lists, and the hand-back of committed batches to the loop thread. See store.h for the contract. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "store/store.h"
#include "store/store_backend.h"

#define STORE_WINDOW_DEFAULT 10000
/* p = 1/4 per level: 16 levels index 4^16 keys, far beyond what fits in memory anyway. */
#define SL_MAX_LEVEL 16

/* One key. The committed state is what reads see; the latest state also includes queued writes and is
 * what preconditions are checked against. A node stays in the index while either state has the key
 * or a queued write points at it. */
struct store_node {
	store_val_t *val;  /* committed; NULL when !exists */
	store_val_t *lval; /* latest; NULL when !lexists */
	int64_t mod_rev, create_rev;
	int64_t lmod_rev, lcreate_rev;
	uint32_t pending; /* queued or in-flight writes pointing here: keeps the node alive */
	bool exists, lexists;
	uint8_t level;
	char *key; /* stored right after next[] */
	struct store_node *next[];
};

/* A write from store_write() until its done callback. Owned by the loop thread while queued or
 * completed, by the commit thread while in its batch (which reads key, val, revs, op only). */
struct store_pending {
	struct store_pending *next;
	struct store_node *node;
	char *key;         /* own copy: becomes the window event's key, outlives a deleted node */
	store_val_t *val;  /* the new value; for a delete the DELETED event's object */
	int64_t rev, create_rev;
	enum store_op op;
	int err;           /* set by the commit thread */
	bool batch_last;   /* last write of its batch: carries the batch's commit time */
	uint64_t usec;
	store_done_fn done;
	void *userdata;
};

/* One committed event. prev_* describe the key before the event so a list at an older revision can
 * undo it. */
struct store_wev {
	char *key;
	store_val_t *val, *prev;
	int64_t rev;
	int64_t prev_mod_rev, prev_create_rev;
	enum store_ev_type type;
};

struct store_watch {
	store_t *s;
	struct store_watch *prev, *next;
	store_watch_fn fn;
	void *userdata;
	int64_t last_rev; /* newest event delivered: a watch added during a notification is not fed twice */
	size_t plen;
	bool dead;        /* unwatched during a notification; freed once no notification is running */
	char prefix[];
};

struct store {
	struct event_base *base;
	struct event *ev_done;
	const store_backend_ops_t *ops;
	store_backend_t *be;

	/* Index: a skip list; head is a key-less node of SL_MAX_LEVEL levels. */
	struct store_node *head;
	int level;
	uint64_t rng;
	size_t nkeys;

	int64_t rev;       /* last committed revision */
	int64_t assigned;  /* last revision handed out by store_write(); never reused, even on failure */
	int64_t compacted; /* the state at any revision >= compacted can be rebuilt from the window */

	/* Ring of the last win_cap committed events, oldest at win_start. */
	struct store_wev *win;
	size_t win_cap, win_start, win_n;

	struct store_watch *watches, *watches_tail;
	size_t nwatches;
	int notify_depth;
	bool watch_dead;

	bool closing;
	store_stats_t stats;

	/* Shared with the commit thread, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool thread_started;
	pthread_t thread;
	struct store_pending *q_head, *q_tail; /* queued, not yet taken by the commit thread */
	struct store_pending *c_head, *c_tail; /* committed or failed, waiting for the loop thread */
	bool halted;   /* a batch failed: the commit thread waits until the loop thread failed the queue */
	bool stopping; /* store_close: commit what is queued, then exit */

	/* Commit thread only. */
	store_backend_op_t *ops_buf;
	size_t ops_cap;
};

/* --- values --- */

store_val_t *store_val_new(const char *data, size_t len)
{
	store_val_t *v;

	if (len > SIZE_MAX - sizeof(*v) - 1)
		return NULL;
	v = malloc(sizeof(*v) + len + 1);
	if (!v)
		return NULL;
	v->refs = 1;
	v->len = len;
	if (len)
		memcpy(v->data, data, len);
	v->data[len] = '\0';
	return v;
}

store_val_t *store_val_ref(store_val_t *v)
{
	if (v)
		v->refs++;
	return v;
}

void store_val_unref(store_val_t *v)
{
	if (v && --v->refs == 0)
		free(v);
}

/* --- the ordered index --- */

static struct store_node *node_alloc(store_t *s, const char *key)
{
	size_t klen = strlen(key);
	int level = 1;
	struct store_node *n;

	/* xorshift64: the level only needs to be unpredictable enough to balance, not secure. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	for (uint64_t r = s->rng; level < SL_MAX_LEVEL && (r & 3) == 0; r >>= 2)
		level++;

	n = calloc(1, sizeof(*n) + (size_t)level * sizeof(n->next[0]) + klen + 1);
	if (!n)
		return NULL;
	n->level = (uint8_t)level;
	n->key = (char *)&n->next[level];
	memcpy(n->key, key, klen + 1);
	return n;
}

static void node_free(struct store_node *n)
{
	if (!n)
		return;
	store_val_unref(n->val);
	store_val_unref(n->lval);
	free(n);
}

/* First node with key >= key; update[] (optional) receives the predecessor at each level. */
static struct store_node *index_find_ge(store_t *s, const char *key, struct store_node **update)
{
	struct store_node *x = s->head;

	for (int i = s->level - 1; i >= 0; i--) {
		while (x->next[i] && strcmp(x->next[i]->key, key) < 0)
			x = x->next[i];
		if (update)
			update[i] = x;
	}
	return x->next[0];
}

static struct store_node *index_find(store_t *s, const char *key)
{
	struct store_node *n = index_find_ge(s, key, NULL);

	return n && strcmp(n->key, key) == 0 ? n : NULL;
}

/* Links a node whose key is not in the index yet. Cannot fail: allocation happened in node_alloc. */
static void index_link(store_t *s, struct store_node *n)
{
	struct store_node *update[SL_MAX_LEVEL];

	index_find_ge(s, n->key, update);
	for (int i = s->level; i < n->level; i++)
		update[i] = s->head;
	if (n->level > s->level)
		s->level = n->level;
	for (int i = 0; i < n->level; i++) {
		n->next[i] = update[i]->next[i];
		update[i]->next[i] = n;
	}
}

static void index_unlink(store_t *s, struct store_node *n)
{
	struct store_node *update[SL_MAX_LEVEL];

	index_find_ge(s, n->key, update);
	for (int i = 0; i < s->level; i++)
		if (update[i]->next[i] == n)
			update[i]->next[i] = n->next[i];
	while (s->level > 1 && !s->head->next[s->level - 1])
		s->level--;
	node_free(n);
}

/* Drops a node nothing refers to any more: not in the committed or the latest state, no write queued. */
static void index_gc(store_t *s, struct store_node *n)
{
	if (!n->exists && !n->lexists && n->pending == 0)
		index_unlink(s, n);
}

static bool has_prefix(const char *key, const char *prefix, size_t plen)
{
	return strncmp(key, prefix, plen) == 0;
}

/* First node of a listing: under prefix and strictly after start_after. */
static struct store_node *index_first(store_t *s, const char *prefix, const char *start_after)
{
	struct store_node *n;

	if (start_after && *start_after && strcmp(start_after, prefix) >= 0) {
		n = index_find_ge(s, start_after, NULL);
		if (n && strcmp(n->key, start_after) == 0)
			n = n->next[0];
		return n;
	}
	return index_find_ge(s, prefix, NULL);
}

/* --- the event window --- */

static struct store_wev *win_at(store_t *s, size_t i)
{
	return &s->win[(s->win_start + i) % s->win_cap];
}

static void wev_clear(struct store_wev *e)
{
	free(e->key);
	store_val_unref(e->val);
	store_val_unref(e->prev);
	memset(e, 0, sizeof(*e));
}

/* Appends an event (taking its references), dropping the oldest when full: the dropped revision
 * becomes the oldest one that can no longer be rebuilt. */
static struct store_wev *win_push(store_t *s, const struct store_wev *e)
{
	struct store_wev *slot;

	if (s->win_n == s->win_cap) {
		slot = win_at(s, 0);
		s->compacted = slot->rev;
		wev_clear(slot);
		s->win_start = (s->win_start + 1) % s->win_cap;
		s->win_n--;
	}
	slot = win_at(s, s->win_n++);
	*slot = *e;
	return slot;
}

/* Index in the window of the first event with rev > rev (win_n when none). Revisions increase along
 * the ring, so binary search. */
static size_t win_first_after(store_t *s, int64_t rev)
{
	size_t lo = 0, hi = s->win_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (win_at(s, mid)->rev <= rev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* --- watches --- */

static void watch_free_dead(store_t *s)
{
	struct store_watch *w, *next;

	if (s->notify_depth > 0 || !s->watch_dead)
		return;
	for (w = s->watches; w; w = next) {
		next = w->next;
		if (!w->dead)
			continue;
		if (w->prev)
			w->prev->next = w->next;
		else
			s->watches = w->next;
		if (w->next)
			w->next->prev = w->prev;
		else
			s->watches_tail = w->prev;
		free(w);
	}
	s->watch_dead = false;
}

static void watch_notify(store_t *s, const struct store_wev *e)
{
	store_event_t ev = { .type = e->type, .key = e->key, .val = e->val, .prev = e->prev, .rev = e->rev };

	/* Watches appended by a callback are visited too; last_rev keeps them from a second copy of an
	 * event their replay already delivered. Unwatched ones are only marked until depth is 0. */
	s->notify_depth++;
	for (struct store_watch *w = s->watches; w; w = w->next) {
		if (w->dead || e->rev <= w->last_rev || !has_prefix(e->key, w->prefix, w->plen))
			continue;
		w->last_rev = e->rev;
		w->fn(&ev, w->userdata);
	}
	s->notify_depth--;
	watch_free_dead(s);
}

int store_watch(store_t *s, const char *prefix, int64_t from_rev, store_watch_fn fn, void *userdata,
		store_watch_t **ret)
{
	struct store_watch *w;
	size_t plen;

	if (!s || !fn || !ret)
		return -EINVAL;
	if (!prefix)
		prefix = "";
	if (from_rev <= 0)
		from_rev = s->rev;
	if (from_rev > s->rev)
		return -EINVAL;
	if (from_rev < s->compacted)
		return STORE_E_COMPACTED;

	plen = strlen(prefix);
	w = calloc(1, sizeof(*w) + plen + 1);
	if (!w)
		return -ENOMEM;
	w->s = s;
	w->fn = fn;
	w->userdata = userdata;
	w->plen = plen;
	memcpy(w->prefix, prefix, plen + 1);

	/* Replay before linking: no commit can be applied while we run (that needs the loop), so the
	 * window cannot move under us and nothing is missed between replay and linking. */
	s->notify_depth++;
	for (size_t i = win_first_after(s, from_rev); i < s->win_n; i++) {
		struct store_wev *e = win_at(s, i);
		store_event_t ev = { .type = e->type, .key = e->key, .val = e->val, .prev = e->prev,
				     .rev = e->rev };

		if (has_prefix(e->key, prefix, plen))
			fn(&ev, userdata);
	}
	s->notify_depth--;
	w->last_rev = s->rev;

	w->prev = s->watches_tail;
	if (s->watches_tail)
		s->watches_tail->next = w;
	else
		s->watches = w;
	s->watches_tail = w;
	s->nwatches++;
	watch_free_dead(s);
	*ret = w;
	return 0;
}

void store_unwatch(store_watch_t *w)
{
	store_t *s;

	if (!w || w->dead)
		return;
	s = w->s;
	w->dead = true;
	s->watch_dead = true;
	s->nwatches--;
	watch_free_dead(s);
}

/* --- reads --- */

int64_t store_rev(const store_t *s)
{
	return s->rev;
}

int64_t store_oldest_rev(const store_t *s)
{
	return s->compacted;
}

size_t store_count(store_t *s, const char *prefix)
{
	size_t plen, n = 0;

	if (!prefix || !*prefix)
		return s->nkeys;
	plen = strlen(prefix);
	for (struct store_node *x = index_find_ge(s, prefix, NULL); x && has_prefix(x->key, prefix, plen);
	     x = x->next[0])
		n += x->exists;
	return n;
}

int store_get(store_t *s, const char *key, store_kv_t *ret)
{
	struct store_node *n;

	if (!key)
		return -EINVAL;
	n = index_find(s, key);
	if (!n || !n->exists)
		return -ENOENT;
	*ret = (store_kv_t){ .key = n->key, .val = n->val, .mod_rev = n->mod_rev, .create_rev = n->create_rev };
	return 0;
}

int store_get_latest(store_t *s, const char *key, store_kv_t *ret)
{
	struct store_node *n;

	if (!key)
		return -EINVAL;
	n = index_find(s, key);
	if (!n || !n->lexists)
		return -ENOENT;
	*ret = (store_kv_t){ .key = n->key, .val = n->lval, .mod_rev = n->lmod_rev, .create_rev = n->lcreate_rev };
	return 0;
}

static int list_now(store_t *s, const char *prefix, const char *start_after, store_list_fn fn, void *ud)
{
	size_t plen = strlen(prefix);

	/* fn may call store_write(), which links new nodes but never unlinks: the walk stays valid. */
	for (struct store_node *x = index_first(s, prefix, start_after); x && has_prefix(x->key, prefix, plen);
	     x = x->next[0]) {
		store_kv_t kv;
		int r;

		if (!x->exists)
			continue;
		kv = (store_kv_t){ .key = x->key, .val = x->val, .mod_rev = x->mod_rev, .create_rev = x->create_rev };
		r = fn(&kv, ud);
		if (r != 0)
			return r > 0 ? 0 : r;
	}
	return 0;
}

/* A key changed after the listed revision: its state then is the prev of its first later event. */
struct list_undo {
	const struct store_wev *e;
};

static int undo_cmp(const void *a, const void *b)
{
	const struct store_wev *x = ((const struct list_undo *)a)->e, *y = ((const struct list_undo *)b)->e;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->rev < y->rev ? -1 : x->rev > y->rev;
}

/* Lists at an older revision: walks the current state and, merged with it in key order, the keys the
 * window says changed since rev, taking those from before their first change. */
static int list_at(store_t *s, const char *prefix, const char *start_after, int64_t rev, store_list_fn fn,
		   void *ud)
{
	size_t plen = strlen(prefix), first = win_first_after(s, rev), nundo = 0, j = 0;
	struct list_undo *undo = NULL;
	struct store_node *x;
	int r = 0;

	if (s->win_n > first) {
		undo = malloc((s->win_n - first) * sizeof(*undo));
		if (!undo)
			return -ENOMEM;
	}
	for (size_t i = first; i < s->win_n; i++) {
		const struct store_wev *e = win_at(s, i);

		if (!has_prefix(e->key, prefix, plen))
			continue;
		if (start_after && *start_after && strcmp(e->key, start_after) <= 0)
			continue;
		undo[nundo++].e = e;
	}
	qsort(undo, nundo, sizeof(*undo), undo_cmp);

	x = index_first(s, prefix, start_after);
	for (;;) {
		const struct store_wev *u;
		store_kv_t kv;
		int c;

		if (x && !has_prefix(x->key, prefix, plen))
			x = NULL;
		/* Only the earliest event per key after rev matters. */
		while (j > 0 && j < nundo && strcmp(undo[j].e->key, undo[j - 1].e->key) == 0)
			j++;
		u = j < nundo ? undo[j].e : NULL;
		if (!x && !u)
			break;
		c = !u ? -1 : !x ? 1 : strcmp(x->key, u->key);
		if (c < 0) {
			if (!x->exists) {
				x = x->next[0];
				continue;
			}
			kv = (store_kv_t){ .key = x->key, .val = x->val, .mod_rev = x->mod_rev,
					   .create_rev = x->create_rev };
			x = x->next[0];
		} else {
			if (c == 0)
				x = x->next[0];
			j++;
			if (!u->prev)
				continue; /* created after rev: absent then */
			kv = (store_kv_t){ .key = u->key, .val = u->prev, .mod_rev = u->prev_mod_rev,
					   .create_rev = u->prev_create_rev };
		}
		r = fn(&kv, ud);
		if (r != 0) {
			r = r > 0 ? 0 : r;
			break;
		}
	}
	free(undo);
	return r;
}

int store_list(store_t *s, const char *prefix, const char *start_after, int64_t rev, store_list_fn fn,
	       void *userdata)
{
	if (!s || !fn)
		return -EINVAL;
	if (!prefix)
		prefix = "";
	if (rev < 0 || rev > s->rev)
		return -EINVAL;
	if (rev == 0 || rev == s->rev)
		return list_now(s, prefix, start_after, fn, userdata);
	if (rev < s->compacted)
		return STORE_E_COMPACTED;
	return list_at(s, prefix, start_after, rev, fn, userdata);
}

/* --- writes --- */

int store_write(store_t *s, const store_write_t *w, int64_t *ret_rev)
{
	struct store_node *n, *fresh = NULL;
	struct store_pending *p;
	store_val_t *val, *prev;
	int64_t rev;
	bool lexists;

	if (!s || !w || !w->key || !*w->key || !w->done)
		return -EINVAL;
	if (w->op != STORE_CREATE && w->op != STORE_UPDATE && w->op != STORE_DELETE)
		return -EINVAL;
	if (!w->build && w->op != STORE_DELETE)
		return -EINVAL;
	if (s->closing)
		return -ESHUTDOWN;

	n = index_find(s, w->key);
	lexists = n && n->lexists;
	if (w->op == STORE_CREATE) {
		if (lexists)
			return -EEXIST;
	} else {
		if (!lexists)
			return -ENOENT;
		if (w->expect_rev > 0 && n->lmod_rev != w->expect_rev)
			return -ESTALE;
	}

	/* Allocate everything that can fail before calling build, so a revision is handed out only to
	 * a write that is then queued. */
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->key = strdup(w->key);
	if (!p->key)
		goto enomem;
	if (!n) {
		fresh = node_alloc(s, w->key);
		if (!fresh)
			goto enomem;
	}

	rev = s->assigned + 1;
	prev = lexists ? n->lval : NULL;
	if (w->build)
		val = w->build(rev, prev, w->userdata);
	else
		val = store_val_ref(prev); /* a delete without build: the event carries the last value */
	if (!val)
		goto enomem;
	s->assigned = rev;

	if (fresh) {
		index_link(s, fresh);
		n = fresh;
	}
	p->node = n;
	p->val = val;
	p->rev = rev;
	p->op = w->op;
	p->done = w->done;
	p->userdata = w->userdata;
	switch (w->op) {
	case STORE_CREATE:
		p->create_rev = rev;
		store_val_unref(n->lval);
		n->lval = store_val_ref(val);
		n->lexists = true;
		n->lcreate_rev = rev;
		break;
	case STORE_UPDATE:
		p->create_rev = n->lcreate_rev;
		store_val_unref(n->lval);
		n->lval = store_val_ref(val);
		break;
	case STORE_DELETE:
		p->create_rev = n->lcreate_rev;
		store_val_unref(n->lval);
		n->lval = NULL;
		n->lexists = false;
		break;
	}
	n->lmod_rev = rev;
	n->pending++;

	pthread_mutex_lock(&s->mu);
	if (s->q_tail)
		s->q_tail->next = p;
	else
		s->q_head = p;
	s->q_tail = p;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);

	if (ret_rev)
		*ret_rev = rev;
	return 0;
enomem:
	node_free(fresh);
	free(p->key);
	free(p);
	return -ENOMEM;
}

/* --- the commit thread --- */

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Commits one batch; sets err on every write of it. Runs without the lock: the batch is ours. */
static void commit_batch(store_t *s, struct store_pending *batch)
{
	struct store_pending *p, *last = NULL;
	size_t n = 0, i = 0;
	uint64_t t0;
	int err = 0;

	for (p = batch; p; p = p->next)
		n++;
	if (n > s->ops_cap) {
		size_t cap = n < 64 ? 64 : n * 2;
		store_backend_op_t *ops = realloc(s->ops_buf, cap * sizeof(*ops));

		if (!ops)
			err = -ENOMEM;
		else {
			s->ops_buf = ops;
			s->ops_cap = cap;
		}
	}
	for (p = batch; p; p = p->next) {
		if (!err)
			s->ops_buf[i++] = (store_backend_op_t){
				.op = p->op,
				.key = p->key,
				.value = p->op == STORE_DELETE ? NULL : p->val->data,
				.value_len = p->op == STORE_DELETE ? 0 : p->val->len,
				.mod_rev = p->rev,
				.create_rev = p->create_rev,
			};
		last = p;
	}
	t0 = now_usec();
	if (!err)
		err = s->ops->commit(s->be, s->ops_buf, n, last->rev);
	for (p = batch; p; p = p->next)
		p->err = err;
	last->batch_last = true;
	last->usec = now_usec() - t0;
}

static void *commit_main(void *arg)
{
	store_t *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct store_pending *batch, *last;

		while (!s->stopping && (s->halted || !s->q_head))
			pthread_cond_wait(&s->cond, &s->mu);
		/* Stopping: commit what is queued unless a failure halted us (the loop fails the rest). */
		if (s->halted || !s->q_head)
			break;
		batch = s->q_head;
		s->q_head = s->q_tail = NULL;
		pthread_mutex_unlock(&s->mu);

		commit_batch(s, batch);
		for (last = batch; last->next; last = last->next)
			;

		pthread_mutex_lock(&s->mu);
		if (s->c_tail)
			s->c_tail->next = batch;
		else
			s->c_head = batch;
		s->c_tail = last;
		if (batch->err)
			s->halted = true;
		pthread_mutex_unlock(&s->mu);
		/* Safe from this thread: the base was created after evthread_use_pthreads(). store_close
		 * joins this thread before freeing the event. */
		event_active(s->ev_done, 0, 0);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* --- applying completions on the loop thread --- */

static void stats_commit(store_t *s, uint64_t usec)
{
	static const uint64_t bounds[] = { 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000 };
	size_t b = 0;

	while (b < sizeof(bounds) / sizeof(bounds[0]) && usec > bounds[b])
		b++;
	s->stats.commits++;
	s->stats.commit_usec_total += usec;
	s->stats.commit_usec_hist[b]++;
}

/* A durable write: into the committed state, the window, the watchers, then its done callback. */
static void apply_one(store_t *s, struct store_pending *p)
{
	struct store_node *n = p->node;
	struct store_wev e = { .key = p->key, .val = p->val, .rev = p->rev, .prev = n->val,
			       .prev_mod_rev = n->mod_rev, .prev_create_rev = n->create_rev };
	const struct store_wev *slot;

	/* The event takes p's key and value references and the node's old value. */
	switch (p->op) {
	case STORE_CREATE:
		e.type = STORE_EV_ADDED;
		n->val = store_val_ref(p->val);
		n->create_rev = p->rev;
		n->exists = true;
		s->nkeys++;
		break;
	case STORE_UPDATE:
		e.type = STORE_EV_MODIFIED;
		n->val = store_val_ref(p->val);
		break;
	case STORE_DELETE:
		e.type = STORE_EV_DELETED;
		n->val = NULL;
		n->exists = false;
		s->nkeys--;
		break;
	}
	if (!e.prev)
		e.prev_mod_rev = e.prev_create_rev = 0;
	n->mod_rev = p->rev;
	n->pending--;
	s->rev = p->rev;
	s->stats.writes++;
	index_gc(s, n);

	slot = win_push(s, &e);
	watch_notify(s, slot);
	p->done(0, p->rev, p->userdata);
	free(p);
}

/* A failed batch fails everything queued behind it too: their preconditions were checked against a
 * state that now never happens. Roll every touched key's latest state back to the committed one. */
static void fail_rest(store_t *s, struct store_pending *list, int err)
{
	struct store_pending *p, *next, *queued;

	pthread_mutex_lock(&s->mu);
	queued = s->q_head;
	s->q_head = s->q_tail = NULL;
	s->halted = false;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);

	if (list) {
		for (p = list; p->next; p = p->next)
			;
		p->next = queued;
	} else
		list = queued;

	/* Every queued or in-flight write is in list (the commit thread was halted), so a node whose
	 * pending count reaches 0 here has no later entry pointing at it and may be freed at once. */
	for (p = list; p; p = p->next) {
		struct store_node *n = p->node;

		store_val_unref(n->lval);
		n->lval = store_val_ref(n->val);
		n->lexists = n->exists;
		n->lmod_rev = n->mod_rev;
		n->lcreate_rev = n->create_rev;
		if (--n->pending == 0)
			index_gc(s, n);
		p->node = NULL;
	}
	/* Callbacks only after the whole rollback, so a retry from one sees a consistent state. */
	for (p = list; p; p = next) {
		next = p->next;
		p->done(err, p->rev, p->userdata);
		store_val_unref(p->val);
		free(p->key);
		free(p);
	}
}

static void process_completed(store_t *s)
{
	struct store_pending *p, *next;

	pthread_mutex_lock(&s->mu);
	p = s->c_head;
	s->c_head = s->c_tail = NULL;
	pthread_mutex_unlock(&s->mu);

	for (; p; p = next) {
		if (p->err) {
			fail_rest(s, p, p->err);
			return;
		}
		next = p->next;
		if (p->batch_last)
			stats_commit(s, p->usec);
		apply_one(s, p);
	}
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	process_completed(arg);
}

/* --- open / close --- */

static int load_one(const char *key, const char *value, size_t len, int64_t mod_rev, int64_t create_rev,
		    void *ud)
{
	store_t *s = ud;
	struct store_node *n;

	if (index_find(s, key))
		return -EBADMSG;
	n = node_alloc(s, key);
	if (!n)
		return -ENOMEM;
	n->val = store_val_new(value, len);
	if (!n->val) {
		node_free(n);
		return -ENOMEM;
	}
	n->lval = store_val_ref(n->val);
	n->exists = n->lexists = true;
	n->mod_rev = n->lmod_rev = mod_rev;
	n->create_rev = n->lcreate_rev = create_rev;
	index_link(s, n);
	s->nkeys++;
	return 0;
}

static void store_free(store_t *s)
{
	struct store_node *n, *next;
	struct store_watch *w, *wnext;

	if (!s)
		return;
	if (s->ev_done)
		event_free(s->ev_done);
	if (s->be)
		s->ops->close(s->be);
	for (n = s->head; n; n = next) {
		next = n->next[0];
		node_free(n);
	}
	for (size_t i = 0; s->win && i < s->win_n; i++)
		wev_clear(win_at(s, i));
	free(s->win);
	for (w = s->watches; w; w = wnext) {
		wnext = w->next;
		free(w);
	}
	free(s->ops_buf);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int store_open_backend(struct event_base *base, const store_opts_t *opts, const struct store_backend_ops *ops,
		       store_t **ret)
{
	sigset_t all, old;
	store_t *s;
	int64_t rev = 0;
	int r;

	if (!base || !opts || !opts->path || !ops || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->base = base;
	s->ops = ops;
	s->rng = (uint64_t)now_usec() ^ ((uint64_t)(uintptr_t)s << 16) ^ 0x9e3779b97f4a7c15u;
	s->level = 1;
	s->win_cap = opts->window_events ? opts->window_events : STORE_WINDOW_DEFAULT;
	s->win = calloc(s->win_cap, sizeof(*s->win));
	s->head = calloc(1, sizeof(*s->head) + SL_MAX_LEVEL * sizeof(s->head->next[0]) + 1);
	if (!s->win || !s->head) {
		r = -ENOMEM;
		goto fail;
	}
	s->head->level = SL_MAX_LEVEL;
	s->head->key = (char *)&s->head->next[SL_MAX_LEVEL];

	r = ops->open(opts->path, &s->be);
	if (r < 0)
		goto fail;
	r = ops->load(s->be, load_one, s, &rev);
	if (r < 0)
		goto fail;
	s->rev = s->assigned = s->compacted = rev;

	s->ev_done = event_new(base, -1, 0, on_done, s);
	if (!s->ev_done) {
		r = -ENOMEM;
		goto fail;
	}
	/* The commit thread blocks every signal, so signals (SIGTERM, SIGCHLD) reach the loop thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&s->thread, NULL, commit_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	s->thread_started = true;
	*ret = s;
	return 0;
fail:
	store_free(s);
	return r;
}

int store_open(struct event_base *base, const store_opts_t *opts, store_t **ret)
{
	return store_open_backend(base, opts, &store_sqlite_ops, ret);
}

void store_close(store_t *s)
{
	if (!s)
		return;
	/* No new writes from here on, including from done callbacks run below. */
	s->closing = true;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	/* Deliver what committed; whatever a failure left queued is failed by process_completed. */
	process_completed(s);
	if (s->q_head)
		fail_rest(s, NULL, -ECANCELED);
	store_free(s);
}

void store_get_stats(const store_t *s, store_stats_t *ret)
{
	*ret = s->stats;
	ret->keys = s->nkeys;
	ret->window_events = s->win_n;
	ret->watches = s->nwatches;
}
