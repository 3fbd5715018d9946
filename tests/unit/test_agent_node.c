/* The agent's Node and Lease objects (agent/agent_node.c): registration object, status with
 * carried-over transition times, change detection without heartbeats, Lease, quantities. */
#include "agent/agent_node.h"

#include "harness.h"

static const agent_node_info_t info = {
	.name = "node-a", .ip = "192.0.2.11", .hostname = "host-a", .cpus = 4, .mem_bytes = 16318452LL * 1024,
	.arch = "amd64", .kernel = "6.1.0", .os_image = "Debian GNU/Linux 12 (bookworm)", .machine_id = "m1",
	.boot_id = "b1", .version = "v1.33.0-portico", .runtime = "portico://x",
};

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

static void test_node_new(void)
{
	json_t *n = agent_node_new(&info, "2025-01-01T00:00:00Z");
	const json_t *md, *st, *labels, *addrs, *ready, *ni;

	CHECK(n != NULL);
	if (!n)
		return;
	md = json_object_get(n, "metadata");
	labels = json_object_get(md, "labels");
	st = json_object_get(n, "status");
	CHECK_STR(jstr(n, "kind"), "Node");
	CHECK_STR(jstr(md, "name"), "node-a");
	CHECK_STR(jstr(labels, "kubernetes.io/hostname"), "host-a");
	CHECK_STR(jstr(labels, "kubernetes.io/os"), "linux");
	CHECK_STR(jstr(labels, "kubernetes.io/arch"), "amd64");
	CHECK_STR(jstr(labels, "beta.kubernetes.io/arch"), "amd64");
	CHECK(json_is_object(json_object_get(n, "spec")));
	addrs = json_object_get(st, "addresses");
	CHECK_INT(json_array_size(addrs), 2);
	CHECK_STR(jstr(json_array_get(addrs, 0), "type"), "InternalIP");
	CHECK_STR(jstr(json_array_get(addrs, 0), "address"), "192.0.2.11");
	CHECK_STR(jstr(json_array_get(addrs, 1), "type"), "Hostname");
	CHECK_STR(jstr(json_array_get(addrs, 1), "address"), "host-a");
	CHECK_STR(jstr(json_object_get(st, "capacity"), "cpu"), "4");
	CHECK_STR(jstr(json_object_get(st, "capacity"), "memory"), "16318452Ki");
	CHECK_STR(jstr(json_object_get(st, "capacity"), "pods"), "110");
	CHECK(json_equal(json_object_get(st, "capacity"), json_object_get(st, "allocatable")));
	CHECK_INT(json_array_size(json_object_get(st, "conditions")), 4);
	ready = json_array_get(json_object_get(st, "conditions"), 3);
	CHECK_STR(jstr(ready, "type"), "Ready");
	CHECK_STR(jstr(ready, "status"), "True");
	CHECK_STR(jstr(ready, "reason"), "KubeletReady");
	CHECK_STR(jstr(ready, "message"), "kubelet is posting ready status");
	CHECK_STR(jstr(ready, "lastHeartbeatTime"), "2025-01-01T00:00:00Z");
	CHECK_STR(jstr(cond(st, "MemoryPressure"), "status"), "False");
	CHECK_STR(jstr(cond(st, "DiskPressure"), "reason"), "KubeletHasNoDiskPressure");
	CHECK_STR(jstr(cond(st, "PIDPressure"), "reason"), "KubeletHasSufficientPID");
	ni = json_object_get(st, "nodeInfo");
	CHECK_STR(jstr(ni, "kubeletVersion"), "v1.33.0-portico");
	CHECK_STR(jstr(ni, "operatingSystem"), "linux");
	CHECK_STR(jstr(ni, "architecture"), "amd64");
	CHECK_STR(jstr(ni, "osImage"), "Debian GNU/Linux 12 (bookworm)");
	CHECK_STR(jstr(ni, "bootID"), "b1");
	json_decref(n);
}

static void test_node_defaults_and_errors(void)
{
	agent_node_info_t i = { .name = "n", .ip = "10.0.0.1" };
	json_t *n = agent_node_new(&i, "2025-01-01T00:00:00Z");
	const json_t *st = json_object_get(n, "status");

	CHECK(n != NULL);
	/* no hostname: the node name; no CPUs known: 1; unknown arch spelled out */
	CHECK_STR(jstr(json_array_get(json_object_get(st, "addresses"), 1), "address"), "n");
	CHECK_STR(jstr(json_object_get(st, "capacity"), "cpu"), "1");
	CHECK_STR(jstr(json_object_get(st, "capacity"), "memory"), "0");
	CHECK_STR(jstr(json_object_get(json_object_get(n, "metadata"), "labels"), "kubernetes.io/arch"), "unknown");
	json_decref(n);
	i.ip = NULL;
	CHECK(agent_node_new(&i, "2025-01-01T00:00:00Z") == NULL);
	i.ip = "10.0.0.1";
	i.name = "";
	CHECK(agent_node_status(&i, NULL, "2025-01-01T00:00:00Z") == NULL);
	CHECK(agent_node_status(&info, NULL, NULL) == NULL);
}

