/* The EndpointSlice controller's lookups: Pods indexed by label pair, Services by selector pair, the
 * Services a Pod event reaches and the Pods a Service sync reads, checked against the plain
 * selector match over random Services and Pods as they are added, relabelled and deleted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "client/informer.h"
#include "client/kclient.h"
#include "controllers/eps_ctrl.h"
#include "controllers/eps_reconcile.h"
#include "harness.h"
#include "lib/selector.h"

static json_t *obj_new(const char *kind, const char *ns, const char *name)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s}}", "kind", kind, "metadata", "name", name, "namespace", ns,
			 "resourceVersion", "1");
}

static void apply(informer_t *inf, const char *type, json_t *obj)
{
	json_t *ev = json_pack("{s:s, s:O}", "type", type, "object", obj);
	informer_apply_event(inf, ev);
	json_decref(ev);
}

static void test_index_values(void)
{
	json_t *pod = obj_new("Pod", "ns1", "p"), *svc = obj_new("Service", "ns1", "s"), *vals = json_array();

	json_object_set_new(json_object_get(pod, "metadata"), "labels",
			    json_pack("{s:s, s:s, s:i}", "app", "a", "example.com/tier", "web", "n", 5));
	eps_index_pod_labels(pod, vals, NULL);
	CHECK_INT(json_array_size(vals), 2); /* the number is no label value */
	CHECK(strcmp(json_string_value(json_array_get(vals, 0)), "ns1/app=a") == 0 ||
	      strcmp(json_string_value(json_array_get(vals, 1)), "ns1/app=a") == 0);
	CHECK(strcmp(json_string_value(json_array_get(vals, 0)), "ns1/example.com/tier=web") == 0 ||
	      strcmp(json_string_value(json_array_get(vals, 1)), "ns1/example.com/tier=web") == 0);

	json_array_clear(vals);
	eps_index_service_selector(svc, vals, NULL); /* no spec */
	CHECK_INT(json_array_size(vals), 0);
	json_object_set_new(svc, "spec", json_pack("{s:{}}", "selector"));
	eps_index_service_selector(svc, vals, NULL); /* empty selector: not ours */
	CHECK_INT(json_array_size(vals), 0);
	json_object_set_new(svc, "spec", json_pack("{s:{s:s}}", "selector", "app", "a"));
	eps_index_service_selector(svc, vals, NULL);
	CHECK_INT(json_array_size(vals), 1);
	CHECK_STR(json_string_value(json_array_get(vals, 0)), "ns1/app=a");

	CHECK(eps_selector_matches(json_object_get(json_object_get(svc, "spec"), "selector"),
				   json_object_get(json_object_get(pod, "metadata"), "labels")));
	CHECK(!eps_selector_matches(json_object_get(json_object_get(svc, "spec"), "selector"), NULL));
	CHECK(!eps_selector_matches(NULL, json_object_get(json_object_get(pod, "metadata"), "labels")));
	json_decref(vals);
	json_decref(pod);
	json_decref(svc);
}

/* Random labels over a small alphabet so that selectors of one to three pairs often match. */
static json_t *random_map(unsigned *seed, int min, int max)
{
	static const char *const keys[] = { "app", "tier", "env", "example.com/x" };
	static const char *const vals[] = { "a", "b", "c" };
	json_t *m = json_object();
	int n = min + (int)(rand_r(seed) % (unsigned)(max - min + 1));

	for (int i = 0; i < n; i++)
		json_object_set_new(m, keys[rand_r(seed) % 4], json_string(vals[rand_r(seed) % 3]));
	return m;
}

