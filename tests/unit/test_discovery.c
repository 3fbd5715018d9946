/* Discovery documents: legacy and aggregated shapes as kubectl reads them. */
#include <jansson.h>

#include "api/discovery.h"
#include "harness.h"

/* The element of array arr whose key equals val, or NULL. */
static json_t *find_by(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(json_object_get(e, key));
		if (s && strcmp(s, val) == 0)
			return e;
	}
	return NULL;
}

static int has_string(json_t *arr, const char *val)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), val) == 0)
			return 1;
	return 0;
}

static void test_legacy_api(void)
{
	json_t *d = discovery_legacy_api("10.0.0.1:6443");
	CHECK(d != NULL);
	CHECK_STR(json_string_value(json_object_get(d, "kind")), "APIVersions");
	CHECK_STR(json_string_value(json_array_get(json_object_get(d, "versions"), 0)), "v1");
	json_t *sa = json_array_get(json_object_get(d, "serverAddressByClientCIDRs"), 0);
	CHECK_STR(json_string_value(json_object_get(sa, "clientCIDR")), "0.0.0.0/0");
	CHECK_STR(json_string_value(json_object_get(sa, "serverAddress")), "10.0.0.1:6443");
	json_decref(d);
	CHECK(discovery_legacy_api(NULL) == NULL);
}

static void test_legacy_apis(void)
{
	json_t *d = discovery_legacy_apis();
	json_t *groups = json_object_get(d, "groups");
	CHECK_STR(json_string_value(json_object_get(d, "kind")), "APIGroupList");
	CHECK(find_by(groups, "name", "") == NULL);
	json_t *apps = find_by(groups, "name", "apps");
	CHECK(apps != NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(apps, "preferredVersion"), "groupVersion")), "apps/v1");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(apps, "versions"), 0), "version")), "v1");
	CHECK(find_by(groups, "name", "discovery.k8s.io") != NULL);
	CHECK(find_by(groups, "name", "coordination.k8s.io") != NULL);
	json_decref(d);

	d = discovery_group("apps");
	CHECK_STR(json_string_value(json_object_get(d, "kind")), "APIGroup");
	CHECK_STR(json_string_value(json_object_get(d, "name")), "apps");
	json_decref(d);
	CHECK(discovery_group("nope.example.com") == NULL);
	CHECK(discovery_group("") == NULL);
}

static void test_resource_list_core(void)
{
	json_t *d = discovery_resource_list("", "v1");
	json_t *res = json_object_get(d, "resources");
	CHECK_STR(json_string_value(json_object_get(d, "kind")), "APIResourceList");
	CHECK_STR(json_string_value(json_object_get(d, "groupVersion")), "v1");

	json_t *svc = find_by(res, "name", "services");
	CHECK(svc != NULL);
	CHECK_STR(json_string_value(json_object_get(svc, "singularName")), "service");
	CHECK_STR(json_string_value(json_object_get(svc, "kind")), "Service");
	CHECK(json_is_true(json_object_get(svc, "namespaced")));
	CHECK(has_string(json_object_get(svc, "shortNames"), "svc"));
	CHECK(has_string(json_object_get(svc, "categories"), "all"));
	CHECK_INT(json_array_size(json_object_get(svc, "verbs")), 8);
	CHECK(has_string(json_object_get(svc, "verbs"), "deletecollection"));
	CHECK(has_string(json_object_get(svc, "verbs"), "watch"));

	json_t *st = find_by(res, "name", "services/status");
	CHECK(st != NULL);
	CHECK_STR(json_string_value(json_object_get(st, "kind")), "Service");
	CHECK_INT(json_array_size(json_object_get(st, "verbs")), 3);
	CHECK(has_string(json_object_get(st, "verbs"), "patch"));

	/* pods/log: get only, kind Pod; no services/log */
	json_t *plog = find_by(res, "name", "pods/log");
	CHECK(plog != NULL);
	CHECK_STR(json_string_value(json_object_get(plog, "kind")), "Pod");
	CHECK_INT(json_array_size(json_object_get(plog, "verbs")), 1);
	CHECK(has_string(json_object_get(plog, "verbs"), "get"));
	CHECK(find_by(res, "name", "services/log") == NULL);

	json_t *ns = find_by(res, "name", "namespaces");
	CHECK(json_is_false(json_object_get(ns, "namespaced")));
	/* Endpoints has no status subresource, and no categories. */
	CHECK(find_by(res, "name", "endpoints/status") == NULL);
	CHECK(json_object_get(find_by(res, "name", "endpoints"), "categories") == NULL);
	/* Only core resources. */
	CHECK(find_by(res, "name", "deployments") == NULL);
	json_decref(d);
}

