/* bench/api/loadgen.c: HTTPS load generator for Portico's API server, driven by bench/api/run.sh.
 * "create" posts Services from N keep-alive clients (optionally paced, optionally with watches held
 * open and checked); "list" times full and paginated lists. Each phase prints a table row and one
 * "RESULT key=value ..." line for scripts. */
#define _GNU_SOURCE /* asprintf, memmem */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define LG_MAX_COUNT 1000000L
#define LG_MAX_CLIENTS 512
#define LG_MAX_WATCHES 250     /* the server allows 256 watches per client address */
#define LG_MAX_RUNS 100
#define LG_REQ_TIMEOUT 60      /* seconds without progress before a request fails */
#define LG_WATCH_TIMEOUT 900   /* watches outlive any phase */
#define LG_ERRORS_SHOWN 3      /* error replies printed in full, per phase */
#define LG_BODY_MAX 4096

typedef struct lg_opts {
	const char *host;     /* an IP address: the server certificate is checked against it */
	int port;
	const char *data_dir; /* the server's: ca.crt, admin.crt, admin.key, admin-token */
	bool token;           /* authenticate with the bearer token instead of the client certificate */
	const char *ns;
	const char *phase;    /* name of the phase in the output */
	const char *prefix;   /* object names are <prefix>-<index, 6 digits> */
	long count;
	int clients;
	double rate;          /* creates per second over all clients; 0 = as fast as they go */
	int watches;
	int watch_wait;       /* seconds the watches get to deliver everything once the creates end */
	long limit;           /* list page size; 0 = one request for everything */
	int runs;
	long expect;          /* list: the least number of items that must come back */
} lg_opts_t;

/* What every connection needs; read-only once set up, so the watch thread shares it. */
typedef struct lg_ctx {
	lg_opts_t o;
	SSL_CTX *ssl;
	char *bearer;         /* "Bearer <token>" or NULL */
	char hostport[80];
	char coll_path[256];  /* /api/v1/namespaces/<ns>/services */
} lg_ctx_t;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- numbers --- */

static int parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_double(const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, long n, double q)
{
	long i;

	if (n <= 0)
		return 0;
	i = (long)(q * (double)n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* --- TLS and HTTP plumbing --- */

static int ctx_init(lg_ctx_t *g)
{
	char path[4096];
	FILE *f;

	snprintf(g->hostport, sizeof(g->hostport), "%s:%d", g->o.host, g->o.port);
	snprintf(g->coll_path, sizeof(g->coll_path), "/api/v1/namespaces/%s/services", g->o.ns);
	g->ssl = SSL_CTX_new(TLS_client_method());
	if (!g->ssl)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(g->ssl, TLS1_2_VERSION);
	snprintf(path, sizeof(path), "%s/ca.crt", g->o.data_dir);
	if (SSL_CTX_load_verify_locations(g->ssl, path, NULL) != 1) {
		fprintf(stderr, "loadgen: cannot load %s\n", path);
		return -ENOENT;
	}
	SSL_CTX_set_verify(g->ssl, SSL_VERIFY_PEER, NULL);
	if (!g->o.token) {
		snprintf(path, sizeof(path), "%s/admin.crt", g->o.data_dir);
		if (SSL_CTX_use_certificate_file(g->ssl, path, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "loadgen: cannot load %s\n", path);
			return -ENOENT;
		}
		snprintf(path, sizeof(path), "%s/admin.key", g->o.data_dir);
		if (SSL_CTX_use_PrivateKey_file(g->ssl, path, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(g->ssl) != 1) {
			fprintf(stderr, "loadgen: cannot load %s\n", path);
			return -ENOENT;
		}
		return 0;
	}
	{
		char tok[256];
		size_t n;

		snprintf(path, sizeof(path), "%s/admin-token", g->o.data_dir);
		f = fopen(path, "r");
		if (!f) {
			fprintf(stderr, "loadgen: cannot open %s: %s\n", path, strerror(errno));
			return -errno;
		}
		n = fread(tok, 1, sizeof(tok) - 1, f);
		fclose(f);
		tok[n] = '\0';
		while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
			tok[--n] = '\0';
		if (n == 0 || asprintf(&g->bearer, "Bearer %s", tok) < 0) {
			fprintf(stderr, "loadgen: empty token in %s\n", path);
			return -EINVAL;
		}
		OPENSSL_cleanse(tok, sizeof(tok));
	}
	return 0;
}

static void ctx_free(lg_ctx_t *g)
{
	if (g->ssl)
		SSL_CTX_free(g->ssl);
	if (g->bearer) {
		OPENSSL_cleanse(g->bearer, strlen(g->bearer));
		free(g->bearer);
	}
}

/* A keep-alive HTTPS connection; it connects on its first request. */
static struct evhttp_connection *conn_new(const lg_ctx_t *g, struct event_base *base, int timeout)
{
	SSL *ssl = SSL_new(g->ssl);
	struct bufferevent *bev;
	struct evhttp_connection *conn;

	if (!ssl)
		return NULL;
	/* The serving certificate has IP SAN 127.0.0.1: verify the address, there is no host name. */
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), g->o.host) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl); /* libevent leaves it to us when the bufferevent could not be made */
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	/* On failure libevent may or may not have freed bev; a leak on this path is the lesser evil. */
	conn = evhttp_connection_base_bufferevent_new(base, NULL, bev, g->o.host, (ev_uint16_t)g->o.port);
	if (!conn)
		return NULL;
	evhttp_connection_set_timeout(conn, timeout);
	return conn;
}

