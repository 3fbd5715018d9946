/* The exec runtime (issue 6): each container is a local program in its pod's namespaces. A per-pod
 * supervisor process (`portico supervise`, detached with setsid so it outlives the agent) enters the
 * pod's network namespace, unshares mount, UTS (hostname = pod name) and IPC namespaces shared by all
 * its containers, bind-mounts the pod's own /etc/resolv.conf and /etc/hosts, starts the containers
 * (image -> program through the image map), writes their output to log files, restarts them per
 * restartPolicy with upstream's back-off (10 s doubling to 5 min, reset after 10 min running), and
 * stops them with SIGTERM, the grace period, then SIGKILL. The agent talks to supervisors through
 * files and a socket in the pod's directory DATA/pods/<uid>/, so a restarted agent re-adopts running
 * pods without restarting them.
 *
 * All calls and callbacks happen on the agent's event loop. The runtime reaps only its own children, by
 * pid (supervisor launch, exec): the agent must not waitpid(-1) nor set SIGCHLD to SIG_IGN. Pods are
 * driven without an API server by `portico runtime-test` (a test aid; tests/e2e/test_runtime.sh). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <jansson.h>

typedef struct runtime runtime_t;

typedef struct runtime_config {
	const char *data_dir;       /* pods live under DATA/pods/<uid>/ */
	const char *exe;            /* the portico binary the supervisor runs as; NULL: /proc/self/exe */
	const char *image_map;      /* NULL: DATA/image-map (see docs/images.md); absent file = built-ins */
	const char *cluster_dns;    /* resolv.conf nameserver, e.g. "10.43.0.10" */
	const char *cluster_domain; /* "cluster.local" */
	/* Called (on the loop) after any container of pod uid changed state (started, exited, restarted,
	 * waiting with a new reason) and after a pod stopped entirely. Within ~10 ms of the change. */
	void (*on_change)(const char *pod_uid, void *arg);
	void *arg;
} runtime_config_t;

int runtime_new(struct event_base *base, const runtime_config_t *cfg, runtime_t **ret);
/* Frees the agent's side; supervisors and containers keep running. Accepts NULL. */
void runtime_free(runtime_t *rt);

/* What to run. pod: the Pod object (borrowed for the call; metadata.namespace/name/uid and spec are
 * read: containers[].name/image/command/args/env/workingDir, restartPolicy,
 * terminationGracePeriodSeconds, hostname/subdomain). env: extra variables for every container, an
 * array of {"name":..,"value":..} (the service variables) placed before the container's own env, or
 * NULL. */
typedef struct runtime_pod_spec {
	const json_t *pod;
	const char *netns_path; /* from podnet_sandbox_t; NULL or "": the agent's own (hostNetwork) */
	const char *pod_ip;
	const json_t *env;
} runtime_pod_spec_t;

/* Starts the pod's supervisor unless one is already running for the uid (then adopts it and returns
 * 0 without restarting anything). An image that resolves nowhere leaves that container Waiting with
 * reason ErrImagePull and message naming the image; a command that cannot be executed gives a
 * terminated state with reason StartError (exit code 128) and the exec error as message; both are
 * retried with the back-off. Negative errno only when the supervisor itself cannot start (-EINVAL: no
 * valid metadata.uid/name, or a container name that is not a DNS label; the reason is logged).
 * The pod's resolv.conf and hosts are written here (cluster_dns/cluster_domain, pod_ip); $(VAR) in
 * env values, command and args is expanded here, so a running pod never changes under a new call. */
int runtime_pod_run(runtime_t *rt, const runtime_pod_spec_t *spec);

/* True when the uid has a live supervisor (it holds DATA/pods/<uid>/lock; no pid is trusted). */
bool runtime_pod_running(runtime_t *rt, const char *pod_uid);

/* The pod's containerStatuses as the kubelet reports them, one per spec container in spec order:
 * name, image, imageID ("portico://<resolved path>" or ""), containerID ("portico://<uid>/<name>/<n>"),
 * state (waiting{reason,message} | running{startedAt} | terminated{exitCode,signal,reason,message,
 * startedAt,finishedAt}), lastState, restartCount, started (true once running; the agent overrides it
 * with the startup probe), ready false (the agent sets it from probes). New array, caller decrefs;
 * NULL when the uid is unknown. */
json_t *runtime_pod_statuses(runtime_t *rt, const char *pod_uid);

/* Kills one container (liveness failure): SIGTERM, grace_sec, SIGKILL; the supervisor then restarts
 * it per restartPolicy as for any exit. 0 or negative errno (-ENOENT unknown pod/container, -ESRCH
 * the pod's supervisor is not running). */
int runtime_container_kill(runtime_t *rt, const char *pod_uid, const char *container, int grace_sec);

/* Stops the whole pod: SIGTERM to every container, SIGKILL to those left after grace_sec, no
 * restarts. done (may be NULL) is called once every process has exited and the supervisor is gone
 * (also when it already was). The pod directory (logs) stays until runtime_pod_remove(). */
int runtime_pod_stop(runtime_t *rt, const char *pod_uid, int grace_sec, void (*done)(const char *pod_uid, void *arg),
		     void *arg);
/* Deletes DATA/pods/<uid>/ (after a stop). Idempotent. */
int runtime_pod_remove(runtime_t *rt, const char *pod_uid);
/* Calls fn for every pod directory (running or not): adoption and garbage collection at start. */
int runtime_pod_foreach(runtime_t *rt, void (*fn)(const char *pod_uid, bool running, void *arg), void *arg);

/* Runs argv in the container's namespaces (exec probes, kubectl exec later), killed after timeout_ms.
 * cb: exit status (0..255), or -ETIMEDOUT, or negative errno; output: up to 10 KiB of combined
 * stdout/stderr (borrowed for the call). Non-blocking: the child is watched from the loop (pidfd).
 * argv[0] is looked up on the container's PATH (a busybox image: as a busybox applet); the command
 * gets the container's environment and working directory. A negative return (-ENOENT unknown pod or
 * container, -ESRCH container not running, other errno) means cb will not be called; an exec failure
 * in the child reaches cb as a negative errno (-ENOENT: command not found). An exec still running when
 * the runtime is freed is killed and reaches cb with -ECANCELED (so cb always runs once and can
 * release arg); cb must not use the runtime then. */
typedef void (*runtime_exec_cb)(int status, const char *output, size_t len, void *arg);
int runtime_exec(runtime_t *rt, const char *pod_uid, const char *container, char *const argv[], int timeout_ms,
		 runtime_exec_cb cb, void *arg);

/* Container logs: the file holding the output of the container's current run (previous=false) or the
 * run before it (previous=true) into buf. -ENOENT when there is none. Each line in the file is
 * "<RFC3339Nano time> <stdout|stderr> F <text>" (the CRI log format, so timestamps= can be served). */
int runtime_log_path(runtime_t *rt, const char *pod_uid, const char *container, bool previous, char *buf,
		     size_t len);

/* `portico supervise DIR`: the supervisor's entry point (src/cmd table). */
int runtime_supervise_main(int argc, char **argv);
