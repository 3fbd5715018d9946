/* Probes (see probe.h): the spec parser, the threshold bookkeeping of prober/worker.go, and a worker
 * that runs HTTP(S) and TCP probes as non-blocking sockets on the event loop (TLS through a
 * non-blocking OpenSSL session on the same socket) and exec probes through the runtime. */
#include "agent/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/log.h"

#define PROBE_USER_AGENT "kube-probe/1.33"
#define PROBE_READ_MAX   8192 /* the status line and headers (Location) are all we need */

const char *probe_kind_name(probe_kind_t kind)
{
	return kind == PROBE_LIVENESS ? "Liveness" : kind == PROBE_READINESS ? "Readiness" : "Startup";
}

const char *probe_kind_field(probe_kind_t kind)
{
	return kind == PROBE_LIVENESS ? "livenessProbe" : kind == PROBE_READINESS ? "readinessProbe" : "startupProbe";
}

/* ---- spec ----------------------------------------------------------------------------------------- */

void probe_spec_clear(probe_spec_t *s)
{
	if (!s)
		return;
	free(s->path);
	json_decref(s->headers);
	if (s->argv) {
		for (char **a = s->argv; *a; a++)
			free(*a);
		free(s->argv);
	}
	memset(s, 0, sizeof(*s));
}

/* An optional integer field >= min; -EINVAL for a wrong type or range. */
static int int_field(const json_t *p, const char *k, int def, int min, int *ret)
{
	const json_t *v = json_object_get(p, k);

	if (!v || json_is_null(v)) {
		*ret = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > 86400 * 365)
		return -EINVAL;
	*ret = (int)json_integer_value(v);
	return 0;
}

/* A probe port: a number 1..65535 or the name of one of the container's ports. */
static int resolve_port(const json_t *container, const json_t *v, int *ret)
{
	const json_t *p;
	size_t i;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 1 || json_integer_value(v) > 65535)
			return -EINVAL;
		*ret = (int)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *name = json_string_value(v);
		char *end;
		long n = strtol(name, &end, 10);
		if (*name && !*end) { /* an IntOrString given as a numeric string */
			if (n < 1 || n > 65535)
				return -EINVAL;
			*ret = (int)n;
			return 0;
		}
		json_array_foreach(json_object_get(container, "ports"), i, p) {
			const char *pn = json_string_value(json_object_get(p, "name"));
			const json_t *cp = json_object_get(p, "containerPort");
			if (pn && strcmp(pn, name) == 0 && json_is_integer(cp) && json_integer_value(cp) > 0 &&
			    json_integer_value(cp) < 65536) {
				*ret = (int)json_integer_value(cp);
				return 0;
			}
		}
		return -ENOENT;
	}
	return -EINVAL;
}

