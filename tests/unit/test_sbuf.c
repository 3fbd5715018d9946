/* The growable string (lib/sbuf.c): appends across reallocations, long printf output, reset, and
 * what take hands over. */
#include <stdlib.h>

#include "lib/sbuf.h"

#include "harness.h"

static void test_append(void)
{
	sbuf_t b = { 0 };
	char *s;

	CHECK_STR(sbuf_str(&b), "");
	sbuf_puts(&b, "ab");
	sbuf_putn(&b, "cdef", 2);
	sbuf_printf(&b, "-%d-%s", 42, "x");
	CHECK_STR(sbuf_str(&b), "abcd-42-x");
	CHECK_INT(b.len, 9);
	/* many small appends cross several capacity doublings */
	for (int i = 0; i < 1000; i++)
		sbuf_puts(&b, "0123456789");
	CHECK_INT(b.len, 9 + 10000);
	CHECK(!b.oom);
	s = sbuf_take(&b);
	CHECK(s && strlen(s) == 10009 && strncmp(s, "abcd-42-x0123", 13) == 0 && s[10008] == '9');
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	free(s);
}

static void test_printf_long(void)
{
	sbuf_t b = { 0 };
	char want[2001];
	char *s;

	memset(want, 'y', 2000);
	want[2000] = '\0';
	sbuf_puts(&b, "<");
	sbuf_printf(&b, "%s>%d", want, 7);
	s = sbuf_take(&b);
	CHECK(s && strlen(s) == 2003 && s[0] == '<' && strcmp(s + 2001, ">7") == 0);
	free(s);
}

static void test_reset_and_empty(void)
{
	sbuf_t b = { 0 };
	char *s;

	/* take of a fresh buffer: "" that the caller owns, never NULL */
	s = sbuf_take(&b);
	CHECK_STR(s, "");
	free(s);
	sbuf_puts(&b, "first");
	sbuf_reset(&b);
	CHECK_STR(sbuf_str(&b), "");
	sbuf_puts(&b, "second");
	s = sbuf_take(&b);
	CHECK_STR(s, "second");
	free(s);
}

static void test_oom_sticky(void)
{
	sbuf_t b = { 0 };

	sbuf_puts(&b, "kept?");
	/* a failed append (here: a length no allocation could hold) poisons the buffer */
	sbuf_putn(&b, "", (size_t)-1 / 2);
	CHECK(b.oom);
	sbuf_puts(&b, "more");
	CHECK(sbuf_take(&b) == NULL);
	CHECK(b.p == NULL && !b.oom);
}

int main(void)
{
	TEST_RUN(test_append);
	TEST_RUN(test_printf_long);
	TEST_RUN(test_reset_and_empty);
	TEST_RUN(test_oom_sticky);
	TEST_DONE();
}
