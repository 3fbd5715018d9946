/* The asynchronous Kubernetes REST client: evhttp over bufferevent_openssl, a small pool of idle
 * keep-alive connections, and one dedicated connection per watch stream.
 *
 * Trap avoided: an evhttp_connection reconnects by itself when a request is queued on a closed
 * connection, and an SSL bufferevent cannot be reused for a second handshake. So a connection is
 * used only while it is alive; once closed it is marked dead and freed from a deferred event (never
 * from inside an evhttp callback, which still touches the connection after it returns). */
#include "client/kclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/pki.h"

#define KCLIENT_MAX_IDLE     4
#define KCLIENT_MAX_LINE     (16u << 20)
#define KCLIENT_MAX_BODY     (64u << 20)
#define KCLIENT_STREAM_IDLE  700 /* s without a byte on a watch: longer than any timeoutSeconds we ask */

typedef struct kconn kconn_t;

struct kconn {
	kclient_t *c;
	struct evhttp_connection *evcon;
	kclient_req_t *req; /* the request in flight, or NULL when idle */
	unsigned nreq;      /* requests started on it: > 1 means reused */
	bool dead, stream;
	kconn_t *next;      /* c->conns */
};

struct kclient_req {
	kclient_t *c;
	kconn_t *conn;
	enum evhttp_cmd_type cmd;
	char *path, *body, *ctype;
	size_t body_len;
	kclient_cb cb;
	kclient_event_cb ev_cb;
	void *arg;
	bool cancelled, stream, retried;
	int http_err;             /* from the error callback: a negative errno */
	int abort_status;         /* != 0: the stream was ended by us with this status */
	struct evbuffer *linebuf; /* stream: bytes of an unfinished line */
	kclient_req_t *next, *prev;
};

struct kclient {
	struct event_base *base;
	SSL_CTX *ssl;
	char *host, *hostport, *auth, *agent;
	int port, timeout;
	bool host_is_ip;
	kconn_t *conns;         /* every connection, alive or dead */
	kclient_req_t *reqs;    /* every pending request */
	struct event *reaper;   /* frees dead connections outside evhttp callbacks */
};

static const char *const cmd_names[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
static const enum evhttp_cmd_type cmd_types[] = { EVHTTP_REQ_GET, EVHTTP_REQ_POST, EVHTTP_REQ_PUT,
						  EVHTTP_REQ_PATCH, EVHTTP_REQ_DELETE };

struct event_base *kclient_base(kclient_t *c)
{
	return c->base;
}

static void req_unlink(kclient_req_t *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else if (r->c->reqs == r)
		r->c->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void req_free(kclient_req_t *r)
{
	if (!r)
		return;
	req_unlink(r);
	if (r->conn && r->conn->req == r)
		r->conn->req = NULL;
	free(r->path);
	free(r->body);
	free(r->ctype);
	if (r->linebuf)
		evbuffer_free(r->linebuf);
	free(r);
}

static void schedule_reap(kclient_t *c)
{
	if (c->reaper)
		event_active(c->reaper, EV_TIMEOUT, 0);
}

static void conn_mark_dead(kconn_t *k)
{
	if (k->dead)
		return;
	k->dead = true;
	schedule_reap(k->c);
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	conn_mark_dead(arg);
}

static struct evhttp_connection *evcon_new(kclient_t *c)
{
	struct bufferevent *bev;
	struct evhttp_connection *evcon;
	SSL *ssl = SSL_new(c->ssl);

	if (!ssl)
		return NULL;
	if (c->host_is_ip) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host))
			goto fail_ssl;
	} else {
		SSL_set_tlsext_host_name(ssl, c->host);
		if (!X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), c->host, 0))
			goto fail_ssl;
	}
	bev = bufferevent_openssl_socket_new(c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev)
		goto fail_ssl;
	/* the server may end a connection with a plain TCP close */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	evcon = evhttp_connection_base_bufferevent_new(c->base, NULL, bev, c->host, (ev_uint16_t)c->port);
	if (!evcon) {
		bufferevent_free(bev); /* frees ssl too */
		return NULL;
	}
	return evcon;
fail_ssl:
	SSL_free(ssl);
	return NULL;
}

