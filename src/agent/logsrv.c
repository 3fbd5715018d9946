/* The agent's /containerLogs server (see logsrv.h): TLS with a self-signed serving certificate
 * pinned by the API server, bearer-token authentication, the kubelet's checks and reading of CRI log
 * files (crilog.h), and follow streams that poll the file as the supervisor appends. */
#include "agent/logsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "agent/crilog.h"
#include "core/log.h"
#include "core/pki.h"

#define LOGSRV_CERT_DAYS      3650
#define LOGSRV_READ_CHUNK     (64 * 1024)
#define LOGSRV_MAX_BUFFERED   (1024 * 1024) /* unsent bytes to a client before reading more */
#define LOGSRV_POLL_MS        200           /* follow: how often a quiet file is looked at */
#define LOGSRV_STREAM_IDLE    (4 * 3600)    /* the kubelet's streaming idle timeout */
#define LOGSRV_MAX_STREAMS    256

typedef struct lstream lstream_t;

struct logsrv {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl;
	char *token;
	logsrv_config_t cfg;
	lstream_t *streams;
	unsigned nstreams;
};

struct lstream {
	logsrv_t *s;
	struct evhttp_request *req;
	struct evhttp_connection *conn; /* NULL once the client went away */
	int fd;
	off_t off;
	char path[PATH_MAX];
	char *ns, *pod, *container, *uid;
	crilog_filter_t f;
	bool follow, closing, ended;
	struct evbuffer *carry; /* bytes of an unfinished line */
	struct evbuffer *out;
	struct event *step_ev, *end_ev;
	lstream_t *next, *prev;
};

/* ---- the serving certificate -------------------------------------------------------------------- */

static void hex(const unsigned char *md, unsigned n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = d[md[i] >> 4];
		out[2 * i + 1] = d[md[i] & 15];
	}
	out[2 * n] = '\0';
}

