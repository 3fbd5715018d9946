/* Field schemas: strict unknown-field detection and its error text; the OpenAPI v3 documents
 * built from the schemas (index, fieldValidation on patch operations, explain's schema shape). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#include "api/openapi.h"
#include "harness.h"
#include "lib/resources.h"
#include "lib/schema.h"

/* A Service with every field of ServiceSpec, ServicePort, ServiceStatus, LoadBalancerIngress,
 * PortStatus, SessionAffinityConfig and ObjectMeta set. */
static const char full_service[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\","
	" \"metadata\":{\"name\":\"web\",\"generateName\":\"w-\",\"namespace\":\"default\",\"selfLink\":\"\","
	"  \"uid\":\"u\",\"resourceVersion\":\"1\",\"generation\":1,\"creationTimestamp\":\"2024-01-01T00:00:00Z\","
	"  \"deletionTimestamp\":null,\"deletionGracePeriodSeconds\":30,\"labels\":{\"a\":\"b\"},"
	"  \"annotations\":{\"x\":\"y\"},\"finalizers\":[\"f\"],"
	"  \"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"d\",\"uid\":\"u2\","
	"   \"controller\":true,\"blockOwnerDeletion\":true}],"
	"  \"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
	"   \"time\":\"2024-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\","
	"   \"fieldsV1\":{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80}\":{\".\":{}}}}},\"subresource\":\"\"}]},"
	" \"spec\":{\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"appProtocol\":\"http\",\"port\":80,"
	"   \"targetPort\":\"web\",\"nodePort\":30080}],"
	"  \"selector\":{\"app\":\"web\"},\"clusterIP\":\"10.0.0.10\",\"clusterIPs\":[\"10.0.0.10\"],"
	"  \"type\":\"LoadBalancer\",\"externalIPs\":[\"1.2.3.4\"],\"sessionAffinity\":\"ClientIP\","
	"  \"loadBalancerIP\":\"5.6.7.8\",\"loadBalancerSourceRanges\":[\"0.0.0.0/0\"],\"externalName\":\"\","
	"  \"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":31000,\"publishNotReadyAddresses\":true,"
	"  \"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}},\"ipFamilies\":[\"IPv4\"],"
	"  \"ipFamilyPolicy\":\"SingleStack\",\"allocateLoadBalancerNodePorts\":true,"
	"  \"loadBalancerClass\":\"example.com/lb\",\"internalTrafficPolicy\":\"Cluster\","
	"  \"trafficDistribution\":\"PreferClose\"},"
	" \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"5.6.7.8\",\"hostname\":\"lb\",\"ipMode\":\"VIP\","
	"   \"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"error\":\"\"}]}]},"
	"  \"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"observedGeneration\":1,"
	"   \"lastTransitionTime\":\"2024-01-01T00:00:00Z\",\"reason\":\"R\",\"message\":\"m\"}]}}";

static const k8s_resource_t *res(const char *group, const char *plural)
{
	return k8s_resource_find(group, "v1", plural);
}

/* Runs schema_unknown_fields on text; returns the array (caller frees) or NULL. */
static json_t *unknown(const k8s_resource_t *r, const char *text)
{
	json_error_t e;
	json_t *obj = json_loads(text, 0, &e), *fields = NULL;
	int n;

	if (!obj) {
		fprintf(stderr, "  bad test JSON: %s\n", e.text);
		return NULL;
	}
	n = schema_unknown_fields(r, obj, &fields);
	json_decref(obj);
	if (n < 0)
		return NULL;
	if ((size_t)n != json_array_size(fields)) {
		json_decref(fields);
		return NULL;
	}
	return fields;
}

static const char *at(json_t *a, size_t i)
{
	return json_string_value(json_array_get(a, i));
}

static void test_full_service_is_clean(void)
{
	json_t *f = unknown(res("", "services"), full_service);
	CHECK(f != NULL);
	CHECK_INT(json_array_size(f), 0);
	if (json_array_size(f))
		fprintf(stderr, "  first: %s\n", at(f, 0));
	json_decref(f);
}

static void test_unknown_top_spec_ports(void)
{
	json_t *f = unknown(res("", "services"),
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"bogus\":1,\"metadata\":{\"name\":\"a\",\"clusterName\":\"x\"},"
		" \"spec\":{\"foo\":true,\"ports\":[{\"port\":80},{\"port\":81,\"nodeport\":30000,\"bar\":{}}],"
		"  \"sessionAffinityConfig\":{\"clientIP\":{\"timeout\":1}}}}");
	CHECK(f != NULL);
	CHECK_INT(json_array_size(f), 6);
	CHECK_STR(at(f, 0), "bogus");
	CHECK_STR(at(f, 1), "metadata.clusterName");
	CHECK_STR(at(f, 2), "spec.foo");
	CHECK_STR(at(f, 3), "spec.ports[1].nodeport");
	CHECK_STR(at(f, 4), "spec.ports[1].bar");
	CHECK_STR(at(f, 5), "spec.sessionAffinityConfig.clientIP.timeout");

	char *msg = schema_strict_error(f);
	CHECK_STR(msg, "strict decoding error: unknown field \"bogus\", unknown field \"metadata.clusterName\", "
		"unknown field \"spec.foo\", unknown field \"spec.ports[1].nodeport\", unknown field \"spec.ports[1].bar\", "
		"unknown field \"spec.sessionAffinityConfig.clientIP.timeout\"");
	free(msg);
	json_decref(f);
}

static void test_strict_error_text(void)
{
	json_t *f = json_pack("[s]", "spec.ports[0].nodeport");
	char *msg = schema_strict_error_for(res("", "services"), f);
	CHECK_STR(msg, "Service in version \"v1\" cannot be handled as a Service: strict decoding error: "
		"unknown field \"spec.ports[0].nodeport\"");
	free(msg);
	json_decref(f);

	f = json_pack("[s]", "spec.strategy.rollingUpdate.maxUnaivailable");
	msg = schema_strict_error_for(k8s_resource_find("apps", "v1", "deployments"), f);
	CHECK_STR(msg, "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
		"unknown field \"spec.strategy.rollingUpdate.maxUnaivailable\"");
	free(msg);
	json_decref(f);

	/* Go %q quoting of odd keys. */
	f = json_pack("[s]", "spec.a\"b");
	msg = schema_strict_error(f);
	CHECK_STR(msg, "strict decoding error: unknown field \"spec.a\\\"b\"");
	free(msg);
	json_decref(f);

	f = json_array();
	CHECK(schema_strict_error(f) == NULL);
	json_decref(f);
	CHECK(schema_strict_error(NULL) == NULL);
}

static void test_preserved_and_mismatched(void)
{
	/* Volumes, securityContext, env valueFrom and FieldsV1 are open; type mismatches are not ours. */
	json_t *f = unknown(k8s_resource_find("apps", "v1", "deployments"),
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{\"any\":\"x\"}},"
		" \"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"d\"},"
		"   \"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"v\"]}]},"
		"  \"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\",\"maxUnavailable\":0}},"
		"  \"minReadySeconds\":1,\"revisionHistoryLimit\":3,\"paused\":false,\"progressDeadlineSeconds\":600,"
		"  \"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":{"
		"   \"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"cm\",\"items\":[{\"key\":\"a\",\"path\":\"b\"}]}}],"
		"   \"securityContext\":{\"runAsUser\":1000,\"whatever\":1},\"affinity\":{\"nodeAffinity\":{}},"
		"   \"nodeSelector\":{\"k\":\"v\"},\"nodeName\":\"n1\",\"hostname\":\"h\",\"subdomain\":\"s\","
		"   \"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":5,"
		"   \"readinessGates\":[{\"conditionType\":\"x\"}],\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}],"
		"   \"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"command\":[\"sh\"],\"args\":[\"-c\",\"x\"],"
		"    \"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"x\"}}}],"
		"    \"envFrom\":[{\"configMapRef\":{\"name\":\"cm\"}}],"
		"    \"ports\":[{\"containerPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"}],"
		"    \"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":\"http\",\"httpHeaders\":[{\"name\":\"a\",\"value\":\"b\"}]},"
		"     \"periodSeconds\":1},\"livenessProbe\":{\"exec\":{\"command\":[\"true\"]}},"
		"    \"startupProbe\":{\"tcpSocket\":{\"port\":80},\"failureThreshold\":30},"
		"    \"resources\":{\"limits\":{\"cpu\":\"100m\"},\"requests\":{\"memory\":\"64Mi\"}},"
		"    \"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/v\",\"readOnly\":true}],"
		"    \"securityContext\":{\"privileged\":false},\"lifecycle\":{\"preStop\":{\"sleep\":{\"seconds\":1}}}}]}}},"
		" \"status\":{\"replicas\":2,\"futureField\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}]}}");
	CHECK(f != NULL);
	CHECK_INT(json_array_size(f), 0);
	if (json_array_size(f))
		fprintf(stderr, "  first: %s\n", at(f, 0));
	json_decref(f);

	/* A string where an object belongs: the decoder's type error, not an unknown field. */
	f = unknown(res("", "services"), "{\"spec\":\"x\",\"metadata\":[1,2],\"status\":{\"loadBalancer\":{\"ingress\":7}}}");
	CHECK_INT(json_array_size(f), 0);
	json_decref(f);

	/* Unknown fields deep in a pod template container are found. */
	f = unknown(k8s_resource_find("apps", "v1", "deployments"),
		"{\"spec\":{\"template\":{\"spec\":{\"backoffLimit\":1,\"containers\":[{\"name\":\"a\"},"
		"{\"name\":\"b\",\"claims\":[],\"readinessProbe\":{\"httpGet\":{\"port\":1,\"pth\":\"/\"}}}]}}}}");
	CHECK_INT(json_array_size(f), 3);
	CHECK_STR(at(f, 0), "spec.template.spec.backoffLimit");
	CHECK_STR(at(f, 1), "spec.template.spec.containers[1].claims");
	CHECK_STR(at(f, 2), "spec.template.spec.containers[1].readinessProbe.httpGet.pth");
	json_decref(f);
}

static void test_other_kinds(void)
{
	json_t *f = unknown(k8s_resource_find("discovery.k8s.io", "v1", "endpointslices"),
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s\"},"
		" \"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],"
		"  \"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},\"hostname\":\"h\","
		"  \"nodeName\":\"n\",\"zone\":\"z\",\"targetRef\":{\"kind\":\"Pod\",\"name\":\"p\",\"namespace\":\"d\",\"uid\":\"u\"},"
		"  \"hints\":{\"forZones\":[{\"name\":\"z\"}],\"forNodes\":[{\"name\":\"n\"}]},\"deprecatedTopology\":{\"a\":\"b\"},"
		"  \"ready\":true}],"
		" \"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\",\"appProtocol\":\"http\"}]}");
	CHECK_INT(json_array_size(f), 1);
	CHECK_STR(at(f, 0), "endpoints[0].ready");
	json_decref(f);

	f = unknown(k8s_resource_find("coordination.k8s.io", "v1", "leases"),
		"{\"spec\":{\"holderIdentity\":\"a\",\"leaseDurationSeconds\":15,\"acquireTime\":\"2024-01-01T00:00:00.000000Z\","
		"\"renewTime\":\"2024-01-01T00:00:00.000000Z\",\"leaseTransitions\":1,\"strategy\":\"s\",\"preferredHolder\":\"b\"}}");
	CHECK_INT(json_array_size(f), 0);
	json_decref(f);

	f = unknown(res("", "events"),
		"{\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\",\"fieldPath\":\"spec\"},\"reason\":\"R\",\"message\":\"m\","
		"\"source\":{\"component\":\"c\",\"host\":\"h\"},\"firstTimestamp\":null,\"lastTimestamp\":null,\"count\":2,"
		"\"type\":\"Normal\",\"eventTime\":null,\"series\":{\"count\":2,\"lastObservedTime\":\"2024-01-01T00:00:00.000000Z\"},"
		"\"action\":\"a\",\"related\":null,\"reportingComponent\":\"c\",\"reportingInstance\":\"i\",\"note\":\"x\"}");
	CHECK_INT(json_array_size(f), 1);
	CHECK_STR(at(f, 0), "note");
	json_decref(f);

	f = unknown(res("", "endpoints"),
		"{\"subsets\":[{\"addresses\":[{\"ip\":\"10.1.0.1\",\"nodeName\":\"n\",\"hostname\":\"h\",\"targetRef\":{\"kind\":\"Pod\"}}],"
		"\"notReadyAddresses\":[{\"ip\":\"10.1.0.2\",\"zone\":\"z\"}],\"ports\":[{\"port\":80,\"name\":\"p\",\"protocol\":\"TCP\",\"appProtocol\":\"h\"}]}]}");
	CHECK_INT(json_array_size(f), 1);
	CHECK_STR(at(f, 0), "subsets[0].notReadyAddresses[0].zone");
	json_decref(f);

	f = unknown(res("", "configmaps"), "{\"data\":{\"a\":\"b\"},\"binaryData\":{\"c\":\"ZA==\"},\"immutable\":true,\"spec\":{}}");
	CHECK_INT(json_array_size(f), 1);
	CHECK_STR(at(f, 0), "spec");
	json_decref(f);

	f = unknown(res("", "nodes"), "{\"spec\":{\"podCIDR\":\"10.1.0.0/24\",\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}],"
		"\"unschedulable\":true},\"status\":{\"capacity\":{\"cpu\":\"4\"},\"nodeInfo\":{\"kubeletVersion\":\"v1\",\"swap\":{}},"
		"\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"1.2.3.4\"}],\"runtimeHandlers\":[]}}");
	CHECK_INT(json_array_size(f), 0);
	json_decref(f);

	f = unknown(res("", "namespaces"), "{\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\",\"x\":1}}");
	CHECK_INT(json_array_size(f), 1);
	CHECK_STR(at(f, 0), "status.x");
	json_decref(f);

	/* The Scale of a /scale request. */
	json_t *obj = json_pack("{s:{s:i, s:i}}", "spec", "replicas", 3, "extra", 1);
	CHECK_INT(schema_unknown_fields_type(schema_type_by_kind("autoscaling", "Scale"), obj, &f), 1);
	CHECK_STR(at(f, 0), "spec.extra");
	json_decref(f);
	json_decref(obj);
}

static void test_limits_and_errors(void)
{
	json_t *f = NULL, *obj = json_object();
	CHECK_INT(schema_unknown_fields(NULL, obj, &f), -EINVAL);
	CHECK_INT(schema_unknown_fields(res("", "services"), NULL, &f), -EINVAL);
	CHECK(f == NULL);

	/* Many unknown keys: capped. */
	for (int i = 0; i < SCHEMA_MAX_UNKNOWN + 50; i++) {
		char k[32];
		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(obj, k, json_true());
	}
	CHECK_INT(schema_unknown_fields(res("", "services"), obj, &f), SCHEMA_MAX_UNKNOWN);
	json_decref(f);
	json_decref(obj);

	/* A long key is truncated at a UTF-8 boundary, never split mid-character. */
	char key[600];
	for (int i = 0; i < 299; i++) {
		key[2 * i] = (char)0xc3;
		key[2 * i + 1] = (char)0xa9;
	}
	key[598] = '\0';
	obj = json_object();
	json_object_set_new(obj, key, json_true());
	CHECK_INT(schema_unknown_fields(res("", "services"), obj, &f), 1);
	CHECK(at(f, 0) != NULL && strlen(at(f, 0)) <= 256);
	json_decref(f);
	json_decref(obj);

	CHECK(schema_type_by_kind("", "Secret") == NULL);
	CHECK(schema_type_by_name("io.k8s.api.core.v1.ServicePort") != NULL);
	CHECK(schema_type_by_name("io.k8s.api.core.v1.Nope") == NULL);
}

/* ---- OpenAPI ---- */

static json_t *patch_op(json_t *doc, const char *path)
{
	return json_object_get(json_object_get(json_object_get(doc, "paths"), path), "patch");
}

static int has_param(json_t *op, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(op, "parameters"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(p, "in")), "query") == 0)
			return 1;
	return 0;
}

