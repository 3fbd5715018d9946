/* workqueue: client-go's rate-limited work queue on an event loop. A key queued many times before it
 * is handled is handled once; a key being processed is never handed out again until
 * workqueue_done(), and if it was added meanwhile it is queued again then. Failed keys come back
 * after an exponential back-off per key, 5 ms * 2^failures capped at 1000 s
 * (workqueue.DefaultItemBasedRateLimiter / DefaultControllerRateLimiter's per-item part).
 *
 * Processing is asynchronous: the handler starts work for a key and calls workqueue_done() when it
 * has finished, possibly several loop turns later. At most `parallel` keys are in process at once. */
#pragma once
#include <stdbool.h>

#include <event2/event.h>

typedef struct workqueue workqueue_t;

/* key: borrowed for the call (copy it if the work outlives the call). */
typedef void (*workqueue_handler)(workqueue_t *q, const char *key, void *arg);

#define WORKQUEUE_BASE_DELAY_MS 5
#define WORKQUEUE_MAX_DELAY_MS  1000000

/* *ret: caller frees with workqueue_free(). parallel >= 1. */
int workqueue_new(struct event_base *base, int parallel, workqueue_handler fn, void *arg, workqueue_t **ret);
/* Drops every key and timer; handlers in progress may still call workqueue_done() before the free,
 * never after. Accepts NULL. */
void workqueue_free(workqueue_t *q);

/* Queue key now (dispatched from the event loop, never from inside this call). 0 or -ENOMEM. */
int workqueue_add(workqueue_t *q, const char *key);
/* Queue key after delay_ms; an earlier pending time for the same key wins. */
int workqueue_add_after(workqueue_t *q, const char *key, long delay_ms);
/* Queue key after its next back-off delay, counting one more failure. */
int workqueue_add_rate_limited(workqueue_t *q, const char *key);
/* Forget the key's failures (back-off starts over). */
void workqueue_forget(workqueue_t *q, const char *key);
/* The back-off delay the key's next failure would get, in ms (for tests and logs). */
long workqueue_next_delay_ms(workqueue_t *q, const char *key);
/* The number of failures counted for key. */
int workqueue_failures(workqueue_t *q, const char *key);

/* Ends processing of key. err < 0: requeue rate-limited; err == 0: forget its failures. A key added
 * while it was processed is queued again now. */
void workqueue_done(workqueue_t *q, const char *key, int err);

/* Keys waiting to be handed out (not counting delayed ones or those in process). */
int workqueue_len(workqueue_t *q);
bool workqueue_is_processing(workqueue_t *q, const char *key);
