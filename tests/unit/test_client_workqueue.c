/* The work queue on a real event loop: de-duplication, the processing set (a key is never handed out
 * twice at once, and one added meanwhile comes back once done), parallelism, the per-key back-off
 * (5 ms * 2^n capped at 1000 s), and delayed adds where the earlier time wins. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "client/workqueue.h"
#include "harness.h"

typedef struct rec {
	char seen[64][32];
	int n;
	int inflight, max_inflight;
	bool finish_now; /* call workqueue_done() from the handler */
	int fail_first;  /* fail this many runs of each key */
	int fails;
} rec_t;

static void handler(workqueue_t *q, const char *key, void *arg)
{
	rec_t *r = arg;

	if (r->n < 64)
		snprintf(r->seen[r->n++], sizeof(r->seen[0]), "%s", key);
	r->inflight++;
	if (r->inflight > r->max_inflight)
		r->max_inflight = r->inflight;
	if (r->finish_now) {
		int err = r->fails < r->fail_first ? -EIO : 0;
		if (err)
			r->fails++;
		r->inflight--;
		workqueue_done(q, key, err);
	}
}

static void run_for(struct event_base *b, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
}

static void test_dedup_and_processing(void)
{
	struct event_base *b = event_base_new();
	rec_t r = { 0 };
	workqueue_t *q;

	CHECK_INT(workqueue_new(b, 2, handler, &r, &q), 0);
	workqueue_add(q, "a");
	workqueue_add(q, "a");
	workqueue_add(q, "b");
	CHECK_INT(workqueue_len(q), 2);
	CHECK_INT(r.n, 0); /* never dispatched from inside add */
	run_for(b, 20);
	CHECK_INT(r.n, 2);
	CHECK_STR(r.seen[0], "a");
	CHECK_STR(r.seen[1], "b");
	CHECK(workqueue_is_processing(q, "a"));
	/* added while in process: not handed out again until done */
	workqueue_add(q, "a");
	workqueue_add(q, "c");
	run_for(b, 20);
	CHECK_INT(r.n, 2);          /* both slots busy: c waits too */
	CHECK_INT(r.max_inflight, 2);
	r.inflight--;
	workqueue_done(q, "a", 0);  /* a comes back (it was added meanwhile), queued after c */
	run_for(b, 20);
	CHECK_INT(r.n, 3);
	CHECK_STR(r.seen[2], "c");
	r.inflight--;
	workqueue_done(q, "b", 0);
	run_for(b, 20);
	CHECK_INT(r.n, 4);
	CHECK_STR(r.seen[3], "a");
	/* done for a key not in process is ignored */
	workqueue_done(q, "zzz", 0);
	workqueue_free(q);
	event_base_free(b);
}

static void test_backoff(void)
{
	struct event_base *b = event_base_new();
	rec_t r = { .finish_now = true, .fail_first = 3 };
	workqueue_t *q;

	CHECK_INT(workqueue_new(b, 1, handler, &r, &q), 0);
	CHECK_INT(workqueue_next_delay_ms(q, "k"), 5);
	workqueue_add(q, "k");
	run_for(b, 2); /* run 1 fails at once: back after 5 ms */
	CHECK_INT(r.n, 1);
	CHECK_INT(workqueue_failures(q, "k"), 1);
	CHECK_INT(workqueue_next_delay_ms(q, "k"), 10);
	run_for(b, 300); /* runs 2 and 3 fail (after 5 and 10 ms), run 4 (after 20 ms) succeeds */
	CHECK_INT(r.n, 4);
	CHECK_INT(workqueue_failures(q, "k"), 0); /* success forgets */
	/* the cap: 5 ms * 2^n never exceeds 1000 s */
	for (int i = 0; i < 40; i++)
		workqueue_add_rate_limited(q, "capped");
	CHECK_INT(workqueue_next_delay_ms(q, "capped"), 1000000);
	workqueue_forget(q, "capped");
	CHECK_INT(workqueue_next_delay_ms(q, "capped"), 5);
	workqueue_free(q); /* drops the pending delayed add */
	event_base_free(b);
}

static void test_add_after(void)
{
	struct event_base *b = event_base_new();
	rec_t r = { .finish_now = true };
	workqueue_t *q;

	CHECK_INT(workqueue_new(b, 1, handler, &r, &q), 0);
	workqueue_add_after(q, "x", 500);
	workqueue_add_after(q, "x", 20); /* earlier wins */
	workqueue_add_after(q, "x", 300);
	run_for(b, 100);
	CHECK_INT(r.n, 1);
	run_for(b, 600);
	CHECK_INT(r.n, 1); /* one delayed entry per key */
	workqueue_free(q);
	event_base_free(b);
}

int main(void)
{
	TEST_RUN(test_dedup_and_processing);
	TEST_RUN(test_backoff);
	TEST_RUN(test_add_after);
	TEST_DONE();
}
