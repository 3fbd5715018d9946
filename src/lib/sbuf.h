/* A growable NUL-terminated string with a sticky out-of-memory flag: append freely, check once (at
 * sbuf_take). Pure code for text that is built piece by piece: table cells, a pod's resolv.conf.
 * Start from a zeroed sbuf_t ({ 0 }); the buffer is owned by the sbuf_t until sbuf_take hands it over. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

typedef struct sbuf {
	char *p;         /* NULL until the first append */
	size_t len, cap; /* len excludes the NUL */
	bool oom;        /* an allocation failed: later appends do nothing, sbuf_take returns NULL */
} sbuf_t;

void sbuf_putn(sbuf_t *b, const char *s, size_t n);
void sbuf_puts(sbuf_t *b, const char *s);
__attribute__((format(printf, 2, 3))) void sbuf_printf(sbuf_t *b, const char *fmt, ...);

/* Empty again, keeping the allocation (and the oom flag). */
void sbuf_reset(sbuf_t *b);

/* The current contents, "" when nothing was appended; borrowed until the next append. */
const char *sbuf_str(const sbuf_t *b);

/* Hands the string over ("" when nothing was appended; caller frees) and leaves b zeroed; NULL, with
 * everything freed, after an allocation failure. */
char *sbuf_take(sbuf_t *b);
