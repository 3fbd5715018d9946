/* managedFields: FieldsV1 sets, typed walks and the Update operation (lib/managed_fields.c),
 * checked against what kube-apiserver records for the same writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/managed_fields.h"

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

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

#define CHECK_JSON(j, s)                                   \
	do {                                               \
		char *th_d = dump(j);                      \
		CHECK_STR(th_d, s);                        \
		free(th_d);                                \
	} while (0)

/* The stored entry for manager (first match), or NULL. */
static json_t *entry(const json_t *obj, const char *manager)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "managedFields"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "manager")), manager) == 0)
			return e;
	return NULL;
}

static void test_fields_roundtrip(void)
{
	json_t *in = J("{\"f:spec\":{\"f:ports\":{\"k:{\\\"protocol\\\":\\\"TCP\\\",\\\"port\\\":80}\":{\".\":{},"
		       "\"f:port\":{},\"f:targetPort\":{}},\".\":{}},\"f:selector\":{}},"
		       "\"f:metadata\":{\"f:labels\":{\"f:app\":{},\".\":{}}},\"x:unknown\":{}}");
	json_t *set = NULL, *out;
	char *err = NULL;

	CHECK_INT(mf_set_from_fields(in, &set, &err), 0);
	out = mf_set_to_fields(set);
	/* keys canonical (sorted key fields), "." first, fields before keys, unknown types dropped */
	CHECK_JSON(out, "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:ports\":{\".\":{},"
			"\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:port\":{},\"f:targetPort\":{}}},"
			"\"f:selector\":{}}}");
	{
		const char *p[] = { "f:spec", "f:ports", "k:{\"port\":80,\"protocol\":\"TCP\"}", "f:targetPort" };
		char *s = mf_path_string(p, 4);
		CHECK(mf_set_has(set, p, 4));
		CHECK(mf_set_has(set, p, 3));
		CHECK(!mf_set_has(set, p, 1));
		CHECK_STR(s, ".spec.ports[port=80,protocol=\"TCP\"].targetPort");
		free(s);
	}
	json_decref(in);
	json_decref(out);
	json_decref(set);
	/* malformed */
	in = J("{\"k:{bad\":{}}");
	CHECK(mf_set_from_fields(in, &set, &err) == -EINVAL);
	free(err);
	json_decref(in);
}

static void test_set_ops(void)
{
	json_t *a = J("{\"f:a\":{\".\":{}},\"f:b\":{\"f:c\":{\".\":{}},\"f:d\":{\".\":{}}}}");
	json_t *b = J("{\"f:b\":{\"f:c\":{\".\":{}}},\"f:x\":{\".\":{}}}");
	json_t *u = mf_set_union(a, b), *d = mf_set_difference(a, b), *i = mf_set_intersection(a, b);
	json_t *r = J("{\"f:b\":{\".\":{}}}"), *rd = mf_set_recursive_difference(a, r);

	json_t *uf = mf_set_to_fields(u);
	CHECK_JSON(uf, "{\"f:a\":{},\"f:b\":{\"f:c\":{},\"f:d\":{}},\"f:x\":{}}");
	json_decref(uf);
	CHECK_JSON(d, "{\"f:a\":{\".\":{}},\"f:b\":{\"f:d\":{\".\":{}}}}");
	CHECK_JSON(i, "{\"f:b\":{\"f:c\":{\".\":{}}}}");
	CHECK_JSON(rd, "{\"f:a\":{\".\":{}}}");
	json_decref(a);
	json_decref(b);
	json_decref(u);
	json_decref(d);
	json_decref(i);
	json_decref(r);
	json_decref(rd);
}

