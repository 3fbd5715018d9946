/* HTTPS front of the API server: TLS through OpenSSL bufferevents, authentication (client
 * certificate or bearer token), routing of /api, /apis, /openapi, health and metrics paths, and the
 * reply helpers every handler ends with. */
#include "api/api.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "api/discovery.h"
#include "api/openapi.h"
#include "api/podlog.h"
#include "core/log.h"
#include "core/pki.h"
#include "lib/status.h"
#include "lib/table.h"
#include "lib/version.h"

uint64_t api_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void api_req_free(api_req_t *r)
{
	if (!r)
		return;
	free(r->path);
	if (r->query) {
		evhttp_clear_headers(r->query);
		free(r->query);
	}
	free(r->ns);
	free(r->name);
	free(r->sub);
	free(r->user);
	json_decref(r->obj);
	json_decref(r->old);
	store_val_unref(r->written);
	free(r);
}

const char *api_query(const api_req_t *r, const char *key)
{
	return r->query ? evhttp_find_header(r->query, key) : NULL;
}

static void finish(api_req_t *r, int code)
{
	if (log_level >= LOG_DEBUG && r->req) {
		const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->req));
		log_debug("%s %s%s%s -> %d (%llu us, %s)", r->verb ? r->verb : "-", r->path ? r->path : "",
			  q ? "?" : "", q ? q : "", code, (unsigned long long)(api_now_usec() - r->start_usec),
			  r->user ? r->user : "anonymous");
	}
	if (r->srv->metrics)
		api_metrics_observe(r->srv->metrics, r->verb ? r->verb : "other",
				    r->res ? r->res->plural : "", code, api_now_usec() - r->start_usec);
	api_req_free(r);
}

void api_reply_buffer(api_req_t *r, int code, struct evbuffer *buf, const char *content_type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	evhttp_add_header(h, "Content-Type", content_type ? content_type : "application/json");
	evhttp_add_header(h, "Cache-Control", "no-cache, private");
	evhttp_send_reply(r->req, code, NULL, buf);
	finish(r, code);
}

void api_reply_raw(api_req_t *r, int code, const char *text, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (buf) {
		evbuffer_add(buf, text, len);
		evbuffer_add(buf, "\n", 1);
	}
	api_reply_buffer(r, code, buf, NULL);
	if (buf)
		evbuffer_free(buf);
}

void api_reply_json(api_req_t *r, int code, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (!text) {
		static const char oom[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
					  "\"Failure\",\"message\":\"out of memory\",\"reason\":\"InternalError\","
					  "\"code\":500}";
		api_reply_raw(r, 500, oom, sizeof(oom) - 1);
		return;
	}
	api_reply_raw(r, code, text, strlen(text));
	free(text);
}

void api_reply_status(api_req_t *r, json_t *status)
{
	int code = status ? (int)json_integer_value(json_object_get(status, "code")) : 500;

	api_reply_json(r, code ? code : 500, status);
}

/* --- authentication --- */

static char *authenticate(api_server_t *srv, struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	const char *auth;
	char *user = NULL, *groups = NULL;

	if (ssl && tls_peer_user(ssl, &user, &groups) == 0) {
		free(groups);
		return user;
	}
	auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		const char *tok = auth + 7;
		while (*tok == ' ')
			tok++;
		if (srv->admin_token && pki_token_equal(tok, srv->admin_token))
			return strdup("admin");
		if (srv->node_token && pki_token_equal(tok, srv->node_token))
			return strdup("system:node");
	}
	return NULL;
}

/* --- routing --- */

static bool accept_has(struct evhttp_request *req, const char *needle1, const char *needle2)
{
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	const char *p;

	if (!a)
		return false;
	/* Only the first media range decides: kubectl lists the form it wants first, then fallbacks. */
	p = strchr(a, ',');
	{
		size_t n = p ? (size_t)(p - a) : strlen(a);
		char *first = strndup(a, n);
		bool yes = first && strstr(first, needle1) && (!needle2 || strstr(first, needle2));
		free(first);
		return yes;
	}
}