/* Services without a selector (or with an empty one) select nothing here: they are not ours. */
static bool plain_match(const json_t *svc, const json_t *pod)
{
	selector_t *sel = NULL;
	bool ok;

	if (!eps_service_has_selector(svc))
		return false;
	if (strcmp(json_string_value(json_object_get(json_object_get(svc, "metadata"), "namespace")),
		   json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace"))) != 0)
		return false;
	if (label_selector_from_map(json_object_get(json_object_get(svc, "spec"), "selector"), &sel) < 0)
		return false;
	ok = label_selector_match(sel, json_object_get(json_object_get(pod, "metadata"), "labels"));
	selector_free(sel);
	return ok;
}

/* Every lookup against the brute-force answer over the current caches. */
static void check_lookups(informer_t *svcs, informer_t *pods)
{
	const json_t *sc = informer_cache(svcs), *pc = informer_cache(pods), *svc, *pod;
	const char *sk, *pk;

	json_object_foreach((json_t *)pc, pk, pod) {
		json_t *got = json_object();
		size_t want = 0;
		CHECK_INT(eps_services_of_pod(svcs, pod, got), 0);
		json_object_foreach((json_t *)sc, sk, svc) {
			bool m = plain_match(svc, pod);
			want += m;
			CHECK(m == (json_object_get(got, sk) != NULL));
		}
		CHECK_INT(json_object_size(got), want);
		json_decref(got);
	}
	json_object_foreach((json_t *)sc, sk, svc) {
		json_t *got = eps_pods_of_service(pods, svc), *p;
		size_t want = 0, i;
		CHECK(got != NULL);
		json_object_foreach((json_t *)pc, pk, pod)
			want += plain_match(svc, pod);
		CHECK_INT(json_array_size(got), want);
		json_array_foreach(got, i, p)
			CHECK(plain_match(svc, p));
		json_decref(got);
	}
}

static void test_lookups_random(void)
{
	struct event_base *base = event_base_new();
	kclient_config_t kc = { .server = "https://127.0.0.1:1" };
	kclient_t *c = NULL;
	informer_t *svcs = NULL, *pods = NULL;
	unsigned seed = 1;
	char name[32];

	CHECK(base != NULL);
	CHECK_INT(kclient_new(base, &kc, &c), 0);
	CHECK_INT(informer_new(c, "/api/v1/services", NULL, &svcs), 0);
	CHECK_INT(informer_new(c, "/api/v1/pods", NULL, &pods), 0);
	CHECK_INT(eps_add_indexes(svcs, pods), 0);
	CHECK(eps_add_indexes(svcs, NULL) < 0); /* the index name is taken */
	for (int i = 0; i < 40; i++) {
		json_t *s = obj_new("Service", i % 3 ? "default" : "other", (snprintf(name, sizeof(name), "s%d", i), name));
		json_object_set_new(s, "spec", json_pack("{s:o}", "selector", random_map(&seed, i % 8 ? 1 : 0, 3)));
		apply(svcs, "ADDED", s);
		json_decref(s);
	}
	for (int i = 0; i < 200; i++) {
		json_t *p = obj_new("Pod", i % 3 ? "default" : "other", (snprintf(name, sizeof(name), "p%d", i), name));
		json_object_set_new(json_object_get(p, "metadata"), "labels", random_map(&seed, 0, 4));
		apply(pods, "ADDED", p);
		json_decref(p);
	}
	check_lookups(svcs, pods);
	/* relabel some pods, change some selectors, delete some of each: the indexes follow */
	for (int i = 0; i < 200; i += 3) {
		json_t *p = obj_new("Pod", i % 3 ? "default" : "other", (snprintf(name, sizeof(name), "p%d", i), name));
		json_object_set_new(json_object_get(p, "metadata"), "labels", random_map(&seed, 0, 4));
		json_object_set_new(json_object_get(p, "metadata"), "resourceVersion", json_string("2"));
		apply(pods, i % 2 ? "DELETED" : "MODIFIED", p);
		json_decref(p);
	}
	for (int i = 0; i < 40; i += 4) {
		json_t *s = obj_new("Service", i % 3 ? "default" : "other", (snprintf(name, sizeof(name), "s%d", i), name));
		json_object_set_new(s, "spec", json_pack("{s:o}", "selector", random_map(&seed, 1, 3)));
		apply(svcs, i % 8 ? "MODIFIED" : "DELETED", s);
		json_decref(s);
	}
	check_lookups(svcs, pods);
	informer_free(svcs);
	informer_free(pods);
	kclient_free(c);
	event_base_free(base);
}

int main(void)
{
	TEST_RUN(test_index_values);
	TEST_RUN(test_lookups_random);
	TEST_DONE();
}
