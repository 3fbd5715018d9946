/* lib/json_out: compact JSON text byte for byte as json_dumps(v, JSON_COMPACT) writes it. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/json_out.h"

/* Both encoders on v: the same text (or both NULL); the length matches the text. */
static void same(const json_t *v, const char *what)
{
	char *want = json_dumps(v, JSON_COMPACT);
	size_t len = 12345;
	char *got = json_out_compact(v, &len);

	if (!want || !got) {
		CHECK(want == NULL && got == NULL);
		if (want || got)
			fprintf(stderr, "    %s: json_dumps %s, json_out %s\n", what, want ? want : "NULL",
				got ? got : "NULL");
	} else {
		CHECK_STR(got, want);
		CHECK_INT(len, strlen(want));
	}
	free(want);
	free(got);
}

static void test_fixed(void)
{
	static const char *const docs[] = {
		"{}", "[]", "[[],{},[{}]]", "{\"a\":1,\"b\":[1,2,3],\"c\":{\"d\":null,\"e\":true,\"f\":false}}",
		"[-9223372036854775808,9223372036854775807,0,-1,10,1000000]",
		"[0.5,1.0,-2.25,1e300,1.5e-7,123456789.125,3.141592653589793,-0.0,100000000000000000000.0]",
		"[\"\",\"plain\",\"q\\\"b\\\\s/\",\"\\b\\f\\n\\r\\t\",\"\\u0001\\u001f\\u007f\",\"caf\\u00e9 \\u20ac "
		"\\ud83d\\ude00\",\"<>&'\",\"\\u2028\\u2029\"]",
		"{\"z\":1,\"a\":2,\"m\":3,\"\\n\\u0002key\":\"v\"}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"a\"}},"
		"\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}}",
	};
	json_t *v;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		v = json_loads(docs[i], 0, NULL);
		CHECK(v != NULL);
		same(v, docs[i]);
		json_decref(v);
	}
	/* a NUL inside a string value */
	v = json_array();
	json_array_append_new(v, json_stringn("a\0b", 3));
	same(v, "NUL in a string");
	json_decref(v);
	/* what json_dumps refuses: a scalar on top, NULL, a string that is not UTF-8 */
	v = json_integer(5);
	same(v, "a scalar");
	json_decref(v);
	same(NULL, "NULL");
	{
		static const char *const bad[] = { "\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82",
						   "\xe0\x80\x80", "\xf0\x80\x80\x80" };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			v = json_object();
			json_object_set_new(v, "k", json_stringn_nocheck(bad[i], strlen(bad[i])));
			same(v, "invalid UTF-8");
			json_decref(v);
		}
	}
	/* a cycle: json_dumps fails, and so must we (without recursing forever) */
	{
		json_t *a = json_array(), *b = json_array();
		json_array_append(a, b);
		json_array_append(b, a);
		CHECK(json_out_compact(a, NULL) == NULL);
		json_array_clear(b);
		json_decref(a);
		json_decref(b);
	}
}

static unsigned rnd_state = 4242;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static json_t *rnd_value(int depth)
{
	switch (rnd(depth > 5 ? 6 : 8)) {
	case 0:
		return json_integer((json_int_t)rnd(100000) - 50000);
	case 1: {
		char s[16];
		size_t n = rnd(sizeof(s));
		for (size_t i = 0; i < n; i++)
			s[i] = (char)(rnd(4) ? 0x20 + rnd(0x5f) : rnd(0x20)); /* some control characters */
		return json_stringn(s, n);
	}
	case 2:
		return json_real((double)rnd(100000) / (double)(1 + rnd(1000)));
	case 3:
		return rnd(3) == 0 ? json_null() : json_boolean(rnd(2));
	case 4:
		return json_string(rnd(2) ? "\xc3\xa9t\xc3\xa9" : "\xf0\x9f\x98\x80");
	case 5:
		return rnd(2) ? json_object() : json_array();
	case 6: {
		json_t *o = json_object();
		for (unsigned i = 0, n = rnd(6); i < n; i++) {
			char k[8];
			snprintf(k, sizeof(k), "k%u%c", rnd(10), (char)(rnd(2) ? '"' : '\t'));
			json_object_set_new(o, k, rnd_value(depth + 1));
		}
		return o;
	}
	default: {
		json_t *a = json_array();
		for (unsigned i = 0, n = rnd(5); i < n; i++)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	}
}

static void test_random(void)
{
	for (int i = 0; i < 5000; i++) {
		json_t *v = json_array();
		json_array_append_new(v, rnd_value(0));
		same(v, "random");
		json_decref(v);
	}
}

int main(void)
{
	TEST_RUN(test_fixed);
	TEST_RUN(test_random);
	TEST_DONE();
}
