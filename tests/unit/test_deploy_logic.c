/* Deployment rollout arithmetic and status (controllers/deploy_logic.c): fenceposts, scale up and
 * down with upstream's pod ranking, RollingUpdate steps within maxSurge/maxUnavailable, Recreate,
 * status counts and the Available/Progressing conditions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/deploy_logic.h"
#include "harness.h"

#define NOW 1700000000

static json_t *deploy(int replicas, const char *image, const char *surge, const char *unav)
{
	json_t *d = json_pack("{s:{s:s, s:s, s:s, s:i}, s:{s:i, s:{s:{s:s}}, s:i, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}},"
			      " s:{s:s, s:{s:s, s:s}}}}",
			      "metadata", "name", "web", "namespace", "default", "uid", "u-1", "generation", 3, "spec",
			      "replicas", replicas, "selector", "matchLabels", "app", "web", "progressDeadlineSeconds", 600,
			      "template", "metadata", "labels", "app", "web", "spec", "containers", "name", "c", "image",
			      image, "strategy", "type", "RollingUpdate", "rollingUpdate", "maxSurge", surge,
			      "maxUnavailable", unav);
	return d;
}

static char hash_of(const json_t *d, char *buf)
{
	deploy_template_hash(json_object_get(json_object_get(d, "spec"), "template"), -1, buf, DEPLOY_HASH_MAX);
	return buf[0];
}

/* a pod of hash h; ready: "True"/"False"/NULL; node may be NULL */
static json_t *pod(const char *name, const char *h, const char *ready, const char *node, const char *created)
{
	json_t *p = json_pack("{s:{s:s, s:s, s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:b}]}, s:{}, s:{s:s}}", "metadata",
			      "name", name, "namespace", "default", "creationTimestamp", created, "labels", "app", "web",
			      DEPLOY_HASH_LABEL, h, "ownerReferences", "uid", "u-1", "kind", "Deployment", "controller", 1,
			      "spec", "status", "phase", node ? "Running" : "Pending");
	if (node)
		json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string(node));
	if (ready)
		json_object_set_new(json_object_get(p, "status"), "conditions",
				    json_pack("[{s:s, s:s, s:s}]", "type", "Ready", "status", ready, "lastTransitionTime",
					      "2023-11-14T22:00:00Z"));
	return p;
}

static void add_pods(json_t *arr, int n, const char *prefix, const char *h, const char *ready)
{
	char name[64], ts[32];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		snprintf(ts, sizeof(ts), "2023-11-14T21:%02d:00Z", i);
		json_array_append_new(arr, pod(name, h, ready, "node-a", ts));
	}
}

static const char *cond_reason(const json_t *st, const char *type)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(st, "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
			return json_string_value(json_object_get(c, "reason"));
	return NULL;
}

static int st(const deploy_plan_t *p, const char *k)
{
	return (int)json_integer_value(json_object_get(p->status, k));
}

static void test_scaled_value(void)
{
	int v = -1;
	json_t *s = json_string("25%"), *i = json_integer(3), *bad = json_string("x%"), *neg = json_integer(-1);

	CHECK(deploy_scaled_value(s, 10, true, &v) == 0 && v == 3);
	CHECK(deploy_scaled_value(s, 10, false, &v) == 0 && v == 2);
	CHECK(deploy_scaled_value(s, 4, true, &v) == 0 && v == 1);
	CHECK(deploy_scaled_value(s, 1, false, &v) == 0 && v == 0);
	CHECK(deploy_scaled_value(i, 10, true, &v) == 0 && v == 3);
	CHECK(deploy_scaled_value(bad, 10, true, &v) == -EINVAL);
	CHECK(deploy_scaled_value(neg, 10, true, &v) == -EINVAL);
	json_decref(s);
	json_decref(i);
	json_decref(bad);
	json_decref(neg);
}

