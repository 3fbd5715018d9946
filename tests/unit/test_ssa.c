/* Server-side apply (lib/ssa.c): create, no-op re-apply, changes, pruning, conflicts and their
 * Status, force, the kubectl client-side to server-side upgrade, and the request checks, with the
 * messages kube-apiserver gives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/managed_fields.h"
#include "lib/ssa.h"

#define T0 1735689600 /* 2025-01-01T00:00:00Z */

static const k8s_resource_t *svc(void)
{
	return k8s_resource_find("", "v1", "services");
}

static json_t *J(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	if (!j)
		fprintf(stderr, "bad test JSON: %s\n", s);
	return j;
}

static json_t *entry(const json_t *obj, const char *manager, const char *op)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "managedFields"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "manager")), manager) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "operation")), op) == 0)
			return e;
	return NULL;
}

static char *fields(const json_t *obj, const char *manager, const char *op)
{
	return json_dumps(json_object_get(entry(obj, manager, op), "fieldsV1"), JSON_COMPACT);
}

/* What the store would hold after admission: system metadata added. */
static void stored(json_t *obj)
{
	json_t *m = json_object_get(obj, "metadata");

	json_object_set_new(m, "uid", json_string("u1"));
	json_object_set_new(m, "resourceVersion", json_string("5"));
	json_object_set_new(m, "creationTimestamp", json_string("2025-01-01T00:00:00Z"));
	json_object_set_new(json_object_get(obj, "spec"), "clusterIP", json_string("10.43.0.10"));
	json_object_set_new(json_object_get(obj, "spec"), "sessionAffinity", json_string("None"));
}

#define APPLIED(tp, extra)                                                                                       \
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"namespace\":\"default\"" extra "}," \
	"\"spec\":{\"selector\":{\"app\":\"x\"},\"ports\":[{\"port\":80,\"targetPort\":" tp "}]}}"

static void test_create_and_noop(void)
{
	json_t *cfg = J(APPLIED("8080", "")), *obj = NULL, *st = NULL, *again = NULL;
	char *f;

	CHECK_INT(ssa_apply(svc(), NULL, cfg, "kubectl", false, T0, &obj, &st), 0);
	CHECK(st == NULL);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(json_object_get(obj, "spec"), "ports"), 0),
						     "targetPort")), 8080);
	f = fields(obj, "kubectl", "Apply");
	/* what kube-apiserver records for this apply */
	CHECK_STR(f, "{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
		     "\"f:port\":{},\"f:targetPort\":{}}},\"f:selector\":{}}}");
	free(f);
	CHECK_STR(json_string_value(json_object_get(entry(obj, "kubectl", "Apply"), "time")), "2025-01-01T00:00:00Z");
	CHECK_STR(json_string_value(json_object_get(entry(obj, "kubectl", "Apply"), "apiVersion")), "v1");
	stored(obj);
	/* re-applying the same configuration changes nothing, not even the time */
	CHECK_INT(ssa_apply(svc(), obj, cfg, "kubectl", false, T0 + 100, &again, &st), 0);
	CHECK(json_equal(again, obj));
	json_decref(again);
	json_decref(cfg);
	/* a change moves the time and the value; defaults and allocations stay */
	cfg = J(APPLIED("9090", ""));
	CHECK_INT(ssa_apply(svc(), obj, cfg, "kubectl", false, T0 + 100, &again, &st), 0);
	CHECK_STR(json_string_value(json_object_get(entry(again, "kubectl", "Apply"), "time")), "2025-01-01T00:01:40Z");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(json_object_get(again, "spec"), "ports"), 0),
						     "targetPort")), 9090);
	CHECK_STR(json_string_value(json_object_get(json_object_get(again, "spec"), "clusterIP")), "10.43.0.10");
	CHECK_STR(json_string_value(json_object_get(json_object_get(again, "metadata"), "uid")), "u1");
	json_decref(again);
	json_decref(cfg);
	json_decref(obj);
}

/* An object created by `kubectl apply` (client-side): kubectl-client-side-apply owns everything. */
static json_t *csa_object(void)
{
	json_t *obj = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"namespace\":\"default\","
			"\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
			"\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"kind\\\":\\\"Service\\\",\\\"metadata\\\":{\\\"annotations\\\":{},"
			"\\\"name\\\":\\\"x\\\",\\\"namespace\\\":\\\"default\\\"},\\\"spec\\\":{\\\"ports\\\":[{\\\"port\\\":80,"
			"\\\"targetPort\\\":8080}],\\\"selector\\\":{\\\"app\\\":\\\"x\\\"}}}\\n\"}},"
			"\"spec\":{\"selector\":{\"app\":\"x\"},\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}],"
			"\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\"},\"status\":{\"loadBalancer\":{}}}");

	mf_update(svc(), obj, NULL, "kubectl-client-side-apply", NULL, T0);
	stored(obj);
	return obj;
}

