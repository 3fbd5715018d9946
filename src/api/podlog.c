/* pods/log (see podlog.h): validation against the stored Pod, the Node's InternalIP and kubelet port
 * from its status, then an asynchronous HTTPS GET of /containerLogs on the agent. The agent's
 * certificate is pinned by the SHA-256 the agent published on its Node (LOGSRV_CERT_ANNOTATION); the
 * server authenticates with the node token. The agent's body is streamed to the client chunk by
 * chunk; an error reply is turned into a Status as upstream's GenericHttpResponseChecker does. */
#include "api/podlog.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "agent/logsrv.h"
#include "client/kclient.h"
#include "core/log.h"
#include "lib/status.h"

#define PODLOG_MAX_ERR_BODY  50000            /* upstream's maxReadLength for an error body */
#define PODLOG_CONNECT_SEC   10
#define PODLOG_STREAM_IDLE   (4 * 3600)       /* a follow stream may be quiet for long */
#define PODLOG_MAX_BUFFERED  (16 * 1024 * 1024) /* to a client that stops reading */

typedef struct podlog {
	api_server_t *srv;
	api_req_t *r;                     /* freed before the podlog_t: use srv */
	SSL_CTX *ssl;
	char pin[LOGSRV_SHA256_HEX];
	struct evhttp_connection *up;     /* to the agent */
	struct evhttp_request *up_req;    /* in flight, NULL once done */
	struct evhttp_connection *client; /* NULL once the client went away */
	struct evbuffer *errbody;
	struct event *end_ev;
	char url[600];                    /* for error messages: no secrets in it */
	int code;                         /* the agent's status; 0: no response (yet) */
	bool started, ended, follow;
	struct podlog *next, *prev;       /* srv->podlogs */
} podlog_t;

int podlog_pick_container(const json_t *pod, const char *want, const char **ret, char *err, size_t errlen)
{
	const json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers"), *c;
	const char *name = json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
	size_t i, n = json_array_size(cs), off;

	if (!name)
		name = "";
	if (want && *want) {
		json_array_foreach(cs, i, c) {
			const char *cn = json_string_value(json_object_get(c, "name"));
			if (cn && strcmp(cn, want) == 0) {
				*ret = want;
				return 0;
			}
		}
		snprintf(err, errlen, "container %s is not valid for pod %s", want, name);
		return -EINVAL;
	}
	if (n == 1 && json_string_value(json_object_get(json_array_get(cs, 0), "name"))) {
		*ret = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
		return 0;
	}
	if (n == 0) {
		snprintf(err, errlen, "a container name must be specified for pod %s", name);
		return -EINVAL;
	}
	/* Go's %s of a []string: "[a b c]" */
	off = (size_t)snprintf(err, errlen, "a container name must be specified for pod %s, choose one of: [", name);
	json_array_foreach(cs, i, c) {
		const char *cn = json_string_value(json_object_get(c, "name"));
		if (off < errlen)
			off += (size_t)snprintf(err + off, errlen - off, "%s%s", i ? " " : "", cn ? cn : "");
	}
	if (off < errlen)
		snprintf(err + off, errlen - off, "]");
	return -EINVAL;
}

/* ---- the stored objects -------------------------------------------------------------------------- */

static json_t *load(api_server_t *srv, const char *plural, const char *ns, const char *name)
{
	const k8s_resource_t *res = k8s_resource_find("", "v1", plural);
	char *key = res ? rest_key(res, ns, name) : NULL;
	store_kv_t kv;
	json_t *obj = NULL;

	if (key && store_get(srv->store, key, &kv) == 0)
		obj = json_loadb(kv.val->data, kv.val->len, 0, NULL);
	free(key);
	return obj;
}

static const char *node_internal_ip(const json_t *node)
{
	const json_t *addrs = json_object_get(json_object_get(node, "status"), "addresses"), *a;
	size_t i;

	json_array_foreach(addrs, i, a) {
		const char *t = json_string_value(json_object_get(a, "type"));
		if (t && strcmp(t, "InternalIP") == 0)
			return json_string_value(json_object_get(a, "address"));
	}
	return NULL;
}