static void test_fenceposts(void)
{
	json_t *d = deploy(10, "nginx:1", "25%", "25%"), *z = deploy(3, "nginx:1", "0%", "0%");
	int s = -1, u = -1;

	CHECK(deploy_fenceposts(d, 10, &s, &u) == 0);
	CHECK_INT(s, 3);
	CHECK_INT(u, 2);
	/* both zero: unavailable becomes 1 so the rollout can move */
	CHECK(deploy_fenceposts(z, 3, &s, &u) == 0);
	CHECK_INT(s, 0);
	CHECK_INT(u, 1);
	json_decref(d);
	json_decref(z);
}

static void test_hash(void)
{
	json_t *a = deploy(1, "nginx:1", "25%", "25%"), *b = deploy(5, "nginx:1", "1", "0"), *c = deploy(1, "nginx:2", "25%", "25%");
	char ha[DEPLOY_HASH_MAX], hb[DEPLOY_HASH_MAX], hc[DEPLOY_HASH_MAX], hd[DEPLOY_HASH_MAX];

	hash_of(a, ha);
	hash_of(b, hb);
	hash_of(c, hc);
	deploy_template_hash(json_object_get(json_object_get(a, "spec"), "template"), 1, hd, sizeof(hd));
	CHECK_STR(ha, hb); /* replicas and strategy are not part of the template */
	CHECK(strcmp(ha, hc) != 0);
	CHECK(strcmp(ha, hd) != 0); /* collisionCount changes it */
	CHECK(strlen(ha) > 0 && strspn(ha, "bcdfghjklmnpqrstvwxz2456789") == strlen(ha));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_scale_up_from_zero(void)
{
	json_t *d = deploy(5, "nginx:1", "25%", "25%"), *pods = json_array(), *p;
	deploy_plan_t plan;

	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 5);
	CHECK_INT(json_array_size(plan.remove), 0);
	CHECK_INT(st(&plan, "replicas"), 0);
	CHECK_INT(st(&plan, "observedGeneration"), 3);
	CHECK_STR(cond_reason(plan.status, "Progressing"), "NewReplicaSetCreated");
	CHECK_STR(cond_reason(plan.status, "Available"), "MinimumReplicasUnavailable");
	p = deploy_pod_new(d, &plan);
	CHECK(p != NULL);
	{
		char want[64];
		snprintf(want, sizeof(want), "web-%s-", plan.hash);
		CHECK_STR(json_string_value(json_object_get(json_object_get(p, "metadata"), "generateName")), want);
		CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(p, "metadata"), "labels"),
							    DEPLOY_HASH_LABEL)),
			  plan.hash);
		CHECK_STR(json_string_value(json_object_get(
				  json_array_get(json_object_get(json_object_get(p, "metadata"), "ownerReferences"), 0), "uid")),
			  "u-1");
	}
	json_decref(p);
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
}

static void test_scale_down_ranking(void)
{
	json_t *d = deploy(2, "nginx:1", "25%", "25%"), *pods = json_array();
	deploy_plan_t plan;
	char h[DEPLOY_HASH_MAX];
	const char *n0, *n1, *n2;

	hash_of(d, h);
	json_array_append_new(pods, pod("old-ready", h, "True", "node-a", "2023-11-14T20:00:00Z"));
	json_array_append_new(pods, pod("new-ready", h, "True", "node-a", "2023-11-14T21:00:00Z"));
	json_array_append_new(pods, pod("notready", h, "False", "node-a", "2023-11-14T19:00:00Z"));
	json_array_append_new(pods, pod("unscheduled", h, NULL, NULL, "2023-11-14T18:00:00Z"));
	json_array_append_new(pods, pod("older-ready", h, "True", "node-a", "2023-11-14T19:30:00Z"));
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 3);
	n0 = json_string_value(json_object_get(json_object_get(json_array_get(plan.remove, 0), "metadata"), "name"));
	n1 = json_string_value(json_object_get(json_object_get(json_array_get(plan.remove, 1), "metadata"), "name"));
	n2 = json_string_value(json_object_get(json_object_get(json_array_get(plan.remove, 2), "metadata"), "name"));
	/* unscheduled first, then not ready, then the newest ready one */
	CHECK_STR(n0, "unscheduled");
	CHECK_STR(n1, "notready");
	CHECK_STR(n2, "new-ready");
	CHECK_INT(st(&plan, "replicas"), 5);
	CHECK_INT(st(&plan, "readyReplicas"), 3);
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
}