/* evhttp writes the request head and body as two TLS records; with Nagle on, the second waits for
 * the peer's (delayed) ACK of the first, ~40 ms. The socket exists once the connection is up. */
static void conn_nodelay(struct evhttp_connection *conn)
{
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	int one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct evhttp_request *req_new(const lg_ctx_t *g, void (*cb)(struct evhttp_request *, void *), void *arg)
{
	struct evhttp_request *req = evhttp_request_new(cb, arg);
	struct evkeyvalq *h;

	if (!req)
		return NULL;
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", g->hostport);
	evhttp_add_header(h, "Accept", "application/json");
	evhttp_add_header(h, "User-Agent", "portico-loadgen/1");
	if (g->bearer)
		evhttp_add_header(h, "Authorization", g->bearer);
	return req;
}

/* Prints an error reply (a Status object, or whatever came) for diagnosis. */
static void show_error(const char *phase, const char *what, struct evhttp_request *req)
{
	struct evbuffer *in = req ? evhttp_request_get_input_buffer(req) : NULL;
	size_t len = in ? evbuffer_get_length(in) : 0;
	char text[512];

	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	if (len)
		evbuffer_copyout(in, text, len);
	text[len] = '\0';
	fprintf(stderr, "loadgen[%s]: %s: HTTP %d %s\n", phase, what, req ? evhttp_request_get_response_code(req) : 0,
		len ? text : "(connection failed or timed out)");
}

/* One synchronous GET on conn: runs base until the reply is in. Returns the HTTP status (0 when
 * the connection failed); the body is appended to body. */
typedef struct lg_get {
	struct event_base *base;
	struct evbuffer *body;
	int code;
	bool done;
} lg_get_t;

static void on_get(struct evhttp_request *req, void *arg)
{
	lg_get_t *q = arg;

	q->code = req ? evhttp_request_get_response_code(req) : 0;
	if (req)
		evbuffer_add_buffer(q->body, evhttp_request_get_input_buffer(req));
	if (req && q->code != 200)
		show_error("get", "unexpected reply", req);
	q->done = true;
	event_base_loopbreak(q->base);
}

static int get_sync(const lg_ctx_t *g, struct event_base *base, struct evhttp_connection *conn, const char *uri,
		    struct evbuffer *body)
{
	lg_get_t q = { .base = base, .body = body };
	struct evhttp_request *req = req_new(g, on_get, &q);

	if (!req || evhttp_make_request(conn, req, EVHTTP_REQ_GET, uri) < 0)
		return 0;
	while (!q.done)
		if (event_base_dispatch(base) < 0)
			return 0;
	conn_nodelay(conn);
	return q.code;
}

/* The collection's current resourceVersion, from a one-item list. */
static int collection_rv(const lg_ctx_t *g, struct event_base *base, char *ret, size_t cap)
{
	struct evhttp_connection *conn = conn_new(g, base, LG_REQ_TIMEOUT);
	struct evbuffer *body = evbuffer_new();
	char uri[512];
	json_t *doc = NULL;
	const char *rv;
	int code, rc = -EIO;

	if (!conn || !body)
		goto out;
	snprintf(uri, sizeof(uri), "%s?limit=1", g->coll_path);
	code = get_sync(g, base, conn, uri, body);
	if (code != 200)
		goto out;
	doc = json_loadb((const char *)evbuffer_pullup(body, -1), evbuffer_get_length(body), 0, NULL);
	rv = json_string_value(json_object_get(json_object_get(doc, "metadata"), "resourceVersion"));
	if (!rv || !*rv || strlen(rv) >= cap)
		goto out;
	snprintf(ret, cap, "%s", rv);
	rc = 0;
out:
	json_decref(doc);
	if (body)
		evbuffer_free(body);
	if (conn)
		evhttp_connection_free(conn);
	return rc;
}

/* --- the Service body --- */

/* What `kubectl create service clusterip NAME --tcp=80:8080 --tcp=443:8443` sends, with the labels
 * and annotations a chart would add: about 900 bytes of JSON. */
static int body_build(char *buf, size_t cap, const char *ns, const char *name, const char *phase)
{
	int n = snprintf(buf, cap,
			 "{\"kind\":\"Service\",\"apiVersion\":\"v1\","
			 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"creationTimestamp\":null,"
			 "\"labels\":{\"app\":\"%s\",\"app.kubernetes.io/name\":\"%s\","
			 "\"app.kubernetes.io/instance\":\"%s-production\",\"app.kubernetes.io/version\":\"1.27.3\","
			 "\"app.kubernetes.io/component\":\"backend\",\"app.kubernetes.io/part-of\":\"portico-bench\","
			 "\"app.kubernetes.io/managed-by\":\"loadgen\",\"tier\":\"backend\",\"environment\":\"bench\"},"
			 "\"annotations\":{\"bench.portico.dev/phase\":\"%s\","
			 "\"bench.portico.dev/owner\":\"platform-team@example.com\","
			 "\"bench.portico.dev/description\":\"synthetic Service created by bench/api/loadgen\"}},"
			 "\"spec\":{\"ports\":["
			 "{\"name\":\"80-8080\",\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080},"
			 "{\"name\":\"443-8443\",\"protocol\":\"TCP\",\"port\":443,\"targetPort\":8443}],"
			 "\"selector\":{\"app\":\"%s\",\"tier\":\"backend\"},"
			 "\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\"},"
			 "\"status\":{\"loadBalancer\":{}}}",
			 name, ns, name, name, name, phase, name);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* --- watches: their own thread and event loop, so reading events never delays a create --- */

typedef struct lg_watchset lg_watchset_t;

typedef struct lg_watcher {
	lg_watchset_t *set;
	struct evhttp_connection *conn;
	struct evbuffer *acc;  /* bytes of a line not complete yet */
	uint8_t *seen;         /* bitmap over object indices */
	long added, dups, foreign, other, errors;
	bool complete, closed;
} lg_watcher_t;

struct lg_watchset {
	const lg_ctx_t *g;
	struct event_base *base;
	struct event *tick;
	pthread_t thread;
	bool thread_started;
	lg_watcher_t *w;
	int n;
	long count;             /* ADDED events of our objects each watcher must get */
	char pattern[96];       /* "name":"<prefix>- */
	size_t pattern_len;
	atomic_int established, complete, failed;
	atomic_bool stop;
	_Atomic uint64_t last_complete_us;
};

static void watch_line(lg_watcher_t *w, const char *line, size_t len)
{
	lg_watchset_t *set = w->set;

	if (len >= 15 && memcmp(line, "{\"type\":\"ADDED\"", 15) == 0) {
		const char *p = memmem(line, len, set->pattern, set->pattern_len);
		char *end;
		long idx;

		if (!p) {
			w->foreign++;
			return;
		}
		errno = 0;
		idx = strtol(p + set->pattern_len, &end, 10);
		if (errno || *end != '"' || idx < 0 || idx >= set->count) {
			w->foreign++;
			return;
		}
		if (w->seen[idx / 8] & (1u << (idx % 8))) {
			w->dups++;
			return;
		}
		w->seen[idx / 8] |= (uint8_t)(1u << (idx % 8));
		if (++w->added == set->count && !w->complete) {
			w->complete = true;
			atomic_store(&set->last_complete_us, now_us());
			atomic_fetch_add(&set->complete, 1);
		}
	} else if (len >= 15 && memcmp(line, "{\"type\":\"ERROR\"", 15) == 0) {
		if (w->errors++ == 0)
			fprintf(stderr, "loadgen[watch]: %.*s\n", (int)(len > 400 ? 400 : len), line);
	} else {
		w->other++;
	}
}

static void on_watch_chunk(struct evhttp_request *req, void *arg)
{
	lg_watcher_t *w = arg;
	size_t len;
	char *line;

	/* evhttp drains its input buffer after this callback: take the bytes now */
	evbuffer_add_buffer(w->acc, evhttp_request_get_input_buffer(req));
	while ((line = evbuffer_readln(w->acc, &len, EVBUFFER_EOL_LF))) {
		watch_line(w, line, len);
		free(line);
	}
}

static int on_watch_headers(struct evhttp_request *req, void *arg)
{
	lg_watcher_t *w = arg;
	int code = evhttp_request_get_response_code(req);

	if (code != 200) {
		show_error("watch", "watch refused", req);
		return 0;
	}
	atomic_fetch_add(&w->set->established, 1);
	return 0;
}

static void on_watch_end(struct evhttp_request *req, void *arg)
{
	lg_watcher_t *w = arg;

	/* The stream ended (server timeout, error or close): it gets no more events. */
	w->closed = true;
	if (!w->complete)
		atomic_fetch_add(&w->set->failed, 1);
	if (!req || evhttp_request_get_response_code(req) != 200)
		show_error("watch", "watch ended", req);
}

static void on_watch_tick(evutil_socket_t fd, short what, void *arg)
{
	lg_watchset_t *set = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&set->stop))
		event_base_loopbreak(set->base);
}