static void not_found_path(api_req_t *r)
{
	api_reply_status(r, status_new(404, "NotFound", "the server could not find the requested resource",
				       json_object()));
}

static void reply_discovery(api_req_t *r, json_t *doc, const char *ctype)
{
	char *text;
	struct evbuffer *buf;

	if (!doc) {
		not_found_path(r);
		return;
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	buf = evbuffer_new();
	if (!text || !buf) {
		free(text);
		if (buf)
			evbuffer_free(buf);
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	evbuffer_add(buf, text, strlen(text));
	free(text);
	api_reply_buffer(r, 200, buf, ctype);
	evbuffer_free(buf);
}

/* /openapi/v2: a minimal Swagger 2.0 document with no definitions. kubectl fetches it (as gnostic
 * protobuf) only to validate kinds that OpenAPI v3 cannot answer for, such as a v1 List; its
 * validator skips kinds the document does not describe, and each item is then validated by this
 * server with fieldValidation=Strict. The protobuf form is openapi.v2.Document {swagger=1 "2.0",
 * info=2 {title=1, version=2}, paths=8 {}, definitions=9 {}}. */
static void handle_openapi_v2(api_req_t *r)
{
	static const unsigned char pb[] = {
		0x0a, 3, '2', '.', '0',
		0x12, 21, 0x0a, 10, 'K', 'u', 'b', 'e', 'r', 'n', 'e', 't', 'e', 's', 0x12, 7, 'v', '1', '.', '3', '3', '.', '0',
		0x42, 0,
		0x4a, 0,
	};
	struct evbuffer *buf = evbuffer_new();

	if (!buf) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	if (accept_has(r->req, "protobuf", NULL)) {
		evbuffer_add(buf, pb, sizeof(pb));
		/* kube-openapi answers protobuf as octet-stream: clients parse the Content-Type with
		 * mime.ParseMediaType, which refuses the "@" of the Accept form */
		api_reply_buffer(r, 200, buf, "application/octet-stream");
	} else {
		static const char js[] = "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\"v1.33.0\"},"
					 "\"paths\":{},\"definitions\":{}}\n";
		evbuffer_add(buf, js, sizeof(js) - 1);
		api_reply_buffer(r, 200, buf, NULL);
	}
	evbuffer_free(buf);
}

static void handle_version(api_req_t *r)
{
	api_reply_json(r, 200,
		       json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", K8S_MAJOR, "minor",
				 K8S_MINOR, "gitVersion", K8S_GIT_VERSION, "gitCommit", PORTICO_VERSION,
				 "gitTreeState", "clean", "buildDate", "1970-01-01T00:00:00Z", "goVersion",
				 "portico-c", "compiler", "gcc", "platform", "linux/amd64"));
}

static void handle_plain(api_req_t *r, int code, const char *text)
{
	struct evbuffer *buf = evbuffer_new();

	if (buf)
		evbuffer_add(buf, text, strlen(text));
	api_reply_buffer(r, code, buf, "text/plain; charset=utf-8");
	if (buf)
		evbuffer_free(buf);
}

/* Splits path into at most max segments; returns the count, -1 when there are more. */
static int split_path(char *path, char **segs, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		segs[n++] = s;
	}
	return n;
}