/* 4 replicas, maxSurge 1, maxUnavailable 0: a step adds one new pod, then only when it is available
 * does an old one go. */
static void test_rolling_steps(void)
{
	json_t *d = deploy(4, "nginx:2", "25%", "0%"), *old = deploy(4, "nginx:1", "25%", "0%"), *pods = json_array();
	deploy_plan_t plan;
	char hn[DEPLOY_HASH_MAX], ho[DEPLOY_HASH_MAX];
	json_t *ru = json_object_get(json_object_get(json_object_get(d, "spec"), "strategy"), "rollingUpdate");

	/* integers, as intstr allows ("1" as a string would be rejected, as upstream does) */
	json_object_set_new(ru, "maxSurge", json_integer(1));
	json_object_set_new(ru, "maxUnavailable", json_integer(0));

	hash_of(d, hn);
	hash_of(old, ho);
	add_pods(pods, 4, "old", ho, "True");
	/* step 1: surge one new pod, no removal */
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 1);
	CHECK_INT(json_array_size(plan.remove), 0);
	CHECK(plan.scaled_up);
	CHECK_STR(cond_reason(plan.status, "Progressing"), "NewReplicaSetCreated");
	deploy_plan_clear(&plan);
	/* step 2: the new pod exists but is not ready: nothing may move */
	json_array_append_new(pods, pod("new-0", hn, "False", "node-a", "2023-11-14T22:10:00Z"));
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 0);
	CHECK_INT(st(&plan, "updatedReplicas"), 1);
	CHECK_INT(st(&plan, "replicas"), 5);
	deploy_plan_clear(&plan);
	/* step 3: new pod ready: one old pod goes (5 available, min 4) */
	json_array_remove(pods, 4);
	json_array_append_new(pods, pod("new-0", hn, "True", "node-a", "2023-11-14T22:10:00Z"));
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 1);
	CHECK_INT(st(&plan, "availableReplicas"), 5);
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
	json_decref(old);
}

/* defaults 25%/25% with 4 replicas: surge 1, unavailable 1: one new created and, once it exists
 * (even unready), one old goes. Unhealthy old pods go first. */
static void test_rolling_defaults(void)
{
	json_t *d = deploy(4, "nginx:2", "25%", "25%"), *old = deploy(4, "nginx:1", "25%", "25%"), *pods = json_array();
	deploy_plan_t plan;
	char hn[DEPLOY_HASH_MAX], ho[DEPLOY_HASH_MAX];

	hash_of(d, hn);
	hash_of(old, ho);
	add_pods(pods, 3, "old", ho, "True");
	json_array_append_new(pods, pod("old-sick", ho, "False", "node-a", "2023-11-14T20:00:00Z"));
	json_array_append_new(pods, pod("new-0", hn, "False", "node-a", "2023-11-14T22:10:00Z"));
	/* total 5 = max; minAvailable 3; new unavailable 1; maxScaledDown = 5 - 3 - 1 = 1: the sick one */
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 1);
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_array_get(plan.remove, 0), "metadata"), "name")),
		  "old-sick");
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
	json_decref(old);
}

static void test_complete_status(void)
{
	json_t *d = deploy(3, "nginx:1", "25%", "25%"), *pods = json_array();
	deploy_plan_t plan;
	char h[DEPLOY_HASH_MAX];

	hash_of(d, h);
	add_pods(pods, 3, "p", h, "True");
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 0);
	CHECK_INT(st(&plan, "replicas"), 3);
	CHECK_INT(st(&plan, "updatedReplicas"), 3);
	CHECK_INT(st(&plan, "readyReplicas"), 3);
	CHECK_INT(st(&plan, "availableReplicas"), 3);
	CHECK(json_object_get(plan.status, "unavailableReplicas") == NULL);
	CHECK_STR(cond_reason(plan.status, "Available"), "MinimumReplicasAvailable");
	CHECK_STR(cond_reason(plan.status, "Progressing"), "NewReplicaSetAvailable");
	/* the same world again: same status, nothing to write */
	json_object_set(d, "status", plan.status);
	{
		deploy_plan_t again;
		CHECK(deploy_plan(d, pods, NOW + 30, &again) == 0);
		CHECK(deploy_status_equal(json_object_get(d, "status"), again.status));
		deploy_plan_clear(&again);
	}
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
}