static kconn_t *conn_new(kclient_t *c, bool stream)
{
	kconn_t *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->c = c;
	k->stream = stream;
	k->evcon = evcon_new(c);
	if (!k->evcon) {
		free(k);
		return NULL;
	}
	evhttp_connection_set_retries(k->evcon, 0);
	evhttp_connection_set_timeout(k->evcon, stream ? KCLIENT_STREAM_IDLE : c->timeout);
	if (!stream)
		evhttp_connection_set_max_body_size(k->evcon, KCLIENT_MAX_BODY);
	evhttp_connection_set_closecb(k->evcon, on_conn_close, k);
	k->next = c->conns;
	c->conns = k;
	return k;
}

/* An idle live connection, or a new one. */
static kconn_t *conn_get(kclient_t *c)
{
	for (kconn_t *k = c->conns; k; k = k->next)
		if (!k->dead && !k->stream && !k->req)
			return k;
	return conn_new(c, false);
}

static void conn_free(kconn_t *k)
{
	kclient_req_t *r = k->req;

	if (k->evcon) {
		evhttp_connection_set_closecb(k->evcon, NULL, NULL);
		evhttp_connection_free(k->evcon); /* frees its requests without calling their callbacks */
	}
	if (r) {
		r->conn = NULL;
		if (!r->cancelled && r->cb)
			r->cb(r->abort_status ? r->abort_status : -ECONNRESET, NULL, r->arg);
		req_free(r);
	}
	free(k);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	kclient_t *c = arg;
	kconn_t **pp = &c->conns;
	unsigned idle = 0;

	while (*pp) {
		kconn_t *k = *pp;
		/* more than KCLIENT_MAX_IDLE idle connections: close the extra ones */
		if (!k->dead && !k->stream && !k->req && ++idle > KCLIENT_MAX_IDLE)
			k->dead = true;
		if (k->dead) {
			*pp = k->next;
			conn_free(k);
		} else {
			pp = &k->next;
		}
	}
}

static int errno_of(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return -ETIMEDOUT;
	case EVREQ_HTTP_EOF:
		return -ECONNRESET;
	case EVREQ_HTTP_DATA_TOO_LONG:
		return -EMSGSIZE;
	case EVREQ_HTTP_REQUEST_CANCEL:
		return -ECANCELED;
	default:
		return -EPROTO;
	}
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	kclient_req_t *r = arg;

	r->http_err = errno_of(e);
}

static void deliver_lines(kclient_req_t *r)
{
	for (;;) {
		size_t n = 0;
		struct evbuffer_ptr p = evbuffer_search_eol(r->linebuf, NULL, &n, EVBUFFER_EOL_LF);
		unsigned char *line;
		json_t *ev;

		if (p.pos < 0) {
			if (evbuffer_get_length(r->linebuf) > KCLIENT_MAX_LINE)
				r->abort_status = -EMSGSIZE;
			return;
		}
		line = evbuffer_pullup(r->linebuf, p.pos);
		ev = p.pos > 0 ? json_loadb((const char *)line, (size_t)p.pos, 0, NULL) : NULL;
		evbuffer_drain(r->linebuf, (size_t)p.pos + n);
		if (ev && !r->cancelled && r->ev_cb)
			r->ev_cb(ev, r->arg);
		json_decref(ev);
		if (r->cancelled || r->abort_status)
			return;
	}
}

static void on_chunk(struct evhttp_request *req, void *arg)
{
	kclient_req_t *r = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	if (r->cancelled || r->abort_status) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_add_buffer(r->linebuf, in);
	if (evhttp_request_get_response_code(req) != 200) {
		/* an error reply is one JSON Status, parsed when it ends */
		if (evbuffer_get_length(r->linebuf) > KCLIENT_MAX_LINE)
			r->abort_status = -EMSGSIZE;
	} else {
		deliver_lines(r);
	}
	if (r->abort_status && r->conn)
		conn_mark_dead(r->conn);
}

static int req_send(kclient_req_t *r);

