/* The work queue: a FIFO of keys plus client-go's three sets (dirty: queued; processing: handed out;
 * failures: per-key back-off count) and delayed adds on one timer each. */
#include "client/workqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

typedef struct wq_delayed {
	workqueue_t *q;
	char *key;
	struct event *ev;
	struct timeval at; /* monotonic-ish: event_base_gettimeofday_cached */
} wq_delayed_t;

struct workqueue {
	struct event_base *base;
	workqueue_handler fn;
	void *arg;
	int parallel, busy;
	char **fifo; /* ring of keys, all in dirty */
	size_t head, len, cap;
	json_t *dirty;      /* key -> true: in fifo, or to requeue when processing ends */
	json_t *processing; /* key -> true */
	json_t *failures;   /* key -> integer */
	json_t *delayed;    /* key -> integer (wq_delayed_t * cast) */
	struct event *kick;
	bool dispatching;
};

static void kick(workqueue_t *q)
{
	if (q->kick && !q->dispatching)
		event_active(q->kick, EV_TIMEOUT, 0);
}

static int fifo_push(workqueue_t *q, const char *key)
{
	char *dup;

	if (q->len == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 16;
		char **n = malloc(ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < q->len; i++)
			n[i] = q->fifo[(q->head + i) % q->cap];
		free(q->fifo);
		q->fifo = n;
		q->cap = ncap;
		q->head = 0;
	}
	dup = strdup(key);
	if (!dup)
		return -ENOMEM;
	q->fifo[(q->head + q->len) % q->cap] = dup;
	q->len++;
	return 0;
}

static char *fifo_pop(workqueue_t *q)
{
	char *k;

	if (!q->len)
		return NULL;
	k = q->fifo[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return k;
}

int workqueue_add(workqueue_t *q, const char *key)
{
	int rc;

	if (json_object_get(q->dirty, key))
		return 0;
	if (json_object_set_new(q->dirty, key, json_true()) < 0)
		return -ENOMEM;
	if (json_object_get(q->processing, key))
		return 0; /* queued again by workqueue_done() */
	rc = fifo_push(q, key);
	if (rc < 0) {
		json_object_del(q->dirty, key);
		return rc;
	}
	kick(q);
	return 0;
}

static void delayed_free(wq_delayed_t *d)
{
	if (!d)
		return;
	if (d->ev)
		event_free(d->ev);
	free(d->key);
	free(d);
}

static void on_delayed(evutil_socket_t fd, short what, void *arg)
{
	wq_delayed_t *d = arg;
	workqueue_t *q = d->q;

	json_object_del(q->delayed, d->key);
	workqueue_add(q, d->key);
	delayed_free(d);
}

int workqueue_add_after(workqueue_t *q, const char *key, long delay_ms)
{
	struct timeval now, tv, at;
	json_t *have;
	wq_delayed_t *d;

	if (delay_ms <= 0)
		return workqueue_add(q, key);
	event_base_gettimeofday_cached(q->base, &now);
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	timeradd(&now, &tv, &at);
	have = json_object_get(q->delayed, key);
	if (have) {
		d = (wq_delayed_t *)(intptr_t)json_integer_value(have);
		if (!timercmp(&at, &d->at, <))
			return 0; /* already due earlier */
		event_del(d->ev);
		d->at = at;
		evtimer_add(d->ev, &tv);
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->q = q;
	d->at = at;
	d->key = strdup(key);
	d->ev = evtimer_new(q->base, on_delayed, d);
	if (!d->key || !d->ev || json_object_set_new(q->delayed, key, json_integer((json_int_t)(intptr_t)d)) < 0) {
		delayed_free(d);
		return -ENOMEM;
	}
	evtimer_add(d->ev, &tv);
	return 0;
}

int workqueue_failures(workqueue_t *q, const char *key)
{
	return (int)json_integer_value(json_object_get(q->failures, key));
}

long workqueue_next_delay_ms(workqueue_t *q, const char *key)
{
	int n = workqueue_failures(q, key);
	long d = WORKQUEUE_BASE_DELAY_MS;

	/* 5 ms * 2^n, capped: 5 * 2^18 already exceeds 1000 s */
	for (int i = 0; i < n && d < WORKQUEUE_MAX_DELAY_MS; i++)
		d *= 2;
	return d > WORKQUEUE_MAX_DELAY_MS ? WORKQUEUE_MAX_DELAY_MS : d;
}

int workqueue_add_rate_limited(workqueue_t *q, const char *key)
{
	long delay = workqueue_next_delay_ms(q, key);
	int n = workqueue_failures(q, key);

	if (json_object_set_new(q->failures, key, json_integer(n + 1)) < 0)
		return -ENOMEM;
	return workqueue_add_after(q, key, delay);
}

void workqueue_forget(workqueue_t *q, const char *key)
{
	json_object_del(q->failures, key);
}

void workqueue_done(workqueue_t *q, const char *key, int err)
{
	if (!json_object_get(q->processing, key))
		return;
	json_object_del(q->processing, key);
	q->busy--;
	if (json_object_get(q->dirty, key) && fifo_push(q, key) < 0)
		json_object_del(q->dirty, key);
	if (err < 0)
		workqueue_add_rate_limited(q, key);
	else
		workqueue_forget(q, key);
	kick(q);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	workqueue_t *q = arg;

	q->dispatching = true;
	while (q->busy < q->parallel && q->len) {
		char *key = fifo_pop(q);
		json_object_del(q->dirty, key);
		if (json_object_set_new(q->processing, key, json_true()) < 0) {
			free(key);
			continue;
		}
		q->busy++;
		q->fn(q, key, q->arg);
		free(key);
	}
	q->dispatching = false;
	/* a handler that finished synchronously may have freed a slot after the loop test */
	if (q->busy < q->parallel && q->len)
		kick(q);
}

int workqueue_new(struct event_base *base, int parallel, workqueue_handler fn, void *arg, workqueue_t **ret)
{
	workqueue_t *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->base = base;
	q->fn = fn;
	q->arg = arg;
	q->parallel = parallel > 0 ? parallel : 1;
	q->dirty = json_object();
	q->processing = json_object();
	q->failures = json_object();
	q->delayed = json_object();
	q->kick = event_new(base, -1, 0, on_kick, q);
	if (!q->dirty || !q->processing || !q->failures || !q->delayed || !q->kick) {
		workqueue_free(q);
		return -ENOMEM;
	}
	*ret = q;
	return 0;
}

void workqueue_free(workqueue_t *q)
{
	const char *key;
	json_t *v;

	if (!q)
		return;
	json_object_foreach(q->delayed, key, v)
		delayed_free((wq_delayed_t *)(intptr_t)json_integer_value(v));
	while (q->len)
		free(fifo_pop(q));
	free(q->fifo);
	if (q->kick)
		event_free(q->kick);
	json_decref(q->dirty);
	json_decref(q->processing);
	json_decref(q->failures);
	json_decref(q->delayed);
	free(q);
}

int workqueue_len(workqueue_t *q)
{
	return (int)q->len;
}

bool workqueue_is_processing(workqueue_t *q, const char *key)
{
	return json_object_get(q->processing, key) != NULL;
}