static void test_progress_deadline(void)
{
	json_t *d = deploy(2, "nginx:1", "25%", "25%"), *pods = json_array();
	deploy_plan_t plan;
	char h[DEPLOY_HASH_MAX];

	hash_of(d, h);
	add_pods(pods, 2, "p", h, "False");
	json_object_set_new(d, "status",
			    json_pack("{s:i, s:i, s:i, s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "replicas", 2,
				      "updatedReplicas", 2, "readyReplicas", 0, "conditions", "type", "Progressing", "status",
				      "True", "reason", "ReplicaSetUpdated", "message", "x", "lastUpdateTime",
				      "2023-11-14T22:00:00Z", "lastTransitionTime", "2023-11-14T22:00:00Z"));
	/* lastUpdateTime 2023-11-14T22:00:00Z = 1699999200; the deadline is 600 s */
	CHECK(deploy_plan(d, pods, 1699999200 + 601, &plan) == 0);
	CHECK_STR(cond_reason(plan.status, "Progressing"), "ProgressDeadlineExceeded");
	deploy_plan_clear(&plan);
	/* within the deadline: unchanged, with a requeue for when it would pass */
	CHECK(deploy_plan(d, pods, 1699999200 + 10, &plan) == 0);
	CHECK_STR(cond_reason(plan.status, "Progressing"), "ReplicaSetUpdated");
	CHECK_INT(plan.requeue_sec, 591);
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
}

static void test_recreate(void)
{
	json_t *d = deploy(2, "nginx:2", "25%", "25%"), *old = deploy(2, "nginx:1", "25%", "25%"), *pods = json_array();
	deploy_plan_t plan;
	char ho[DEPLOY_HASH_MAX];

	json_object_set_new(json_object_get(d, "spec"), "strategy", json_pack("{s:s}", "type", "Recreate"));
	hash_of(old, ho);
	add_pods(pods, 2, "old", ho, "True");
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 2);
	deploy_plan_clear(&plan);
	/* old pods terminating: still no new ones */
	json_object_set_new(json_object_get(json_array_get(pods, 0), "metadata"), "deletionTimestamp",
			    json_string("2023-11-14T22:00:00Z"));
	json_object_set_new(json_object_get(json_array_get(pods, 1), "metadata"), "deletionTimestamp",
			    json_string("2023-11-14T22:00:00Z"));
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 0);
	CHECK_INT(json_array_size(plan.remove), 0);
	deploy_plan_clear(&plan);
	json_array_clear(pods);
	CHECK(deploy_plan(d, pods, NOW, &plan) == 0);
	CHECK_INT(plan.create, 2);
	deploy_plan_clear(&plan);
	json_decref(pods);
	json_decref(d);
	json_decref(old);
}

static void test_min_ready(void)
{
	json_t *p = pod("p", "h", "True", "n", "2023-11-14T21:00:00Z");
	long wait = 0;

	/* lastTransitionTime 2023-11-14T22:00:00Z = 1699999200 */
	CHECK(deploy_pod_available(p, 0, 1699999200, NULL));
	CHECK(!deploy_pod_available(p, 30, 1699999200 + 10, &wait));
	CHECK_INT(wait, 20);
	CHECK(deploy_pod_available(p, 30, 1699999200 + 30, NULL));
	json_decref(p);
}

int main(void)
{
	TEST_RUN(test_scaled_value);
	TEST_RUN(test_fenceposts);
	TEST_RUN(test_hash);
	TEST_RUN(test_scale_up_from_zero);
	TEST_RUN(test_scale_down_ranking);
	TEST_RUN(test_rolling_steps);
	TEST_RUN(test_rolling_defaults);
	TEST_RUN(test_complete_status);
	TEST_RUN(test_progress_deadline);
	TEST_RUN(test_recreate);
	TEST_RUN(test_min_ready);
	TEST_DONE();
}