static void *watch_thread(void *arg)
{
	lg_watchset_t *set = arg;

	event_base_dispatch(set->base);
	return NULL;
}

static void watchset_free(lg_watchset_t *set)
{
	if (!set)
		return;
	if (set->thread_started) {
		atomic_store(&set->stop, true);
		pthread_join(set->thread, NULL);
	}
	for (int i = 0; set->w && i < set->n; i++) {
		if (set->w[i].conn)
			evhttp_connection_free(set->w[i].conn);
		if (set->w[i].acc)
			evbuffer_free(set->w[i].acc);
		free(set->w[i].seen);
	}
	free(set->w);
	if (set->tick)
		event_free(set->tick);
	if (set->base)
		event_base_free(set->base);
	free(set);
}

/* Opens n watches from revision rv and waits until the server has answered each of them. */
static int watchset_start(const lg_ctx_t *g, int n, long count, const char *prefix, const char *rv,
			  lg_watchset_t **ret)
{
	lg_watchset_t *set = calloc(1, sizeof(*set));
	char uri[512];
	struct timeval tick = { 0, 50000 };
	uint64_t deadline;

	if (!set)
		return -ENOMEM;
	set->g = g;
	set->n = n;
	set->count = count;
	snprintf(set->pattern, sizeof(set->pattern), "\"name\":\"%s-", prefix);
	set->pattern_len = strlen(set->pattern);
	set->base = event_base_new();
	set->w = calloc((size_t)n, sizeof(*set->w));
	set->tick = set->base ? event_new(set->base, -1, EV_PERSIST, on_watch_tick, set) : NULL;
	if (!set->base || !set->w || !set->tick)
		goto fail;
	event_add(set->tick, &tick);
	/* allowWatchBookmarks off: every line is an object event, which keeps the count exact */
	snprintf(uri, sizeof(uri), "%s?watch=true&resourceVersion=%s&timeoutSeconds=%d", g->coll_path, rv,
		 LG_WATCH_TIMEOUT - 60);
	for (int i = 0; i < n; i++) {
		lg_watcher_t *w = &set->w[i];
		struct evhttp_request *req;

		w->set = set;
		w->acc = evbuffer_new();
		w->seen = calloc((size_t)count / 8 + 1, 1);
		w->conn = conn_new(g, set->base, LG_WATCH_TIMEOUT);
		req = w->acc && w->seen && w->conn ? req_new(g, on_watch_end, w) : NULL;
		if (!req)
			goto fail;
		evhttp_request_set_header_cb(req, on_watch_headers);
		evhttp_request_set_chunked_cb(req, on_watch_chunk);
		if (evhttp_make_request(w->conn, req, EVHTTP_REQ_GET, uri) < 0)
			goto fail;
	}
	if (pthread_create(&set->thread, NULL, watch_thread, set) != 0)
		goto fail;
	set->thread_started = true;
	deadline = now_us() + 30u * 1000000u;
	while (atomic_load(&set->established) < n) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		if (atomic_load(&set->failed) > 0 || now_us() > deadline) {
			fprintf(stderr, "loadgen: only %d of %d watches established\n", atomic_load(&set->established), n);
			goto fail;
		}
		nanosleep(&ts, NULL);
	}
	*ret = set;
	return 0;