static void test_status_transitions(void)
{
	json_t *s1 = agent_node_status(&info, NULL, "2025-01-01T00:00:00Z"), *s2, *old, *s3;

	/* unchanged statuses keep lastTransitionTime; only heartbeats move */
	s2 = agent_node_status(&info, s1, "2025-01-01T00:00:10Z");
	CHECK_STR(jstr(cond(s2, "Ready"), "lastTransitionTime"), "2025-01-01T00:00:00Z");
	CHECK_STR(jstr(cond(s2, "Ready"), "lastHeartbeatTime"), "2025-01-01T00:00:10Z");
	CHECK(!agent_node_status_changed(s1, s2));
	/* the node lifecycle controller made Ready Unknown: changed, and the transition is now */
	old = json_deep_copy(s2);
	json_object_set_new((json_t *)cond(old, "Ready"), "status", json_string("Unknown"));
	json_object_set_new((json_t *)cond(old, "Ready"), "lastTransitionTime", json_string("2025-01-01T00:00:40Z"));
	s3 = agent_node_status(&info, old, "2025-01-01T00:01:00Z");
	CHECK(agent_node_status_changed(old, s3));
	CHECK_STR(jstr(cond(s3, "Ready"), "status"), "True");
	CHECK_STR(jstr(cond(s3, "Ready"), "lastTransitionTime"), "2025-01-01T00:01:00Z");
	CHECK_STR(jstr(cond(s3, "MemoryPressure"), "lastTransitionTime"), "2025-01-01T00:00:00Z");
	/* fields of other writers in status do not count; a different address does */
	json_object_set_new(old, "images", json_array());
	json_decref(s3);
	s3 = json_deep_copy(s2);
	json_object_set_new(s3, "images", json_array());
	CHECK(!agent_node_status_changed(s3, s2));
	json_object_set_new(json_array_get(json_object_get(s3, "addresses"), 0), "address", json_string("192.0.2.99"));
	CHECK(agent_node_status_changed(s3, s2));
	CHECK(agent_node_status_changed(NULL, s2));
	json_decref(s1);
	json_decref(s2);
	json_decref(s3);
	json_decref(old);
}

static void test_lease(void)
{
	json_t *l = agent_lease_new("node-a", "uid-1", "2025-01-01T00:00:00.123456Z");
	const json_t *md = json_object_get(l, "metadata"), *spec = json_object_get(l, "spec"), *ref;

	CHECK_STR(jstr(l, "apiVersion"), "coordination.k8s.io/v1");
	CHECK_STR(jstr(md, "name"), "node-a");
	CHECK_STR(jstr(md, "namespace"), "kube-node-lease");
	CHECK_STR(jstr(spec, "holderIdentity"), "node-a");
	CHECK_INT(json_integer_value(json_object_get(spec, "leaseDurationSeconds")), 40);
	CHECK_STR(jstr(spec, "renewTime"), "2025-01-01T00:00:00.123456Z");
	ref = json_array_get(json_object_get(md, "ownerReferences"), 0);
	CHECK_STR(jstr(ref, "kind"), "Node");
	CHECK_STR(jstr(ref, "name"), "node-a");
	CHECK_STR(jstr(ref, "uid"), "uid-1");
	json_decref(l);
	l = agent_lease_new("node-a", NULL, "2025-01-01T00:00:00.123456Z");
	CHECK(json_object_get(json_object_get(l, "metadata"), "ownerReferences") == NULL);
	json_decref(l);
	CHECK(agent_lease_new(NULL, NULL, "x") == NULL);
}

static void test_quantities(void)
{
	char b[32];

	agent_node_format_mem(16318452LL * 1024, b, sizeof(b));
	CHECK_STR(b, "16318452Ki");
	agent_node_format_mem(8LL << 30, b, sizeof(b));
	CHECK_STR(b, "8Gi");
	agent_node_format_mem(1000, b, sizeof(b));
	CHECK_STR(b, "1000");
	agent_node_format_mem(0, b, sizeof(b));
	CHECK_STR(b, "0");
	CHECK_STR(agent_node_goarch("x86_64"), "amd64");
	CHECK_STR(agent_node_goarch("aarch64"), "arm64");
	CHECK_STR(agent_node_goarch("mips"), "mips");
}

int main(void)
{
	TEST_RUN(test_node_new);
	TEST_RUN(test_node_defaults_and_errors);
	TEST_RUN(test_status_transitions);
	TEST_RUN(test_lease);
	TEST_RUN(test_quantities);
	TEST_DONE();
}
