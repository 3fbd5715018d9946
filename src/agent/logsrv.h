/* The agent's log server: the kubelet's /containerLogs/<ns>/<pod>/<container> endpoint over HTTPS on
 * the node IP, port LOGSRV_PORT, which the API server's pods/log proxies to.
 *
 * Authentication both ways: the agent keeps a serving key and a self-signed certificate in its data
 * dir (DATA/logsrv.key 0600, DATA/logsrv.crt) and publishes the certificate's SHA-256 as the Node
 * annotation LOGSRV_CERT_ANNOTATION, which the API server pins; the API server presents the node
 * token (DATA/node-token, held by both) as a bearer token. Anything else gets 401.
 *
 * Query parameters as the kubelet reads them: follow, tailLines, previous, timestamps,
 * sinceSeconds, sinceTime, limitBytes. Follow streams with chunked encoding, tailing the file as the
 * supervisor appends to it, and ends when that run of the container is over (a restart starts a new
 * file) or the pod is gone. All on the agent's event loop. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct event_base;

#define LOGSRV_PORT            10250 /* the kubelet's port, reported in daemonEndpoints */
#define LOGSRV_CERT_ANNOTATION "portico.io/agent-cert-sha256"
#define LOGSRV_SHA256_HEX      65    /* 64 hex digits and a NUL */

typedef struct logsrv logsrv_t;

typedef struct logsrv_config {
	const char *data_dir;  /* holds logsrv.key and logsrv.crt (created when absent) */
	const char *node_ip;   /* address to listen on; also the certificate's IP SAN */
	const char *node_name; /* the certificate's CN */
	int port;              /* 0: LOGSRV_PORT */
	const char *token;     /* the bearer token to accept (the node token); copied and wiped on free */
	/* The pod ns/name as the agent knows it now: a new reference to a Pod object with at least
	 * metadata.uid, spec.containers[].name and status.containerStatuses (for the kubelet's checks
	 * of the container's state), or NULL when this node runs no such pod. */
	json_t *(*pod_get)(const char *ns, const char *name, void *arg);
	/* The log file of the container's current (previous=false) or previous run: runtime_log_path(). */
	int (*log_path)(const char *pod_uid, const char *container, bool previous, char *buf, size_t len, void *arg);
	void *arg;
} logsrv_config_t;

/* Makes sure DATA/logsrv.{key,crt} exist (EC P-256, self-signed, 10 years; reused when present and
 * matching) and writes the certificate's SHA-256 (lower-case hex of the DER) into ret_sha256. Call
 * before registering the Node, which carries the fingerprint. 0 or negative errno. */
int logsrv_cert_ensure(const char *data_dir, const char *node_name, const char *node_ip,
		       char ret_sha256[LOGSRV_SHA256_HEX]);

/* Listens on node_ip:port. cfg is copied (callbacks and arg kept). *ret: caller frees with
 * logsrv_free(), which ends open streams. -EADDRINUSE, -EINVAL, -ENOMEM, or a PKI error. */
int logsrv_start(struct event_base *base, const logsrv_config_t *cfg, logsrv_t **ret);
void logsrv_free(logsrv_t *s); /* accepts NULL */

/* The kubelet's checks before reading logs (pkg/kubelet/kubelet_pods.go validateContainerLogStatus
 * and server.go getContainerLogs), over the Pod object pod_get returns: 0 when there is something
 * to read, else the HTTP status (404 for a container not in the spec, 400 for one not running or
 * without a previous run) with upstream's message in err. */
int logsrv_check(const json_t *pod, const char *container, bool previous, char *err, size_t errlen);

/* The SHA-256 of a PEM certificate's DER form as lower-case hex. 0 or -EBADMSG. */
int logsrv_pem_sha256(const char *pem, size_t len, char ret_sha256[LOGSRV_SHA256_HEX]);