fail:
	watchset_free(set);
	return -EIO;
}

/* --- creates --- */

typedef struct lg_create lg_create_t;

typedef struct lg_client {
	lg_create_t *run;
	struct evhttp_connection *conn;
	struct event *timer;  /* pacing, and reconnects outside evhttp's callbacks */
	long idx;             /* object being created */
	uint64_t sched_us, sent_us;
	bool broken;          /* the connection failed: replace it before the next request */
	bool fresh;           /* a replacement connection: TCP_NODELAY once it is up */
} lg_client_t;

struct lg_create {
	const lg_ctx_t *g;
	struct event_base *base;
	lg_client_t *c;
	long next, done, errors, shown, late;
	int active;
	uint64_t t0, t_end;
	double *svc_ms;       /* request sent -> reply, per create */
	double *resp_ms;      /* paced runs: scheduled time -> reply, which counts waiting behind a slow one */
	long n;
};

static void client_next(lg_client_t *c);

static void on_created(struct evhttp_request *req, void *arg)
{
	lg_client_t *c = arg;
	lg_create_t *run = c->run;
	uint64_t t = now_us();
	int code = req ? evhttp_request_get_response_code(req) : 0;

	if (c->fresh && code) {
		conn_nodelay(c->conn);
		c->fresh = false;
	}
	if (code != 201) {
		run->errors++;
		if (run->shown++ < LG_ERRORS_SHOWN)
			show_error(run->g->o.phase, "create failed", req);
		if (code == 0)
			c->broken = true;
	} else {
		run->svc_ms[run->n] = (double)(t - c->sent_us) / 1000.0;
		run->resp_ms[run->n] = (double)(t - c->sched_us) / 1000.0;
		run->n++;
	}
	run->done++;
	run->t_end = t;
	client_next(c);
}

