/* The pod status the agent reports (agent/pod_status.c): phases by restartPolicy, the conditions
 * with upstream's reasons and kept transition times, readiness from probes, addresses. */
#include "agent/pod_status.h"

#include <errno.h>

#include "harness.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const json_t *cond(const json_t *st, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(st, "conditions"), i, c)
		if (strcmp(jstr(c, "type"), type) == 0)
			return c;
	return NULL;
}

static json_t *pod(const char *restart_policy, int ncontainers)
{
	json_t *p = json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:[]}, s:{s:s, s:s}}", "metadata", "name", "web",
			      "namespace", "default", "uid", "u1", "spec", "nodeName", "n1", "restartPolicy",
			      restart_policy, "containers", "status", "phase", "Pending", "qosClass", "BestEffort");
	for (int i = 0; i < ncontainers; i++)
		json_array_append_new(json_object_get(json_object_get(p, "spec"), "containers"),
				      json_pack("{s:s, s:s}", "name", i == 0 ? "a" : "b", "image", "busybox"));
	return p;
}

static json_t *running(const char *name)
{
	return json_pack("{s:s, s:{s:{s:s}}, s:{}, s:i, s:b, s:b}", "name", name, "state", "running", "startedAt",
			 "2026-01-01T00:00:00Z", "lastState", "restartCount", 0, "ready", 0, "started", 0);
}

static json_t *terminated(const char *name, int code, bool as_last)
{
	json_t *t = json_pack("{s:i, s:s}", "exitCode", code, "reason", code ? "Error" : "Completed");
	if (as_last)
		return json_pack("{s:s, s:{s:{s:s}}, s:{s:o}, s:i}", "name", name, "state", "waiting", "reason",
				 "CrashLoopBackOff", "lastState", "terminated", t, "restartCount", 1);
	return json_pack("{s:s, s:{s:o}, s:{}, s:i}", "name", name, "state", "terminated", t, "lastState",
			 "restartCount", 0);
}

static json_t *arr2(json_t *a, json_t *b)
{
	json_t *r = json_array();
	json_array_append_new(r, a);
	if (b)
		json_array_append_new(r, b);
	return r;
}

static void test_phase(void)
{
	json_t *c;

	c = arr2(running("a"), terminated("b", 0, false));
	CHECK_STR(pod_status_phase(c, 2, "Always", false), "Running");
	json_decref(c);
	c = arr2(terminated("a", 0, false), terminated("b", 0, false));
	CHECK_STR(pod_status_phase(c, 2, "Never", false), "Succeeded");
	CHECK_STR(pod_status_phase(c, 2, "OnFailure", false), "Succeeded");
	CHECK_STR(pod_status_phase(c, 2, "Always", false), "Running"); /* restarting */
	CHECK_STR(pod_status_phase(c, 2, "Always", true), "Succeeded");
	json_decref(c);
	c = arr2(terminated("a", 1, false), terminated("b", 0, false));
	CHECK_STR(pod_status_phase(c, 2, "Never", false), "Failed");
	CHECK_STR(pod_status_phase(c, 2, "OnFailure", false), "Running");
	CHECK_STR(pod_status_phase(c, 2, "OnFailure", true), "Failed");
	json_decref(c);
	/* a crash-looping container counts as stopped, not waiting */
	c = arr2(terminated("a", 2, true), NULL);
	CHECK_STR(pod_status_phase(c, 1, "Always", false), "Running");
	json_decref(c);
	/* fewer statuses than spec containers: still Pending */
	c = arr2(running("a"), NULL);
	CHECK_STR(pod_status_phase(c, 2, "Always", false), "Pending");
	json_decref(c);
	c = json_array();
	CHECK_STR(pod_status_phase(c, 1, "Always", false), "Pending");
	CHECK_STR(pod_status_phase(c, 1, "Always", true), "Failed");
	json_decref(c);
}

