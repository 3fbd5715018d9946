/* The API server: HTTPS (libevent evhttp over OpenSSL), authentication, routing, the REST verbs and
 * watches over the store. Everything runs on one event-loop thread; store writes complete
 * asynchronously (group commit), so a mutating request is answered from the store's done callback. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "lib/resources.h"
#include "store/store.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct evbuffer;
struct svc_registry;

#define API_MAX_BODY (3 * 1024 * 1024)   /* kube-apiserver's request body limit */
#define API_MAX_WATCHES_PER_CLIENT 256   /* per client address */

typedef struct api_options {
	const char *data_dir;
	const char *listen_addr; /* "0.0.0.0" */
	int listen_port;         /* 6443 */
	const char *node_ip;     /* advertised address, may be NULL */
	const char *service_cidr;
	const char *node_port_range;
	int event_ttl_sec;       /* 3600 */
} api_options_t;

typedef struct api_metrics api_metrics_t;

typedef struct api_server {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl;
	store_t *store;
	char *admin_token;
	char *node_token;
	api_options_t opts;
	struct svc_registry *svc;   /* Service allocators (NULL until the registry is wired) */
	struct event *sweep_ev;     /* periodic: event TTL, namespace finalization */
	api_metrics_t *metrics;
	unsigned watches;           /* open watches, for /metrics */
	struct client_count *clients; /* watches per client address */
	struct watcher *watchers;     /* every open watch, for shutdown */
	struct podlog *podlogs;       /* every pods/log request in flight, for shutdown */
	bool ready;
} api_server_t;

/* One request being served. Owned by the server from routing until the reply is sent. */
typedef struct api_req {
	api_server_t *srv;
	struct evhttp_request *req;
	int method;                     /* EVHTTP_REQ_* */
	char *path;                     /* decoded path, no query */
	struct evkeyvalq *query;        /* parsed query string (owned) */
	const k8s_resource_t *res;      /* resolved resource, NULL for non-resource paths */
	char *ns;                       /* namespace from the URL or NULL */
	char *name;                     /* object name from the URL or NULL */
	char *sub;                      /* subresource ("status", "scale") or NULL */
	char *user;                     /* authenticated user */
	bool want_table;                /* Accept asked for meta.k8s.io Table */
	int include;                    /* enum table_include */
	uint64_t start_usec;
	const char *verb;               /* for metrics: get, list, create, ... */
	/* state of an asynchronous write */
	json_t *obj;                    /* the object being written */
	json_t *old;                    /* the previous object, for updates */
	int64_t expect_rev;
	int write_op;                   /* enum store_op */
	int status_code;                /* HTTP status to answer a successful write with */
	bool dry_run;
	bool applied;                   /* server-side apply: managedFields already computed */
	store_val_t *written;           /* the bytes stored by the write: the reply, without a re-encode */
	void (*on_done)(struct api_req *r, int err, int64_t rev); /* after the store write */
	void *svc_txn;                  /* Service allocation transaction, rolled back on failure */
	void *owner;                    /* internal writes: the caller's context */
} api_req_t;

/* server.c */
int api_server_start(api_server_t *srv, struct event_base *base, store_t *store, const api_options_t *opts);
void api_server_stop(api_server_t *srv);
/* Replies and frees r. obj is stolen. */
void api_reply_json(api_req_t *r, int code, json_t *obj);
void api_reply_status(api_req_t *r, json_t *status); /* code taken from status.code */
/* Replies with raw JSON text (a stored value); text is borrowed. */
void api_reply_raw(api_req_t *r, int code, const char *text, size_t len);
void api_reply_buffer(api_req_t *r, int code, struct evbuffer *buf, const char *content_type); /* drains buf */
void api_req_free(api_req_t *r);
const char *api_query(const api_req_t *r, const char *key); /* NULL when absent */
uint64_t api_now_usec(void);

/* rest.c */
void rest_handle(api_req_t *r);
/* Store key of an object, or of a collection prefix when name is NULL (ns NULL = all namespaces). */
char *rest_key(const k8s_resource_t *res, const char *ns, const char *name);
/* Internal create used at bootstrap and by in-process controllers: validates and writes obj
 * (stolen); cb may be NULL. Returns 0 when queued, or a negative errno / -EEXIST. */
int rest_create_internal(api_server_t *srv, const k8s_resource_t *res, json_t *obj);
/* Deletes (or, with finalizers, marks) a stored object from inside the server, expecting its
 * revision rev; on_done gets the internal request (and frees it with api_req_free). */
int rest_delete_internal(api_server_t *srv, const k8s_resource_t *res, const json_t *obj, int64_t rev,
			 void (*on_done)(api_req_t *, int, int64_t), void *ud);
/* Periodic housekeeping: event TTL, namespace finalization. */
void rest_sweep(api_server_t *srv);
/* Sets metadata.resourceVersion of obj to rev and dumps it compactly into a store value. */
store_val_t *rest_dump_with_rev(json_t *obj, int64_t rev);

/* watch.c */
void watch_handle(api_req_t *r, int64_t from_rev, bool synthetic_added);
/* Shutdown: stops every watch and frees its state; evhttp_free() then frees the requests. */
void watch_close_all(api_server_t *srv);

/* metrics.c */
int api_metrics_new(api_metrics_t **ret);
void api_metrics_free(api_metrics_t *m);
void api_metrics_observe(api_metrics_t *m, const char *verb, const char *resource, int code, uint64_t usec);
void api_metrics_render(api_server_t *srv, struct evbuffer *out);
