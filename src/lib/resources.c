/* The served kinds. Short names and categories as kube-apiserver reports them in discovery. */
#include "lib/resources.h"

#include <string.h>

/* Sorted by name within each group, as upstream's discovery lists them (kubectl get all prints in
 * this order). */
const k8s_resource_t k8s_resources[] = {
	{ "", "v1", "ConfigMap", "configmaps", "configmap", { "cm" }, NULL, true, false, false, false },
	{ "", "v1", "Endpoints", "endpoints", "endpoints", { "ep" }, NULL, true, false, false, false },
	{ "", "v1", "Event", "events", "event", { "ev" }, NULL, true, false, false, false },
	{ "", "v1", "Namespace", "namespaces", "namespace", { "ns" }, NULL, false, true, false, false },
	{ "", "v1", "Node", "nodes", "node", { "no" }, NULL, false, true, false, false },
	{ "", "v1", "Pod", "pods", "pod", { "po" }, "all", true, true, false, true },
	{ "", "v1", "Service", "services", "service", { "svc" }, "all", true, true, false, false },
	{ "apps", "v1", "Deployment", "deployments", "deployment", { "deploy" }, "all", true, true, true, false },
	{ "coordination.k8s.io", "v1", "Lease", "leases", "lease", { NULL }, NULL, true, false, false, false },
	{ "discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", { NULL }, NULL, true, false, false, false },
};
const size_t k8s_resources_n = sizeof(k8s_resources) / sizeof(k8s_resources[0]);

const k8s_resource_t *k8s_resource_find(const char *group, const char *version, const char *plural)
{
	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 && strcmp(r->plural, plural) == 0)
			return r;
	}
	return NULL;
}

const k8s_resource_t *k8s_resource_by_kind(const char *group, const char *kind)
{
	for (size_t i = 0; i < k8s_resources_n; i++) {
		const k8s_resource_t *r = &k8s_resources[i];
		if (strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0)
			return r;
	}
	return NULL;
}

const char *k8s_resource_api_version(const k8s_resource_t *r)
{
	static char buf[sizeof(k8s_resources) / sizeof(k8s_resources[0])][64];
	size_t i = (size_t)(r - k8s_resources);

	if (r->group[0] == '\0')
		return r->version;
	if (buf[i][0] == '\0') {
		/* Written once per resource with the same bytes; benign if two threads race here. */
		size_t gl = strlen(r->group), vl = strlen(r->version);
		if (gl + 1 + vl < sizeof(buf[i])) {
			char tmp[64];
			memcpy(tmp, r->group, gl);
			tmp[gl] = '/';
			memcpy(tmp + gl + 1, r->version, vl + 1);
			memcpy(buf[i], tmp, gl + vl + 2);
		}
	}
	return buf[i];
}
