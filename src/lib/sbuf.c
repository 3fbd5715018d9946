/* The growable string of sbuf.h: doubling capacity, one sticky failure flag instead of a return
 * value on every append. */
#include "lib/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_putn(sbuf_t *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n > (size_t)-1 / 2 - b->len - 1) {
		b->oom = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sbuf_puts(sbuf_t *b, const char *s)
{
	sbuf_putn(b, s, strlen(s));
}

void sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
	char small[256];
	char *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sbuf_putn(b, small, (size_t)n);
		return;
	}
	/* Rare (long values): format again into a buffer of the exact size. */
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sbuf_putn(b, big, (size_t)n);
	free(big);
}

void sbuf_reset(sbuf_t *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

const char *sbuf_str(const sbuf_t *b)
{
	return b->p ? b->p : "";
}

char *sbuf_take(sbuf_t *b)
{
	char *p;

	if (!b->oom && !b->p)
		sbuf_putn(b, "", 0);
	if (b->oom) {
		free(b->p);
		*b = (sbuf_t){ 0 };
		return NULL;
	}
	p = b->p;
	*b = (sbuf_t){ 0 };
	return p;
}
