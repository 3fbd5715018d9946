/* Node and Lease objects of the agent (see agent_node.h). The condition reasons and messages are
 * the kubelet's (nodestatus setters), since tools and people grep for them. */
#include "agent/agent_node.h"

#include <stdio.h>
#include <string.h>

static bool empty(const char *s)
{
	return !s || !*s;
}

const char *agent_node_goarch(const char *machine)
{
	static const struct {
		const char *uname, *go;
	} map[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" }, { "armv6l", "arm" },
		{ "i686", "386" },     { "i386", "386" },      { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
		{ "riscv64", "riscv64" },
	};

	if (!machine)
		return "unknown";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(machine, map[i].uname) == 0)
			return map[i].go;
	return machine;
}

void agent_node_format_mem(long long bytes, char *buf, size_t len)
{
	/* resource.Quantity in BinarySI, canonical: the largest suffix that divides exactly */
	static const char *const suffix[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	int i = 0;

	if (bytes <= 0) {
		snprintf(buf, len, "0");
		return;
	}
	while (i < 6 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, len, "%lld%s", bytes, suffix[i]);
}

static const json_t *old_condition(const json_t *old, const char *type)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(old, "conditions"), i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

/* One condition; lastTransitionTime carried over from old when its status is the same. */
static json_t *condition(const json_t *old, const char *type, const char *status, const char *reason,
			 const char *msg, const char *now)
{
	const json_t *oc = old_condition(old, type);
	const char *os = json_string_value(json_object_get(oc, "status"));
	const char *ot = json_string_value(json_object_get(oc, "lastTransitionTime"));
	const char *trans = os && ot && strcmp(os, status) == 0 ? ot : now;

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status, "lastHeartbeatTime", now,
			 "lastTransitionTime", trans, "reason", reason, "message", msg);
}

static int add_info(json_t *info, const char *key, const char *value)
{
	return json_object_set_new(info, key, json_string(value ? value : ""));
}

json_t *agent_node_status(const agent_node_info_t *info, const json_t *old, const char *now)
{
	json_t *st = NULL, *res = NULL, *conds = NULL, *ni = NULL, *addrs = NULL;
	char cpu[32], mem[32], pods[16];

	if (!info || empty(info->name) || empty(info->ip) || empty(now))
		return NULL;
	snprintf(cpu, sizeof(cpu), "%ld", info->cpus > 0 ? info->cpus : 1);
	agent_node_format_mem(info->mem_bytes, mem, sizeof(mem));
	snprintf(pods, sizeof(pods), "%d", info->max_pods > 0 ? info->max_pods : AGENT_MAX_PODS);
	/* nodestatus.NodeAddress: InternalIP first, then Hostname */
	addrs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "type", "InternalIP", "address", info->ip, "type", "Hostname",
			  "address", empty(info->hostname) ? info->name : info->hostname);
	/* allocatable = capacity: no system or kube reservations are configured */
	res = json_pack("{s:s, s:s, s:s}", "cpu", cpu, "memory", mem, "pods", pods);
	conds = json_array();
	ni = json_object();
	if (!addrs || !res || !conds || !ni)
		goto fail;
	if (json_array_append_new(conds, condition(old, "MemoryPressure", "False", "KubeletHasSufficientMemory",
						   "kubelet has sufficient memory available", now)) < 0 ||
	    json_array_append_new(conds, condition(old, "DiskPressure", "False", "KubeletHasNoDiskPressure",
						   "kubelet has no disk pressure", now)) < 0 ||
	    json_array_append_new(conds, condition(old, "PIDPressure", "False", "KubeletHasSufficientPID",
						   "kubelet has sufficient PID available", now)) < 0 ||
	    json_array_append_new(conds, condition(old, "Ready", "True", "KubeletReady",
						   "kubelet is posting ready status", now)) < 0)
		goto fail;
	if (add_info(ni, "machineID", info->machine_id) < 0 || add_info(ni, "systemUUID", info->machine_id) < 0 ||
	    add_info(ni, "bootID", info->boot_id) < 0 || add_info(ni, "kernelVersion", info->kernel) < 0 ||
	    add_info(ni, "osImage", info->os_image) < 0 || add_info(ni, "containerRuntimeVersion", info->runtime) < 0 ||
	    add_info(ni, "kubeletVersion", info->version) < 0 || add_info(ni, "kubeProxyVersion", "") < 0 ||
	    add_info(ni, "operatingSystem", "linux") < 0 ||
	    add_info(ni, "architecture", empty(info->arch) ? "unknown" : info->arch) < 0)
		goto fail;
	st = json_pack("{s:O, s:o, s:o, s:o, s:o}", "capacity", res, "allocatable", res, "conditions", conds,
		       "addresses", addrs, "nodeInfo", ni);
	json_decref(res);
	/* where the API server reaches the agent for pods/log (the kubelet's port field is "Port") */
	if (st && info->kubelet_port > 0 &&
	    json_object_set_new(st, "daemonEndpoints",
				json_pack("{s:{s:i}}", "kubeletEndpoint", "Port", info->kubelet_port)) < 0) {
		json_decref(st);
		return NULL;
	}
	return st;
