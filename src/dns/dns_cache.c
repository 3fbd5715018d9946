/* The forwarder's cache; see dns_cache.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_cache.h"

#define WAYS 4
#define STRIPES 64 /* locks, each over every 64th set: workers rarely meet on one */

struct centry {
	uint64_t hash;
	uint64_t stored_ms, expire_ms; /* expire_ms 0: empty */
	uint8_t *msg;
	uint16_t len, qtype, qclass;
	uint8_t do_bit, name_len;
	uint8_t name[DNS_NAME_MAX]; /* lower-cased */
};

struct dns_cache {
	struct centry *e;
	size_t mask;
	size_t count; /* atomic */
	uint32_t max_ttl, max_neg;
	pthread_mutex_t lk[STRIPES];
};

static pthread_mutex_t *stripe(dns_cache_t *c, uint64_t h)
{
	return &c->lk[((h & c->mask) / WAYS) % STRIPES];
}

static uint64_t key_hash(const dns_query_t *q)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < q->qname_len; i++)
		h = (h ^ q->qname_lc[i]) * 0x100000001b3ull;
	h = (h ^ q->qtype) * 0x100000001b3ull;
	h = (h ^ ((uint64_t)q->qclass << 1 | q->edns_do)) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

dns_cache_t *dns_cache_new(size_t entries, uint32_t max_ttl, uint32_t max_neg_ttl)
{
	dns_cache_t *c = calloc(1, sizeof(*c));
	size_t n = WAYS;

	while (n < entries)
		n *= 2;
	if (!c || !(c->e = calloc(n, sizeof(*c->e)))) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->lk[i], NULL);
	c->max_ttl = max_ttl;
	c->max_neg = max_neg_ttl;
	return c;
}

void dns_cache_free(dns_cache_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i <= c->mask; i++)
		free(c->e[i].msg);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->lk[i]);
	free(c->e);
	free(c);
}

static bool entry_is(const struct centry *e, uint64_t h, const dns_query_t *q)
{
	return e->expire_ms && e->hash == h && e->qtype == q->qtype && e->qclass == q->qclass &&
	       e->do_bit == q->edns_do && e->name_len == q->qname_len && memcmp(e->name, q->qname_lc, q->qname_len) == 0;
}

int dns_cache_get(dns_cache_t *c, const dns_query_t *q, uint64_t now_ms, uint8_t *out, size_t cap, size_t *ret_len)
{
	uint64_t h = key_hash(q);
	struct centry *set = &c->e[h & c->mask & ~(uint64_t)(WAYS - 1)];

	pthread_mutex_t *lk = stripe(c, h);
	int hit = 0;

	pthread_mutex_lock(lk);
	for (int i = 0; i < WAYS; i++) {
		struct centry *e = &set[i];
		if (!entry_is(e, h, q))
			continue;
		if (now_ms < e->expire_ms) {
			uint32_t age = (uint32_t)((now_ms - e->stored_ms) / 1000);
			hit = dns_msg_reply(q, e->msg, e->len, age, out, cap, ret_len) == 0;
		}
		break;
	}
	pthread_mutex_unlock(lk);
	return hit;
}

int dns_cache_put(dns_cache_t *c, const dns_query_t *q, const uint8_t *msg, size_t len, uint32_t ttl, bool negative,
		  uint64_t now_ms)
{
	uint64_t h = key_hash(q);
	struct centry *set = &c->e[h & c->mask & ~(uint64_t)(WAYS - 1)], *victim = NULL;
	pthread_mutex_t *lk = stripe(c, h);
	uint32_t cap = negative ? c->max_neg : c->max_ttl;
	uint8_t *copy, *old;

	if (ttl == 0 || len > UINT16_MAX)
		return 0;
	if (ttl > cap)
		ttl = cap;
	copy = malloc(len); /* outside the lock */
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	pthread_mutex_lock(lk);
	for (int i = 0; i < WAYS && !victim; i++)
		if (entry_is(&set[i], h, q) || set[i].expire_ms <= now_ms)
			victim = &set[i];
	if (!victim) { /* all live: the oldest goes */
		victim = &set[0];
		for (int i = 1; i < WAYS; i++)
			if (set[i].stored_ms < victim->stored_ms)
				victim = &set[i];
	}
	if (victim->expire_ms == 0)
		__atomic_add_fetch(&c->count, 1, __ATOMIC_RELAXED);
	old = victim->msg;
	victim->msg = copy;
	victim->len = (uint16_t)len;
	victim->hash = h;
	victim->stored_ms = now_ms;
	victim->expire_ms = now_ms + (uint64_t)ttl * 1000;
	victim->qtype = q->qtype;
	victim->qclass = q->qclass;
	victim->do_bit = q->edns_do;
	victim->name_len = q->qname_len;
	memcpy(victim->name, q->qname_lc, q->qname_len);
	pthread_mutex_unlock(lk);
	free(old);
	return 0;
}

size_t dns_cache_count(const dns_cache_t *c)
{
	return __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}