static void client_send(lg_client_t *c)
{
	lg_create_t *run = c->run;
	const lg_opts_t *o = &run->g->o;
	struct evhttp_request *req;
	char name[128], body[LG_BODY_MAX];
	int len;

	if (c->broken) {
		/* a TLS bufferevent cannot be reconnected: start a new connection */
		evhttp_connection_free(c->conn);
		c->conn = conn_new(run->g, run->base, LG_REQ_TIMEOUT);
		c->broken = false;
		c->fresh = true;
	}
	snprintf(name, sizeof(name), "%s-%06ld", o->prefix, c->idx);
	len = body_build(body, sizeof(body), o->ns, name, o->phase);
	req = c->conn && len > 0 ? req_new(run->g, on_created, c) : NULL;
	if (req) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, (size_t)len);
	}
	c->sent_us = now_us();
	if (!c->sched_us)
		c->sched_us = c->sent_us;
	if (!req || evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, run->g->coll_path) < 0) {
		/* nothing was sent: count it and stop this client rather than spin */
		run->errors++;
		run->done++;
		run->active--;
		fprintf(stderr, "loadgen[%s]: cannot send a request\n", o->phase);
		if (run->active == 0)
			event_base_loopbreak(run->base);
	}
}

static void on_client_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_send(arg);
}

/* Takes the next object for c, or retires c when there is none. */
static void client_next(lg_client_t *c)
{
	lg_create_t *run = c->run;
	const lg_opts_t *o = &run->g->o;
	uint64_t t = now_us();

	/* a server failing every request ends the phase instead of hammering on */
	if (run->next >= o->count || run->errors > 100 + o->count / 10) {
		if (--run->active == 0)
			event_base_loopbreak(run->base);
		return;
	}
	c->idx = run->next++;
	c->sched_us = 0;
	if (o->rate > 0) {
		/* open loop: object i is due at t0 + i/rate, whatever happened before */
		c->sched_us = run->t0 + (uint64_t)((double)c->idx * 1e6 / o->rate);
		if (c->sched_us > t) {
			struct timeval tv = { (time_t)((c->sched_us - t) / 1000000u),
					      (suseconds_t)((c->sched_us - t) % 1000000u) };
			evtimer_add(c->timer, &tv);
			return;
		}
		if (t - c->sched_us > 1000)
			run->late++;
	}
	if (c->broken) {
		/* not from inside evhttp's callback: it still uses the connection */
		struct timeval zero = { 0, 0 };
		evtimer_add(c->timer, &zero);
		return;
	}
	client_send(c);
}

