/* Discovery documents from the resource registry, in kube-apiserver's shapes (k8s.io/apimachinery
 * meta/v1 APIVersions, APIGroupList, APIResourceList; k8s.io/api apidiscovery/v2). */
#include "api/discovery.h"

#include <string.h>

#include "lib/resources.h"

const char DISCOVERY_AGGREGATED_CONTENT_TYPE[] =
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/* Every served resource supports the full set of REST verbs (sorted, as upstream lists them). */
static const char *const discovery_verbs[] = {
	"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch", NULL
};
/* What /status and /scale accept: read, replace, patch. */
static const char *const discovery_sub_verbs[] = { "get", "patch", "update", NULL };

static json_t *discovery_strings(const char *const *v)
{
	json_t *a = json_array();

	for (; a && *v; v++) {
		if (json_array_append_new(a, json_string(*v)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Adds "shortNames" and "categories" only when present: upstream omits empty ones. */
static int discovery_add_names(json_t *o, const k8s_resource_t *r)
{
	if (r->short_names[0]) {
		json_t *sn = json_array();
		if (!sn || json_object_set_new(o, "shortNames", sn) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(r->short_names) / sizeof(r->short_names[0]) && r->short_names[i]; i++)
			if (json_array_append_new(sn, json_string(r->short_names[i])) < 0)
				return -1;
	}
	if (r->category) {
		if (json_object_set_new(o, "categories", json_pack("[s]", r->category)) < 0)
			return -1;
	}
	return 0;
}

/* Groups in registry order, each once; core ("") excluded. Returns how many were written. */
static size_t discovery_groups(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < k8s_resources_n; i++) {
		const char *g = k8s_resources[i].group;
		bool seen = false;
		if (g[0] == '\0')
			continue;
		for (size_t j = 0; j < n; j++)
			seen |= strcmp(out[j], g) == 0;
		if (!seen && n < max)
			out[n++] = g;
	}
	return n;
}

/* The served versions of a group, registry order, each once. */
static size_t discovery_versions(const char *group, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		bool seen = false;
		if (strcmp(r->group, group) != 0)
			continue;
		for (size_t j = 0; j < n; j++)
			seen |= strcmp(out[j], r->version) == 0;
		if (!seen && n < max)
			out[n++] = r->version;
	}
	return n;
}

json_t *discovery_legacy_api(const char *server_address)
{
	if (!server_address)
		return NULL;
	return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}",
			 "kind", "APIVersions",
			 "versions", "v1",
			 "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress", server_address);
}

/* {"name", "versions":[{"groupVersion","version"}], "preferredVersion"}; the first served
 * version is the preferred one. */
static json_t *discovery_group_body(const char *group)
{
	const char *versions[8];
	size_t n = discovery_versions(group, versions, 8);
	json_t *g, *vs;

	if (n == 0)
		return NULL;
	vs = json_array();
	g = json_pack("{s:s, s:o}", "name", group, "versions", vs);
	if (!g)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char gv[256];
		snprintf(gv, sizeof(gv), "%s/%s", group, versions[i]);
		if (json_array_append_new(vs, json_pack("{s:s, s:s}", "groupVersion", gv, "version", versions[i])) < 0)
			goto fail;
		if (i == 0 && json_object_set_new(g, "preferredVersion",
				json_pack("{s:s, s:s}", "groupVersion", gv, "version", versions[i])) < 0)
			goto fail;
	}
	return g;
fail:
	json_decref(g);
	return NULL;
}

json_t *discovery_legacy_apis(void)
{
	const char *groups[16];
	size_t n = discovery_groups(groups, 16);
	json_t *list, *arr = json_array();

	list = json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", arr);
	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(arr, discovery_group_body(groups[i])) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *discovery_group(const char *group)
{
	json_t *g;

	if (!group || group[0] == '\0')
		return NULL;
	g = discovery_group_body(group);
	if (!g)
		return NULL;
	if (json_object_set_new(g, "kind", json_string("APIGroup")) < 0 ||
	    json_object_set_new(g, "apiVersion", json_string("v1")) < 0) {
		json_decref(g);
		return NULL;
	}
	return g;
}

/* One APIResourceList entry; a subresource has an empty singularName, as upstream reports. */
static json_t *discovery_api_resource(const k8s_resource_t *r, const char *sub)
{
	char name[128];
	json_t *o;

	if (!sub) {
		o = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->plural, "singularName", r->singular,
			      "namespaced", r->namespaced, "kind", r->kind,
			      "verbs", discovery_strings(discovery_verbs));
		if (o && discovery_add_names(o, r) < 0) {
			json_decref(o);
			return NULL;
		}
		return o;
	}
	snprintf(name, sizeof(name), "%s/%s", r->plural, sub);
	if (strcmp(sub, "log") == 0)
		/* pods/log is read-only and answers text/plain; upstream lists it with the parent kind */
		return json_pack("{s:s, s:s, s:b, s:s, s:[s]}", "name", name, "singularName", "",
				 "namespaced", r->namespaced, "kind", r->kind, "verbs", "get");
	if (strcmp(sub, "scale") == 0)
		/* The scale subresource answers with autoscaling/v1 Scale, not the parent kind. */
		return json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:o}", "name", name, "singularName", "",
				 "namespaced", r->namespaced, "group", "autoscaling", "version", "v1",
				 "kind", "Scale", "verbs", discovery_strings(discovery_sub_verbs));
	return json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName", "",
			 "namespaced", r->namespaced, "kind", r->kind,
			 "verbs", discovery_strings(discovery_sub_verbs));
}

