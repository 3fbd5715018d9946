/* The Node and Lease objects the agent writes, as the kubelet builds them (pkg/kubelet
 * kubelet_node_status.go initialNode, nodestatus/setters.go, nodelease/controller.go). Pure: no I/O;
 * the facts come in through agent_node_info_t and the time as a string. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define AGENT_LEASE_NS          "kube-node-lease"
#define AGENT_LEASE_SEC         40  /* leaseDurationSeconds (kubelet nodeLeaseDurationSeconds) */
#define AGENT_RENEW_SEC         10  /* renew interval: a quarter of the lease duration */
#define AGENT_STATUS_SYNC_SEC   10  /* nodeStatusUpdateFrequency: how often the status is computed */
#define AGENT_STATUS_REPORT_SEC 300 /* nodeStatusReportFrequency: post unchanged status this often */
#define AGENT_MAX_PODS          110 /* kubelet --max-pods default */

/* What the node is; strings borrowed for the call, NULL or "" for unknown (left out). */
typedef struct agent_node_info {
	const char *name;       /* the Node's name (required) */
	const char *ip;         /* InternalIP (required) */
	const char *hostname;   /* Hostname address and the kubernetes.io/hostname label; NULL: name */
	long cpus;              /* online CPUs */
	long long mem_bytes;    /* MemTotal */
	int max_pods;           /* 0: AGENT_MAX_PODS */
	const char *arch;       /* GOARCH spelling: "amd64", "arm64" */
	const char *kernel;     /* uname -r */
	const char *os_image;   /* /etc/os-release PRETTY_NAME */
	const char *machine_id; /* /etc/machine-id */
	const char *boot_id;    /* /proc/sys/kernel/random/boot_id */
	const char *version;    /* kubeletVersion, e.g. "v1.33.0-portico" */
	const char *runtime;    /* containerRuntimeVersion, e.g. "portico://abc123" */
	int kubelet_port;       /* status.daemonEndpoints.kubeletEndpoint.Port (the log server); 0: left out */
	const char *cert_sha256;/* the log server's certificate digest: annotation AGENT_CERT_ANNOTATION */
} agent_node_info_t;

/* The annotation the API server pins the agent's log-server certificate by (agent/logsrv.h). */
#define AGENT_CERT_ANNOTATION "portico.io/agent-cert-sha256"

/* The GOARCH name for a uname machine ("x86_64" -> "amd64", "aarch64" -> "arm64", ...); other
 * names are returned as they are. Borrowed (static or m itself). */
const char *agent_node_goarch(const char *machine);

/* The status the agent wants, given the status stored now (old: may be NULL). Conditions keep their
 * lastTransitionTime while their status stays; lastHeartbeatTime is now. Ready comes last, as the
 * kubelet orders it. New object (caller decrefs); NULL on ENOMEM or a missing name/ip. */
json_t *agent_node_status(const agent_node_info_t *info, const json_t *old, const char *now);

/* The Node to register: metadata (name, kubernetes.io/{hostname,os,arch} labels and their beta
 * twins, the AGENT_CERT_ANNOTATION when info has a cert_sha256), an empty spec, and agent_node_status(info, NULL, now). New object; NULL as above. */
json_t *agent_node_new(const agent_node_info_t *info, const char *now);

/* True when two statuses differ in anything but the conditions' lastHeartbeatTime (the kubelet's
 * nodeStatusHasChanged): only then, or every AGENT_STATUS_REPORT_SEC, is the status written. */
bool agent_node_status_changed(const json_t *old, const json_t *want);

/* The node's Lease in kube-node-lease: holderIdentity and name are the node's name,
 * leaseDurationSeconds AGENT_LEASE_SEC, renewTime now (a MicroTime), and an ownerReference to the
 * Node when node_uid is known (so the Lease goes with its Node). New object; NULL on ENOMEM. */
json_t *agent_lease_new(const char *node, const char *node_uid, const char *now);

/* Memory as the kubelet writes capacity: bytes in Ki ("16318452Ki") into buf (>= 24 bytes). */
void agent_node_format_mem(long long bytes, char *buf, size_t len);
