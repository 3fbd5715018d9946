/* kclient: an asynchronous Kubernetes REST client on a libevent event_base (HTTPS, JSON bodies,
 * keep-alive connections reused across requests, watch streams). Every controller, and later the
 * node agent, proxy and DNS, talk to an API server through this. One kclient belongs to one event
 * loop thread: all calls and all callbacks happen on that loop. */
#pragma once
#include <stdbool.h>

#include <event2/event.h>
#include <jansson.h>

/* Connection settings, as a kubeconfig's cluster and user carry them. Strings are copied by
 * kclient_new(); the struct stays the caller's. */
typedef struct kclient_config {
	const char *server;    /* "https://127.0.0.1:6443" (https only) */
	const char *ca_file;   /* PEM CA bundle that must sign the server cert; NULL: system default */
	const char *cert_file; /* client certificate (PEM), with key_file; optional */
	const char *key_file;
	const char *token;     /* bearer token; optional (a secret: never logged) */
	int timeout_sec;       /* per request (not watches); 0: 30 */
	const char *user_agent;/* NULL: "portico" */
} kclient_config_t;

typedef struct kclient kclient_t;
typedef struct kclient_req kclient_req_t;

/* status: the HTTP status, or a negative errno when no response arrived (-ECONNREFUSED, -ETIMEDOUT,
 * -EPROTO for TLS or HTTP failures). body: the parsed JSON response (borrowed for the call; NULL when
 * the body is empty or not JSON). The request handle is freed right after the callback returns. */
typedef void (*kclient_cb)(int status, json_t *body, void *arg);

/* One watch event line ({"type":..., "object":...}), borrowed for the call. */
typedef void (*kclient_event_cb)(json_t *event, void *arg);

/* Creates a client. -EINVAL for a malformed server URL or a non-https scheme; -EBADMSG when the CA,
 * cert or key cannot be loaded; -ENOMEM. *ret: caller frees with kclient_free(). */
int kclient_new(struct event_base *base, const kclient_config_t *cfg, kclient_t **ret);

/* Ends every connection; callbacks of requests still pending are NOT called. Accepts NULL. */
void kclient_free(kclient_t *c);

/* Sends METHOD path (path begins with "/", query included) with body (borrowed; NULL for none),
 * encoded as content_type (NULL: "application/json"; PATCH wants "application/merge-patch+json" or
 * "application/strategic-merge-patch+json"). cb may be NULL (fire and forget). A request that failed
 * on a reused keep-alive connection before any response is sent once more on a new connection.
 * ret_req (may be NULL): a handle for kclient_cancel(), valid until cb runs.
 * Returns 0 or -ENOMEM / -EINVAL; on error cb is never called. */
int kclient_request(kclient_t *c, const char *method, const char *path, const json_t *body,
		    const char *content_type, kclient_cb cb, void *arg, kclient_req_t **ret_req);

/* A streaming GET (a watch: path carries watch=true): on_event for each newline-delimited JSON
 * object as it arrives, then on_done once with the status (200 when the server ended the stream
 * normally, an HTTP error status, or negative errno). The stream has its own connection, closed at
 * the end. Lines longer than 16 MiB end the stream with -EMSGSIZE. */
int kclient_stream(kclient_t *c, const char *path, kclient_event_cb on_event, kclient_cb on_done, void *arg,
		   kclient_req_t **ret_req);

/* Cancels a pending request or stream: its callbacks are never called afterwards. */
void kclient_cancel(kclient_req_t *r);

/* The event base the client runs on. */
struct event_base *kclient_base(kclient_t *c);

/* Settings for the admin user of a Portico data dir: CA dir/ca.crt and the bearer token
 * dir/admin-token (read into *ret_token, caller frees and wipes). server: copied by the caller's
 * kclient_new(). -ENOENT and friends from pki_read_token(). */
int kclient_config_admin(const char *data_dir, const char *server, kclient_config_t *cfg, char **ret_ca_path,
			 char **ret_token);

/* Percent-encodes s for a URL query value into a new string (caller frees); NULL on ENOMEM. */
char *kclient_query_escape(const char *s);