static int parse_host(const json_t *h, probe_spec_t *s)
{
	const char *host = json_string_value(json_object_get(h, "host"));
	struct in_addr a;

	if (!host || !*host)
		return 0;
	/* no resolver on the probe path: the kubelet's probes name addresses too */
	if (strlen(host) >= sizeof(s->host) || inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	snprintf(s->host, sizeof(s->host), "%s", host);
	return 0;
}

int probe_spec_parse(const json_t *container, probe_kind_t kind, probe_spec_t *ret, char *err, size_t errlen)
{
	const char *field = probe_kind_field(kind);
	const json_t *p = json_object_get(container, field), *h;
	probe_spec_t s = { .kind = kind };
	int handlers = 0, rc;

	memset(ret, 0, sizeof(*ret));
	if (!p || json_is_null(p))
		return -ENOENT;
	if (!json_is_object(p)) {
		snprintf(err, errlen, "%s: must be an object", field);
		return -EINVAL;
	}
	handlers = !!json_object_get(p, "httpGet") + !!json_object_get(p, "tcpSocket") + !!json_object_get(p, "exec") +
		   !!json_object_get(p, "grpc");
	if (handlers != 1) {
		snprintf(err, errlen, "%s: must specify exactly one handler type (httpGet, tcpSocket or exec)", field);
		return -EINVAL;
	}
	if (int_field(p, "initialDelaySeconds", 0, 0, &s.initial_delay) < 0 ||
	    int_field(p, "periodSeconds", PROBE_PERIOD_DEFAULT, 1, &s.period) < 0 ||
	    int_field(p, "timeoutSeconds", PROBE_TIMEOUT_DEFAULT, 1, &s.timeout) < 0 ||
	    int_field(p, "successThreshold", PROBE_SUCCESS_DEFAULT, 1, &s.success_threshold) < 0 ||
	    int_field(p, "failureThreshold", PROBE_FAILURE_DEFAULT, 1, &s.failure_threshold) < 0) {
		snprintf(err, errlen, "%s: initialDelaySeconds must be >= 0 and periodSeconds, timeoutSeconds, "
			 "successThreshold, failureThreshold >= 1", field);
		return -EINVAL;
	}
	if (kind != PROBE_READINESS && s.success_threshold != 1) {
		snprintf(err, errlen, "%s.successThreshold: Invalid value: %d: must be 1", field, s.success_threshold);
		return -EINVAL;
	}
	if (json_object_get(p, "grpc")) {
		snprintf(err, errlen, "%s: grpc probes are not supported by this node", field);
		return -EINVAL;
	}
	if ((h = json_object_get(p, "httpGet"))) {
		const char *path = json_string_value(json_object_get(h, "path"));
		const char *scheme = json_string_value(json_object_get(h, "scheme"));
		const json_t *hdrs = json_object_get(h, "httpHeaders");
		s.handler = PROBE_HTTP;
		if (scheme && strcmp(scheme, "HTTP") != 0 && strcmp(scheme, "HTTPS") != 0) {
			snprintf(err, errlen,
				 "%s.httpGet.scheme: Unsupported value: \"%.16s\": supported values: \"HTTP\", \"HTTPS\"",
				 field, scheme);
			return -EINVAL;
		}
		s.https = scheme && strcmp(scheme, "HTTPS") == 0;
		if (path && (strpbrk(path, "\r\n ") || strlen(path) > 2048)) {
			snprintf(err, errlen, "%s.httpGet.path: Invalid value", field);
			return -EINVAL;
		}
		if (hdrs && !json_is_array(hdrs)) {
			snprintf(err, errlen, "%s.httpGet.httpHeaders: must be a list", field);
			return -EINVAL;
		}
		if (hdrs) {
			const json_t *x;
			size_t i;
			json_array_foreach(hdrs, i, x) {
				const char *n = json_string_value(json_object_get(x, "name")),
					   *v = json_string_value(json_object_get(x, "value"));
				if (!n || !*n || !v || strpbrk(n, "\r\n: ") || strpbrk(v, "\r\n") ||
				    strlen(n) + strlen(v) > 1024) {
					snprintf(err, errlen, "%s.httpGet.httpHeaders[%zu]: Invalid value", field, i);
					return -EINVAL;
				}
			}
		}
		rc = resolve_port(container, json_object_get(h, "port"), &s.port);
		if (rc < 0 || parse_host(h, &s) < 0) {
			snprintf(err, errlen, rc == -ENOENT ? "%s.httpGet.port: the container has no port named %.64s"
							    : "%s.httpGet: invalid port or host",
				 field, json_string_value(json_object_get(h, "port")));
			return -EINVAL;
		}
		s.path = strdup(path && *path ? path : "/");
		s.headers = hdrs ? json_incref((json_t *)hdrs) : NULL;
		if (!s.path) {
			probe_spec_clear(&s);
			return -ENOMEM;
		}
		if (s.path[0] != '/') {
			char *abs;
			if (asprintf(&abs, "/%s", s.path) < 0) {
				probe_spec_clear(&s);
				return -ENOMEM;
			}
			free(s.path);
			s.path = abs;
		}
	} else if ((h = json_object_get(p, "tcpSocket"))) {
		s.handler = PROBE_TCP;
		rc = resolve_port(container, json_object_get(h, "port"), &s.port);
		if (rc < 0 || parse_host(h, &s) < 0) {
			snprintf(err, errlen, rc == -ENOENT ? "%s.tcpSocket.port: the container has no port named %.64s"
							    : "%s.tcpSocket: invalid port or host",
				 field, json_string_value(json_object_get(h, "port")));
			return -EINVAL;
		}
	} else {
		const json_t *cmd = json_object_get(json_object_get(p, "exec"), "command"), *a;
		size_t i, n = json_array_size(cmd);
		s.handler = PROBE_EXEC;
		if (n == 0 || n > 256) {
			snprintf(err, errlen, "%s.exec.command: Required value", field);
			return -EINVAL;
		}
		s.argv = calloc(n + 1, sizeof(char *));
		if (!s.argv)
			return -ENOMEM;
		json_array_foreach(cmd, i, a) {
			if (!json_is_string(a)) {
				probe_spec_clear(&s);
				snprintf(err, errlen, "%s.exec.command[%zu]: must be a string", field, i);
				return -EINVAL;
			}
			s.argv[i] = strdup(json_string_value(a));
			if (!s.argv[i]) {
				probe_spec_clear(&s);
				return -ENOMEM;
			}
		}
	}
	*ret = s;
	return 0;
}

/* ---- bookkeeping ---------------------------------------------------------------------------------- */

void probe_state_init(probe_state_t *st, probe_kind_t kind)
{
	memset(st, 0, sizeof(*st));
	/* prober/worker.go initialValue: liveness starts healthy, readiness and startup do not */
	st->result = kind == PROBE_LIVENESS;
}

bool probe_state_record(probe_state_t *st, const probe_spec_t *spec, bool ok)
{
	bool before = st->result;

	if (st->on_hold)
		return false;
	if (st->probed && st->last == ok)
		st->run++;
	else
		st->run = 1;
	st->last = ok;
	st->probed = true;
	if ((ok && st->run < spec->success_threshold) || (!ok && st->run < spec->failure_threshold))
		return false; /* not enough in a row yet: the result stays */
	st->result = ok;
	if (!ok && spec->kind != PROBE_READINESS) {
		/* the container is killed; nothing more to learn until it is back */
		st->on_hold = true;
		st->run = 0;
	}
	return st->result != before || (!ok && spec->kind != PROBE_READINESS);
}

/* ---- the worker ----------------------------------------------------------------------------------- */

/* The kubelet's HTTP prober (prober/http): an http.Client with Timeout = timeoutSeconds over the
 * whole exchange (redirects included), keep-alives off, and a redirect checker that follows only
 * redirects to the same host name, at most 10 requests in all. */
#define PROBE_MAX_REQUESTS 10

typedef struct exec_ticket {
	probe_worker_t *w; /* NULL once the worker is gone or moved on: the result is dropped */
} exec_ticket_t;

struct probe_worker {
	struct event_base *base;
	runtime_t *rt;
	probe_spec_t spec;
	char *uid, *container;
	probe_cb cb;
	void *arg;
	probe_state_t st;
	struct event *timer;
	/* the HTTP/TCP probe in flight */
	struct event *io;
	int fd;
	SSL_CTX *tls_ctx; /* made on the first HTTPS request, kept for the worker's life */
	SSL *ssl;
	enum { IO_CONNECT, IO_HANDSHAKE, IO_WRITE, IO_READ } io_state;
	double deadline;  /* CLOCK_MONOTONIC: the probe's timeoutSeconds from its first connect */
	int nreq;         /* requests of this probe so far */
	bool https;       /* the current request's scheme (a redirect may change it) */
	bool peeked;      /* HTTPS: the server's first bytes were checked for a plain HTTP reply */
	bool got_head;    /* HTTPS: head holds the first record header OpenSSL read */
	unsigned char head[5];
	bool keep_host;   /* a Host header of the spec applies to the current request */
	char req_ip[64];
	int req_port;
	char *req_path;   /* the current request's path and query (owned) */
	char out[4096];
	size_t olen, ooff;
	char buf[PROBE_READ_MAX + 1];
	size_t blen;
	exec_ticket_t *ticket; /* the exec probe in flight */
	char ip[64];
	char target[96]; /* "10.42.0.5:8080" */
	double started;
	bool running, gate_open;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timeval tv_of(double sec)
{
	struct timeval tv;

	if (sec < 0)
		sec = 0;
	tv.tv_sec = (time_t)sec;
	tv.tv_usec = (suseconds_t)((sec - (double)tv.tv_sec) * 1e6);
	return tv;
}

static void arm(probe_worker_t *w, double sec)
{
	struct timeval tv = tv_of(sec);

	evtimer_add(w->timer, &tv);
}

/* Closes the current connection (a redirect opens another); the probe's own state stays. */
static void conn_close(probe_worker_t *w)
{
	if (w->io) {
		event_free(w->io);
		w->io = NULL;
	}
	if (w->ssl) {
		SSL_free(w->ssl);
		w->ssl = NULL;
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
}

static void io_cancel(probe_worker_t *w)
{
	conn_close(w);
	free(w->req_path);
	w->req_path = NULL;
	if (w->ticket) {
		w->ticket->w = NULL;
		w->ticket = NULL;
	}
}

static void finish(probe_worker_t *w, bool ok, const char *message)
{
	bool changed;

	io_cancel(w);
	ERR_clear_error(); /* the agent's other TLS users must not see this probe's errors */
	if (!w->running)
		return;
	changed = probe_state_record(&w->st, &w->spec, ok);
	arm(w, w->spec.period);
	w->cb(w, ok, changed, ok ? "" : message, w->arg);
}

/* An HTTP failure as Go's client words it: Get "<url>": <what>. */
static void fail_get(probe_worker_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_get(probe_worker_t *w, const char *fmt, ...)
{
	char what[320], msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "Get \"%s://%s%.200s\": %s", w->https ? "https" : "http", w->target,
		 w->req_path ? w->req_path : "/", what);
	finish(w, false, msg);
}

static void on_io(evutil_socket_t fd, short what, void *arg);

/* Waits for the socket to become readable or writable, within what is left of the timeout. */
static void io_wait(probe_worker_t *w, short what)
{
	double left = w->deadline - mono_now();
	struct timeval tv;

	if (w->io) {
		event_free(w->io);
		w->io = NULL;
	}
	if (left <= 0) {
		on_io(w->fd, EV_TIMEOUT, w);
		return;
	}
	tv = tv_of(left);
	w->io = event_new(w->base, w->fd, what, on_io, w);
	if (!w->io) {
		finish(w, false, "out of memory");
		return;
	}
	event_add(w->io, &tv);
}

static bool has_header(const probe_worker_t *w, const char *name, const char **ret_value)
{
	const json_t *hd;
	size_t i;

	json_array_foreach(w->spec.headers, i, hd) {
		if (strcasecmp(json_string_value(json_object_get(hd, "name")), name) == 0) {
			if (ret_value)
				*ret_value = json_string_value(json_object_get(hd, "value"));
			return true;
		}
	}
	return false;
}

/* The request as Go's client sends a kubelet probe (prober/http/request.go): the spec's headers,
 * User-Agent and Accept unless the spec sets them (an empty Accept removes it), Connection: close
 * (keep-alives off). A Host header of the spec wins, but only until an absolute redirect. */
static int build_request(probe_worker_t *w)
{
	const char *accept = NULL;
	size_t cap = sizeof(w->out);
	const json_t *hd;
	size_t i;
	int n;

	n = snprintf(w->out, cap, "GET %s HTTP/1.1\r\n", w->req_path);
	if (!(w->keep_host && has_header(w, "Host", NULL)))
		n += snprintf(w->out + n, cap - (size_t)n, "Host: %s\r\n", w->target);
	if (!has_header(w, "User-Agent", NULL))
		n += snprintf(w->out + n, cap - (size_t)n, "User-Agent: " PROBE_USER_AGENT "\r\n");
	if (!has_header(w, "Accept", &accept))
		n += snprintf(w->out + n, cap - (size_t)n, "Accept: */*\r\n");
	n += snprintf(w->out + n, cap - (size_t)n, "Connection: close\r\n");
	json_array_foreach(w->spec.headers, i, hd) {
		const char *name = json_string_value(json_object_get(hd, "name")),
			   *value = json_string_value(json_object_get(hd, "value"));
		if (n >= (int)cap)
			break;
		if ((strcasecmp(name, "Host") == 0 && !w->keep_host) || (strcasecmp(name, "Accept") == 0 && !*value))
			continue;
		n += snprintf(w->out + n, cap - (size_t)n, "%s: %s\r\n", name, value);
	}
	if (n < (int)cap)
		n += snprintf(w->out + n, cap - (size_t)n, "\r\n");
	if (n >= (int)cap)
		return -EMSGSIZE;
	w->olen = (size_t)n;
	w->ooff = 0;
	return 0;
}

static void tls_msg(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg);

static int tls_start(probe_worker_t *w)
{
	struct in_addr a;

	if (!w->tls_ctx) {
		static const unsigned char alpn[] = "\x08http/1.1";
		w->tls_ctx = SSL_CTX_new(TLS_client_method());
		if (!w->tls_ctx)
			return -ENOMEM;
		/* crypto/tls's client default floor; no verification (InsecureSkipVerify, prober/http) */
		SSL_CTX_set_min_proto_version(w->tls_ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(w->tls_ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_options(w->tls_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
		SSL_CTX_set_mode(w->tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
		SSL_CTX_set_alpn_protos(w->tls_ctx, alpn, sizeof(alpn) - 1);
	}
	w->ssl = SSL_new(w->tls_ctx);
	if (!w->ssl || SSL_set_fd(w->ssl, w->fd) != 1)
		return -ENOMEM;
	SSL_set_connect_state(w->ssl);
	w->got_head = false;
	SSL_set_msg_callback(w->ssl, tls_msg);
	SSL_set_msg_callback_arg(w->ssl, w);
	/* SNI is the URL's host name; crypto/tls sends none for an IP literal (RFC 6066 s3) */
	if (inet_pton(AF_INET, w->req_ip, &a) != 1 && SSL_set_tlsext_host_name(w->ssl, w->req_ip) != 1)
		return -ENOMEM;
	w->peeked = false;
	return 0;
}

/* OpenSSL's message callback: keeps the first record header it reads. The peek before the
 * handshake sees the server's first bytes only when they have all arrived by then; this sees them
 * whenever OpenSSL reads them, before it checks the version (ssl3_get_record). */
static void tls_msg(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	probe_worker_t *w = arg;

	(void)version;
	(void)ssl;
	if (!write_p && content_type == SSL3_RT_HEADER && len >= sizeof(w->head) && !w->got_head) {
		memcpy(w->head, buf, sizeof(w->head));
		w->got_head = true;
	}
}

/* The first bytes of a reply to a TLS client that are not TLS, as net/http and crypto/tls word it
 * (golang.org/issue/11111); NULL when they are TLS (or unknown). */
static const char *not_tls_message(const unsigned char *h, size_t n)
{
	if (n < 5)
		return NULL;
	if (memcmp(h, "HTTP/", 5) == 0)
		return "http: server gave HTTP response to HTTPS client";
	/* a first record that is neither handshake nor alert (content types 21, 22) or not of TLS's
	 * major version 3 */
	if ((h[0] != 21 && h[0] != 22) || h[1] != 3)
		return "tls: first record does not look like a TLS handshake";
	return NULL;
}

/* What went wrong in a TLS call, roughly as crypto/tls says it. */
static void tls_fail(probe_worker_t *w, int ret, int err)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (err == SSL_ERROR_SYSCALL && errno && ret < 0)
		fail_get(w, "read tcp %s: %s", w->target, strerror(errno));
	else if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && !e))
		fail_get(w, "EOF");
	else if (reason && strstr(reason, "alert"))
		fail_get(w, "remote error: tls: %s", reason);
	else
		fail_get(w, "tls: %s", reason ? reason : "handshake failure");
}

static void request_start(probe_worker_t *w);

static bool is_ctl_or_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return true;
	return false;
}

int probe_http_parse(const char *buf, size_t len, int *ret_code, const char **ret_loc, size_t *ret_loclen)
{
	const char *end = buf + len, *p = buf + 5, *eol, *hend, *loc = NULL;
	size_t loclen = 0;
	int code = 0;

	if (len < 5 || memcmp(buf, "HTTP/", 5) != 0)
		return -EBADMSG;
	while (p < end && *p != ' ' && *p != '\r' && *p != '\n')
		p++; /* the version */
	if (p == end || *p != ' ')
		return -EBADMSG;
	p++;
	for (int i = 0; i < 3; i++, p++) {
		if (p == end || *p < '0' || *p > '9')
			return -EBADMSG;
		code = code * 10 + (*p - '0');
	}
	if (p < end && *p != ' ' && *p != '\r' && *p != '\n')
		return -EBADMSG;
	/* the header block ends at the first empty line, or where the bytes we have end */
	hend = memmem(buf, len, "\r\n\r\n", 4);
	hend = hend ? hend + 2 : end;
	eol = p < hend ? memmem(p, (size_t)(hend - p), "\r\n", 2) : NULL;
	while (eol && eol + 2 < hend) {
		const char *line = eol + 2, *le = memmem(line, (size_t)(hend - line), "\r\n", 2);
		size_t ll = le ? (size_t)(le - line) : (size_t)(hend - line);
		if (ll >= 9 && strncasecmp(line, "Location:", 9) == 0) {
			loc = line + 9;
			loclen = ll - 9;
			while (loclen > 0 && (*loc == ' ' || *loc == '\t'))
				loc++, loclen--;
			while (loclen > 0 && (loc[loclen - 1] == ' ' || loc[loclen - 1] == '\t'))
				loclen--;
			if (loclen == 0)
				loc = NULL;
			break;
		}
		eol = le;
	}
	*ret_code = code;
	*ret_loc = loc;
	*ret_loclen = loc ? loclen : 0;
	return 0;
}

int probe_redirect_resolve(const char *loc, size_t len, const probe_url_t *cur, probe_url_t *ret)
{
	probe_url_t u = { .https = cur->https, .port = cur->port };
	const char *p = loc, *end = loc + len;

	if (len == 0 || len >= PROBE_URL_MAX || is_ctl_or_space(loc, len))
		return -EBADMSG;
	end = memchr(loc, '#', len) ? memchr(loc, '#', len) : end; /* a fragment is the client's own */
	snprintf(u.host, sizeof(u.host), "%s", cur->host);
	if ((end - p >= 7 && strncasecmp(p, "http://", 7) == 0) || (end - p >= 8 && strncasecmp(p, "https://", 8) == 0) ||
	    (end - p >= 2 && p[0] == '/' && p[1] == '/')) {
		const char *h, *colon = NULL;
		size_t hl;
		/* Go keeps a spec Host header only for a Location without a scheme */
		u.absolute = p[0] != '/';
		if (p[0] != '/') {
			u.https = p[4] == 's' || p[4] == 'S';
			p += u.https ? 8 : 7;
		} else {
			p += 2;
		}
		h = p;
		while (p < end && *p != '/' && *p != '?')
			p++;
		hl = (size_t)(p - h);
		u.port = u.https ? 443 : 80;
		for (const char *c = h; c < p; c++)
			if (*c == ':')
				colon = c;
		if (colon && memchr(colon, ']', (size_t)(p - colon)) == NULL) {
			long v = 0;
			if (colon + 1 == p || p - colon > 6)
				return -EBADMSG;
			for (const char *c = colon + 1; c < p; c++) {
				if (*c < '0' || *c > '9')
					return -EBADMSG;
				v = v * 10 + (*c - '0');
			}
			if (v < 1 || v > 65535)
				return -EBADMSG;
			u.port = (int)v;
			hl = (size_t)(colon - h);
		}
		if (hl == 0 || hl >= sizeof(u.host))
			return -EBADMSG;
		memcpy(u.host, h, hl);
		u.host[hl] = '\0';
		if (asprintf(&u.path, "%s%.*s", p == end || *p == '?' ? "/" : "", (int)(end - p), p) < 0)
			return -ENOMEM;
	} else if (p[0] == '/') {
		if (asprintf(&u.path, "%.*s", (int)(end - p), p) < 0)
			return -ENOMEM;
	} else {
		/* relative to the current path's directory (RFC 3986 s5.2.3; dot segments are left alone) */
		const char *slash = cur->path ? strrchr(cur->path, '/') : NULL;
		int dl = slash ? (int)(slash - cur->path) + 1 : 1;
		if (asprintf(&u.path, "%.*s%.*s", dl, slash ? cur->path : "/", (int)(end - p), p) < 0)
			return -ENOMEM;
	}
	*ret = u;
	return 0;
}

static void request_start(probe_worker_t *w);

/* Go's redirect checker as the kubelet sets it: same host name -> the next request; another host ->
 * the 3xx is the answer (ErrUseLastResponse: the kubelet's "Probe terminated redirects" warning,
 * counted as success). */
static void follow_redirect(probe_worker_t *w, const char *loc, size_t len)
{
	probe_url_t cur = { .https = w->https, .port = w->req_port, .path = w->req_path }, next;
	const char *orig = w->spec.host[0] ? w->spec.host : w->ip;
	int r;

	snprintf(cur.host, sizeof(cur.host), "%s", w->req_ip);
	r = probe_redirect_resolve(loc, len, &cur, &next);
	if (r == -ENOMEM) {
		finish(w, false, "out of memory");
		return;
	}
	if (r < 0) {
		fail_get(w, "failed to parse Location header");
		return;
	}
	if (strcmp(next.host, orig) != 0) {
		free(next.path);
		finish(w, true, "");
		return;
	}
	conn_close(w);
	free(w->req_path);
	w->req_path = next.path;
	w->https = next.https;
	w->req_port = next.port;
	w->keep_host = w->keep_host && !next.absolute;
	snprintf(w->target, sizeof(w->target), "%s:%d", w->req_ip, w->req_port);
	if (w->nreq >= PROBE_MAX_REQUESTS) {
		fail_get(w, "stopped after %d redirects", PROBE_MAX_REQUESTS);
		return;
	}
	request_start(w);
}

/* The reply's status line and headers are in w->buf (or all the server sent before closing). */
static void on_response(probe_worker_t *w)
{
	const char *loc;
	size_t loclen;
	char msg[64];
	int code;

	if (w->blen == 0) {
		fail_get(w, "EOF");
		return;
	}
	if (probe_http_parse(w->buf, w->blen, &code, &loc, &loclen) < 0) {
		fail_get(w, "malformed HTTP response");
		return;
	}
	if ((code == 301 || code == 302 || code == 303 || code == 307 || code == 308) && loc) {
		follow_redirect(w, loc, loclen);
		return;
	}
	/* prober/http: success is 200 <= code < 400 (a 3xx left unfollowed is a warning, still success) */
	if (code >= 200 && code < 400) {
		finish(w, true, "");
	} else {
		snprintf(msg, sizeof(msg), "HTTP probe failed with statuscode: %d", code);
		finish(w, false, msg);
	}
}

/* Advances the probe as far as the socket allows, then waits for it. */
static void io_step(probe_worker_t *w)
{
	int soerr = 0, r;
	socklen_t sl = sizeof(soerr);
	char msg[512];

	switch (w->io_state) {
	case IO_CONNECT:
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			const char *e = soerr == ECONNREFUSED ? "connection refused"
					: soerr == EHOSTUNREACH ? "no route to host"
								 : strerror(soerr);
			if (w->spec.handler == PROBE_HTTP) {
				fail_get(w, "dial tcp %s: connect: %s", w->target, e);
			} else {
				snprintf(msg, sizeof(msg), "dial tcp %s: connect: %s", w->target, e);
				finish(w, false, msg);
			}
			return;
		}
		if (w->spec.handler == PROBE_TCP) {
			finish(w, true, "");
			return;
		}
		if (build_request(w) < 0) {
			fail_get(w, "request headers too large");
			return;
		}
		if (w->https) {
			if (tls_start(w) < 0) {
				finish(w, false, "out of memory");
				return;
			}
			w->io_state = IO_HANDSHAKE;
		} else {
			w->io_state = IO_WRITE;
		}
		io_step(w);
		return;
	case IO_HANDSHAKE:
		if (!w->peeked) {
			/* net/http: a bad TLS record that reads "HTTP/" is a plain HTTP server (golang.org/issue/11111) */
			char head[5];
			ssize_t n = recv(w->fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
			const char *msg;
			if (n >= 0 || (errno != EAGAIN && errno != EINTR))
				w->peeked = true;
			if (n > 0 && (msg = not_tls_message((const unsigned char *)head, (size_t)n))) {
				fail_get(w, "%s", msg);
				return;
			}
		}
		ERR_clear_error();
		errno = 0; /* a stale EAGAIN from the peek must not read as a socket error */
		r = SSL_do_handshake(w->ssl);
		if (r == 1) {
			w->io_state = IO_WRITE;
			io_step(w);
			return;
		}
		r = SSL_get_error(w->ssl, r);
		if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
			io_wait(w, r == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
			return;
		}
		if (w->got_head && not_tls_message(w->head, sizeof(w->head))) {
			fail_get(w, "%s", not_tls_message(w->head, sizeof(w->head)));
			return;
		}
		tls_fail(w, -1, r);
		return;
	case IO_WRITE:
		while (w->ooff < w->olen) {
			ssize_t n;
			if (w->ssl) {
				ERR_clear_error();
				errno = 0;
				r = SSL_write(w->ssl, w->out + w->ooff, (int)(w->olen - w->ooff));
				if (r <= 0) {
					r = SSL_get_error(w->ssl, r);
					if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
						io_wait(w, r == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
						return;
					}
					tls_fail(w, -1, r);
					return;
				}
				n = r;
			} else {
				n = send(w->fd, w->out + w->ooff, w->olen - w->ooff, MSG_NOSIGNAL);
				if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
					io_wait(w, EV_WRITE);
					return;
				}
				if (n < 0) {
					fail_get(w, "write tcp %s: %s", w->target, strerror(errno));
					return;
				}
			}
			w->ooff += (size_t)n;
		}
		w->io_state = IO_READ;
		w->blen = 0;
		/* fall through */
	case IO_READ:
		for (;;) {
			ssize_t n;
			bool eof = false;
			if (w->ssl) {
				ERR_clear_error();
				errno = 0;
				r = SSL_read(w->ssl, w->buf + w->blen, (int)(PROBE_READ_MAX - w->blen));
				if (r <= 0) {
					r = SSL_get_error(w->ssl, r);
					if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
						io_wait(w, r == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
						return;
					}
					if (r != SSL_ERROR_ZERO_RETURN && w->blen == 0) {
						tls_fail(w, -1, r);
						return;
					}
					eof = true;
				}
				n = r > 0 ? r : 0;
			} else {
				n = recv(w->fd, w->buf + w->blen, PROBE_READ_MAX - w->blen, 0);
				if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
					io_wait(w, EV_READ);
					return;
				}
				if (n < 0) {
					if (w->blen == 0) {
						fail_get(w, "read tcp %s: %s", w->target, strerror(errno));
						return;
					}
					n = 0;
				}
				eof = n == 0;
			}
			w->blen += (size_t)n;
			w->buf[w->blen] = '\0';
			/* the header block is all we need (the body is not looked at) */
			if (eof || w->blen == PROBE_READ_MAX || strstr(w->buf, "\r\n\r\n")) {
				on_response(w);
				return;
			}
		}
	}
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	probe_worker_t *w = arg;
	char msg[512];

	(void)fd;
	if (what & EV_TIMEOUT) {
		/* http.Client.Timeout covers dial, TLS handshake and headers alike */
		if (w->spec.handler == PROBE_HTTP) {
			fail_get(w, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
		} else {
			snprintf(msg, sizeof(msg), "dial tcp %s: i/o timeout", w->target);
			finish(w, false, msg);
		}
		return;
	}
	io_step(w);
}

/* connect() from the event loop; socket writable means the connect finished (HTTP, HTTPS and TCP). */
static void request_start(probe_worker_t *w)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)w->req_port) };
	char msg[256];

	w->nreq++;
	if (inet_pton(AF_INET, w->req_ip, &sa.sin_addr) != 1) {
		snprintf(msg, sizeof(msg), "dial tcp %s: the pod has no IPv4 address", w->target);
		finish(w, false, msg);
		return;
	}
	w->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		snprintf(msg, sizeof(msg), "dial tcp %s: socket: %s", w->target, strerror(errno));
		finish(w, false, msg);
		return;
	}
	if (connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		const char *e = errno == ECONNREFUSED ? "connection refused" : strerror(errno);
		if (w->spec.handler == PROBE_HTTP) {
			fail_get(w, "dial tcp %s: connect: %s", w->target, e);
		} else {
			snprintf(msg, sizeof(msg), "dial tcp %s: connect: %s", w->target, e);
			finish(w, false, msg);
		}
		return;
	}
	w->io_state = IO_CONNECT;
	io_wait(w, EV_WRITE);
}