static void test_go_json(void)
{
	json_t *v = J("{\"b\":\"<a&b>\",\"a\":[1,2.5,true,null],\"c\":\"\\u2028\\n\"}");
	char *s = mf_go_json(v);

	CHECK_STR(s, "{\"a\":[1,2.5,true,null],\"b\":\"\\u003ca\\u0026b\\u003e\",\"c\":\"\\u2028\\n\"}");
	free(s);
	json_decref(v);
	/* flat list-map keys (the path without stdio) and their near misses */
	{
		static const char *const in[][2] = {
			{ "{\"protocol\":\"TCP\",\"port\":80}", "{\"port\":80,\"protocol\":\"TCP\"}" },
			{ "{\"name\":\"a b\",\"n\":-9223372036854775808}", "{\"n\":-9223372036854775808,\"name\":\"a b\"}" },
			{ "{}", "{}" },
			{ "{\"k<\":\"v\"}", "{\"k\\u003c\":\"v\"}" },
			{ "{\"k\":\"a\\\"b\"}", "{\"k\":\"a\\\"b\"}" },
			{ "{\"k\":\"\\u00e9\"}", "{\"k\":\"\u00e9\"}" },
			{ "{\"k\":1.5,\"j\":\"x\"}", "{\"j\":\"x\",\"k\":1.5}" },
			{ "{\"k\":true}", "{\"k\":true}" },
		};
		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			v = J(in[i][0]);
			s = mf_go_json(v);
			CHECK_STR(s, in[i][1]);
			free(s);
			json_decref(v);
		}
	}
}

static void test_manager_names(void)
{
	char *m = mf_manager_or_user_agent(NULL, "kubectl/v1.33.0 (linux/amd64) kubernetes/abc");
	json_t *errs = json_array();
	char longname[200];

	CHECK_STR(m, "kubectl");
	free(m);
	m = mf_manager_or_user_agent("kubectl-client-side-apply", "kubectl/v1.33.0");
	CHECK_STR(m, "kubectl-client-side-apply");
	free(m);
	m = mf_manager_or_user_agent("", "Go-http\x01-client/1.1");
	CHECK_STR(m, "Go-http-client");
	free(m);
	memset(longname, 'a', sizeof(longname));
	longname[199] = '\0';
	m = mf_manager_or_user_agent(NULL, longname);
	CHECK_INT(strlen(m), 128);
	free(m);
	CHECK_INT(mf_validate_manager("ok", errs), 0);
	CHECK_INT(mf_validate_manager(longname, errs), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(errs, 0), "message")),
		  "Too long: may not be more than 128 bytes");
	json_decref(errs);
}

static const char SVC_CSA[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"namespace\":\"default\","
	"\"uid\":\"u1\",\"creationTimestamp\":\"2025-01-01T00:00:00Z\",\"annotations\":{"
	"\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\\n\"}},"
	"\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}],\"selector\":{\"app\":\"x\"},"
	"\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\"},\"status\":{\"loadBalancer\":{}}}";

static void test_update_create(void)
{
	json_t *obj = J(SVC_CSA), *e;

	CHECK_INT(mf_update(svc(), obj, NULL, "kubectl-client-side-apply", NULL, T0), 0);
	e = entry(obj, "kubectl-client-side-apply");
	CHECK(e != NULL);
	CHECK_STR(json_string_value(json_object_get(e, "operation")), "Update");
	CHECK_STR(json_string_value(json_object_get(e, "apiVersion")), "v1");
	CHECK_STR(json_string_value(json_object_get(e, "time")), "2025-01-01T00:00:00Z");
	CHECK_STR(json_string_value(json_object_get(e, "fieldsType")), "FieldsV1");
	CHECK(json_object_get(e, "subresource") == NULL);
	/* what kube-apiserver records for kubectl apply's create of this Service */
	CHECK_JSON(json_object_get(e, "fieldsV1"),
		   "{\"f:metadata\":{\"f:annotations\":{\".\":{},\"f:kubectl.kubernetes.io/last-applied-configuration\":{}}},"
		   "\"f:spec\":{\"f:ports\":{\".\":{},\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
		   "\"f:port\":{},\"f:protocol\":{},\"f:targetPort\":{}}},\"f:selector\":{},\"f:sessionAffinity\":{},"
		   "\"f:type\":{}}}");
	json_decref(obj);
}

static void test_update_moves_ownership(void)
{
	json_t *old = J(SVC_CSA), *nw, *e;

	mf_update(svc(), old, NULL, "kubectl-client-side-apply", NULL, T0);
	nw = json_deep_copy(old);
	json_object_set_new(json_array_get(json_object_get(json_object_get(nw, "spec"), "ports"), 0), "targetPort",
			    json_integer(9090));
	CHECK_INT(mf_update(svc(), nw, old, "kubectl-edit", NULL, T0 + 60), 0);
	e = entry(nw, "kubectl-edit");
	CHECK(e != NULL);
	CHECK_JSON(json_object_get(e, "fieldsV1"),
		   "{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\"f:targetPort\":{}}}}}");
	CHECK_STR(json_string_value(json_object_get(e, "time")), "2025-01-01T00:01:00Z");
	e = entry(nw, "kubectl-client-side-apply");
	CHECK_STR(json_string_value(json_object_get(e, "time")), "2025-01-01T00:00:00Z");
	{
		char *fs = json_dumps(json_object_get(e, "fieldsV1"), JSON_COMPACT);
		CHECK(strstr(fs, "targetPort") == NULL);
		free(fs);
	}
	/* order: by operation, then time */
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(nw, "metadata"),
										   "managedFields"), 1), "manager")),
		  "kubectl-edit");
	json_decref(old);
	json_decref(nw);
}

