/* YAML to JSON conversion: scalar resolution as sigs.k8s.io/yaml, structure, and hostile input. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/yaml_json.h"

static char *conv(const char *y)
{
	json_t *j = NULL;
	char *err = NULL, *out;

	if (yaml_to_json(y, strlen(y), &j, &err) < 0) {
		out = strdup(err ? err : "?");
		free(err);
		return out;
	}
	out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(j);
	return out;
}

#define CONV(y, want)                       \
	do {                                \
		char *got = conv(y);        \
		CHECK_STR(got, want);       \
		free(got);                  \
	} while (0)

static void test_service_manifest(void)
{
	CONV("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  ports:\n"
	     "  - port: 80\n    targetPort: 8080\n    protocol: TCP\n  selector:\n    app: web\n",
	     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"labels\":{\"app\":\"web\"},\"name\":\"web\"},"
	     "\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}],\"selector\":{\"app\":\"web\"}}}");
}

static void test_scalars(void)
{
	CONV("a: true\nb: yes\nc: off\nd: ~\ne: null\nf: \"true\"\ng: '80'\nh: 0x1f\ni: 0755\nj: 1.5\nk: -3\nl: y\nm:\n",
	     "{\"a\":true,\"b\":true,\"c\":false,\"d\":null,\"e\":null,\"f\":\"true\",\"g\":\"80\",\"h\":31,\"i\":493,"
	     "\"j\":1.5,\"k\":-3,\"l\":\"y\",\"m\":null}");
	CONV("v: 1.2.3\nw: 10.43.0.1\nx: 80/TCP\n", "{\"v\":\"1.2.3\",\"w\":\"10.43.0.1\",\"x\":\"80/TCP\"}");
	CONV("- 1\n- two\n- [3, 4]\n", "[1,\"two\",[3,4]]");
	CONV("80: http\n", "{\"80\":\"http\"}");
}

static void test_anchors(void)
{
	CONV("base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  y: 2\n",
	     "{\"base\":{\"x\":1},\"merged\":{\"x\":1,\"y\":2},\"use\":{\"x\":1}}");
}

static void test_hostile(void)
{
	char *got;
	/* billion laughs: each level multiplies by 9 */
	const char *bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
			   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
			   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
			   "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
	got = conv(bomb);
	CHECK(strstr(got, "too large") != NULL);
	free(got);
	{
		char deep[1000];
		memset(deep, '[', 500);
		deep[500] = '\0';
		got = conv(deep);
		CHECK(strstr(got, "error converting YAML to JSON") != NULL);
		free(got);
	}
	got = conv("a: [1, 2\n");
	CHECK(strstr(got, "error converting YAML to JSON") != NULL);
	free(got);
	got = conv("a: *nope\n");
	CHECK(strstr(got, "error converting YAML to JSON") != NULL);
	free(got);
	got = conv("? [1, 2]\n: x\n");
	CHECK(strstr(got, "mapping key must be a scalar") != NULL);
	free(got);
}

int main(void)
{
	TEST_RUN(test_service_manifest);
	TEST_RUN(test_scalars);
	TEST_RUN(test_anchors);
	TEST_RUN(test_hostile);
	TEST_DONE();
}
