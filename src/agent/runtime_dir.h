/* Private to the runtime (runtime.c, the agent's side) and the supervisor (supervisor.c): the layout
 * of a pod directory DATA/pods/<uid>/, the spec the agent writes for its supervisor, and the control
 * protocol on its socket.
 *
 *   spec.json       what to run (rt_spec_t below), written once by the agent before the supervisor starts
 *   lock            flock()ed LOCK_EX by the supervisor for its whole life: "is it alive" without pids
 *   ctl.sock        the control socket (bound before the supervisor starts, so a connect never races it)
 *   status.json     container states, rewritten atomically (rename) by the supervisor on every change
 *   supervisor.log  the supervisor's own stderr
 *   resolv.conf, hosts   bind-mounted over /etc/ inside the pod's mount namespace
 *   logs/<container>/<n>.log   run n's output in the CRI format
 *
 * Protocol on ctl.sock, lines both ways. Agent -> supervisor: "stop GRACE", "kill CONTAINER GRACE".
 * Supervisor -> agent: "changed" after each status.json write. The supervisor's exit closes the socket. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define RT_SPEC       "spec.json"
#define RT_LOCK       "lock"
#define RT_SOCK       "ctl.sock"
#define RT_STATUS     "status.json"
#define RT_SUP_LOG    "supervisor.log"
#define RT_RESOLV     "resolv.conf"
#define RT_HOSTS      "hosts"
#define RT_LOGS       "logs"
#define RT_MAX_SPEC   (1024 * 1024)
#define RT_MAX_STATUS (1024 * 1024)
#define RT_MAX_CTRS   64
#define RT_MAX_LINE   1024 /* a control line */
#define RT_NAME_MAX   253

typedef struct rt_spec_ctr {
	char *name, *image, *working_dir;
	json_t *command, *args; /* string arrays, $(VAR) already expanded; NULL: not given */
	json_t *env;            /* [{"name","value"}], final */
} rt_spec_ctr_t;

typedef struct rt_spec {
	char *uid, *ns, *name, *hostname;
	char *netns;     /* "" : stay in the supervisor's network namespace */
	char *pod_ip;
	char *exe;       /* the portico binary (agnhost) */
	char *image_map; /* the image map file */
	char *restart_policy; /* "Always" | "OnFailure" | "Never" */
	bool host_network;    /* spec.hostNetwork: the node's UTS namespace (hostname) too */
	int grace_sec;
	rt_spec_ctr_t *ctrs;
	size_t nctrs;
} rt_spec_t;

/* Parses spec.json's text (never trusts it: types, counts, names are checked). 0, -EINVAL with a
 * message in err, -ENOMEM. */
int rt_spec_parse(const char *text, size_t len, rt_spec_t **ret, char *err, size_t errlen);
void rt_spec_free(rt_spec_t *s); /* accepts NULL */

/* status.json's text -> the kubelet's containerStatuses for the spec's containers (see
 * runtime_pod_statuses). alive: whether the supervisor still runs; when not, a container still
 * shown running is reported terminated with reason ContainerStatusUnknown. text NULL: before the
 * first status, every container Waiting/ContainerCreating. New array or NULL. */
json_t *rt_status_to_k8s(const rt_spec_t *spec, const char *text, size_t len, bool alive);

/* A container name is a DNS label (it becomes a directory name). */
bool rt_valid_name(const char *s);