static int cert_sha256(X509 *x, char ret[LOGSRV_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return -EIO;
	hex(md, n, ret);
	return 0;
}

int logsrv_pem_sha256(const char *pem, size_t len, char ret_sha256[LOGSRV_SHA256_HEX])
{
	BIO *b = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int r = x ? cert_sha256(x, ret_sha256) : -EBADMSG;

	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return r;
}

int logsrv_cert_ensure(const char *data_dir, const char *node_name, const char *node_ip,
		       char ret_sha256[LOGSRV_SHA256_HEX])
{
	X509 *x;
	EVP_PKEY *k;
	int r;

	if (!data_dir || !node_name || !node_ip)
		return -EINVAL;
	r = pki_self_signed_ensure(data_dir, "logsrv", node_name, node_ip, LOGSRV_CERT_DAYS, &x, &k);
	if (r < 0)
		return r;
	r = cert_sha256(x, ret_sha256);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

static int ssl_ctx_new(const logsrv_config_t *cfg, SSL_CTX **ret)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int r = pki_self_signed_ensure(cfg->data_dir, "logsrv", cfg->node_name, cfg->node_ip, LOGSRV_CERT_DAYS,
				       &x, &k);

	if (r < 0)
		return r;
	r = tls_server_ctx_from_pair(x, k, ret);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

/* ---- the kubelet's checks ------------------------------------------------------------------------ */

static const json_t *find_named(const json_t *arr, const char *name)
{
	size_t i;
	const json_t *v;

	json_array_foreach(arr, i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));
		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

int logsrv_check(const json_t *pod, const char *container, bool previous, char *err, size_t errlen)
{
	const json_t *md = json_object_get(pod, "metadata"), *cs, *state, *last;
	const json_t *waiting, *running, *terminated, *last_term;
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *reason;

	if (!name)
		name = "";
	if (!find_named(json_object_get(json_object_get(pod, "spec"), "containers"), container)) {
		snprintf(err, errlen, "container \"%s\" not found in pod \"%s\"", container, name);
		return 404;
	}
	cs = find_named(json_object_get(json_object_get(pod, "status"), "containerStatuses"), container);
	if (!cs) {
		snprintf(err, errlen, "container \"%s\" in pod \"%s\" is not available", container, name);
		return 400;
	}
	state = json_object_get(cs, "state");
	last = json_object_get(cs, "lastState");
	waiting = json_object_get(state, "waiting");
	running = json_object_get(state, "running");
	terminated = json_object_get(state, "terminated");
	last_term = json_object_get(last, "terminated");
	if (previous) {
		if (!last_term) {
			snprintf(err, errlen, "previous terminated container \"%s\" in pod \"%s\" not found", container,
				 name);
			return 400;
		}
		return 0;
	}
	if (running || terminated || last_term)
		return 0;
	if (waiting) {
		reason = json_string_value(json_object_get(waiting, "reason"));
		if (reason && strcmp(reason, "ErrImagePull") == 0)
			snprintf(err, errlen, "container \"%s\" in pod \"%s\" is waiting to start: image can't be pulled",
				 container, name);
		else if (reason && strcmp(reason, "ImagePullBackOff") == 0)
			snprintf(err, errlen,
				 "container \"%s\" in pod \"%s\" is waiting to start: trying and failing to pull image",
				 container, name);
		else
			snprintf(err, errlen, "container \"%s\" in pod \"%s\" is waiting to start: %s", container, name,
				 reason ? reason : "");
		return 400;
	}
	snprintf(err, errlen, "container \"%s\" in pod \"%s\" is waiting to start - no logs yet", container, name);
	return 400;
}

/* True while the container's current run goes on (the pod's status says running). */
static bool container_running(const json_t *pod, const char *container)
{
	const json_t *cs = find_named(json_object_get(json_object_get(pod, "status"), "containerStatuses"), container);

	return json_object_get(json_object_get(cs, "state"), "running") != NULL;
}

/* ---- replies ------------------------------------------------------------------------------------- */

static void reply_text(struct evhttp_request *req, int code, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	if (b)
		evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, code, NULL, b);
	if (b)
		evbuffer_free(b);
}

/* ---- streams ------------------------------------------------------------------------------------- */

static void stream_free(lstream_t *st)
{
	logsrv_t *s = st->s;

	if (st->prev)
		st->prev->next = st->next;
	else if (s->streams == st)
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	s->nstreams--;
	if (st->fd >= 0)
		close(st->fd);
	if (st->step_ev)
		event_free(st->step_ev);
	if (st->end_ev)
		event_free(st->end_ev);
	if (st->carry)
		evbuffer_free(st->carry);
	if (st->out)
		evbuffer_free(st->out);
	free(st->ns);
	free(st->pod);
	free(st->container);
	free(st->uid);
	free(st);
}

/* Runs from its own event: never inside an evhttp callback that still uses the connection. */
static void on_end(evutil_socket_t fd, short what, void *arg)
{
	lstream_t *st = arg;

	if (st->conn) {
		evhttp_connection_set_closecb(st->conn, NULL, NULL);
		if (evbuffer_get_length(st->out) > 0)
			evhttp_send_reply_chunk(st->req, st->out);
	}
	/* with the connection gone evhttp detached the request; this frees it either way */
	evhttp_send_reply_end(st->req);
	stream_free(st);
}

static void stream_end(lstream_t *st)
{
	if (st->ended)
		return;
	st->ended = true;
	event_del(st->step_ev);
	event_active(st->end_ev, 0, 0);
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
	lstream_t *st = arg;

	st->conn = NULL;
	stream_end(st);
}

static void write_out(const char *data, size_t len, void *arg)
{
	evbuffer_add(((lstream_t *)arg)->out, data, len);
}

static void step_after(lstream_t *st, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_add(st->step_ev, &tv);
}

static void flush(lstream_t *st)
{
	if (st->conn && evbuffer_get_length(st->out) > 0)
		evhttp_send_reply_chunk(st->req, st->out);
}

/* Renders what the carry holds; eof: the last unterminated line too. */
static void render(lstream_t *st, bool eof)
{
	size_t len = evbuffer_get_length(st->carry), used;
	const char *data = len ? (const char *)evbuffer_pullup(st->carry, -1) : NULL;

	if (!len)
		return;
	used = crilog_render(&st->f, data, len, eof, write_out, st);
	evbuffer_drain(st->carry, used);
}

/* Follow at EOF: is this run of the container over? A new current file (a restart), a container
 * that is no longer running, or a pod that is gone. */
static bool run_over(lstream_t *st)
{
	logsrv_t *s = st->s;
	json_t *pod = s->cfg.pod_get(st->ns, st->pod, s->cfg.arg);
	char cur[PATH_MAX];
	bool over;

	if (!pod)
		return true;
	over = !container_running(pod, st->container) ||
	       s->cfg.log_path(st->uid, st->container, false, cur, sizeof(cur), s->cfg.arg) < 0 ||
	       strcmp(cur, st->path) != 0;
	json_decref(pod);
	return over;
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
	lstream_t *st = arg;
	struct bufferevent *bev = st->conn ? evhttp_connection_get_bufferevent(st->conn) : NULL;
	char buf[LOGSRV_READ_CHUNK];
	ssize_t n;

	if (st->ended)
		return;
	if (!bev) {
		stream_end(st);
		return;
	}
	/* a slow reader: let the bytes already queued leave before reading more */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > LOGSRV_MAX_BUFFERED) {
		step_after(st, 20);
		return;
	}
	n = pread(st->fd, buf, sizeof(buf), st->off);
	if (n < 0 && errno == EINTR) {
		step_after(st, 0);
		return;
	}
	if (n < 0) {
		log_warn("logsrv: reading %s: %s", st->path, strerror(errno));
		stream_end(st);
		return;
	}
	if (n > 0) {
		st->off += n;
		evbuffer_add(st->carry, buf, (size_t)n);
		render(st, false);
		flush(st);
		if (crilog_done(&st->f))
			stream_end(st);
		else
			step_after(st, 0);
		return;
	}
	/* at the end of the file */
	if (!st->follow || st->closing) {
		render(st, true);
		flush(st);
		stream_end(st);
		return;
	}
	/* read once more after seeing the run end: the last lines may have landed in between */
	if (run_over(st)) {
		st->closing = true;
		step_after(st, 0);
		return;
	}
	step_after(st, LOGSRV_POLL_MS);
}