static void test_conflict(void)
{
	json_t *live = csa_object(), *cfg = J(APPLIED("9090", "")), *obj = NULL, *st = NULL, *causes;
	char *f;

	CHECK_INT(ssa_apply(svc(), live, cfg, "other", false, T0 + 1, &obj, &st), -EBUSY);
	CHECK(obj == NULL);
	CHECK_INT(json_integer_value(json_object_get(st, "code")), 409);
	CHECK_STR(json_string_value(json_object_get(st, "reason")), "Conflict");
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: "
		  ".spec.ports[port=80,protocol=\"TCP\"].targetPort");
	causes = json_object_get(json_object_get(st, "details"), "causes");
	CHECK_INT(json_array_size(causes), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(causes, 0), "reason")), "FieldManagerConflict");
	CHECK_STR(json_string_value(json_object_get(json_array_get(causes, 0), "message")),
		  "conflict with \"kubectl-client-side-apply\" using v1");
	CHECK_STR(json_string_value(json_object_get(json_array_get(causes, 0), "field")),
		  ".spec.ports[port=80,protocol=\"TCP\"].targetPort");
	json_decref(st);
	st = NULL;

	/* force: the field moves to the applier */
	CHECK_INT(ssa_apply(svc(), live, cfg, "other", true, T0 + 1, &obj, &st), 0);
	f = fields(obj, "kubectl-client-side-apply", "Update");
	CHECK(strstr(f, "targetPort") == NULL && strstr(f, "f:port") != NULL);
	free(f);
	f = fields(obj, "other", "Apply");
	CHECK(strstr(f, "targetPort") != NULL);
	free(f);
	json_decref(obj);
	json_decref(cfg);

	/* the same value is no conflict: both own it */
	cfg = J(APPLIED("8080", ""));
	CHECK_INT(ssa_apply(svc(), live, cfg, "other", false, T0 + 1, &obj, &st), 0);
	f = fields(obj, "kubectl-client-side-apply", "Update");
	CHECK(strstr(f, "targetPort") != NULL);
	free(f);
	json_decref(obj);
	json_decref(cfg);

	/* two managers, two fields: the multi-conflict message */
	cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"type\":\"NodePort\","
		"\"ports\":[{\"port\":80,\"targetPort\":1}]}}");
	CHECK_INT(ssa_apply(svc(), live, cfg, "other", false, T0 + 1, &obj, &st), -EBUSY);
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using v1:\n"
		  "- .spec.type\n- .spec.ports[port=80,protocol=\"TCP\"].targetPort");
	json_decref(st);
	json_decref(cfg);
	json_decref(live);
}

static void test_kubectl_upgrade(void)
{
	/* kubectl (the default server-side manager) takes over fields its client-side apply set,
	 * even to a new value: upstream's lastAppliedManager */
	json_t *live = csa_object(), *cfg = J(APPLIED("9090", "")), *obj = NULL, *st = NULL;
	const char *la;
	char *f;

	CHECK_INT(ssa_apply(svc(), live, cfg, "kubectl", false, T0 + 1, &obj, &st), 0);
	f = fields(obj, "kubectl", "Apply");
	CHECK(strstr(f, "targetPort") != NULL);
	free(f);
	la = json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"), "annotations"),
					       SSA_LAST_APPLIED));
	/* the annotation now holds what was applied (lastAppliedUpdater) */
	CHECK_STR(la, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"namespace\":\"default\"},"
		      "\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090}],\"selector\":{\"app\":\"x\"}}}\n");
	json_decref(obj);
	json_decref(cfg);

	/* a field kubectl's client-side apply never set (changed by someone else) still conflicts */
	{
		json_t *nw = json_deep_copy(live);
		json_object_set_new(json_object_get(nw, "spec"), "sessionAffinity", json_string("ClientIP"));
		mf_update(svc(), nw, live, "kubectl-edit", NULL, T0 + 2);
		cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"},\"spec\":{"
			"\"sessionAffinity\":\"None\"}}");
		CHECK_INT(ssa_apply(svc(), nw, cfg, "kubectl", false, T0 + 3, &obj, &st), -EBUSY);
		CHECK_STR(json_string_value(json_object_get(st, "message")),
			  "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .spec.sessionAffinity");
		json_decref(st);
		json_decref(cfg);
		json_decref(nw);
	}
	json_decref(live);
}