static void route_group(api_req_t *r, const char *group, const char *version, char **segs, int n)
{
	const k8s_resource_t *res;

	if (n == 0) {
		r->verb = "discovery";
		reply_discovery(r, discovery_resource_list(group, version), NULL);
		return;
	}
	/* namespaces/<ns>/<resource>[/<name>[/<sub>]] for namespaced kinds */
	if (n >= 3 && strcmp(segs[0], "namespaces") == 0 && (res = k8s_resource_find(group, version, segs[2])) &&
	    res->namespaced) {
		if (n > 5)
			goto notfound;
		r->res = res;
		r->ns = strdup(segs[1]);
		if (n >= 4)
			r->name = strdup(segs[3]);
		if (n == 5)
			r->sub = strdup(segs[4]);
		if (n == 5 && res->has_log && strcmp(segs[4], "log") == 0) {
			podlog_handle(r); /* proxied to the node's agent */
			return;
		}
		rest_handle(r);
		return;
	}
	res = k8s_resource_find(group, version, segs[0]);
	if (!res || n > 3)
		goto notfound;
	/* <resource> (cluster-scoped, or a list across namespaces), <resource>/<name>[/<sub>] */
	if (res->namespaced && n > 1)
		goto notfound;
	r->res = res;
	if (n >= 2)
		r->name = strdup(segs[1]);
	if (n == 3)
		r->sub = strdup(segs[2]);
	rest_handle(r);
	return;
notfound:
	not_found_path(r);
}

static void route(api_req_t *r)
{
	char *segs[8], *copy = strdup(r->path);
	int n = copy ? split_path(copy, segs, 8) : -1;

	if (n < 0) {
		not_found_path(r);
		free(copy);
		return;
	}
	if (n >= 1 && strcmp(segs[0], "api") == 0) {
		if (n == 1) {
			r->verb = "discovery";
			if (accept_has(r->req, "as=APIGroupDiscoveryList", NULL))
				reply_discovery(r, discovery_aggregated(true), DISCOVERY_AGGREGATED_CONTENT_TYPE);
			else
				reply_discovery(r, discovery_legacy_api(r->srv->opts.node_ip ? r->srv->opts.node_ip
											 : "127.0.0.1"),
						NULL);
		} else if (strcmp(segs[1], "v1") == 0) {
			route_group(r, "", "v1", segs + 2, n - 2);
		} else {
			not_found_path(r);
		}
	} else if (n >= 1 && strcmp(segs[0], "apis") == 0) {
		if (n == 1) {
			r->verb = "discovery";
			if (accept_has(r->req, "as=APIGroupDiscoveryList", NULL))
				reply_discovery(r, discovery_aggregated(false), DISCOVERY_AGGREGATED_CONTENT_TYPE);
			else
				reply_discovery(r, discovery_legacy_apis(), NULL);
		} else if (n == 2) {
			r->verb = "discovery";
			reply_discovery(r, discovery_group(segs[1]), NULL);
		} else {
			route_group(r, segs[1], segs[2], segs + 3, n - 3);
		}
	} else if (n == 2 && strcmp(segs[0], "openapi") == 0 && strcmp(segs[1], "v2") == 0) {
		r->verb = "openapi";
		handle_openapi_v2(r);
	} else if (n >= 2 && strcmp(segs[0], "openapi") == 0 && strcmp(segs[1], "v3") == 0) {
		r->verb = "openapi";
		if (n == 2) {
			reply_discovery(r, openapi_v3_index(), NULL);
		} else {
			/* the rest of the path: "api/v1" or "apis/apps/v1" */
			const char *rest = r->path + strlen("/openapi/v3/");
			reply_discovery(r, openapi_v3_doc(rest), NULL);
		}
	} else if (n == 1 && strcmp(segs[0], "metrics") == 0) {
		struct evbuffer *buf = evbuffer_new();
		r->verb = "metrics";
		if (buf)
			api_metrics_render(r->srv, buf);
		api_reply_buffer(r, 200, buf, "text/plain; version=0.0.4; charset=utf-8");
		if (buf)
			evbuffer_free(buf);
	} else {
		not_found_path(r);
	}
	free(copy);
}

static bool anonymous_path(const char *path)
{
	static const char *const open[] = { "/healthz", "/livez", "/readyz", "/version" };

	for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
		size_t l = strlen(open[i]);
		if (strncmp(path, open[i], l) == 0 && (path[l] == '\0' || path[l] == '/'))
			return true;
	}
	return false;
}