static void test_update_noop_and_untracked(void)
{
	json_t *old = J(SVC_CSA), *nw, *plain;

	mf_update(svc(), old, NULL, "a", NULL, T0);
	nw = json_deep_copy(old);
	json_object_del(json_object_get(nw, "metadata"), "managedFields"); /* clients rarely send them */
	CHECK_INT(mf_update(svc(), nw, old, "b", NULL, T0 + 5), 0);
	CHECK(json_equal(nw, old)); /* nothing changed: nothing recorded, no new time */
	json_decref(nw);

	/* an existing object nobody tracks stays untracked (skipNonAppliedManager) */
	plain = J(SVC_CSA);
	nw = json_deep_copy(plain);
	json_object_set_new(json_object_get(nw, "spec"), "type", json_string("NodePort"));
	CHECK_INT(mf_update(svc(), nw, plain, "b", NULL, T0), 0);
	CHECK(json_object_get(json_object_get(nw, "metadata"), "managedFields") == NULL);
	json_decref(nw);

	/* [{}] resets; a sent list replaces the stored one */
	nw = json_deep_copy(old);
	json_object_set_new(json_object_get(nw, "metadata"), "managedFields", J("[{}]"));
	CHECK_INT(mf_update(svc(), nw, old, "b", NULL, T0), 0);
	CHECK(json_object_get(json_object_get(nw, "metadata"), "managedFields") == NULL);
	json_decref(nw);
	nw = json_deep_copy(old);
	json_object_set_new(json_object_get(nw, "metadata"), "managedFields",
			    J("[{\"manager\":\"m\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
			      "\"fieldsV1\":{\"f:spec\":{\"f:type\":{}}}}]"));
	CHECK_INT(mf_update(svc(), nw, old, "b", NULL, T0), 0);
	CHECK(entry(nw, "m") != NULL && entry(nw, "a") == NULL);
	json_decref(nw);
	json_decref(old);
	json_decref(plain);
}