/* ---- teardown ------------------------------------------------------------------------------------ */

static void observe(podlog_t *p, int code)
{
	api_req_t *r = p->r;

	if (r->srv->metrics)
		api_metrics_observe(r->srv->metrics, "get", "pods", code, api_now_usec() - r->start_usec);
	log_debug("GET %s (log) -> %d (%llu us, %s)", r->path, code,
		  (unsigned long long)(api_now_usec() - r->start_usec), r->user ? r->user : "?");
}

static void podlog_free(podlog_t *p)
{
	api_server_t *srv = p->srv;

	if (p->prev)
		p->prev->next = p->next;
	else if (srv && srv->podlogs == p)
		srv->podlogs = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->up)
		evhttp_connection_free(p->up); /* frees a request still in flight, without its callback */
	SSL_CTX_free(p->ssl);
	if (p->errbody)
		evbuffer_free(p->errbody);
	if (p->end_ev)
		event_free(p->end_ev);
	free(p);
}

static json_t *error_status(podlog_t *p)
{
	size_t n = evbuffer_get_length(p->errbody);
	char *body = malloc(n + 1), msg[700];
	json_t *st;

	if (!body)
		return status_internal("out of memory");
	evbuffer_remove(p->errbody, body, n);
	body[n] = '\0';
	if (p->code == 0) {
		/* no answer: upstream passes the Go client's error, e.g. `Get "https://...": dial tcp ...` */
		snprintf(msg, sizeof(msg), "Get \"%s\": %s", p->url, n ? body : "no response from the node agent");
		st = status_internal(msg);
	} else if (p->code == 400) {
		st = status_bad_request(body);
	} else if (p->code == 500) {
		st = status_internal(body);
	} else if (p->code == 404) {
		snprintf(msg, sizeof(msg), "the server could not find the requested resource ( pods/log %s)",
			 p->r->name);
		st = status_new(404, "NotFound", msg, json_pack("{s:s, s:s}", "name", p->r->name, "kind", "pods/log"));
	} else {
		snprintf(msg, sizeof(msg), "the server responded with the status code %d but did not return more "
			 "information ( pods/log %s)", p->code, p->r->name);
		st = status_new(p->code, "", msg, json_pack("{s:s, s:s}", "name", p->r->name, "kind", "pods/log"));
	}
	free(body);
	return st;
}

/* Runs from its own event, outside any evhttp callback (they touch their connection after
 * returning). */
static void on_end(evutil_socket_t fd, short what, void *arg)
{
	podlog_t *p = arg;
	api_req_t *r = p->r;

	if (p->started) {
		if (p->client)
			evhttp_connection_set_closecb(p->client, NULL, NULL);
		/* with the client gone evhttp detached the request; this frees it either way */
		evhttp_send_reply_end(r->req);
		observe(p, 200);
		r->req = NULL;
		api_req_free(r);
	} else {
		api_reply_status(r, error_status(p));
	}
	podlog_free(p);
}

static void podlog_end(podlog_t *p)
{
	if (p->ended)
		return;
	p->ended = true;
	event_active(p->end_ev, 0, 0);
}

static void on_client_close(struct evhttp_connection *conn, void *arg)
{
	podlog_t *p = arg;

	p->client = NULL;
	podlog_end(p);
}

/* ---- the agent's answer -------------------------------------------------------------------------- */