static void test_prune(void)
{
	json_t *cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}},"
			"\"spec\":{\"ports\":[{\"port\":80},{\"port\":81}]}}");
	json_t *obj = NULL, *st = NULL, *next = NULL, *other;
	char *d;

	CHECK_INT(ssa_apply(svc(), NULL, cfg, "m", false, T0, &obj, &st), 0);
	stored(obj);
	json_decref(cfg);
	/* someone else adds a label: it is theirs */
	other = json_deep_copy(obj);
	json_object_set_new(json_object_get(json_object_get(other, "metadata"), "labels"), "c", json_string("3"));
	mf_update(svc(), other, obj, "labeler", NULL, T0 + 1);
	/* m stops applying label b and port 81: both go; c (labeler's) and the defaults stay */
	cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"1\"}},"
		"\"spec\":{\"ports\":[{\"port\":80}]}}");
	CHECK_INT(ssa_apply(svc(), other, cfg, "m", false, T0 + 2, &next, &st), 0);
	d = json_dumps(json_object_get(next, "spec"), JSON_COMPACT);
	CHECK_STR(d, "{\"ports\":[{\"port\":80}],\"clusterIP\":\"10.43.0.10\",\"sessionAffinity\":\"None\"}");
	free(d);
	d = json_dumps(json_object_get(json_object_get(next, "metadata"), "labels"), JSON_COMPACT);
	CHECK_STR(d, "{\"a\":\"1\",\"c\":\"3\"}");
	free(d);
	CHECK_STR(json_string_value(json_object_get(json_object_get(next, "metadata"), "uid")), "u1");
	json_decref(next);
	json_decref(cfg);
	json_decref(other);
	json_decref(obj);
}

static void test_before_first_apply(void)
{
	/* an object nobody tracked: what it holds becomes "before-first-apply"'s */
	json_t *live = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"uid\":\"u\"},"
			 "\"spec\":{\"type\":\"ClusterIP\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":1}]}}");
	json_t *cfg = J(APPLIED("2", "")), *obj = NULL, *st = NULL;

	CHECK_INT(ssa_apply(svc(), live, cfg, "m", false, T0, &obj, &st), -EBUSY);
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: "
		  ".spec.ports[port=80,protocol=\"TCP\"].targetPort");
	json_decref(st);
	json_decref(cfg);
	json_decref(live);
}

static void test_errors(void)
{
	json_t *cfg, *obj = NULL, *st = NULL;

	cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}");
	CHECK_INT(ssa_apply(svc(), NULL, cfg, "m", false, T0, &obj, &st), -EBADMSG);
	CHECK_STR(json_string_value(json_object_get(st, "message")), "invalid object type: /v1, Kind=Pod");
	CHECK_INT(json_integer_value(json_object_get(st, "code")), 400);
	json_decref(st);
	json_decref(cfg);
	cfg = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Service\"}");
	CHECK_INT(ssa_apply(svc(), NULL, cfg, "m", false, T0, &obj, &st), -EBADMSG);
	CHECK_STR(json_string_value(json_object_get(st, "message")), "invalid object type: apps/v1, Kind=Service");
	json_decref(st);
	json_decref(cfg);
	cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"managedFields\":[]}}");
	CHECK_INT(ssa_apply(svc(), NULL, cfg, "m", false, T0, &obj, &st), -EBADMSG);
	CHECK_STR(json_string_value(json_object_get(st, "message")), "metadata.managedFields must be nil");
	json_decref(st);
	json_decref(cfg);
	cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},"
		"\"spec\":{\"ports\":[{\"port\":80},{\"port\":80,\"protocol\":\"TCP\"}]}}");
	CHECK_INT(ssa_apply(svc(), NULL, cfg, "m", false, T0, &obj, &st), -EPROTO);
	CHECK_INT(json_integer_value(json_object_get(st, "code")), 500);
	CHECK(json_object_get(st, "reason") == NULL);
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "failed to create typed patch object (ns/x; /v1, Kind=Service): .spec.ports: duplicate entries for "
		  "key [port=80,protocol=\"TCP\"]");
	json_decref(st);
	json_decref(cfg);
	cfg = J("[1]");
	CHECK_INT(ssa_apply(svc(), NULL, cfg, "m", false, T0, &obj, &st), -EBADMSG);
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}");
	json_decref(st);
	json_decref(cfg);
	CHECK(obj == NULL);
}

static void test_options(void)
{
	json_t *st = ssa_options_status("PatchOptions", true, NULL, NULL);
	bool b = false;

	CHECK_INT(json_integer_value(json_object_get(st, "code")), 422);
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
	json_decref(st);
	st = ssa_options_status("PatchOptions", false, NULL, "true");
	CHECK_STR(json_string_value(json_object_get(st, "message")),
		  "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
	json_decref(st);
	CHECK(ssa_options_status("PatchOptions", true, "kubectl", "true") == NULL);
	CHECK(ssa_options_status("CreateOptions", false, "kubectl-create", NULL) == NULL);
	CHECK_INT(ssa_parse_bool("True", &b), 0);
	CHECK(b);
	CHECK_INT(ssa_parse_bool("yes", &b), -EINVAL);
}

int main(void)
{
	TEST_RUN(test_create_and_noop);
	TEST_RUN(test_conflict);
	TEST_RUN(test_kubectl_upgrade);
	TEST_RUN(test_prune);
	TEST_RUN(test_before_first_apply);
	TEST_RUN(test_errors);
	TEST_RUN(test_options);
	TEST_DONE();
}