/* ---- requests ------------------------------------------------------------------------------------ */

/* Go's strconv.ParseBool, as the kubelet's query decoding uses it. */
static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	if (!v)
		return 0;
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *v, long long *ret)
{
	char *end;
	long long x;

	if (!v)
		return 0;
	if (!*v)
		return -EINVAL;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = x;
	return 0;
}

static bool authorized(logsrv_t *s, struct evhttp_request *req)
{
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	auth += 7;
	while (*auth == ' ')
		auth++;
	return pki_token_equal(auth, s->token);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void handle(struct evhttp_request *req, void *arg)
{
	logsrv_t *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL, *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq query;
	char *path = NULL, *segs[5], *save = NULL, err[512];
	int nseg = 0, code;
	bool follow = false, previous = false, timestamps = false;
	long long tail = -1, limit = -1, since = 0;
	const char *since_time;
	json_t *pod = NULL;
	lstream_t *st = NULL;
	const char *uid;
	struct stat sb;

	TAILQ_INIT(&query);
	if (!authorized(s, req)) {
		reply_text(req, 401, "Unauthorized");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		reply_text(req, 405, "Method Not Allowed");
		return;
	}
	path = raw ? evhttp_uridecode(raw, 0, NULL) : NULL;
	if (path)
		for (char *t = strtok_r(path, "/", &save); t && nseg < 5; t = strtok_r(NULL, "/", &save))
			segs[nseg++] = t;
	if (!path || nseg != 4 || strcmp(segs[0], "containerLogs") != 0 || strtok_r(NULL, "/", &save)) {
		reply_text(req, 404, "404 page not found");
		goto out;
	}
	if ((q && evhttp_parse_query_str(q, &query) < 0) ||
	    parse_bool(evhttp_find_header(&query, "follow"), &follow) < 0 ||
	    parse_bool(evhttp_find_header(&query, "previous"), &previous) < 0 ||
	    parse_bool(evhttp_find_header(&query, "timestamps"), &timestamps) < 0 ||
	    parse_int(evhttp_find_header(&query, "tailLines"), &tail) < 0 ||
	    parse_int(evhttp_find_header(&query, "limitBytes"), &limit) < 0 ||
	    parse_int(evhttp_find_header(&query, "sinceSeconds"), &since) < 0) {
		reply_text(req, 400, "invalid query parameters");
		goto out;
	}
	since_time = evhttp_find_header(&query, "sinceTime");
	pod = s->cfg.pod_get(segs[1], segs[2], s->cfg.arg);
	if (!pod) {
		snprintf(err, sizeof(err), "pod \"%s\" does not exist", segs[2]);
		reply_text(req, 404, err);
		goto out;
	}
	code = logsrv_check(pod, segs[3], previous, err, sizeof(err));
	if (code) {
		reply_text(req, code, err);
		goto out;
	}
	uid = json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid"));
	st = calloc(1, sizeof(*st));
	if (!st || !uid) {
		reply_text(req, 500, "internal error");
		goto out;
	}
	st->s = s;
	st->fd = -1;
	st->req = req;
	st->follow = follow && !previous; /* a previous run does not grow */
	st->f.timestamps = timestamps;
	st->f.limit = limit > 0 ? limit : -1;
	if (since > 0)
		st->f.since_ns = now_ns() - since * 1000000000LL;
	else if (since_time && crilog_parse_time(since_time, strlen(since_time), &st->f.since_ns) < 0) {
		reply_text(req, 400, "invalid sinceTime");
		goto fail;
	}
	st->ns = strdup(segs[1]);
	st->pod = strdup(segs[2]);
	st->container = strdup(segs[3]);
	st->uid = strdup(uid);
	st->carry = evbuffer_new();
	st->out = evbuffer_new();
	st->step_ev = evtimer_new(s->base, on_step, st);
	st->end_ev = event_new(s->base, -1, 0, on_end, st);
	if (!st->ns || !st->pod || !st->container || !st->uid || !st->carry || !st->out || !st->step_ev || !st->end_ev) {
		reply_text(req, 500, "internal error");
		goto fail;
	}
	if (s->nstreams >= LOGSRV_MAX_STREAMS) {
		reply_text(req, 429, "too many log streams");
		goto fail;
	}
	if (s->cfg.log_path(st->uid, st->container, previous, st->path, sizeof(st->path), s->cfg.arg) < 0 ||
	    (st->fd = open(st->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(st->fd, &sb) < 0) {
		/* the status says there was a run, but its file is gone (removed, or not written yet):
		 * as the kubelet, an empty log */
		if (st->fd >= 0)
			close(st->fd);
		st->fd = -1;
		if (!st->follow) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
					  "text/plain; charset=utf-8");
			evhttp_send_reply(req, 200, NULL, NULL);
			goto fail;
		}
		st->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (st->fd < 0) {
			reply_text(req, 500, "internal error");
			goto fail;
		}
		st->closing = true;
		sb.st_size = 0;
	}
	if (tail >= 0 && crilog_tail_offset(st->fd, sb.st_size, (long)tail, &st->off) < 0)
		st->off = 0;
	st->conn = evhttp_request_get_connection(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply_start(req, 200, "OK");
	if (st->conn) {
		if (st->follow)
			evhttp_connection_set_timeout(st->conn, LOGSRV_STREAM_IDLE);
		evhttp_connection_set_closecb(st->conn, on_close, st);
	}
	st->next = s->streams;
	if (st->next)
		st->next->prev = st;
	s->streams = st;
	s->nstreams++;
	step_after(st, 0);
	st = NULL;
	goto out;
fail:
	/* not linked yet: undo by hand */
	if (st) {
		s->nstreams++;
		st->prev = st->next = NULL;
		stream_free(st);
	}
	st = NULL;
out:
	json_decref(pod);
	evhttp_clear_headers(&query);
	free(path);
}

int logsrv_start(struct event_base *base, const logsrv_config_t *cfg, logsrv_t **ret)
{
	logsrv_t *s;
	int r;

	if (!base || !cfg || !cfg->data_dir || !cfg->node_ip || !cfg->node_name || !cfg->token || !*cfg->token ||
	    !cfg->pod_get || !cfg->log_path)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base = base;
	s->cfg = *cfg;
	s->cfg.token = NULL;
	s->token = strdup(cfg->token);
	if (!s->token) {
		r = -ENOMEM;
		goto fail;
	}
	r = ssl_ctx_new(cfg, &s->ssl);
	if (r < 0)
		goto fail;
	s->http = evhttp_new(base);
	if (!s->http) {
		r = -ENOMEM;
		goto fail;
	}
	evhttp_set_bevcb(s->http, tls_server_bevcb, s->ssl);
	evhttp_set_gencb(s->http, handle, s);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(s->http, 64 * 1024);
	evhttp_set_max_body_size(s->http, 4096);
	evhttp_set_timeout(s->http, 30);
	if (!evhttp_bind_socket_with_handle(s->http, cfg->node_ip, (ev_uint16_t)(cfg->port ? cfg->port : LOGSRV_PORT))) {
		r = -EADDRINUSE;
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	logsrv_free(s);
	return r;
}

void logsrv_free(logsrv_t *s)
{
	if (!s)
		return;
	while (s->streams) {
		lstream_t *st = s->streams;
		if (st->conn)
			evhttp_connection_set_closecb(st->conn, NULL, NULL);
		evhttp_send_reply_end(st->req);
		stream_free(st);
	}
	if (s->http)
		evhttp_free(s->http);
	SSL_CTX_free(s->ssl);
	if (s->token) {
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
	}
	free(s);
}
