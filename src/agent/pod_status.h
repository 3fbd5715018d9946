/* The Pod status the agent reports, as the kubelet's status manager computes it (pkg/kubelet
 * kubelet_pods.go generateAPIPodStatus and getPhase, pkg/kubelet/status/generate.go). Pure: the
 * runtime's container statuses, the probe results and the time come in; a new status object comes
 * out. Conditions keep their lastTransitionTime while their status stays. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* What the probes say about one container (by name); a container without an entry counts as
 * ready and started once it runs (no readiness or startup probe). */
typedef struct pod_probe_result {
	const char *name;
	bool ready;   /* the readiness probe's last result (false until its first success) */
	bool started; /* the startup probe has succeeded (true without a startup probe) */
} pod_probe_result_t;

typedef struct pod_status_input {
	const json_t *pod;        /* the Pod: spec, and status (the old status, may be absent) */
	const json_t *containers; /* containerStatuses in spec order (the runtime's, or pod_status_waiting()) */
	const pod_probe_result_t *probes;
	size_t nprobes;
	const char *pod_ip;  /* NULL or "": no sandbox yet */
	const char *host_ip; /* the node's InternalIP */
	const char *now;     /* metav1.Time of this computation */
	bool terminal;       /* the pod is done for good (stopped after deletion, or rejected): no
			      * restart can follow, so stopped containers make it Succeeded or Failed */
	const char *reason;  /* pod-level reason/message (an admission rejection: phase Failed); NULL */
	const char *message;
} pod_status_input_t;

/* The new status (caller decrefs); NULL on ENOMEM or without in->pod. Fields the agent does not
 * own (qosClass, nominatedNodeName, ...) are kept from the old status. */
json_t *pod_status_compute(const pod_status_input_t *in);

/* The pod phase from container statuses (getPhase without init containers): Pending while any
 * container waits to start for the first time, Running while one runs, and after they all stopped
 * Succeeded (all exit 0) or Failed, by restartPolicy (Always: Running; OnFailure: Running until
 * every container succeeded; Never: Failed when any failed), terminal forcing the final one. */
const char *pod_status_phase(const json_t *containers, size_t nspec, const char *restart_policy, bool terminal);

/* containerStatuses for a pod whose containers are not running (yet): each spec container Waiting
 * with reason (e.g. "ContainerCreating"); the container named bad (may be NULL) with bad_reason and
 * message instead (e.g. "CreateContainerConfigError"). New array; NULL on ENOMEM. */
json_t *pod_status_waiting(const json_t *pod, const char *reason, const char *bad, const char *bad_reason,
			   const char *message);

/* True when the two statuses differ (then the status is written). */
bool pod_status_changed(const json_t *old, const json_t *want);

/* ---- admission (the kubelet's checks before it runs a pod) --------------------------------------- */

/* A configuration the node cannot run: an invalid probe, or two containers on one containerPort
 * and protocol (they share the pod's network namespace). Returns 0 when fine; -EINVAL with the
 * container's name into ret_container and the reason into msg (the kubelet's
 * CreateContainerConfigError). */
int pod_check_config(const json_t *pod, char *ret_container, size_t clen, char *msg, size_t mlen);

/* True when pod asks for a hostPort (protocol, hostIP) that one of the other pods (admitted on this
 * node, borrowed) already holds; msg gets the kubelet's rejection message. */
bool pod_host_ports_clash(const json_t *pod, const json_t *const *others, size_t n, char *msg, size_t mlen);