static void test_waiting(void)
{
	json_t *p = pod("Always", 2), *w = pod_status_waiting(p, "ContainerCreating", "b", "ErrImagePull", "no image x");
	pod_status_input_t in = { .pod = p, .containers = w, .host_ip = "192.0.2.11", .now = "2026-01-01T00:00:01Z" };
	json_t *st = pod_status_compute(&in);

	CHECK_INT(json_array_size(w), 2);
	CHECK_STR(jstr(json_object_get(json_object_get(json_array_get(w, 0), "state"), "waiting"), "reason"),
		  "ContainerCreating");
	CHECK_STR(jstr(json_object_get(json_object_get(json_array_get(w, 1), "state"), "waiting"), "message"),
		  "no image x");
	CHECK_STR(jstr(st, "phase"), "Pending");
	CHECK_STR(jstr(st, "qosClass"), "BestEffort"); /* kept */
	CHECK_STR(jstr(st, "hostIP"), "192.0.2.11");
	CHECK(json_object_get(st, "podIP") == NULL);
	CHECK_STR(jstr(cond(st, "Ready"), "status"), "False");
	CHECK_STR(jstr(cond(st, "Ready"), "reason"), "ContainersNotReady");
	CHECK_STR(jstr(cond(st, "Ready"), "message"), "containers with unready status: [a b]");
	CHECK_STR(jstr(cond(st, "PodScheduled"), "status"), "True");
	CHECK_STR(jstr(cond(st, "Initialized"), "status"), "True");
	CHECK_STR(jstr(st, "startTime"), "2026-01-01T00:00:01Z");
	json_decref(st);
	json_decref(w);
	json_decref(p);
}

static void test_ready_and_transitions(void)
{
	json_t *p = pod("Always", 2), *c = arr2(running("a"), running("b")), *st, *st2, *st3;
	pod_probe_result_t probes[] = { { "a", false, true } }; /* a: readiness not yet passed */
	pod_status_input_t in = { .pod = p, .containers = c, .probes = probes, .nprobes = 1, .pod_ip = "10.42.1.5",
				  .host_ip = "192.0.2.11", .now = "2026-01-01T00:00:01Z" };

	st = pod_status_compute(&in);
	CHECK_STR(jstr(st, "phase"), "Running");
	CHECK_STR(jstr(st, "podIP"), "10.42.1.5");
	CHECK_STR(jstr(json_array_get(json_object_get(st, "podIPs"), 0), "ip"), "10.42.1.5");
	CHECK(json_is_false(json_object_get(json_array_get(json_object_get(st, "containerStatuses"), 0), "ready")));
	CHECK(json_is_true(json_object_get(json_array_get(json_object_get(st, "containerStatuses"), 0), "started")));
	CHECK(json_is_true(json_object_get(json_array_get(json_object_get(st, "containerStatuses"), 1), "ready")));
	CHECK_STR(jstr(cond(st, "ContainersReady"), "message"), "containers with unready status: [a]");

	/* the same inputs a second later: nothing changed, so nothing to write */
	json_object_set(p, "status", st);
	in.now = "2026-01-01T00:00:02Z";
	st2 = pod_status_compute(&in);
	CHECK(!pod_status_changed(st, st2));

	/* readiness passes: Ready flips with a new transition time; PodScheduled keeps its time */
	probes[0].ready = true;
	in.now = "2026-01-01T00:00:03Z";
	st3 = pod_status_compute(&in);
	CHECK(pod_status_changed(st2, st3));
	CHECK_STR(jstr(cond(st3, "Ready"), "status"), "True");
	CHECK(json_object_get(cond(st3, "Ready"), "reason") == NULL);
	CHECK_STR(jstr(cond(st3, "Ready"), "lastTransitionTime"), "2026-01-01T00:00:03Z");
	CHECK_STR(jstr(cond(st3, "PodScheduled"), "lastTransitionTime"), "2026-01-01T00:00:01Z");
	CHECK_STR(jstr(st3, "startTime"), "2026-01-01T00:00:01Z");
	json_decref(st);
	json_decref(st2);
	json_decref(st3);
	json_decref(c);
	json_decref(p);
}

static void test_startup_gates_ready(void)
{
	json_t *p = pod("Always", 1), *c = arr2(running("a"), NULL), *st;
	pod_probe_result_t probes[] = { { "a", true, false } };
	pod_status_input_t in = { .pod = p, .containers = c, .probes = probes, .nprobes = 1, .now = "t" };

	st = pod_status_compute(&in);
	CHECK(json_is_false(json_object_get(json_array_get(json_object_get(st, "containerStatuses"), 0), "started")));
	CHECK(json_is_false(json_object_get(json_array_get(json_object_get(st, "containerStatuses"), 0), "ready")));
	CHECK_STR(jstr(cond(st, "Ready"), "status"), "False");
	json_decref(st);
	json_decref(c);
	json_decref(p);
}

