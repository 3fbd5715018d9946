/* The pod directory's documents (agent/runtime_dir.c): spec.json validation and status.json turned
 * into the kubelet's containerStatuses. */
#include <errno.h>
#include <stdlib.h>

#include "agent/runtime_dir.h"

#include "harness.h"

static int parse(const char *text, rt_spec_t **s, char *err, size_t len)
{
	return rt_spec_parse(text, strlen(text), s, err, len);
}

static void test_spec_ok(void)
{
	rt_spec_t *s = NULL;
	char err[256];

	CHECK_INT(parse("{\"uid\":\"u1\",\"name\":\"web\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\","
			"\"command\":[\"sh\"],\"args\":[\"-c\",\"x\"],\"env\":[{\"name\":\"K\",\"value\":\"V\"}]},{\"name\":\"b\"}]}",
			&s, err, sizeof(err)),
		  0);
	if (!s)
		return;
	CHECK_STR(s->ns, "default");
	CHECK_STR(s->hostname, "web");
	CHECK_STR(s->restart_policy, "Always");
	CHECK_INT(s->grace_sec, 30);
	CHECK_STR(s->netns, "");
	CHECK_INT(s->nctrs, 2);
	CHECK_INT(json_array_size(s->ctrs[0].args), 2);
	CHECK(s->ctrs[1].command == NULL);
	CHECK_INT(json_array_size(s->ctrs[1].env), 0);
	rt_spec_free(s);
}

static void test_spec_errors(void)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "[]", "not a JSON object: " },
		{ "{\"name\":\"p\",\"containers\":[{\"name\":\"a\"}]}", "uid: required" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[]}", "containers: 1 to 64 needed" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"A_B\"}]}", "containers[0].name: not a DNS label" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"../x\"}]}", "containers[0].name: not a DNS label" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "containers[1].name: duplicate" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"restartPolicy\":\"Sometimes\",\"containers\":[{\"name\":\"a\"}]}",
		  "restartPolicy: unsupported value" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"gracePeriodSeconds\":-1,\"containers\":[{\"name\":\"a\"}]}",
		  "gracePeriodSeconds: not an integer in range" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"command\":[1]}]}", "command[0]: not a string" },
		{ "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"A=B\",\"value\":\"x\"}]}]}",
		  "env[0]: needs a name (without '=') and a string value" },
		{ "{\"uid\":7,\"name\":\"p\",\"containers\":[{\"name\":\"a\"}]}", "uid: not a string" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rt_spec_t *s = NULL;

		CHECK_INT(parse(cases[i].text, &s, err, sizeof(err)), -EINVAL);
		CHECK(s == NULL);
		CHECK_STR(err, cases[i].err);
	}
}

static const char *path_str(const json_t *arr, size_t i, const char *a, const char *b, const char *c)
{
	const json_t *o = json_array_get(arr, i);

	o = json_object_get(o, a);
	if (b)
		o = json_object_get(o, b);
	if (c)
		o = json_object_get(o, c);
	return json_string_value(o);
}

static void test_status(void)
{
	static const char spec_text[] = "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"},"
					"{\"name\":\"b\",\"image\":\"x:1\"},{\"name\":\"c\",\"image\":\"y\"}]}";
	static const char status[] =
		"{\"supervisorPid\":5,\"containers\":["
		"{\"name\":\"b\",\"imageID\":\"\",\"containerID\":\"\",\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\",\"message\":\"m\"}},"
		"\"restartCount\":0,\"pid\":0},"
		"{\"name\":\"a\",\"imageID\":\"portico:///bin/busybox\",\"containerID\":\"portico://u/a/2\","
		"\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:00:00Z\"}},"
		"\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}},\"restartCount\":2,\"started\":true,\"pid\":9},"
		"{\"name\":\"c\",\"state\":{\"bogus\":{}},\"restartCount\":-5}]}";
	rt_spec_t *spec = NULL;
	char err[256];
	json_t *st;

	CHECK_INT(rt_spec_parse(spec_text, sizeof(spec_text) - 1, &spec, err, sizeof(err)), 0);
	if (!spec)
		return;
	/* Before the first status.json: everything ContainerCreating, in spec order. */
	st = rt_status_to_k8s(spec, NULL, 0, true);
	CHECK_INT(json_array_size(st), 3);
	CHECK_STR(path_str(st, 0, "name", NULL, NULL), "a");
	CHECK_STR(path_str(st, 2, "state", "waiting", "reason"), "ContainerCreating");
	json_decref(st);

	st = rt_status_to_k8s(spec, status, sizeof(status) - 1, true);
	CHECK_STR(path_str(st, 0, "name", NULL, NULL), "a"); /* spec order, not the file's */
	CHECK_STR(path_str(st, 0, "state", "running", "startedAt"), "2026-01-01T00:00:00Z");
	CHECK_STR(path_str(st, 0, "containerID", NULL, NULL), "portico://u/a/2");
	CHECK_STR(path_str(st, 0, "image", NULL, NULL), "busybox");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(st, 0), "restartCount")), 2);
	CHECK(json_is_true(json_object_get(json_array_get(st, 0), "started")));
	CHECK(json_is_false(json_object_get(json_array_get(st, 0), "ready")));
	CHECK(json_object_get(json_array_get(st, 0), "pid") == NULL); /* internal fields stay internal */
	CHECK_STR(path_str(st, 0, "lastState", "terminated", "reason"), "Error");
	CHECK_STR(path_str(st, 1, "state", "waiting", "reason"), "ErrImagePull");
	CHECK(json_is_false(json_object_get(json_array_get(st, 1), "started")));
	/* A state that is none of the three shapes, a negative count: not believed. */
	CHECK_STR(path_str(st, 2, "state", "waiting", "reason"), "ContainerCreating");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(st, 2), "restartCount")), 0);
	CHECK(json_object_size(json_object_get(json_array_get(st, 2), "lastState")) == 0);
	json_decref(st);

	/* The supervisor is gone: what it showed running is unknown now. */
	st = rt_status_to_k8s(spec, status, sizeof(status) - 1, false);
	CHECK_STR(path_str(st, 0, "state", "terminated", "reason"), "ContainerStatusUnknown");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(json_array_get(st, 0), "state"),
								      "terminated"), "exitCode")), 137);
	CHECK(json_is_false(json_object_get(json_array_get(st, 0), "started")));
	CHECK_STR(path_str(st, 1, "state", "waiting", "reason"), "ErrImagePull");
	json_decref(st);

	/* Garbage: as if there were no file. */
	st = rt_status_to_k8s(spec, "{not json", 9, true);
	CHECK_INT(json_array_size(st), 3);
	CHECK_STR(path_str(st, 0, "state", "waiting", "reason"), "ContainerCreating");
	json_decref(st);
	rt_spec_free(spec);
}

static void test_names(void)
{
	CHECK(rt_valid_name("a"));
	CHECK(rt_valid_name("web-1"));
	CHECK(!rt_valid_name(""));
	CHECK(!rt_valid_name("-a"));
	CHECK(!rt_valid_name("a-"));
	CHECK(!rt_valid_name("A"));
	CHECK(!rt_valid_name(".."));
	CHECK(!rt_valid_name("a/b"));
	CHECK(!rt_valid_name(NULL));
}

int main(void)
{
	TEST_RUN(test_spec_ok);
	TEST_RUN(test_spec_errors);
	TEST_RUN(test_status);
	TEST_RUN(test_names);
	TEST_DONE();
}
