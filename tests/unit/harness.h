/* A tiny unit-test harness: CHECK() records a failure and goes on; each test file's main() calls
 * TEST_RUN(fn) for its cases and ends with TEST_DONE(), which prints "N passed, N failed" for the
 * file's checks and exits non-zero on any failure. */
#pragma once
#include <stdio.h>
#include <string.h>

static int th_checks_passed, th_checks_failed, th_case_failed;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (cond) {                                                                \
			th_checks_passed++;                                                \
		} else {                                                                   \
			th_checks_failed++;                                                \
			th_case_failed = 1;                                                \
			fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
		}                                                                          \
	} while (0)

#define CHECK_STR(a, b)                                                                    \
	do {                                                                               \
		const char *th_a = (a), *th_b = (b);                                       \
		if (th_a && th_b && strcmp(th_a, th_b) == 0) {                             \
			th_checks_passed++;                                                \
		} else {                                                                   \
			th_checks_failed++;                                                \
			th_case_failed = 1;                                                \
			fprintf(stderr, "  FAIL %s:%d: %s == %s\n    got:      %s\n    expected: %s\n", \
				__FILE__, __LINE__, #a, #b, th_a ? th_a : "(null)", th_b ? th_b : "(null)"); \
		}                                                                          \
	} while (0)

#define CHECK_INT(a, b)                                                                    \
	do {                                                                               \
		long long th_a = (long long)(a), th_b = (long long)(b);                    \
		if (th_a == th_b) {                                                        \
			th_checks_passed++;                                                \
		} else {                                                                   \
			th_checks_failed++;                                                \
			th_case_failed = 1;                                                \
			fprintf(stderr, "  FAIL %s:%d: %s == %s (got %lld, expected %lld)\n", \
				__FILE__, __LINE__, #a, #b, th_a, th_b);                   \
		}                                                                          \
	} while (0)

#define TEST_RUN(fn)                                                                       \
	do {                                                                               \
		th_case_failed = 0;                                                        \
		fn();                                                                      \
		fprintf(stderr, "%s %s\n", th_case_failed ? "not ok" : "ok", #fn);         \
	} while (0)

#define TEST_DONE()                                                                        \
	do {                                                                               \
		printf("%d passed, %d failed\n", th_checks_passed, th_checks_failed);      \
		return th_checks_failed ? 1 : 0;                                           \
	} while (0)
