/* Probes (agent/probe.c): the spec parser with upstream's defaults, named ports and invalid
 * probes, and the result bookkeeping with success and failure thresholds. */
#include "agent/probe.h"

#include "harness.h"

static json_t *ctr(const char *probe_json)
{
	json_error_t e;
	json_t *c = json_pack("{s:s, s:[{s:s, s:i}]}", "name", "web", "ports", "name", "http", "containerPort", 8080);
	json_t *p = json_loads(probe_json, 0, &e);
	json_object_set_new(c, "readinessProbe", p);
	json_object_set(c, "livenessProbe", p);
	return c;
}

static void test_parse_defaults(void)
{
	json_t *c = ctr("{\"httpGet\": {\"port\": \"http\", \"path\": \"healthz\"}}");
	probe_spec_t s;
	char err[256] = "";

	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
	CHECK_INT(s.handler, PROBE_HTTP);
	CHECK_INT(s.port, 8080);
	CHECK_STR(s.path, "/healthz");
	CHECK_INT(s.period, 10);
	CHECK_INT(s.timeout, 1);
	CHECK_INT(s.success_threshold, 1);
	CHECK_INT(s.failure_threshold, 3);
	CHECK_INT(s.initial_delay, 0);
	probe_spec_clear(&s);
	CHECK_INT(probe_spec_parse(c, PROBE_STARTUP, &s, err, sizeof(err)), -ENOENT);
	json_decref(c);

	c = ctr("{\"exec\": {\"command\": [\"cat\", \"/tmp/ok\"]}, \"periodSeconds\": 2, \"failureThreshold\": 1}");
	CHECK_INT(probe_spec_parse(c, PROBE_LIVENESS, &s, err, sizeof(err)), 0);
	CHECK_INT(s.handler, PROBE_EXEC);
	CHECK_STR(s.argv[0], "cat");
	CHECK_STR(s.argv[1], "/tmp/ok");
	CHECK(s.argv[2] == NULL);
	CHECK_INT(s.period, 2);
	probe_spec_clear(&s);
	json_decref(c);

	c = ctr("{\"tcpSocket\": {\"port\": 9000}}");
	CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
	CHECK_INT(s.handler, PROBE_TCP);
	CHECK_INT(s.port, 9000);
	probe_spec_clear(&s);
	json_decref(c);
}

static void test_parse_invalid(void)
{
	static const char *bad[] = {
		"{}",
		"{\"httpGet\": {\"port\": 80}, \"tcpSocket\": {\"port\": 80}}",
		"{\"httpGet\": {\"port\": \"nope\"}}",
		"{\"httpGet\": {\"port\": 70000}}",
		"{\"tcpSocket\": {\"port\": 80}, \"periodSeconds\": 0}",
		"{\"exec\": {\"command\": []}}",
		"{\"httpGet\": {\"port\": 80, \"scheme\": \"HTTPS\"}}",
		"{\"httpGet\": {\"port\": 80, \"host\": \"example.com\"}}",
		"{\"grpc\": {\"port\": 80}}",
		"{\"tcpSocket\": {\"port\": 80}, \"timeoutSeconds\": \"1\"}",
	};
	probe_spec_t s;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *c = ctr(bad[i]);
		err[0] = '\0';
		CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), -EINVAL);
		CHECK(strncmp(err, "readinessProbe", 14) == 0);
		json_decref(c);
	}
	/* liveness: successThreshold must be 1 */
	{
		json_t *c = ctr("{\"tcpSocket\": {\"port\": 80}, \"successThreshold\": 2}");
		CHECK_INT(probe_spec_parse(c, PROBE_READINESS, &s, err, sizeof(err)), 0);
		probe_spec_clear(&s);
		CHECK_INT(probe_spec_parse(c, PROBE_LIVENESS, &s, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, "livenessProbe.successThreshold: Invalid value: 2: must be 1");
		json_decref(c);
	}
}

static void test_thresholds(void)
{
	probe_spec_t sp = { .kind = PROBE_READINESS, .success_threshold = 2, .failure_threshold = 3 };
	probe_state_t st;

	probe_state_init(&st, PROBE_READINESS);
	CHECK(!st.result); /* readiness: false until it passes */
	CHECK(!probe_state_record(&st, &sp, true));
	CHECK(!st.result);
	CHECK(probe_state_record(&st, &sp, true)); /* second success in a row */
	CHECK(st.result);
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(!probe_state_record(&st, &sp, true)); /* the run of failures is broken */
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(st.result);
	CHECK(probe_state_record(&st, &sp, false)); /* the third failure in a row */
	CHECK(!st.result);
	CHECK(!st.on_hold); /* readiness goes on probing */

	/* liveness: healthy from the start; the failure threshold puts it on hold (kill) */
	sp.kind = PROBE_LIVENESS;
	sp.success_threshold = 1;
	sp.failure_threshold = 2;
	probe_state_init(&st, PROBE_LIVENESS);
	CHECK(st.result);
	CHECK(!probe_state_record(&st, &sp, false));
	CHECK(probe_state_record(&st, &sp, false));
	CHECK(!st.result);
	CHECK(st.on_hold);
	CHECK(!probe_state_record(&st, &sp, true)); /* on hold: ignored until restarted */
	CHECK(!st.result);

	/* startup: unknown (false) until the first success */
	sp.kind = PROBE_STARTUP;
	probe_state_init(&st, PROBE_STARTUP);
	CHECK(!st.result);
	CHECK(probe_state_record(&st, &sp, true));
	CHECK(st.result);
}

int main(void)
{
	TEST_RUN(test_parse_defaults);
	TEST_RUN(test_parse_invalid);
	TEST_RUN(test_thresholds);
	TEST_DONE();
}
