/* The scheduler's node choice (controllers/sched_logic.c): Ready and schedulable nodes only,
 * nodeSelector honoured, fewest pods first, upstream's FailedScheduling wording. */
#include <errno.h>
#include <string.h>

#include "controllers/sched_logic.h"
#include "harness.h"

static json_t *node(const char *name, const char *ready, const char *zone, int unschedulable)
{
	json_t *n = json_pack("{s:{s:s, s:{s:s}}, s:{s:b}, s:{s:[{s:s, s:s}]}}", "metadata", "name", name, "labels",
			      "zone", zone, "spec", "unschedulable", unschedulable, "status", "conditions", "type", "Ready",
			      "status", ready);
	return n;
}

static void test_pending(void)
{
	json_t *p = json_pack("{s:{s:s}, s:{}, s:{s:s}}", "metadata", "name", "p", "spec", "status", "phase", "Pending");

	CHECK(sched_pod_pending(p));
	json_object_set_new(json_object_get(p, "spec"), "schedulerName", json_string("other"));
	CHECK(!sched_pod_pending(p));
	json_object_set_new(json_object_get(p, "spec"), "schedulerName", json_string(SCHED_NAME));
	json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string("a"));
	CHECK(!sched_pod_pending(p));
	json_object_del(json_object_get(p, "spec"), "nodeName");
	json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp", json_string("2024-01-01T00:00:00Z"));
	CHECK(!sched_pod_pending(p));
	json_decref(p);
}

static void test_fewest_pods(void)
{
	json_t *nodes = json_pack("[o, o, o]", node("a", "True", "z1", 0), node("b", "True", "z1", 0),
				  node("c", "True", "z2", 0));
	json_t *counts = json_pack("{s:i, s:i, s:i}", "a", 3, "b", 1, "c", 1);
	json_t *pod = json_pack("{s:{s:s}, s:{}}", "metadata", "name", "p", "spec");
	const char *n = NULL;
	char msg[512];

	CHECK(sched_pick(pod, nodes, counts, &n, msg, sizeof(msg)) == 0);
	CHECK_STR(n, "b"); /* b and c tie: by name */
	json_object_set_new(json_object_get(pod, "spec"), "nodeSelector", json_pack("{s:s}", "zone", "z1"));
	json_object_set_new(counts, "b", json_integer(5));
	CHECK(sched_pick(pod, nodes, counts, &n, msg, sizeof(msg)) == 0);
	CHECK_STR(n, "a");
	json_decref(nodes);
	json_decref(counts);
	json_decref(pod);
}

static void test_unschedulable(void)
{
	json_t *nodes = json_pack("[o, o, o, o]", node("a", "False", "z1", 0), node("b", "True", "z1", 1),
				  node("c", "True", "z2", 0), node("d", "Unknown", "z1", 0));
	json_t *pod = json_pack("{s:{s:s}, s:{s:{s:s}}}", "metadata", "name", "p", "spec", "nodeSelector", "zone", "z1");
	json_t *none = json_array(), *counts = json_object();
	const char *n = NULL;
	char msg[512];

	CHECK(sched_pick(pod, nodes, counts, &n, msg, sizeof(msg)) == -ENOENT);
	CHECK_STR(msg, "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had "
		       "untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) had untolerated taint "
		       "{node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable.");
	CHECK(sched_pick(pod, none, counts, &n, msg, sizeof(msg)) == -ENOENT);
	CHECK_STR(msg, "no nodes available to schedule pods");
	json_decref(nodes);
	json_decref(none);
	json_decref(counts);
	json_decref(pod);
}

int main(void)
{
	TEST_RUN(test_pending);
	TEST_RUN(test_fewest_pods);
	TEST_RUN(test_unschedulable);
	TEST_DONE();
}