static void on_done(struct evhttp_request *req, void *arg)
{
	kclient_req_t *r = arg;
	kconn_t *k = r->conn;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	json_t *body = NULL;

	if (k) {
		k->req = NULL;
		if (code == 0 || k->stream)
			conn_mark_dead(k);
	}
	r->conn = NULL;
	if (code == 0 && !r->cancelled && !r->stream && !r->retried && k && k->nreq > 1) {
		/* a keep-alive connection the server had closed: one more try on a fresh one */
		r->retried = true;
		r->http_err = 0;
		if (req_send(r) == 0)
			return;
	}
	if (r->cancelled || !r->cb) {
		req_free(r);
		return;
	}
	if (code == 0) {
		r->cb(r->http_err ? r->http_err : -ECONNRESET, NULL, r->arg);
		req_free(r);
		return;
	}
	if (r->abort_status) {
		r->cb(r->abort_status, NULL, r->arg);
		req_free(r);
		return;
	}
	if (r->stream) {
		if (code == 200 && evbuffer_get_length(r->linebuf) > 0) {
			evbuffer_add(r->linebuf, "\n", 1); /* a last line without its newline */
			deliver_lines(r);
		} else if (code != 200) {
			size_t len = evbuffer_get_length(r->linebuf);
			body = len ? json_loadb((const char *)evbuffer_pullup(r->linebuf, -1), len, 0, NULL) : NULL;
		}
		if (!r->cancelled)
			r->cb(code, body, r->arg);
	} else {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(in);
		body = len ? json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, NULL) : NULL;
		r->cb(code, body, r->arg);
	}
	json_decref(body);
	req_free(r);
}

static int req_send(kclient_req_t *r)
{
	kclient_t *c = r->c;
	kconn_t *k = r->stream ? conn_new(c, true) : conn_get(c);
	struct evhttp_request *req;
	struct evkeyvalq *h;

	if (!k)
		return -ENOMEM;
	req = evhttp_request_new(on_done, r);
	if (!req) {
		if (!k->nreq)
			conn_mark_dead(k);
		return -ENOMEM;
	}
	evhttp_request_set_error_cb(req, on_error);
	if (r->stream)
		evhttp_request_set_chunked_cb(req, on_chunk);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", c->hostport);
	evhttp_add_header(h, "User-Agent", c->agent);
	evhttp_add_header(h, "Accept", "application/json");
	if (c->auth)
		evhttp_add_header(h, "Authorization", c->auth);
	if (r->body) {
		char len[32];
		snprintf(len, sizeof(len), "%zu", r->body_len);
		evhttp_add_header(h, "Content-Type", r->ctype ? r->ctype : "application/json");
		evhttp_add_header(h, "Content-Length", len);
		evbuffer_add(evhttp_request_get_output_buffer(req), r->body, r->body_len);
	}
	k->req = r;
	k->nreq++;
	r->conn = k;
	if (evhttp_make_request(k->evcon, req, r->cmd, r->path) < 0) {
		/* evhttp freed req */
		k->req = NULL;
		r->conn = NULL;
		conn_mark_dead(k);
		return -EIO;
	}
	{
		/* evhttp hands TLS the headers and the body as separate records: without TCP_NODELAY the
		 * second waits for the server's delayed ACK, ~40 ms a request */
		evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(k->evcon));
		int one = 1;
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return 0;
}

static int req_start(kclient_t *c, const char *method, const char *path, const json_t *body, const char *ctype,
		     bool stream, kclient_cb cb, kclient_event_cb ev_cb, void *arg, kclient_req_t **ret_req)
{
	kclient_req_t *r;
	size_t i;
	int rc;

	if (!path || path[0] != '/')
		return -EINVAL;
	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strcmp(method, cmd_names[i]) == 0)
			break;
	if (i == sizeof(cmd_names) / sizeof(cmd_names[0]))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->c = c;
	r->cmd = cmd_types[i];
	r->cb = cb;
	r->ev_cb = ev_cb;
	r->arg = arg;
	r->stream = stream;
	r->path = strdup(path);
	if (!r->path)
		goto nomem;
	if (body) {
		r->body = json_dumps(body, JSON_COMPACT);
		if (!r->body)
			goto nomem;
		r->body_len = strlen(r->body);
	}
	if (ctype && !(r->ctype = strdup(ctype)))
		goto nomem;
	if (stream && !(r->linebuf = evbuffer_new()))
		goto nomem;
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	rc = req_send(r);
	if (rc < 0) {
		req_free(r);
		return rc;
	}
	if (ret_req)
		*ret_req = r;
	return 0;
nomem:
	req_free(r);
	return -ENOMEM;
}

int kclient_request(kclient_t *c, const char *method, const char *path, const json_t *body, const char *ctype,
		    kclient_cb cb, void *arg, kclient_req_t **ret_req)
{
	return req_start(c, method, path, body, ctype, false, cb, NULL, arg, ret_req);
}

int kclient_stream(kclient_t *c, const char *path, kclient_event_cb on_event, kclient_cb on_done_cb, void *arg,
		   kclient_req_t **ret_req)
{
	return req_start(c, "GET", path, NULL, NULL, true, on_done_cb, on_event, arg, ret_req);
}