static void print_header(void)
{
	printf("%-14s %7s %7s %8s %6s %7s %8s %7s %7s %7s %7s\n", "phase", "clients", "rate/s", "requests", "errors",
	       "secs", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
}

static int run_create(const lg_ctx_t *g)
{
	const lg_opts_t *o = &g->o;
	lg_create_t run = { .g = g };
	lg_watchset_t *ws = NULL;
	double secs, rps;
	char result[1024];
	int ret = 1, res_len;

	run.base = event_base_new();
	run.c = calloc((size_t)o->clients, sizeof(*run.c));
	run.svc_ms = calloc((size_t)o->count, sizeof(double));
	run.resp_ms = calloc((size_t)o->count, sizeof(double));
	if (!run.base || !run.c || !run.svc_ms || !run.resp_ms)
		goto out;
	if (o->watches > 0) {
		char rv[32];
		if (collection_rv(g, run.base, rv, sizeof(rv)) < 0) {
			fprintf(stderr, "loadgen: cannot read the collection's resourceVersion\n");
			goto out;
		}
		if (watchset_start(g, o->watches, o->count, o->prefix, rv, &ws) < 0)
			goto out;
	}
	for (int i = 0; i < o->clients; i++) {
		run.c[i].run = &run;
		run.c[i].conn = conn_new(g, run.base, LG_REQ_TIMEOUT);
		run.c[i].timer = evtimer_new(run.base, on_client_timer, &run.c[i]);
		if (!run.c[i].conn || !run.c[i].timer)
			goto out;
	}
	/* TLS handshakes first, outside the measurement: one small GET per connection */
	for (int i = 0; i < o->clients; i++) {
		struct evbuffer *b = evbuffer_new();
		int code = b ? get_sync(g, run.base, run.c[i].conn, "/version", b) : 0;
		if (b)
			evbuffer_free(b);
		if (code != 200) {
			fprintf(stderr, "loadgen: connection %d: GET /version gave %d\n", i, code);
			goto out;
		}
	}
	run.t0 = now_us();
	run.active = o->clients;
	for (int i = 0; i < o->clients; i++)
		client_next(&run.c[i]);
	if (run.active > 0)
		event_base_dispatch(run.base);
	secs = (double)(run.t_end - run.t0) / 1e6;
	rps = secs > 0 ? (double)run.n / secs : 0;
	qsort(run.svc_ms, (size_t)run.n, sizeof(double), cmp_double);
	qsort(run.resp_ms, (size_t)run.n, sizeof(double), cmp_double);
	print_header();
	printf("%-14s %7d %7.0f %8ld %6ld %7.2f %8.0f %7.2f %7.2f %7.2f %7.2f\n", o->phase, o->clients, o->rate, run.done,
	       run.errors, secs, rps, pct(run.svc_ms, run.n, .5), pct(run.svc_ms, run.n, .9), pct(run.svc_ms, run.n, .99),
	       pct(run.svc_ms, run.n, 1));
	if (o->rate > 0)
		printf("%-14s from the scheduled send time: p50 %.2f ms, p99 %.2f ms, max %.2f ms; %ld of %ld sent "
		       ">1 ms late\n",
		       "", pct(run.resp_ms, run.n, .5), pct(run.resp_ms, run.n, .99), pct(run.resp_ms, run.n, 1), run.late,
		       run.done);
	res_len = snprintf(result, sizeof(result),
			   "RESULT phase=%s clients=%d rate=%g requests=%ld errors=%ld secs=%.3f rps=%.1f p50_ms=%.3f "
			   "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f sched_p50_ms=%.3f sched_p99_ms=%.3f late=%ld",
			   o->phase, o->clients, o->rate, run.done, run.errors, secs, rps, pct(run.svc_ms, run.n, .5),
			   pct(run.svc_ms, run.n, .9), pct(run.svc_ms, run.n, .99), pct(run.svc_ms, run.n, 1),
			   pct(run.resp_ms, run.n, .5), pct(run.resp_ms, run.n, .99), run.late);
	ret = run.errors > 0 || run.n != o->count;
	if (ws) {
		/* Wait for the stragglers, then check each watch got each ADDED event exactly once. */
		uint64_t deadline = now_us() + (uint64_t)o->watch_wait * 1000000u, lag;
		long min_added = o->count, max_added = 0, dups = 0, foreign = 0, other = 0, errs = 0;
		int complete, closed = 0;

		while (atomic_load(&ws->complete) + atomic_load(&ws->failed) < ws->n && now_us() < deadline) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		atomic_store(&ws->stop, true);
		pthread_join(ws->thread, NULL);
		ws->thread_started = false;
		complete = atomic_load(&ws->complete);
		lag = atomic_load(&ws->last_complete_us);
		lag = lag > run.t_end ? lag - run.t_end : 0;
		for (int i = 0; i < ws->n; i++) {
			lg_watcher_t *w = &ws->w[i];
			if (w->added < min_added)
				min_added = w->added;
			if (w->added > max_added)
				max_added = w->added;
			dups += w->dups;
			foreign += w->foreign;
			other += w->other;
			errs += w->errors;
			closed += w->closed && !w->complete;
		}
		printf("%-14s %d watches: %d got all %ld ADDED events (min %ld, max %ld per watch; %ld duplicates, "
		       "%ld other events, %ld errors, %d closed early); last one complete %.1f ms after the last "
		       "create\n",
		       "", ws->n, complete, o->count, min_added, max_added, dups, other, errs, closed,
		       (double)lag / 1000.0);
		if (res_len > 0 && (size_t)res_len < sizeof(result))
			snprintf(result + res_len, sizeof(result) - (size_t)res_len,
				 " watches=%d watch_complete=%d watch_min=%ld watch_max=%ld watch_dups=%ld "
				 "watch_errors=%ld watch_lag_ms=%.1f",
				 ws->n, complete, min_added, max_added, dups, errs, (double)lag / 1000.0);
		(void)foreign;
		if (complete != ws->n || dups || errs)
			ret = 1;
	}
	printf("%s\n", result);
	fflush(stdout);
out:
	watchset_free(ws);
	for (int i = 0; run.c && i < o->clients; i++) {
		if (run.c[i].timer)
			event_free(run.c[i].timer);
		if (run.c[i].conn)
			evhttp_connection_free(run.c[i].conn);
	}
	free(run.c);
	free(run.svc_ms);
	free(run.resp_ms);
	if (run.base)
		event_base_free(run.base);
	return ret;
}

/* --- lists --- */

/* One full list, following continue tokens when o->limit > 0. Returns 0 and the item count, the
 * bytes received, the pages fetched and the time spent fetching: from each request sent to its last
 * byte received, summed over the pages. Decoding the JSON (to count items and find the continue
 * token) is the client's own work and stays out of that time. */
static int list_once(const lg_ctx_t *g, struct event_base *base, struct evhttp_connection *conn, long *ret_items,
		     size_t *ret_bytes, int *ret_pages, uint64_t *ret_us)
{
	char *cont = NULL;
	long items = 0;
	size_t bytes = 0;
	uint64_t us = 0;
	int pages = 0, rc = -EIO;

	for (;;) {
		struct evbuffer *body = evbuffer_new();
		json_t *doc = NULL, *list;
		const char *next;
		char *uri = NULL;
		int code;

		if (!body)
			break;
		if (g->o.limit > 0) {
			char *enc = cont ? evhttp_encode_uri(cont) : NULL;
			if (asprintf(&uri, "%s?limit=%ld%s%s", g->coll_path, g->o.limit, enc ? "&continue=" : "",
				     enc ? enc : "") < 0)
				uri = NULL;
			free(enc);
		} else if (asprintf(&uri, "%s", g->coll_path) < 0) {
			uri = NULL;
		}
		{
			uint64_t t = now_us();
			code = uri ? get_sync(g, base, conn, uri, body) : 0;
			us += now_us() - t;
		}
		free(uri);
		bytes += evbuffer_get_length(body);
		pages++;
		if (code == 200)
			doc = json_loadb((const char *)evbuffer_pullup(body, -1), evbuffer_get_length(body), 0, NULL);
		evbuffer_free(body);
		list = json_object_get(doc, "items");
		if (!json_is_array(list)) {
			fprintf(stderr, "loadgen[%s]: list page %d: HTTP %d, no items array\n", g->o.phase, pages, code);
			json_decref(doc);
			break;
		}
		items += (long)json_array_size(list);
		next = json_string_value(json_object_get(json_object_get(doc, "metadata"), "continue"));
		free(cont);
		cont = next && *next ? strdup(next) : NULL;
		json_decref(doc);
		if (!cont) {
			rc = 0;
			break;
		}
		if (g->o.limit <= 0 || pages > 100000) {
			fprintf(stderr, "loadgen[%s]: unexpected continue token\n", g->o.phase);
			break;
		}
	}
	free(cont);
	if (rc == 0) {
		*ret_items = items;
		*ret_bytes = bytes;
		*ret_pages = pages;
		*ret_us = us;
	}
	return rc;
}

static int run_list(const lg_ctx_t *g)
{
	const lg_opts_t *o = &g->o;
	struct event_base *base = event_base_new();
	struct evhttp_connection *conn = base ? conn_new(g, base, LG_REQ_TIMEOUT) : NULL;
	double ms[LG_MAX_RUNS];
	long items = 0;
	size_t bytes = 0;
	int pages = 0, ret = 1, i;

	if (!conn)
		goto out;
	{
		/* the TLS handshake stays out of the timings */
		struct evbuffer *b = evbuffer_new();
		int code = b ? get_sync(g, base, conn, "/version", b) : 0;
		if (b)
			evbuffer_free(b);
		if (code != 200)
			goto out;
	}
	for (i = 0; i < o->runs; i++) {
		uint64_t us;
		long n;
		size_t b;
		int p;

		if (list_once(g, base, conn, &n, &b, &p, &us) < 0)
			goto out;
		ms[i] = (double)us / 1000.0;
		if (i > 0 && n != items)
			fprintf(stderr, "loadgen[%s]: item count changed between runs: %ld then %ld\n", o->phase, items, n);
		items = n;
		bytes = b;
		pages = p;
	}
	qsort(ms, (size_t)o->runs, sizeof(double), cmp_double);
	printf("%-14s %7s %7s %8s %9s %9s %9s %9s\n", "phase", "limit", "runs", "items", "MiB", "min ms", "median ms",
	       "max ms");
	printf("%-14s %7ld %7d %8ld %9.1f %9.1f %9.1f %9.1f\n", o->phase, o->limit, o->runs, items,
	       (double)bytes / 1048576.0, ms[0], pct(ms, o->runs, .5), ms[o->runs - 1]);
	printf("RESULT phase=%s limit=%ld runs=%d items=%ld pages=%d bytes=%zu min_ms=%.2f median_ms=%.2f "
	       "max_ms=%.2f\n",
	       o->phase, o->limit, o->runs, items, pages, bytes, ms[0], pct(ms, o->runs, .5), ms[o->runs - 1]);
	fflush(stdout);
	ret = 0;
	if (items < o->expect) {
		fprintf(stderr, "loadgen[%s]: %ld items listed, expected at least %ld\n", o->phase, items, o->expect);
		ret = 1;
	}
out:
	if (ret && !items)
		fprintf(stderr, "loadgen[%s]: list failed\n", o->phase);
	if (conn)
		evhttp_connection_free(conn);
	if (base)
		event_base_free(base);
	return ret;
}

/* --- command line --- */

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen create|list --data-dir DIR --port PORT [options]\n"
		"  --host IP            server address (default 127.0.0.1)\n"
		"  --token              authenticate with DIR/admin-token (default: DIR/admin.crt client cert)\n"
		"  --namespace NS       (default default)\n"
		"  --phase NAME         label in the output (default the mode)\n"
		"create:\n"
		"  --count N            Services to create (default 1000)\n"
		"  --prefix P           names P-000000 ... (default bench)\n"
		"  --clients C          concurrent keep-alive connections (default 1)\n"
		"  --rate R             creates per second over all clients, open loop (default 0: unpaced)\n"
		"  --watches W          hold W watches open from the current revision and verify that each\n"
		"                       receives every ADDED event\n"
		"  --watch-wait S       seconds allowed for delivery after the last create (default 60)\n"
		"list:\n"
		"  --limit L            page size, following continue tokens (default 0: one request)\n"
		"  --runs K             timed repetitions (default 5)\n"
		"  --expect N           fail when fewer than N items come back\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },     { "port", required_argument, NULL, 'P' },
		{ "data-dir", required_argument, NULL, 'd' }, { "token", no_argument, NULL, 't' },
		{ "namespace", required_argument, NULL, 'N' }, { "phase", required_argument, NULL, 'f' },
		{ "prefix", required_argument, NULL, 'p' },   { "count", required_argument, NULL, 'n' },
		{ "clients", required_argument, NULL, 'c' },  { "rate", required_argument, NULL, 'r' },
		{ "watches", required_argument, NULL, 'w' },  { "watch-wait", required_argument, NULL, 'W' },
		{ "limit", required_argument, NULL, 'l' },    { "runs", required_argument, NULL, 'k' },
		{ "expect", required_argument, NULL, 'e' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	lg_ctx_t g = { .o = { .host = "127.0.0.1", .ns = "default", .prefix = "bench", .count = 1000, .clients = 1,
			      .watch_wait = 60, .runs = 5 } };
	const char *mode;
	long v;
	int c, ret;

	if (argc < 2 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "list") != 0)) {
		usage();
		return 2;
	}
	mode = argv[1];
	g.o.phase = mode;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'H': g.o.host = optarg; break;
		case 'P': bad = parse_long(optarg, 1, 65535, &v); g.o.port = (int)v; break;
		case 'd': g.o.data_dir = optarg; break;
		case 't': g.o.token = true; break;
		case 'N': g.o.ns = optarg; break;
		case 'f': g.o.phase = optarg; break;
		case 'p': g.o.prefix = optarg; break;
		case 'n': bad = parse_long(optarg, 1, LG_MAX_COUNT, &g.o.count); break;
		case 'c': bad = parse_long(optarg, 1, LG_MAX_CLIENTS, &v); g.o.clients = (int)v; break;
		case 'r': bad = parse_double(optarg, 0, 1e6, &g.o.rate); break;
		case 'w': bad = parse_long(optarg, 0, LG_MAX_WATCHES, &v); g.o.watches = (int)v; break;
		case 'W': bad = parse_long(optarg, 1, 3600, &v); g.o.watch_wait = (int)v; break;
		case 'l': bad = parse_long(optarg, 0, 1000000, &g.o.limit); break;
		case 'k': bad = parse_long(optarg, 1, LG_MAX_RUNS, &v); g.o.runs = (int)v; break;
		case 'e': bad = parse_long(optarg, 0, LG_MAX_COUNT * 10, &g.o.expect); break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
		if (bad) {
			fprintf(stderr, "loadgen: invalid value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc || !g.o.data_dir || !g.o.port || strlen(g.o.prefix) > 40 || strlen(g.o.ns) > 63 ||
	    strlen(g.o.phase) > 64 || strpbrk(g.o.prefix, "\"\\") || strpbrk(g.o.ns, "\"\\/?&") ||
	    strpbrk(g.o.phase, "\"\\")) {
		usage();
		return 2;
	}
	/* the watch thread and the main thread each own an event base */
	if (evthread_use_pthreads() < 0)
		return 1;
	if (ctx_init(&g) < 0) {
		ctx_free(&g);
		return 1;
	}
	ret = strcmp(mode, "create") == 0 ? run_create(&g) : run_list(&g);
	ctx_free(&g);
	return ret;
}