static void test_update_status(void)
{
	json_t *old = J(SVC_CSA), *nw, *e;

	mf_update(svc(), old, NULL, "a", NULL, T0);
	{
		char *fs = json_dumps(json_object_get(entry(old, "a"), "fieldsV1"), JSON_COMPACT);
		CHECK(strstr(fs, "status") == NULL);
		free(fs);
	}
	nw = json_deep_copy(old);
	json_object_set_new(json_object_get(nw, "status"), "loadBalancer", J("{\"ingress\":[{\"ip\":\"1.2.3.4\"}]}"));
	json_object_set_new(json_object_get(nw, "spec"), "type", json_string("LoadBalancer")); /* ignored */
	CHECK_INT(mf_update(svc(), nw, old, "lb-ctrl", "status", T0), 0);
	e = entry(nw, "lb-ctrl");
	CHECK_STR(json_string_value(json_object_get(e, "subresource")), "status");
	CHECK_JSON(json_object_get(e, "fieldsV1"), "{\"f:status\":{\"f:loadBalancer\":{\"f:ingress\":{}}}}");
	json_decref(old);
	json_decref(nw);
}

static void test_cap_managers(void)
{
	json_t *obj = J(SVC_CSA), *prev;
	char name[16];
	size_t n;

	mf_update(svc(), obj, NULL, "m0", NULL, T0);
	for (int i = 1; i <= 11; i++) {
		prev = obj;
		obj = json_deep_copy(prev);
		snprintf(name, sizeof(name), "m%d", i);
		json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "annotations"), name,
				    json_string("v"));
		mf_update(svc(), obj, prev, name, NULL, T0 + i);
		json_decref(prev);
	}
	n = json_array_size(json_object_get(json_object_get(obj, "metadata"), "managedFields"));
	CHECK(n <= 10);
	CHECK(entry(obj, "ancient-changes") != NULL);
	json_decref(obj);
}

static void test_lists_and_errors(void)
{
	const k8s_resource_t *dep = k8s_resource_find("apps", "v1", "deployments");
	json_t *d = J("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i\","
		      "\"env\":[{\"name\":\"X\",\"value\":\"1\"}],\"ports\":[{\"containerPort\":80}]}]}},"
		      "\"selector\":{\"matchLabels\":{\"a\":\"b\"}}},\"metadata\":{\"finalizers\":[\"f1\"]}}");
	json_t *set = NULL, *f;
	char *err = NULL;

	CHECK_INT(mf_to_set(dep, d, false, &set, NULL), 0);
	f = mf_set_to_fields(set);
	CHECK_JSON(f, "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"f1\\\"\":{}}},\"f:spec\":{\"f:selector\":{},"
		      "\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{},"
		      "\"f:env\":{\"k:{\\\"name\\\":\\\"X\\\"}\":{\".\":{},\"f:name\":{},\"f:value\":{}}},\"f:image\":{},"
		      "\"f:name\":{},\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
		      "\"f:containerPort\":{}}}}}}}}}");
	json_decref(f);
	json_decref(set);
	json_decref(d);
	d = J("{\"spec\":{\"ports\":[{\"port\":80},{\"port\":80,\"protocol\":\"TCP\"}]}}");
	CHECK_INT(mf_to_set(svc(), d, false, &set, &err), -EINVAL);
	CHECK_STR(err, ".spec.ports: duplicate entries for key [port=80,protocol=\"TCP\"]");
	free(err);
	err = NULL;
	json_decref(d);
	d = J("{\"spec\":{\"ports\":[{\"name\":\"x\"}]}}");
	CHECK_INT(mf_to_set(svc(), d, false, &set, &err), 0); /* protocol has a default: one key is enough */
	json_decref(set);
	json_decref(d);
	d = J("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"i\"}]}}}}");
	CHECK_INT(mf_to_set(dep, d, false, &set, &err), -EINVAL);
	CHECK_STR(err, ".spec.template.spec.containers: associative list with keys has an element that omits all "
		       "key fields [\"name\"] (and doesn't have default values for any key fields)");
	free(err);
	json_decref(d);
}