static int on_headers(struct evhttp_request *req, void *arg)
{
	podlog_t *p = arg;
	struct evkeyvalq *h = evhttp_request_get_output_headers(p->r->req);

	p->code = evhttp_request_get_response_code(req);
	if (p->up)
		evhttp_connection_set_timeout(p->up, p->follow ? PODLOG_STREAM_IDLE : 60);
	if (p->code != 200 || p->ended)
		return 0;
	p->started = true;
	evhttp_add_header(h, "Content-Type", "text/plain");
	evhttp_add_header(h, "Cache-Control", "no-cache, private");
	evhttp_send_reply_start(p->r->req, 200, "OK");
	p->client = evhttp_request_get_connection(p->r->req);
	if (p->client) {
		if (p->follow)
			evhttp_connection_set_timeout(p->client, PODLOG_STREAM_IDLE);
		evhttp_connection_set_closecb(p->client, on_client_close, p);
	}
	return 0;
}

static void on_chunk(struct evhttp_request *req, void *arg)
{
	podlog_t *p = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct bufferevent *bev;

	if (p->ended) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (!p->started) {
		size_t room = PODLOG_MAX_ERR_BODY - evbuffer_get_length(p->errbody);
		size_t n = evbuffer_get_length(in);
		evbuffer_remove_buffer(in, p->errbody, n < room ? n : room);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	bev = p->client ? evhttp_connection_get_bufferevent(p->client) : NULL;
	if (!bev || evbuffer_get_length(bufferevent_get_output(bev)) > PODLOG_MAX_BUFFERED) {
		if (bev)
			log_warn("pods/log %s/%s: client too slow, closing", p->r->ns, p->r->name);
		evbuffer_drain(in, evbuffer_get_length(in));
		podlog_end(p);
		return;
	}
	evhttp_send_reply_chunk(p->r->req, in);
}

static void on_done(struct evhttp_request *req, void *arg)
{
	podlog_t *p = arg;

	p->up_req = NULL;
	if (!req && !p->code && evbuffer_get_length(p->errbody) == 0)
		evbuffer_add_printf(p->errbody, "the node agent did not answer (connection failed, closed or timed out)");
	if (req && !p->code)
		p->code = evhttp_request_get_response_code(req);
	podlog_end(p);
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	podlog_t *p = arg;

	if (!p->code && evbuffer_get_length(p->errbody) == 0)
		evbuffer_add_printf(p->errbody, "%s",
				    e == EVREQ_HTTP_TIMEOUT ? "timeout" : e == EVREQ_HTTP_EOF ? "connection closed"
								  : "connection or TLS handshake failed");
}

/* ---- the agent's identity ------------------------------------------------------------------------ */

/* The whole chain verification is replaced by the pin: the agent's certificate is self-signed and
 * known only by its digest. The node token is sent only after this returned 1. */
static int verify_pin(X509_STORE_CTX *ctx, void *arg)
{
	podlog_t *p = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char got[LOGSRV_SHA256_HEX];

	if (!leaf || X509_digest(leaf, EVP_sha256(), md, &n) != 1 || n != 32)
		return 0;
	for (unsigned i = 0; i < n; i++)
		snprintf(got + 2 * i, 3, "%02x", md[i]);
	if (strcmp(got, p->pin) != 0) {
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	return 1;
}

static int connect_agent(podlog_t *p, const char *ip, int port, const char *path)
{
	api_server_t *srv = p->r->srv;
	struct bufferevent *bev;
	SSL *ssl;
	char auth[600];

	p->ssl = SSL_CTX_new(TLS_client_method());
	if (!p->ssl || !SSL_CTX_set_min_proto_version(p->ssl, TLS1_2_VERSION))
		return -ENOMEM;
	SSL_CTX_set_verify(p->ssl, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(p->ssl, verify_pin, p);
	ssl = SSL_new(p->ssl);
	if (!ssl)
		return -ENOMEM;
	bev = bufferevent_openssl_socket_new(srv->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	p->up = evhttp_connection_base_bufferevent_new(srv->base, NULL, bev, ip, (ev_uint16_t)port);
	if (!p->up) {
		bufferevent_free(bev);
		return -ENOMEM;
	}
	evhttp_connection_set_retries(p->up, 0);
	/* connecting and the agent's first answer; widened once the headers are in */
	evhttp_connection_set_timeout(p->up, PODLOG_CONNECT_SEC);
	p->up_req = evhttp_request_new(on_done, p);
	if (!p->up_req)
		return -ENOMEM;
	evhttp_request_set_header_cb(p->up_req, on_headers);
	evhttp_request_set_chunked_cb(p->up_req, on_chunk);
	evhttp_request_set_error_cb(p->up_req, on_error);
	snprintf(auth, sizeof(auth), "Bearer %s", srv->node_token ? srv->node_token : "");
	evhttp_add_header(evhttp_request_get_output_headers(p->up_req), "Host", ip);
	evhttp_add_header(evhttp_request_get_output_headers(p->up_req), "Authorization", auth);
	explicit_bzero(auth, sizeof(auth));
	evhttp_add_header(evhttp_request_get_output_headers(p->up_req), "User-Agent", "portico-apiserver");
	if (evhttp_make_request(p->up, p->up_req, EVHTTP_REQ_GET, path) < 0) {
		p->up_req = NULL; /* freed by evhttp on failure */
		return -EIO;
	}
	return 0;
}

/* ---- the request --------------------------------------------------------------------------------- */

/* PodLogOptions validation (pkg/apis/core/validation ValidatePodLogOptions), and Go's ParseBool. */
static int check_opts(api_req_t *r, bool *follow, char *err, size_t errlen)
{
	static const char *const ints[] = { "tailLines", "limitBytes", "sinceSeconds" };
	static const char *const bools[] = { "follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend" };

	*follow = false;
	for (size_t i = 0; i < 3; i++) {
		const char *v = api_query(r, ints[i]);
		char *end;
		long long x;
		if (!v)
			continue;
		errno = 0;
		x = strtoll(v, &end, 10);
		if (!*v || *end || errno) {
			snprintf(err, errlen, "invalid %s parameter", ints[i]);
			return 400;
		}
		if ((i == 0 && x < 0) || (i > 0 && x < 1)) {
			snprintf(err, errlen, "%s", i == 0 ? "must be greater than or equal to 0" : "must be greater than 0");
			return 422;
		}
	}
	for (size_t i = 0; i < 4; i++) {
		const char *v = api_query(r, bools[i]);
		bool t = v && (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "true") ||
			       !strcmp(v, "TRUE") || !strcmp(v, "True"));
		bool f = v && (!strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") || !strcmp(v, "false") ||
			       !strcmp(v, "FALSE") || !strcmp(v, "False"));
		if (v && !t && !f) {
			snprintf(err, errlen, "invalid %s parameter", bools[i]);
			return 400;
		}
		if (i == 0)
			*follow = t;
	}
	if (api_query(r, "sinceSeconds") && api_query(r, "sinceTime")) {
		snprintf(err, errlen, "at most one of `sinceTime` or `sinceSeconds` may be specified");
		return 422;
	}
	return 0;
}

static void append_param(char *buf, size_t len, api_req_t *r, const char *key)
{
	const char *v = api_query(r, key);
	char *esc;
	size_t off = strlen(buf);

	if (!v || off >= len)
		return;
	esc = kclient_query_escape(v);
	if (esc)
		snprintf(buf + off, len - off, "%s%s=%s", strchr(buf, '?') ? "&" : "?", key, esc);
	free(esc);
}

void podlog_close_all(api_server_t *srv)
{
	while (srv->podlogs) {
		podlog_t *p = srv->podlogs;
		api_req_t *r = p->r;

		if (p->client)
			evhttp_connection_set_closecb(p->client, NULL, NULL);
		podlog_free(p); /* unlinks it */
		r->req = NULL;  /* evhttp_free() frees the HTTP request */
		api_req_free(r);
	}
}

void podlog_handle(api_req_t *r)
{
	json_t *pod = NULL, *node = NULL, *st = NULL;
	const char *container, *node_name, *ip, *pin;
	char err[600], path[1400];
	char *ens = NULL, *epod = NULL, *ec = NULL;
	podlog_t *p = NULL;
	bool follow;
	json_int_t port;
	int code;

	r->verb = "get";
	if (r->method != EVHTTP_REQ_GET) {
		api_reply_status(r, status_method_not_allowed("the server does not allow this method on the requested resource"));
		return;
	}
	code = check_opts(r, &follow, err, sizeof(err));
	if (code == 400) {
		api_reply_status(r, status_bad_request(err));
		return;
	}
	pod = load(r->srv, "pods", r->ns, r->name);
	if (!pod) {
		api_reply_status(r, status_not_found("", "pods", r->name));
		return;
	}
	if (code == 422) {
		char msg[800];
		snprintf(msg, sizeof(msg), "PodLogOptions \"%s\" is invalid: %s", r->name, err);
		api_reply_status(r, status_new(422, "Invalid", msg, NULL));
		goto out;
	}
	if (podlog_pick_container(pod, api_query(r, "container"), &container, err, sizeof(err)) < 0) {
		api_reply_status(r, status_bad_request(err));
		goto out;
	}
	node_name = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	if (!node_name || !*node_name) {
		/* not scheduled: upstream has no location and answers an empty log */
		struct evbuffer *b = evbuffer_new();
		api_reply_buffer(r, 200, b, "text/plain");
		if (b)
			evbuffer_free(b);
		goto out;
	}
	node = load(r->srv, "nodes", NULL, node_name);
	ip = node_internal_ip(node);
	port = json_integer_value(json_object_get(
		json_object_get(json_object_get(json_object_get(node, "status"), "daemonEndpoints"), "kubeletEndpoint"),
		"Port"));
	pin = json_string_value(json_object_get(json_object_get(json_object_get(node, "metadata"), "annotations"),
						LOGSRV_CERT_ANNOTATION));
	if (!node || !ip || port <= 0 || port > 65535 || !pin || strlen(pin) != LOGSRV_SHA256_HEX - 1) {
		snprintf(err, sizeof(err), "node %s has no log endpoint (InternalIP, kubelet port and %s)", node_name,
			 LOGSRV_CERT_ANNOTATION);
		api_reply_status(r, status_internal(err));
		goto out;
	}
	ens = kclient_query_escape(r->ns);
	epod = kclient_query_escape(r->name);
	ec = kclient_query_escape(container);
	p = calloc(1, sizeof(*p));
	if (!ens || !epod || !ec || !p) {
		api_reply_status(r, status_internal("out of memory"));
		goto out;
	}
	snprintf(path, sizeof(path), "/containerLogs/%s/%s/%s", ens, epod, ec);
	append_param(path, sizeof(path), r, "follow");
	append_param(path, sizeof(path), r, "previous");
	append_param(path, sizeof(path), r, "timestamps");
	append_param(path, sizeof(path), r, "tailLines");
	append_param(path, sizeof(path), r, "sinceSeconds");
	append_param(path, sizeof(path), r, "sinceTime");
	append_param(path, sizeof(path), r, "limitBytes");
	p->r = r;
	p->srv = r->srv;
	p->follow = follow;
	snprintf(p->pin, sizeof(p->pin), "%s", pin);
	snprintf(p->url, sizeof(p->url), "https://%s:%d%.*s", ip, (int)port, 400, path);
	p->errbody = evbuffer_new();
	p->end_ev = event_new(r->srv->base, -1, 0, on_end, p);
	if (!p->errbody || !p->end_ev || connect_agent(p, ip, (int)port, path) < 0) {
		ERR_clear_error();
		api_reply_status(r, status_internal("cannot reach the node agent"));
		podlog_free(p);
		goto out;
	}
	p->next = r->srv->podlogs;
	if (p->next)
		p->next->prev = p;
	r->srv->podlogs = p;
	p = NULL; /* the callbacks own it and r now */
out:
	json_decref(pod);
	json_decref(node);
	json_decref(st);
	free(ens);
	free(epod);
	free(ec);
}