static void test_terminal_and_rejected(void)
{
	json_t *p = pod("Never", 1), *c = arr2(terminated("a", 0, false), NULL), *st;
	pod_status_input_t in = { .pod = p, .containers = c, .now = "t" };

	st = pod_status_compute(&in);
	CHECK_STR(jstr(st, "phase"), "Succeeded");
	CHECK_STR(jstr(cond(st, "Ready"), "reason"), "PodCompleted");
	CHECK_STR(jstr(cond(st, "ContainersReady"), "reason"), "PodCompleted");
	json_decref(st);
	in.reason = "NodePorts";
	in.message = "Pod was rejected: node(s) didn't have free ports for the requested pod ports";
	st = pod_status_compute(&in);
	CHECK_STR(jstr(st, "phase"), "Failed");
	CHECK_STR(jstr(st, "reason"), "NodePorts");
	json_decref(st);
	json_decref(c);
	json_decref(p);
}

static json_t *jload(const char *text)
{
	json_error_t e;
	return json_loads(text, 0, &e);
}

static void test_admission(void)
{
	json_t *ok = jload("{\"metadata\": {\"name\": \"a\"}, \"spec\": {\"containers\": ["
			   "{\"name\": \"x\", \"ports\": [{\"containerPort\": 80}, {\"containerPort\": 80, \"protocol\": \"UDP\"}],"
			   " \"readinessProbe\": {\"tcpSocket\": {\"port\": 80}}},"
			   "{\"name\": \"y\", \"ports\": [{\"containerPort\": 81, \"hostPort\": 8081}]}]}}");
	json_t *clash = jload("{\"spec\": {\"containers\": [{\"name\": \"x\", \"ports\": [{\"containerPort\": 80}]},"
			      "{\"name\": \"y\", \"ports\": [{\"containerPort\": 80, \"protocol\": \"TCP\"}]}]}}");
	json_t *badprobe = jload("{\"spec\": {\"containers\": [{\"name\": \"x\", \"livenessProbe\": {\"periodSeconds\": 1}}]}}");
	json_t *hp = jload("{\"metadata\": {\"name\": \"b\"}, \"spec\": {\"containers\": [{\"name\": \"z\", "
			   "\"ports\": [{\"containerPort\": 9, \"hostPort\": 8081}]}]}}");
	json_t *hp_udp = jload("{\"spec\": {\"containers\": [{\"name\": \"z\", "
			       "\"ports\": [{\"containerPort\": 9, \"hostPort\": 8081, \"protocol\": \"UDP\"}]}]}}");
	json_t *hp_ip = jload("{\"spec\": {\"containers\": [{\"name\": \"z\", "
			      "\"ports\": [{\"containerPort\": 9, \"hostPort\": 8081, \"hostIP\": \"192.0.2.7\"}]}]}}");
	const json_t *others[] = { ok };
	char ctr[64], msg[512];

	CHECK_INT(pod_check_config(ok, ctr, sizeof(ctr), msg, sizeof(msg)), 0);
	CHECK_INT(pod_check_config(clash, ctr, sizeof(ctr), msg, sizeof(msg)), -EINVAL);
	CHECK_STR(ctr, "y");
	CHECK_STR(msg, "port conflict: containerPort 80/TCP of container y is also used by container x");
	CHECK_INT(pod_check_config(badprobe, ctr, sizeof(ctr), msg, sizeof(msg)), -EINVAL);
	CHECK_STR(ctr, "x");
	CHECK(strstr(msg, "livenessProbe: must specify exactly one handler type") != NULL);
	CHECK(pod_host_ports_clash(hp, others, 1, msg, sizeof(msg)));
	CHECK(strstr(msg, "Pod was rejected: node(s) didn't have free ports") != NULL);
	CHECK(strstr(msg, "held by pod a") != NULL);
	CHECK(!pod_host_ports_clash(hp, others, 0, msg, sizeof(msg)));
	CHECK(!pod_host_ports_clash(hp_udp, others, 1, msg, sizeof(msg))); /* other protocol */
	CHECK(pod_host_ports_clash(hp_ip, others, 1, msg, sizeof(msg)));   /* 0.0.0.0 covers every address */
	json_decref(ok);
	json_decref(clash);
	json_decref(badprobe);
	json_decref(hp);
	json_decref(hp_udp);
	json_decref(hp_ip);
}

int main(void)
{
	TEST_RUN(test_phase);
	TEST_RUN(test_waiting);
	TEST_RUN(test_ready_and_transitions);
	TEST_RUN(test_startup_gates_ready);
	TEST_RUN(test_terminal_and_rejected);
	TEST_RUN(test_admission);
	TEST_DONE();
}