fail:
	json_decref(addrs);
	json_decref(res);
	json_decref(conds);
	json_decref(ni);
	return NULL;
}

json_t *agent_node_new(const agent_node_info_t *info, const char *now)
{
	json_t *node, *st = agent_node_status(info, NULL, now);
	const char *host, *arch;

	if (!st)
		return NULL;
	host = empty(info->hostname) ? info->name : info->hostname;
	arch = empty(info->arch) ? "unknown" : info->arch;
	node = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s, s:s, s:s}}, s:{}, s:o}", "apiVersion", "v1", "kind",
			 "Node", "metadata", "name", info->name, "labels", "kubernetes.io/hostname", host,
			 "kubernetes.io/os", "linux", "kubernetes.io/arch", arch, "beta.kubernetes.io/os", "linux",
			 "beta.kubernetes.io/arch", arch, "spec", "status", st);
	if (node && !empty(info->cert_sha256) &&
	    json_object_set_new(json_object_get(node, "metadata"), "annotations",
				json_pack("{s:s}", AGENT_CERT_ANNOTATION, info->cert_sha256)) < 0) {
		json_decref(node);
		return NULL;
	}
	return node;
}

/* A copy of status without the conditions' heartbeat times. */
static json_t *without_heartbeats(const json_t *st)
{
	json_t *c = json_deep_copy(st), *x;
	size_t i;

	json_array_foreach(json_object_get(c, "conditions"), i, x)
		json_object_del(x, "lastHeartbeatTime");
	return c;
}

bool agent_node_status_changed(const json_t *old, const json_t *want)
{
	json_t *a, *b, *x;
	const char *k;
	bool changed = false;

	if (!old || !want)
		return true;
	a = without_heartbeats(old);
	b = without_heartbeats(want);
	if (!a || !b) {
		changed = true;
		goto out;
	}
	/* only what we write counts: fields other writers keep in status (images, volumes) do not */
	json_object_foreach(b, k, x) {
		if (!json_equal(json_object_get(a, k), x)) {
			changed = true;
			break;
		}
	}
out:
	json_decref(a);
	json_decref(b);
	return changed;
}

json_t *agent_lease_new(const char *node, const char *node_uid, const char *now)
{
	json_t *lease;

	if (empty(node) || empty(now))
		return NULL;
	lease = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:s}}", "apiVersion", "coordination.k8s.io/v1",
			  "kind", "Lease", "metadata", "name", node, "namespace", AGENT_LEASE_NS, "spec",
			  "holderIdentity", node, "leaseDurationSeconds", AGENT_LEASE_SEC, "renewTime", now);
	if (lease && !empty(node_uid)) {
		json_t *refs = json_pack("[{s:s, s:s, s:s, s:s}]", "apiVersion", "v1", "kind", "Node", "name", node, "uid",
					 node_uid);
		if (!refs || json_object_set_new(json_object_get(lease, "metadata"), "ownerReferences", refs) < 0) {
			json_decref(lease);
			return NULL;
		}
	}
	return lease;
}