static void test_merge_order(void)
{
	json_t *l = J("{\"spec\":{\"ports\":[{\"port\":1},{\"port\":2},{\"port\":3}]}}");
	json_t *r = J("{\"spec\":{\"ports\":[{\"port\":3,\"name\":\"c\"},{\"port\":4}]}}");
	json_t *m = NULL;

	CHECK_INT(mf_merge(svc(), l, r, &m, NULL), 0);
	CHECK_JSON(m, "{\"spec\":{\"ports\":[{\"port\":1},{\"port\":2},{\"port\":3,\"name\":\"c\"},{\"port\":4}]}}");
	json_decref(m);
	json_decref(l);
	json_decref(r);
}

static void test_deep_input(void)
{
	char buf[4000];
	size_t o = 0;
	json_t *v, *set = NULL;

	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "{\"a\":");
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "1");
	for (int i = 0; i < 300; i++)
		buf[o++] = '}';
	buf[o] = '\0';
	v = json_loads(buf, 0, NULL);
	CHECK(v != NULL);
	CHECK_INT(mf_to_set(svc(), v, true, &set, NULL), -E2BIG);
	json_decref(v);
}

/* --- a create's entry: the one-walk path against the general one ------------------------------- */

/* What mf_update's general path records for creating obj: Compare(empty, obj) added and modified,
 * without the reset and server-owned fields. *ret NULL when nothing; -errno when Compare fails. */
static int general_create_fields(const k8s_resource_t *r, const json_t *obj, json_t **ret)
{
	json_t *empty = mf_empty_object(r), *reset = mf_reset_fields(r, NULL), *strip = mf_strip_set();
	json_t *u, *d;
	mf_cmp_t cmp = { 0 };
	int rc = mf_compare(r, empty, obj, &cmp, NULL);

	*ret = NULL;
	if (rc == 0 && reset) {
		json_t *a = mf_set_recursive_difference(cmp.added, reset);
		json_t *m = mf_set_recursive_difference(cmp.modified, reset);
		json_decref(cmp.added);
		json_decref(cmp.modified);
		cmp.added = a;
		cmp.modified = m;
	}
	if (rc == 0) {
		u = mf_set_union(cmp.modified, cmp.added);
		d = mf_set_difference(u, strip);
		if (!mf_set_empty(d))
			*ret = mf_set_to_fields(d);
		json_decref(u);
		json_decref(d);
	}
	mf_cmp_free(&cmp);
	json_decref(empty);
	json_decref(reset);
	json_decref(strip);
	return rc;
}

static unsigned rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static const char *const RND_KEYS[] = { "metadata", "spec", "status", "ports", "port", "protocol", "name",
					"labels", "annotations", "finalizers", "selector", "containers", "env",
					"value", "template", "type", "conditions", "uid", "data", "containerPort",
					"a", "b", "ownerReferences", "generation", "apiVersion", "kind" };

static json_t *rnd_value(int depth)
{
	static const char *const strs[] = { "TCP", "UDP", "a", "b", "" };
	unsigned k = rnd(depth > 4 ? 6 : 9);

	switch (k) {
	case 0:
		return json_integer((json_int_t)rnd(3));
	case 1:
		return json_string(strs[rnd(5)]);
	case 2:
		return rnd(2) ? json_null() : json_true();
	case 3:
		return json_object();
	case 4:
		return json_array();
	case 5:
		return json_real(1.5);
	case 6:
	case 7: {
		json_t *o = json_object();
		for (unsigned i = 0, n = rnd(5); i < n; i++)
			json_object_set_new(o, RND_KEYS[rnd(sizeof(RND_KEYS) / sizeof(RND_KEYS[0]))], rnd_value(depth + 1));
		return o;
	}
	default: {
		json_t *a = json_array();
		for (unsigned i = 0, n = rnd(4); i < n; i++)
			json_array_append_new(a, rnd(4) ? rnd_value(depth + 1) : json_integer((json_int_t)rnd(2)));
		return a;
	}
	}
}

