/* lib/json_in: the fast body parser builds jansson's tree exactly, or leaves the input to jansson. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/json_in.h"

static int fast_used;

/* The fast parser never accepts what jansson refuses, and what it accepts is jansson's tree: same
 * types, same values, same key order. */
static void agree(const char *buf, size_t len)
{
	json_t *want = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL), *got = NULL;
	int rc = json_in_parse(buf, len, &got);

	CHECK(rc == 0 || rc == -EAGAIN);
	if (rc == 0) {
		char *a = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		char *b = want ? json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		fast_used++;
		CHECK(want != NULL);
		CHECK(b && a && strcmp(a, b) == 0);
		CHECK(json_equal(got, want));
		if (!b || !a || strcmp(a, b) != 0)
			fprintf(stderr, "    input %.*s\n    fast %s\n    jansson %s\n", (int)len, buf, a ? a : "NULL",
				b ? b : "NULL");
		free(a);
		free(b);
		json_decref(got);
	}
	json_decref(want);
}

static void test_accepts(void)
{
	static const char *const ok[] = {
		"{}", "[]", " \t\r\n{ } ", "[1,-2,0,-0,9223372036854775807,-9223372036854775808]",
		"[0.5,-1.25e3,1E2,1e+2,1e-2,2.5E-400,123456.789e-3]", "[true,false,null]",
		"{\"a\":{\"b\":[{\"c\":\"d\"}]},\"e\":\"\"}",
		"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u00e9\\u20AC\\ud83d\\ude00\",\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]",
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc-1\",\"labels\":{\"app\":\"a\"},"
		"\"annotations\":{\"x\":\"<b>&amp;\\u003c\"}},\"spec\":{\"ports\":[{\"name\":\"80-8080\",\"port\":80,"
		"\"protocol\":\"TCP\",\"targetPort\":8080}],\"selector\":{\"app\":\"a\"},\"type\":\"ClusterIP\"},"
		"\"status\":{\"loadBalancer\":{}}}",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *v = NULL;
		CHECK_INT(json_in_parse(ok[i], strlen(ok[i]), &v), 0); /* the fast path takes these */
		json_decref(v);
		agree(ok[i], strlen(ok[i]));
	}
}

static void test_leaves_to_jansson(void)
{
	static const char *const odd[] = {
		"", "   ", "1", "\"s\"", "null", "{\"a\":1,\"a\":2}", "{\"a\":1,}", "[1,]", "[01]", "[-]", "[1.]",
		"[1e]", "[.5]", "[+1]", "[9223372036854775808]", "[-9223372036854775809]", "[1e400]", "[-1e400]",
		"[\"\\u0000\"]", "{\"\\u0000\":1}", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
		"[\"\\x\"]", "[\"\\u12\"]", "[\"a\tb\"]", "[\"\xff\"]", "[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]",
		"{} x", "{}{}", "[trueX]", "[nul]", "[1x]", "{\"a\" 1}", "{a:1}", "[\"abc", "[\"a\\", "{\"a\":",
		"\xef\xbb\xbf{}", "[1]\0", "{\"a\":[1,2}",
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		json_t *v = NULL;
		size_t len = strlen(odd[i]) + (strcmp(odd[i], "[1]") == 0 ? 1 : 0);
		int rc = json_in_parse(odd[i], len, &v);
		CHECK_INT(rc, -EAGAIN);
		if (rc == 0)
			json_decref(v);
		agree(odd[i], len);
	}
	/* deeper than the fast path goes */
	{
		char buf[2 * JSON_IN_MAX_DEPTH + 10];
		size_t n = 0;
		json_t *v = NULL;
		for (int i = 0; i < JSON_IN_MAX_DEPTH + 2; i++)
			buf[n++] = '[';
		for (int i = 0; i < JSON_IN_MAX_DEPTH + 2; i++)
			buf[n++] = ']';
		CHECK_INT(json_in_parse(buf, n, &v), -EAGAIN);
		agree(buf, n);
	}
}

static unsigned rnd_state = 777;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

/* Random documents, mostly well formed, from pieces that hit every branch. */
static void rnd_doc(char *buf, size_t cap, size_t *n, int depth)
{
	static const char *const atoms[] = { "0", "-0", "12", "-7", "1.5", "2e3", "-1.0E-2", "true", "false", "null",
					     "\"\"", "\"x\"", "\"\\n\\\"\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
					     "\"\xc3\xa9\"", "01", "1e", "\"\\u0000\"", "tru", "\"\x01\"",
					     "99999999999999999999", "\"\\ud800\"" };
	size_t room = cap - *n;

	if (room < 64)
		return;
	if (depth > 4 || rnd(3) == 0) {
		const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
		memcpy(buf + *n, a, strlen(a));
		*n += strlen(a);
		return;
	}
	if (rnd(2)) {
		buf[(*n)++] = '{';
		for (unsigned i = 0, k = rnd(4); i < k && cap - *n > 64; i++) {
			*n += (size_t)snprintf(buf + *n, cap - *n, "%s\"k%u\"%s:", i ? "," : "", rnd(4), rnd(5) ? "" : " ");
			rnd_doc(buf, cap, n, depth + 1);
		}
		buf[(*n)++] = '}';
	} else {
		buf[(*n)++] = '[';
		for (unsigned i = 0, k = rnd(4); i < k && cap - *n > 64; i++) {
			if (i)
				buf[(*n)++] = rnd(30) ? ',' : ' ';
			rnd_doc(buf, cap, n, depth + 1);
		}
		buf[(*n)++] = ']';
	}
}

static void test_random(void)
{
	char buf[4096];

	fast_used = 0;
	for (int i = 0; i < 20000; i++) {
		size_t n = 0;
		buf[n++] = '[';
		rnd_doc(buf, sizeof(buf) - 2, &n, 0);
		buf[n++] = ']';
		agree(buf, n);
	}
	CHECK(fast_used > 2000); /* the generator is not all errors */
}

int main(void)
{
	TEST_RUN(test_accepts);
	TEST_RUN(test_leaves_to_jansson);
	TEST_RUN(test_random);
	TEST_DONE();
}