static void test_openapi_index(void)
{
	json_t *idx = openapi_v3_index();
	json_t *paths = json_object_get(idx, "paths");
	CHECK(paths != NULL);
	const char *u = json_string_value(json_object_get(json_object_get(paths, "api/v1"), "serverRelativeURL"));
	CHECK(u != NULL && strncmp(u, "/openapi/v3/api/v1?hash=", 24) == 0);
	CHECK(u != NULL && openapi_v3_hash("api/v1") && strcmp(u + 24, openapi_v3_hash("api/v1")) == 0);
	CHECK(json_object_get(paths, "apis/apps/v1") != NULL);
	CHECK(json_object_get(paths, "apis/discovery.k8s.io/v1") != NULL);
	CHECK(json_object_get(paths, "apis/coordination.k8s.io/v1") != NULL);
	CHECK(strcmp(openapi_v3_hash("api/v1"), openapi_v3_hash("apis/apps/v1")) != 0);
	json_decref(idx);
	CHECK(openapi_v3_doc("apis/nope/v1") == NULL);
	CHECK(openapi_v3_doc("/api/v1") == NULL);
	CHECK(openapi_v3_doc(NULL) == NULL);
	CHECK(openapi_v3_hash("nope") == NULL);
}

static void test_openapi_core(void)
{
	json_t *doc = openapi_v3_doc("api/v1");
	CHECK(doc != NULL);
	CHECK_STR(json_string_value(json_object_get(doc, "openapi")), "3.0.0");
	json_t *op = patch_op(doc, "/api/v1/namespaces/{namespace}/services/{name}");
	CHECK(op != NULL);
	CHECK(has_param(op, "fieldValidation"));
	CHECK(has_param(op, "dryRun"));
	CHECK(has_param(op, "fieldManager"));
	CHECK(has_param(op, "force"));
	CHECK_STR(json_string_value(json_object_get(op, "x-kubernetes-action")), "patch");
	json_t *gvk = json_object_get(op, "x-kubernetes-group-version-kind");
	CHECK_STR(json_string_value(json_object_get(gvk, "group")), "");
	CHECK_STR(json_string_value(json_object_get(gvk, "version")), "v1");
	CHECK_STR(json_string_value(json_object_get(gvk, "kind")), "Service");
	CHECK_INT(json_object_size(gvk), 3);
	CHECK_STR(json_string_value(json_object_get(op, "operationId")), "patchCoreV1NamespacedService");
	/* Deliberately no strategic merge patch (see openapi.h). */
	json_t *content = json_object_get(json_object_get(op, "requestBody"), "content");
	CHECK(json_object_get(content, "application/merge-patch+json") != NULL);
	CHECK(json_object_get(content, "application/strategic-merge-patch+json") == NULL);

	/* Every patch operation carrying the Service GVK lists fieldValidation: kubectl takes the
	 * first one it meets in map order. */
	op = patch_op(doc, "/api/v1/namespaces/{namespace}/services/{name}/status");
	CHECK(has_param(op, "fieldValidation"));
	CHECK_STR(json_string_value(json_object_get(json_object_get(op, "x-kubernetes-group-version-kind"), "kind")), "Service");

	/* Collection, all-namespaces and cluster-scoped paths. */
	json_t *paths = json_object_get(doc, "paths");
	CHECK(json_object_get(json_object_get(paths, "/api/v1/namespaces/{namespace}/services"), "post") != NULL);
	json_t *all = json_object_get(json_object_get(paths, "/api/v1/services"), "get");
	CHECK_STR(json_string_value(json_object_get(all, "x-kubernetes-action")), "list");
	CHECK_STR(json_string_value(json_object_get(json_object_get(all, "x-kubernetes-group-version-kind"), "kind")), "Service");
	CHECK(json_object_get(json_object_get(paths, "/api/v1/nodes/{name}"), "put") != NULL);
	CHECK(json_object_get(paths, "/api/v1/namespaces/{namespace}/endpoints/{name}/status") == NULL);

	/* Components: kind schema with its GVK list; ServiceSpec.type with a description; ports as
	 * an array of allOf-$ref items as explain expects. */
	json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
	json_t *svc = json_object_get(schemas, "io.k8s.api.core.v1.Service");
	json_t *g = json_array_get(json_object_get(svc, "x-kubernetes-group-version-kind"), 0);
	CHECK_STR(json_string_value(json_object_get(g, "kind")), "Service");
	CHECK_STR(json_string_value(json_object_get(g, "group")), "");
	json_t *spec_ref = json_object_get(json_object_get(svc, "properties"), "spec");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(spec_ref, "allOf"), 0), "$ref")),
		  "#/components/schemas/io.k8s.api.core.v1.ServiceSpec");
	json_t *spec = json_object_get(schemas, "io.k8s.api.core.v1.ServiceSpec");
	CHECK(spec != NULL);
	CHECK_STR(json_string_value(json_object_get(spec, "type")), "object");
	json_t *type = json_object_get(json_object_get(spec, "properties"), "type");
	CHECK_STR(json_string_value(json_object_get(type, "type")), "string");
	const char *d = json_string_value(json_object_get(type, "description"));
	CHECK(d != NULL && strstr(d, "ExternalName, ClusterIP, NodePort, and LoadBalancer") != NULL);
	json_t *ports = json_object_get(json_object_get(spec, "properties"), "ports");
	CHECK_STR(json_string_value(json_object_get(ports, "type")), "array");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(ports, "items"), "allOf"), 0), "$ref")),
		  "#/components/schemas/io.k8s.api.core.v1.ServicePort");
	json_t *sp = json_object_get(schemas, "io.k8s.api.core.v1.ServicePort");
	CHECK(json_object_get(json_object_get(sp, "properties"), "targetPort") != NULL);
	CHECK_STR(json_string_value(json_array_get(json_object_get(sp, "required"), 0)), "port");
	/* Every $ref target exists. */
	CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.util.intstr.IntOrString") != NULL);
	CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta") != NULL);
	CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch") != NULL);
	CHECK(json_object_get(schemas, "io.k8s.api.core.v1.ServiceList") != NULL);
	CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Status") != NULL);
	json_decref(doc);
}