static void check_create_same(const k8s_resource_t *r, const json_t *obj, int *ret_diffs)
{
	json_t *a = json_deep_copy(obj), *want = NULL, *got;
	int rc_general = general_create_fields(r, a, &want);
	char *gs, *ws;

	mf_update(r, a, NULL, "m", NULL, T0);
	got = json_object_get(entry(a, "m"), "fieldsV1");
	if (rc_general < 0)
		CHECK(json_object_get(json_object_get(a, "metadata"), "managedFields") == NULL);
	gs = got ? dump(got) : strdup("none");
	ws = want ? dump(want) : strdup("none");
	if (strcmp(gs, ws) != 0 && (*ret_diffs)++ < 3) {
		char *o = dump(obj);
		fprintf(stderr, "  %s create of %s\n    one walk: %s\n    general:  %s\n", r->plural, o, gs, ws);
		free(o);
	}
	free(gs);
	free(ws);
	json_decref(want);
	json_decref(a);
}

static void test_create_fast_path(void)
{
	static const char *const res[][3] = { { "", "v1", "services" },	     { "", "v1", "pods" },
					      { "apps", "v1", "deployments" },	     { "", "v1", "configmaps" },
					      { "", "v1", "namespaces" },	     { "", "v1", "nodes" },
					      { "discovery.k8s.io", "v1", "endpointslices" } };
	const char *fixed[] = {
		SVC_CSA,
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"b\"}},"
		"\"spec\":{\"ports\":[{\"port\":80},{\"port\":80,\"protocol\":\"TCP\"},{\"port\":81,\"name\":\"q\"}],"
		"\"selector\":{\"a\":\"b\"},\"clusterIPs\":[\"10.43.0.5\"]},\"status\":{\"loadBalancer\":{}}}",
		"{\"metadata\":{\"name\":\"x\"},\"spec\":null,\"status\":[]}",
		"{\"metadata\":{\"name\":\"x\",\"clusterName\":{\"a\":1},\"uid\":\"u\"},\"spec\":{},\"kind\":{\"b\":2}}",
		"{\"metadata\":{\"name\":\"x\",\"namespace\":\"d\",\"uid\":\"u\",\"creationTimestamp\":\"t\"}}",
		"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\","
		"\"ports\":[{\"containerPort\":80},{\"containerPort\":80,\"protocol\":\"TCP\"}]},{\"image\":\"i\"}]}}}}",
	};
	int diffs = 0;

	for (size_t ri = 0; ri < sizeof(res) / sizeof(res[0]); ri++) {
		const k8s_resource_t *r = k8s_resource_find(res[ri][0], res[ri][1], res[ri][2]);
		CHECK(r != NULL);
		if (!r)
			continue;
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
			json_t *o = J(fixed[i]);
			check_create_same(r, o, &diffs);
			json_decref(o);
		}
		for (int i = 0; i < 3000; i++) {
			json_t *o = rnd_value(0), *meta;
			if (!json_is_object(o)) {
				json_decref(o);
				o = json_object();
			}
			meta = json_object_get(o, "metadata");
			if (!json_is_object(meta))
				json_object_set_new(o, "metadata", meta = rnd(2) ? rnd_value(3) : json_object());
			if (!json_is_object(meta))
				json_object_set_new(o, "metadata", json_object());
			json_object_set_new(json_object_get(o, "metadata"), "name", json_string("n"));
			check_create_same(r, o, &diffs);
			json_decref(o);
		}
	}
	CHECK_INT(diffs, 0);
}

int main(void)
{
	TEST_RUN(test_fields_roundtrip);
	TEST_RUN(test_set_ops);
	TEST_RUN(test_go_json);
	TEST_RUN(test_manager_names);
	TEST_RUN(test_update_create);
	TEST_RUN(test_update_moves_ownership);
	TEST_RUN(test_update_noop_and_untracked);
	TEST_RUN(test_update_status);
	TEST_RUN(test_cap_managers);
	TEST_RUN(test_lists_and_errors);
	TEST_RUN(test_merge_order);
	TEST_RUN(test_deep_input);
	TEST_RUN(test_create_fast_path);
	TEST_DONE();
}
