/* Container probes as the kubelet runs them (pkg/kubelet/prober): readiness, liveness and startup,
 * each with an httpGet, tcpSocket or exec handler and upstream's defaults (period 10 s, timeout 1 s,
 * successThreshold 1, failureThreshold 3, initialDelaySeconds 0). HTTP and TCP probes connect from
 * the node's network namespace (the agent's) to the pod IP; exec probes run through runtime_exec().
 * httpGet with scheme HTTPS speaks TLS on the same non-blocking socket, verifying nothing (the
 * kubelet's probe transport sets InsecureSkipVerify), and redirects to the same host are followed.
 *
 * Three parts: the spec parser and the result bookkeeping are pure (unit-tested); the worker runs
 * one probe of one container on the agent's event loop. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <jansson.h>

#include "agent/runtime.h"

typedef enum probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP } probe_kind_t;
typedef enum probe_handler { PROBE_HTTP, PROBE_TCP, PROBE_EXEC } probe_handler_t;

#define PROBE_PERIOD_DEFAULT    10
#define PROBE_TIMEOUT_DEFAULT   1
#define PROBE_SUCCESS_DEFAULT   1
#define PROBE_FAILURE_DEFAULT   3

typedef struct probe_spec {
	probe_kind_t kind;
	probe_handler_t handler;
	int port;           /* HTTP, TCP: resolved (named ports through the container's ports) */
	char host[64];      /* HTTP, TCP: the spec's host; "" = the pod IP */
	bool https;         /* HTTP: scheme HTTPS (TLS without certificate verification, as the kubelet) */
	char *path;         /* HTTP: "/..." (owned) */
	json_t *headers;    /* HTTP: httpHeaders [{name, value}] (owned reference) or NULL */
	char **argv;        /* EXEC: NULL-terminated (owned) */
	int initial_delay;  /* seconds */
	int period, timeout, success_threshold, failure_threshold;
} probe_spec_t;

/* The name a probe kind has in the kubelet's messages: "Liveness", "Readiness", "Startup". */
const char *probe_kind_name(probe_kind_t kind);
/* The container field: "livenessProbe", "readinessProbe", "startupProbe". */
const char *probe_kind_field(probe_kind_t kind);

/* Parses container.<kind>Probe into *ret (cleared first; free with probe_spec_clear()). -ENOENT when
 * the container has no such probe; -EINVAL for an invalid one, with a message into err (e.g.
 * "livenessProbe: must specify exactly one handler type"); -ENOMEM. */
int probe_spec_parse(const json_t *container, probe_kind_t kind, probe_spec_t *ret, char *err, size_t errlen);
void probe_spec_clear(probe_spec_t *s);

/* The result bookkeeping of one probe (prober/worker.go): the result changes only after
 * successThreshold successes or failureThreshold failures in a row. Readiness starts as failure,
 * liveness as success, startup as failure (unknown) until its first success. */
typedef struct probe_state {
	bool result;
	bool on_hold; /* liveness/startup failed: no more probing until the container restarts */
	int run;      /* consecutive probes with the same outcome */
	bool last;    /* that outcome */
	bool probed;  /* at least one probe ran */
} probe_state_t;

void probe_state_init(probe_state_t *st, probe_kind_t kind);
/* Records one probe outcome; true when st->result changed. A liveness or startup failure that
 * reaches the threshold puts the state on hold (the container is to be killed). */
bool probe_state_record(probe_state_t *st, const probe_spec_t *spec, bool ok);

/* ---- HTTP pieces (pure; fuzzed) ------------------------------------------------------------------ */

#define PROBE_URL_MAX 2048

/* The head of an HTTP response as the prober reads it: buf holds len bytes (no NUL needed), the
 * start of the reply. *ret_code: the status; *ret_loc, *ret_loclen: the trimmed Location value
 * inside buf (borrowed), NULL/0 when absent or empty. -EBADMSG without a valid status line. */
int probe_http_parse(const char *buf, size_t len, int *ret_code, const char **ret_loc, size_t *ret_loclen);

typedef struct probe_url {
	bool https;
	char host[256];
	int port;
	char *path;    /* path and query, "/..." */
	bool absolute; /* the Location had a scheme */
} probe_url_t;

/* A redirect's Location (len bytes) resolved against the current request cur (RFC 3986 s5, without
 * dot-segment removal): an absolute URL, a scheme-relative "//host", an absolute path or a path
 * relative to cur's directory. *ret: ret->path owned by the caller. -EBADMSG for an empty, too long
 * or malformed Location (spaces or control bytes, a bad port), -ENOMEM. */
int probe_redirect_resolve(const char *loc, size_t len, const probe_url_t *cur, probe_url_t *ret);

/* ---- the worker --------------------------------------------------------------------------------- */

typedef struct probe_worker probe_worker_t;

/* After each probe: ok its outcome, changed whether the result changed, message the failure text
 * as the kubelet words it (e.g. "HTTP probe failed with statuscode: 500"; "" on success). */
typedef void (*probe_cb)(probe_worker_t *w, bool ok, bool changed, const char *message, void *arg);

/* spec: taken over (cleared in the caller's struct). pod_uid, container copied. Idle until
 * probe_worker_start(). */
int probe_worker_new(struct event_base *base, runtime_t *rt, probe_spec_t *spec, const char *pod_uid,
		     const char *container, probe_cb cb, void *arg, probe_worker_t **ret);
/* Stops probing; a probe in flight is abandoned (its result is dropped). Accepts NULL. */
void probe_worker_free(probe_worker_t *w);

/* A new container instance began running at started_mono (CLOCK_MONOTONIC seconds): reset the
 * state and probe after initialDelaySeconds, then every periodSeconds. pod_ip: copied. */
void probe_worker_start(probe_worker_t *w, const char *pod_ip, double started_mono);
/* The container stopped: no more probes until the next start; the result goes back to initial. */
void probe_worker_stop(probe_worker_t *w);
/* Gate (startup probe not yet succeeded): while closed, no probes run. Open by default. */
void probe_worker_set_gate(probe_worker_t *w, bool open);

bool probe_worker_result(const probe_worker_t *w);
const probe_spec_t *probe_worker_spec(const probe_worker_t *w);
const char *probe_worker_container(const probe_worker_t *w);