/* Walks a JSON value and checks every "$ref" resolves inside the document. */
static int refs_resolve(json_t *doc, json_t *v)
{
	const char *k;
	json_t *c;
	size_t i;
	int ok = 1;

	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			if (strcmp(k, "$ref") == 0) {
				const char *s = json_string_value(c);
				json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
				if (!s || strncmp(s, "#/components/schemas/", 21) != 0 || !json_object_get(schemas, s + 21)) {
					fprintf(stderr, "  dangling ref %s\n", s ? s : "(null)");
					ok = 0;
				}
			} else {
				ok &= refs_resolve(doc, c);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			ok &= refs_resolve(doc, c);
	}
	return ok;
}

static void test_openapi_apps(void)
{
	json_t *doc = openapi_v3_doc("apis/apps/v1");
	CHECK(doc != NULL);
	json_t *op = patch_op(doc, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
	CHECK(has_param(op, "fieldValidation"));
	json_t *gvk = json_object_get(op, "x-kubernetes-group-version-kind");
	CHECK_STR(json_string_value(json_object_get(gvk, "group")), "apps");
	CHECK_STR(json_string_value(json_object_get(gvk, "kind")), "Deployment");
	op = patch_op(doc, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale");
	gvk = json_object_get(op, "x-kubernetes-group-version-kind");
	CHECK_STR(json_string_value(json_object_get(gvk, "group")), "autoscaling");
	CHECK_STR(json_string_value(json_object_get(gvk, "kind")), "Scale");
	CHECK_STR(json_string_value(json_object_get(op, "operationId")), "patchAppsV1NamespacedDeploymentScale");
	json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
	CHECK(json_object_get(schemas, "io.k8s.api.autoscaling.v1.Scale") != NULL);
	CHECK(json_object_get(schemas, "io.k8s.api.core.v1.Container") != NULL);
	CHECK(json_object_get(schemas, "io.k8s.api.core.v1.Service") == NULL);
	CHECK(refs_resolve(doc, doc));
	json_decref(doc);

	doc = openapi_v3_doc("api/v1");
	CHECK(refs_resolve(doc, doc));
	json_decref(doc);
	doc = openapi_v3_doc("apis/discovery.k8s.io/v1");
	CHECK(refs_resolve(doc, doc));
	CHECK(json_object_get(json_object_get(doc, "paths"), "/apis/discovery.k8s.io/v1/endpointslices") != NULL);
	json_decref(doc);
}

int main(void)
{
	TEST_RUN(test_full_service_is_clean);
	TEST_RUN(test_unknown_top_spec_ports);
	TEST_RUN(test_strict_error_text);
	TEST_RUN(test_preserved_and_mismatched);
	TEST_RUN(test_other_kinds);
	TEST_RUN(test_limits_and_errors);
	TEST_RUN(test_openapi_index);
	TEST_RUN(test_openapi_core);
	TEST_RUN(test_openapi_apps);
	TEST_DONE();
}