static void test_resource_list_apps(void)
{
	json_t *d = discovery_resource_list("apps", "v1");
	json_t *res = json_object_get(d, "resources");
	CHECK_STR(json_string_value(json_object_get(d, "groupVersion")), "apps/v1");
	CHECK_STR(json_string_value(json_object_get(d, "apiVersion")), "v1");
	json_t *dep = find_by(res, "name", "deployments");
	CHECK(has_string(json_object_get(dep, "shortNames"), "deploy"));
	json_t *sc = find_by(res, "name", "deployments/scale");
	CHECK(sc != NULL);
	CHECK_STR(json_string_value(json_object_get(sc, "group")), "autoscaling");
	CHECK_STR(json_string_value(json_object_get(sc, "version")), "v1");
	CHECK_STR(json_string_value(json_object_get(sc, "kind")), "Scale");
	CHECK(find_by(res, "name", "deployments/status") != NULL);
	CHECK(find_by(res, "name", "services") == NULL);
	json_decref(d);

	CHECK(discovery_resource_list("apps", "v2") == NULL);
	CHECK(discovery_resource_list("nope", "v1") == NULL);
	CHECK(discovery_resource_list("", "v2") == NULL);
}

static void test_aggregated(void)
{
	json_t *d = discovery_aggregated(true);
	CHECK_STR(json_string_value(json_object_get(d, "kind")), "APIGroupDiscoveryList");
	CHECK_STR(json_string_value(json_object_get(d, "apiVersion")), "apidiscovery.k8s.io/v2");
	CHECK(json_is_object(json_object_get(d, "metadata")));
	json_t *items = json_object_get(d, "items");
	CHECK_INT(json_array_size(items), 1);
	json_t *core = json_array_get(items, 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(core, "metadata"), "name")), "");
	json_t *v = json_array_get(json_object_get(core, "versions"), 0);
	CHECK_STR(json_string_value(json_object_get(v, "version")), "v1");
	CHECK_STR(json_string_value(json_object_get(v, "freshness")), "Current");
	json_t *svc = find_by(json_object_get(v, "resources"), "resource", "services");
	CHECK(svc != NULL);
	json_t *rk = json_object_get(svc, "responseKind");
	CHECK_STR(json_string_value(json_object_get(rk, "group")), "");
	CHECK_STR(json_string_value(json_object_get(rk, "version")), "v1");
	CHECK_STR(json_string_value(json_object_get(rk, "kind")), "Service");
	CHECK_STR(json_string_value(json_object_get(svc, "scope")), "Namespaced");
	CHECK_STR(json_string_value(json_object_get(svc, "singularResource")), "service");
	CHECK(has_string(json_object_get(svc, "shortNames"), "svc"));
	CHECK(has_string(json_object_get(svc, "categories"), "all"));
	CHECK(has_string(json_object_get(svc, "verbs"), "list"));
	json_t *sub = find_by(json_object_get(svc, "subresources"), "subresource", "status");
	CHECK(sub != NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(sub, "responseKind"), "kind")), "Service");
	CHECK(has_string(json_object_get(sub, "verbs"), "update"));
	json_t *node = find_by(json_object_get(v, "resources"), "resource", "nodes");
	CHECK_STR(json_string_value(json_object_get(node, "scope")), "Cluster");
	/* pods/log: get only, responseKind Pod, listed before status as upstream sorts them */
	json_t *pods = find_by(json_object_get(v, "resources"), "resource", "pods");
	json_t *plog = find_by(json_object_get(pods, "subresources"), "subresource", "log");
	CHECK(plog != NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(plog, "responseKind"), "kind")), "Pod");
	CHECK_INT(json_array_size(json_object_get(plog, "verbs")), 1);
	CHECK(has_string(json_object_get(plog, "verbs"), "get"));
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(pods, "subresources"), 0),
						   "subresource")), "log");
	json_decref(d);

	d = discovery_aggregated(false);
	items = json_object_get(d, "items");
	CHECK(json_array_size(items) >= 3);
	json_t *apps = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(items, i, e)
		if (strcmp(json_string_value(json_object_get(json_object_get(e, "metadata"), "name")), "apps") == 0)
			apps = e;
	CHECK(apps != NULL);
	v = json_array_get(json_object_get(apps, "versions"), 0);
	json_t *dep = find_by(json_object_get(v, "resources"), "resource", "deployments");
	json_t *scale = find_by(json_object_get(dep, "subresources"), "subresource", "scale");
	CHECK(scale != NULL);
	rk = json_object_get(scale, "responseKind");
	CHECK_STR(json_string_value(json_object_get(rk, "group")), "autoscaling");
	CHECK_STR(json_string_value(json_object_get(rk, "kind")), "Scale");
	CHECK_STR(json_string_value(json_object_get(json_object_get(dep, "responseKind"), "group")), "apps");
	json_decref(d);

	CHECK_STR(DISCOVERY_AGGREGATED_CONTENT_TYPE, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
}

int main(void)
{
	TEST_RUN(test_legacy_api);
	TEST_RUN(test_legacy_apis);
	TEST_RUN(test_resource_list_core);
	TEST_RUN(test_resource_list_apps);
	TEST_RUN(test_aggregated);
	TEST_DONE();
}