static void probe_begin(probe_worker_t *w)
{
	const char *ip = w->spec.host[0] ? w->spec.host : w->ip;

	snprintf(w->req_ip, sizeof(w->req_ip), "%s", ip);
	w->req_port = w->spec.port;
	snprintf(w->target, sizeof(w->target), "%s:%d", ip, w->spec.port);
	w->https = w->spec.https;
	w->keep_host = true;
	w->nreq = 0;
	w->deadline = mono_now() + w->spec.timeout;
	if (w->spec.handler == PROBE_HTTP) {
		w->req_path = strdup(w->spec.path ? w->spec.path : "/");
		if (!w->req_path) {
			finish(w, false, "out of memory");
			return;
		}
	}
	request_start(w);
}

static void on_exec_done(int status, const char *output, size_t len, void *arg)
{
	exec_ticket_t *t = arg;
	probe_worker_t *w = t->w;
	char msg[512];

	free(t);
	if (!w)
		return;
	w->ticket = NULL;
	if (status == -ECANCELED)
		return; /* the runtime is going away: no verdict, and nothing to tell the pod worker */
	if (status == 0) {
		finish(w, true, "");
	} else if (status == -ETIMEDOUT) {
		snprintf(msg, sizeof(msg), "command timed out after %ds", w->spec.timeout);
		finish(w, false, msg);
	} else if (status < 0) {
		snprintf(msg, sizeof(msg), "exec failed: %s", strerror(-status));
		finish(w, false, msg);
	} else {
		/* the kubelet's message is the command's output */
		int n = (int)(len > 400 ? 400 : len);
		while (n > 0 && (output[n - 1] == '\n' || output[n - 1] == '\r'))
			n--;
		if (n > 0)
			snprintf(msg, sizeof(msg), "%.*s", n, output);
		else
			snprintf(msg, sizeof(msg), "command exited with status %d", status);
		finish(w, false, msg);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	probe_worker_t *w = arg;

	if (!w->running)
		return;
	if (!w->gate_open || w->st.on_hold || w->io || w->ticket) {
		arm(w, w->spec.period);
		return;
	}
	if (w->spec.handler == PROBE_EXEC) {
		exec_ticket_t *t = calloc(1, sizeof(*t));
		int rc;
		if (!t) {
			arm(w, w->spec.period);
			return;
		}
		t->w = w;
		w->ticket = t;
		rc = runtime_exec(w->rt, w->uid, w->container, w->spec.argv, w->spec.timeout * 1000, on_exec_done, t);
		if (rc < 0) {
			char msg[128];
			w->ticket = NULL;
			free(t);
			snprintf(msg, sizeof(msg), "exec failed: %s", strerror(-rc));
			finish(w, false, msg);
		}
		return;
	}
	probe_begin(w);
}

int probe_worker_new(struct event_base *base, runtime_t *rt, probe_spec_t *spec, const char *pod_uid,
		     const char *container, probe_cb cb, void *arg, probe_worker_t **ret)
{
	probe_worker_t *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->base = base;
	w->rt = rt;
	w->cb = cb;
	w->arg = arg;
	w->gate_open = true;
	w->uid = strdup(pod_uid);
	w->container = strdup(container);
	w->timer = evtimer_new(base, on_timer, w);
	if (!w->uid || !w->container || !w->timer) {
		probe_worker_free(w);
		return -ENOMEM;
	}
	w->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	probe_state_init(&w->st, w->spec.kind);
	*ret = w;
	return 0;
}

void probe_worker_free(probe_worker_t *w)
{
	if (!w)
		return;
	io_cancel(w);
	if (w->timer)
		event_free(w->timer);
	probe_spec_clear(&w->spec);
	free(w->uid);
	free(w->container);
	SSL_CTX_free(w->tls_ctx);
	free(w);
}

void probe_worker_start(probe_worker_t *w, const char *pod_ip, double started_mono)
{
	io_cancel(w);
	probe_state_init(&w->st, w->spec.kind);
	snprintf(w->ip, sizeof(w->ip), "%s", pod_ip ? pod_ip : "");
	w->started = started_mono;
	w->running = true;
	/* the first probe once initialDelaySeconds have passed since the container started */
	arm(w, started_mono + w->spec.initial_delay - mono_now());
}

void probe_worker_stop(probe_worker_t *w)
{
	io_cancel(w);
	evtimer_del(w->timer);
	w->running = false;
	probe_state_init(&w->st, w->spec.kind);
}

void probe_worker_set_gate(probe_worker_t *w, bool open)
{
	bool opened = open && !w->gate_open;

	w->gate_open = open;
	/* the startup probe just succeeded: probe now (after the initial delay), not a period later */
	if (opened && w->running && !w->io && !w->ticket)
		arm(w, w->started + w->spec.initial_delay - mono_now());
}

bool probe_worker_result(const probe_worker_t *w)
{
	return w->st.result;
}

const probe_spec_t *probe_worker_spec(const probe_worker_t *w)
{
	return &w->spec;
}

const char *probe_worker_container(const probe_worker_t *w)
{
	return w->container;
}