static void handle_request(struct evhttp_request *req, void *arg)
{
	api_server_t *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *raw_query = uri ? evhttp_uri_get_query(uri) : NULL;
	api_req_t *r = calloc(1, sizeof(*r));

	if (!r) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	r->srv = srv;
	r->req = req;
	r->start_usec = api_now_usec();
	r->method = evhttp_request_get_command(req);
	r->path = evhttp_uridecode(raw_path && *raw_path ? raw_path : "/", 0, NULL);
	r->query = calloc(1, sizeof(*r->query));
	if (!r->path || !r->query) {
		api_reply_status(r, status_internal("out of memory"));
		return;
	}
	TAILQ_INIT(r->query);
	if (raw_query && evhttp_parse_query_str(raw_query, r->query) < 0) {
		api_reply_status(r, status_bad_request("malformed query string"));
		return;
	}
	if (!anonymous_path(r->path)) {
		r->user = authenticate(srv, req);
		if (!r->user) {
			r->verb = "unauthorized";
			api_reply_status(r, status_unauthorized());
			return;
		}
	}
	if (strcmp(r->path, "/version") == 0 || strcmp(r->path, "/version/") == 0) {
		r->verb = "version";
		handle_version(r);
		return;
	}
	if (anonymous_path(r->path)) {
		r->verb = "health";
		handle_plain(r, srv->ready ? 200 : 503, srv->ready ? "ok" : "not ready");
		return;
	}
	r->want_table = accept_has(req, "as=Table", "g=meta.k8s.io");
	{
		enum table_include inc = TABLE_INCLUDE_METADATA;
		if (table_include_parse(api_query(r, "includeObject"), &inc) < 0) {
			api_reply_status(r, status_bad_request("invalid includeObject parameter"));
			return;
		}
		r->include = (int)inc;
	}
	route(r);
}

int api_server_start(api_server_t *srv, struct event_base *base, store_t *store, const api_options_t *opts)
{
	struct evhttp_bound_socket *sock;
	int r;

	srv->base = base;
	srv->store = store;
	srv->opts = *opts;
	r = tls_server_ctx_new(opts->data_dir, &srv->ssl);
	if (r < 0)
		return r;
	r = pki_read_token(opts->data_dir, "admin-token", &srv->admin_token);
	if (r < 0)
		return r;
	r = pki_read_token(opts->data_dir, "node-token", &srv->node_token);
	if (r < 0)
		return r;
	r = api_metrics_new(&srv->metrics);
	if (r < 0)
		return r;
	srv->http = evhttp_new(base);
	if (!srv->http)
		return -ENOMEM;
	evhttp_set_bevcb(srv->http, tls_server_bevcb, srv->ssl);
	evhttp_set_gencb(srv->http, handle_request, srv);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						      EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
						      EVHTTP_REQ_OPTIONS);
	/* Bodies up to 16 MiB are read so that one over API_MAX_BODY gets a 413 Status, not a bare
	 * page; anything larger is cut off by evhttp itself. */
	evhttp_set_max_body_size(srv->http, 16 * 1024 * 1024);
	evhttp_set_max_headers_size(srv->http, 256 * 1024);
	/* A client that stalls mid-request is dropped after 30 s; watches re-arm their own timeout. */
	evhttp_set_timeout(srv->http, 30);
	sock = evhttp_bind_socket_with_handle(srv->http, opts->listen_addr, (ev_uint16_t)opts->listen_port);
	if (!sock)
		return -EADDRINUSE;
	{
		/* Replies leave in more than one write (TLS records for head and body); without
		 * TCP_NODELAY the second waits for the client's delayed ACK, ~40 ms a request. Accepted
		 * sockets inherit the option on Linux. */
		int one = 1;
		setsockopt(evhttp_bound_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return 0;
}

void api_server_stop(api_server_t *srv)
{
	podlog_close_all(srv);
	if (srv->http)
		evhttp_free(srv->http);
	srv->http = NULL;
	if (srv->ssl)
		SSL_CTX_free(srv->ssl);
	srv->ssl = NULL;
	free(srv->admin_token);
	free(srv->node_token);
	srv->admin_token = srv->node_token = NULL;
	api_metrics_free(srv->metrics);
	srv->metrics = NULL;
}