void kclient_cancel(kclient_req_t *r)
{
	if (!r)
		return;
	r->cancelled = true;
	r->cb = NULL;
	r->ev_cb = NULL;
	/* a watch would otherwise stay open until the server ends it */
	if (r->stream && r->conn)
		conn_mark_dead(r->conn);
}

static int ssl_ctx_new(const kclient_config_t *cfg, SSL_CTX **ret)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->ca_file ? SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1
			 : SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto bad;
	if (cfg->cert_file || cfg->key_file) {
		if (!cfg->cert_file || !cfg->key_file ||
		    SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			goto bad;
	}
	*ret = ctx;
	return 0;
bad:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return -EBADMSG;
}

int kclient_new(struct event_base *base, const kclient_config_t *cfg, kclient_t **ret)
{
	struct evhttp_uri *uri = NULL;
	const char *scheme, *host;
	kclient_t *c;
	int rc = -ENOMEM;

	if (!base || !cfg || !cfg->server)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	c->timeout = cfg->timeout_sec > 0 ? cfg->timeout_sec : 30;
	uri = evhttp_uri_parse(cfg->server);
	scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	host = uri ? evhttp_uri_get_host(uri) : NULL;
	if (!scheme || strcasecmp(scheme, "https") != 0 || !host || !*host) {
		rc = -EINVAL;
		goto fail;
	}
	c->port = evhttp_uri_get_port(uri) > 0 ? evhttp_uri_get_port(uri) : 443;
	if (host[0] == '[') {
		/* evhttp keeps IPv6 literals bracketed */
		c->host = strndup(host + 1, strlen(host) - 2);
	} else {
		c->host = strdup(host);
	}
	if (!c->host)
		goto fail;
	{
		unsigned char tmp[16];
		c->host_is_ip = inet_pton(AF_INET, c->host, tmp) == 1 || inet_pton(AF_INET6, c->host, tmp) == 1;
	}
	if (asprintf(&c->hostport, strchr(c->host, ':') ? "[%s]:%d" : "%s:%d", c->host, c->port) < 0) {
		c->hostport = NULL;
		goto fail;
	}
	if (!(c->agent = strdup(cfg->user_agent ? cfg->user_agent : "portico")))
		goto fail;
	if (cfg->token && *cfg->token && asprintf(&c->auth, "Bearer %s", cfg->token) < 0) {
		c->auth = NULL;
		goto fail;
	}
	rc = ssl_ctx_new(cfg, &c->ssl);
	if (rc < 0)
		goto fail;
	c->reaper = event_new(base, -1, 0, on_reap, c);
	if (!c->reaper) {
		rc = -ENOMEM;
		goto fail;
	}
	evhttp_uri_free(uri);
	*ret = c;
	return 0;
fail:
	if (uri)
		evhttp_uri_free(uri);
	kclient_free(c);
	return rc;
}

void kclient_free(kclient_t *c)
{
	if (!c)
		return;
	for (kclient_req_t *r = c->reqs; r; r = r->next) {
		r->cancelled = true;
		r->cb = NULL;
		r->ev_cb = NULL;
	}
	while (c->conns) {
		kconn_t *k = c->conns;
		c->conns = k->next;
		conn_free(k);
	}
	while (c->reqs)
		req_free(c->reqs);
	if (c->reaper)
		event_free(c->reaper);
	if (c->ssl)
		SSL_CTX_free(c->ssl);
	if (c->auth) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c->host);
	free(c->hostport);
	free(c->agent);
	free(c);
}

int kclient_config_admin(const char *data_dir, const char *server, kclient_config_t *cfg, char **ret_ca_path,
			 char **ret_token)
{
	char *ca = NULL, *token = NULL;
	int rc;

	if (asprintf(&ca, "%s/ca.crt", data_dir) < 0)
		return -ENOMEM;
	rc = pki_read_token(data_dir, "admin-token", &token);
	if (rc < 0) {
		free(ca);
		return rc;
	}
	memset(cfg, 0, sizeof(*cfg));
	cfg->server = server;
	cfg->ca_file = ca;
	cfg->token = token;
	*ret_ca_path = ca;
	*ret_token = token;
	return 0;
}

char *kclient_query_escape(const char *s)
{
	return evhttp_uriencode(s, -1, 0);
}