json_t *discovery_resource_list(const char *group, const char *version)
{
	json_t *list, *arr;
	char gv[256];
	bool any = false;

	if (!group || !version)
		return NULL;
	for (size_t i = 0; i < k8s_resources_n; i++)
		any |= strcmp(k8s_resources[i].group, group) == 0 && strcmp(k8s_resources[i].version, version) == 0;
	if (!any)
		return NULL;
	if (group[0])
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	else
		snprintf(gv, sizeof(gv), "%s", version);
	arr = json_array();
	/* kube-apiserver sends apiVersion for /apis/<g>/<v> but not for /api/v1; mirror that. */
	if (group[0])
		list = json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
				 "groupVersion", gv, "resources", arr);
	else
		list = json_pack("{s:s, s:s, s:o}", "kind", "APIResourceList", "groupVersion", gv, "resources", arr);
	if (!list)
		return NULL;
	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		if (json_array_append_new(arr, discovery_api_resource(r, NULL)) < 0 ||
		    (r->has_log && json_array_append_new(arr, discovery_api_resource(r, "log")) < 0) ||
		    (r->has_status && json_array_append_new(arr, discovery_api_resource(r, "status")) < 0) ||
		    (r->has_scale && json_array_append_new(arr, discovery_api_resource(r, "scale")) < 0)) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* ---- aggregated discovery (apidiscovery.k8s.io/v2) ---- */

static json_t *discovery_gvk(const char *group, const char *version, const char *kind)
{
	return json_pack("{s:s, s:s, s:s}", "group", group, "version", version, "kind", kind);
}

static json_t *discovery_v2_resource(const k8s_resource_t *r)
{
	json_t *o, *subs;

	o = json_pack("{s:s, s:o, s:s, s:s, s:o}", "resource", r->plural,
		      "responseKind", discovery_gvk(r->group, r->version, r->kind),
		      "scope", r->namespaced ? "Namespaced" : "Cluster",
		      "singularResource", r->singular,
		      "verbs", discovery_strings(discovery_verbs));
	if (!o || discovery_add_names(o, r) < 0)
		goto fail;
	if (!r->has_status && !r->has_scale && !r->has_log)
		return o;
	subs = json_array();
	if (json_object_set_new(o, "subresources", subs) < 0)
		goto fail;
	if (r->has_log &&
	    json_array_append_new(subs, json_pack("{s:s, s:o, s:[s]}", "subresource", "log",
			"responseKind", discovery_gvk(r->group, r->version, r->kind), "verbs", "get")) < 0)
		goto fail;
	if (r->has_status &&
	    json_array_append_new(subs, json_pack("{s:s, s:o, s:o}", "subresource", "status",
			"responseKind", discovery_gvk(r->group, r->version, r->kind),
			"verbs", discovery_strings(discovery_sub_verbs))) < 0)
		goto fail;
	if (r->has_scale &&
	    json_array_append_new(subs, json_pack("{s:s, s:o, s:o}", "subresource", "scale",
			"responseKind", discovery_gvk("autoscaling", "v1", "Scale"),
			"verbs", discovery_strings(discovery_sub_verbs))) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* One APIGroupDiscovery: {"metadata":{"name"}, "versions":[{"version","resources","freshness"}]};
 * versions in registry order, the first being the preferred one (the v2 contract). */
static json_t *discovery_v2_group(const char *group)
{
	const char *versions[8];
	size_t n = discovery_versions(group, versions, 8);
	json_t *g, *vs = json_array();

	g = json_pack("{s:{s:s}, s:o}", "metadata", "name", group, "versions", vs);
	if (!g)
		return NULL;
	for (size_t v = 0; v < n; v++) {
		json_t *res = json_array();
		if (json_array_append_new(vs, json_pack("{s:s, s:o, s:s}", "version", versions[v],
				"resources", res, "freshness", "Current")) < 0)
			goto fail;
		for (size_t i = 0; i < k8s_resources_n; i++) {
			const k8s_resource_t *r = &k8s_resources[i];
			if (strcmp(r->group, group) != 0 || strcmp(r->version, versions[v]) != 0)
				continue;
			if (json_array_append_new(res, discovery_v2_resource(r)) < 0)
				goto fail;
		}
	}
	return g;
fail:
	json_decref(g);
	return NULL;
}

json_t *discovery_aggregated(bool core)
{
	json_t *list, *items = json_array();
	const char *groups[16];
	size_t n;

	list = json_pack("{s:s, s:s, s:{}, s:o}", "kind", "APIGroupDiscoveryList",
			 "apiVersion", "apidiscovery.k8s.io/v2", "metadata", "items", items);
	if (!list)
		return NULL;
	if (core) {
		if (json_array_append_new(items, discovery_v2_group("")) < 0)
			goto fail;
		return list;
	}
	n = discovery_groups(groups, 16);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(items, discovery_v2_group(groups[i])) < 0)
			goto fail;
	return list;
fail:
	json_decref(list);
	return NULL;
}
